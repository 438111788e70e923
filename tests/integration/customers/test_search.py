"""Search on PostgreSQL: accent- and case-free partial names through pg_trgm, phones in any format,
identifiers, ranking, paging, and the indexes behind each kind."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from services.customers.normalisation import fold
from services.customers.queries import search_statement
from tests.conftest import make_principal
from tests.integration.customers.conftest import if_match, iccid

pytestmark = pytest.mark.integration

NAMES = ["JOSÉ Pérez Gómez", "Josefina Mora Solís", "María Fernanda López", "Nguyễn Văn An", "Lê Thị Hoa",
         "Trần Đức Thắng", "Дмитрий Ёлкин", "Анна Йошкина", "Distribuidora Andina S.A.S.", "Núñez Ibáñez Ltda."]


@pytest.fixture(scope="module")
def searcher(headers):
    """Level 2 of a branch only this module's search data lives in."""
    principal = make_principal(level=2, branch_id=uuid.uuid4(), department_id=uuid.uuid4(),
                               permissions=frozenset({"edit_customers"}))
    return principal, headers(principal)


@pytest.fixture(scope="module")
def directory(app, searcher):
    client = app.test_client()
    made = {}
    for name, country, extra in [
        ("JOSÉ Pérez Gómez", "CO", {"tax_number": "79.123.456", "phone2": "300 123 4567", "email": "jose@example.co"}),
        ("Josefina Mora Solís", "CR", {"phone2": "8888-8888"}),
        ("María Fernanda López", "MX", {"phone": "55 1234 5678"}),
        ("Nguyễn Văn An", "VN", {"phone2": "0912 345 678"}),
        ("Lê Thị Hoa", "VN", {"contacts": [{"name": "Nguyễn Thị Mai", "phones": ["0987 654 321"]}]}),
        ("Trần Đức Thắng", "VN", {}),
        ("Дмитрий Ёлкин", "RU", {"phone2": "8 (912) 345-67-89"}),
        ("Анна Йошкина", "RU", {}),
        ("Distribuidora Andina S.A.S.", "CO", {"kind": "company", "tax_number": "900.123.456-7"}),
        ("Núñez Ibáñez Ltda.", "CO", {"kind": "company"}),
    ]:
        body = {"code": f"S-{uuid.uuid4().hex[:10]}", "kind": "person", "name": name, "country": country} | extra
        response = client.post("/api/v1/customers", headers=searcher[1], json=body)
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()
    line = client.post(f"/api/v1/customers/{made['Trần Đức Thắng']['id']}/lines", headers=if_match(searcher[1], 1),
                       json={"number": "0912 000 111", "tariff_plan": "Basic", "iccid": iccid(1)})
    assert line.status_code == 201, line.get_json()
    return made


def search(client, headers, q, **params):
    response = client.get("/api/v1/customers/search", headers=headers, query_string={"q": q} | params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(page) -> list[str]:
    return [item["name"] for item in page["items"]]


@pytest.mark.parametrize("q,expected", [
    ("nguyen", ["Nguyễn Văn An"]),
    ("NGUYỄN VĂN", ["Nguyễn Văn An"]),
    ("guyen", ["Nguyễn Văn An"]),                      # partial, inside a word
    ("jose", ["JOSÉ Pérez Gómez", "Josefina Mora Solís"]),  # whole word before prefix
    ("JOSE PEREZ", ["JOSÉ Pérez Gómez"]),
    ("per gom", ["JOSÉ Pérez Gómez"]),
    ("tran duc thang", ["Trần Đức Thắng"]),             # đ folds to d
    ("le hoa", ["Lê Thị Hoa"]),                         # short words match word starts
    ("елкин", ["Дмитрий Ёлкин"]),
    ("йошкин", ["Анна Йошкина"]),
    ("fernanda lop", ["María Fernanda López"]),
    ("nunez ibanez", ["Núñez Ibáñez Ltda."]),
    ("andina sas", ["Distribuidora Andina S.A.S."]),   # dots vanish: S.A.S. is "sas"
    ("andina s.a.s", ["Distribuidora Andina S.A.S."]),
])
def test_names_are_found_ignoring_case_accents_and_partial_input(client, searcher, directory, q, expected):
    assert names(search(client, searcher[1], q)) == expected


@pytest.mark.parametrize("q,name,matched", [
    ("300 123 4567", "JOSÉ Pérez Gómez", "phone"),
    ("(300) 123-4567", "JOSÉ Pérez Gómez", "phone"),
    ("+57 300 123 4567", "JOSÉ Pérez Gómez", "phone"),
    ("0057 3001234567", "JOSÉ Pérez Gómez", "phone"),
    ("8888 8888", "Josefina Mora Solís", "phone"),
    ("+506 8888-8888", "Josefina Mora Solís", "phone"),
    ("55 1234 5678", "María Fernanda López", "phone"),
    ("+52 1 55 1234 5678", "María Fernanda López", "phone"),
    ("0912 345 678", "Nguyễn Văn An", "phone"),
    ("+84 912 345 678", "Nguyễn Văn An", "phone"),
    ("0987.654.321", "Lê Thị Hoa", "contact"),
    ("8 (912) 345-67-89", "Дмитрий Ёлкин", "phone"),
    ("+7 912 345 67 89", "Дмитрий Ёлкин", "phone"),
    ("0912000111", "Trần Đức Thắng", "line"),
    ("+84 912 000 111", "Trần Đức Thắng", "line"),
    ("79123456", "JOSÉ Pérez Gómez", "tax_number"),
    ("900123456-7", "Distribuidora Andina S.A.S.", "tax_number"),
    ("Jose@Example.co", "JOSÉ Pérez Gómez", "email"),
])
def test_identifiers_and_phones_in_any_format_find_the_customer(client, searcher, directory, q, name, matched):
    page = search(client, searcher[1], q)
    assert [(item["name"], item["matched"]) for item in page["items"]] == [(name, matched)]


def test_a_code_is_found_whatever_its_case(client, searcher, directory):
    code = directory["Nguyễn Văn An"]["code"]
    page = search(client, searcher[1], code.lower())
    assert [(item["code"], item["matched"]) for item in page["items"]] == [(code, "code")]


def test_results_are_ranked_and_paged(client, manager, make_customer):
    for n in range(30):
        make_customer(name=f"Phạm Thị Thu {n:02d}", country="VN")
    make_customer(name="Pham", country="VN")
    first = search(client, manager[1], "pham", per_page=10)
    last = search(client, manager[1], "pham", per_page=10, page=4)
    assert first["total"] == last["total"] == 31
    assert first["items"][0]["name"] == "Pham"          # the whole name first
    assert len(last["items"]) == 1
    everyone = [item["id"] for page in range(1, 5) for item in search(client, manager[1], "pham", per_page=10,
                                                                       page=page)["items"]]
    assert len(set(everyone)) == 31


def test_search_stays_inside_the_callers_reach(client, headers, make_customer, manager):
    other_branch = make_principal(level=2, permissions=frozenset({"edit_customers"}))
    mine = make_customer(name="Hoàng Minh Tuấn", country="VN")
    theirs = make_customer(by=headers(other_branch), name="Hoàng Minh Tú", country="VN")
    assert names(search(client, manager[1], "hoang minh")) == ["Hoàng Minh Tuấn"]
    assert names(search(client, headers(other_branch), "hoang minh")) == ["Hoàng Minh Tú"]
    assert search(client, headers(other_branch), mine["code"])["items"] == []
    assert search(client, manager[1], theirs["code"])["items"] == []


def test_every_search_kind_can_use_an_index(app, searcher, directory):
    """With sequential scans off, each kind's plan must reach its index (the benchmark shows the
    planner choosing them on a million rows)."""
    database = app.extensions["caredesk"].database
    with database.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        for q, by, index in [("nguyen van", "any", "ix_customers_search_name_trgm"),
                             ("0912 345 678", "any", "pk_customer_search_terms"),
                             ("79123456", "tax_number", "pk_customer_search_terms"),
                             (directory["Lê Thị Hoa"]["code"], "code", "pk_customer_search_terms")]:
            statement = search_statement(searcher[0], q=q, by=by)
            compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
            plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))
            assert index in plan, plan
            assert "Seq Scan on customers" not in plan and "Seq Scan on customer_search_terms" not in plan, plan


def test_python_folding_agrees_with_postgresql_unaccent(app):
    """The migration's caredesk_unaccent() folds names as the service does, for ad-hoc SQL."""
    database = app.extensions["caredesk"].database
    with database.engine.connect() as connection:
        for name in NAMES:
            folded = connection.scalar(text(
                "SELECT btrim(regexp_replace(replace(lower(caredesk_unaccent(:n)), '.', ''), "
                "'[^[:alnum:]]+', ' ', 'g'))"),
                {"n": name})
            assert folded == fold(name), name
