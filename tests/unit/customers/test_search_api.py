"""Search, caller lookup and the bulk change of preferred sales agent, on SQLite."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy.dialects import sqlite

from services.customers.models import directory_users
from services.customers.queries import search_query
from services.customers.schemas import SearchPageSchema

from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A, DEPT_B, EDITOR, if_match, iccid

AGENT_1, AGENT_2, AGENT_3 = uuid.UUID(int=101), uuid.UUID(int=102), uuid.UUID(int=103)


def found(client, headers, q, **params) -> list[tuple[str, str]]:
    response = client.get("/api/v1/customers/search", headers=headers, query_string={"q": q} | params)
    assert response.status_code == 200, response.get_json()
    return [(item["code"], item["matched"]) for item in response.get_json()["items"]]


@pytest.fixture
def directory(make_customer, client, admin):
    made = {
        "jose": make_customer(code="CO-1", name="JOSÉ Pérez Gómez", country="CO", tax_number="79.123.456",
                              phone="601 234 5678", phone2="300 123 4567", email="jose@example.co"),
        "nguyen": make_customer(code="VN-1", name="Nguyễn Văn An", country="VN", phone2="0912 345 678",
                                contacts=[{"name": "Lê Thị Hoa", "phones": ["0987 654 321"]}]),
        "le": make_customer(code="VN-2", name="Lê Văn Anh", country="VN"),
        "dmitry": make_customer(code="RU-1", name="Дмитрий Ёлкин", country="RU", phone2="8 (912) 345-67-89"),
        "mx": make_customer(code="MX-1", name="Distribuidora Andina S.A. de C.V.", kind="company", country="MX",
                            phone="55 1234 5678"),
        "cr": make_customer(code="CR-1", name="Josefina Mora", country="CR", phone2="8888-8888"),
    }
    line = client.post(f"/api/v1/customers/{made['nguyen']['id']}/lines", headers=if_match(admin[1], 1),
                       json={"number": "0912 000 111", "tariff_plan": "Basic", "iccid": iccid()})
    assert line.status_code == 201
    return made


@pytest.mark.parametrize("q,first", [
    ("nguyen", ("VN-1", "name")),
    ("NGUYỄN", ("VN-1", "name")),
    ("ngu van", ("VN-1", "name")),
    ("jose", ("CO-1", "name")),         # "José Pérez" before "Josefina": whole word first
    ("perez gom", ("CO-1", "name")),
    ("елкин", ("RU-1", "name")),        # ё folds to е
    ("andina", ("MX-1", "name")),
    ("co-1", ("CO-1", "code")),         # seed 003: case does not matter
    ("79123456", ("CO-1", "tax_number")),
    ("79.123.456", ("CO-1", "tax_number")),
    ("JOSE@example.co", ("CO-1", "email")),
    ("300 123 4567", ("CO-1", "phone")),
    ("+57 601 234 5678", ("CO-1", "phone")),
    ("573001234567", ("CO-1", "phone")),
    ("0912 345 678", ("VN-1", "phone")),
    ("+84912345678", ("VN-1", "phone")),
    ("0987654321", ("VN-1", "contact")),
    ("0912 000 111", ("VN-1", "line")),
    ("8 (912) 345-67-89", ("RU-1", "phone")),
    ("+7 912 345 67 89", ("RU-1", "phone")),
    ("55 1234 5678", ("MX-1", "phone")),
    ("8888 8888", ("CR-1", "phone")),
])
def test_one_box_finds_a_customer_by_any_identifier_or_name(client, admin, directory, q, first):
    results = found(client, admin[1], q)
    assert results and results[0] == first, results


def test_name_search_ranks_whole_words_before_partial_ones(client, admin, directory):
    assert [code for code, _ in found(client, admin[1], "jose")] == ["CO-1", "CR-1"]
    assert [code for code, _ in found(client, admin[1], "le an")][:1] == ["VN-2"]
    assert found(client, admin[1], "an", by="name")[0][0] in {"VN-1", "VN-2"}


def test_search_can_be_narrowed_to_one_kind(client, admin, directory):
    assert found(client, admin[1], "0912 345 678", by="line") == []
    assert found(client, admin[1], "0912 000 111", by="line") == [("VN-1", "line")]
    assert found(client, admin[1], "co-1", by="name") == []
    assert found(client, admin[1], "jose", by="code") == []


def test_search_is_paged(client, admin, make_customer):
    for n in range(7):
        make_customer(code=f"P-{n}", name=f"Pham Thi Mai {n}")
    first = client.get("/api/v1/customers/search", headers=admin[1],
                       query_string={"q": "pham", "per_page": 3}).get_json()
    third = client.get("/api/v1/customers/search", headers=admin[1],
                       query_string={"q": "pham", "per_page": 3, "page": 3}).get_json()
    beyond = client.get("/api/v1/customers/search", headers=admin[1],
                        query_string={"q": "pham", "per_page": 3, "page": 9}).get_json()
    assert first["total"] == third["total"] == beyond["total"] == 7
    assert len(first["items"]) == 3 and len(third["items"]) == 1 and beyond["items"] == []
    # the search, answered without its schema for speed, carries the links every list carries
    assert first["links"] == {"next": "/api/v1/customers/search?q=pham&per_page=3&page=2", "previous": None}
    assert third["links"] == {"next": None, "previous": "/api/v1/customers/search?q=pham&per_page=3&page=2"}
    assert beyond["links"]["previous"].endswith("page=3")


def test_search_respects_access_levels(client, bearer, make_customer, register_users):
    seller = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A)
    register_users(seller)
    make_customer(code="A-1", name="Trần Văn Bình", salesperson_id=str(seller.user_id))
    make_customer(headers=bearer(make_principal(level=1, branch_id=BRANCH_B, department_id=DEPT_B, permissions=EDITOR)),
                  code="B-1", name="Trần Văn Bảo")
    levels = {
        "company": (make_principal(level=1, branch_id=BRANCH_B), {"A-1", "B-1"}),
        "branch A": (make_principal(level=2, branch_id=BRANCH_A), {"A-1"}),
        "department B": (make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_B), {"B-1"}),
        "own": (seller, {"A-1"}),
        "nobody's": (make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A), set()),
    }
    for name, (principal, codes) in levels.items():
        assert {code for code, _ in found(client, bearer(principal), "tran van")} == codes, name
        assert {code for code, _ in found(client, bearer(principal), "b-1")} == codes & {"B-1"}, name


def test_callers_of_one_shape_share_one_statement_each_within_their_own_reach(client, bearer, make_customer):
    """The statement is built once per shape of caller (level, which ids it has) and number of keys,
    the caller's ids bound as parameters: two branches' users run the same statement and each still
    finds only their own branch's customers. Its keys are plain parameters (nothing is rendered into
    the SQL on each execution: no expanding IN)."""
    in_a, in_b = make_principal(level=2, branch_id=BRANCH_A), make_principal(level=2, branch_id=BRANCH_B)
    make_customer(headers=bearer(make_principal(level=1, branch_id=BRANCH_A, permissions=EDITOR)),
                  code="SA-1", name="Phạm Văn Hùng", tax_number="111222333")
    make_customer(headers=bearer(make_principal(level=1, branch_id=BRANCH_B, permissions=EDITOR)),
                  code="SB-1", name="Phạm Văn Hưng", tax_number="111222334")
    for q in ("sa-1", "sb-1", "111222333", "111222334"):
        statement_a, params_a = search_query(in_a, q=q)
        statement_b, params_b = search_query(in_b, q=q)
        assert statement_a is statement_b and params_a["reach_branch"] != params_b["reach_branch"]
        compiled = statement_a.compile(dialect=sqlite.dialect())
        assert not compiled.post_compile_params and not compiled.literal_execute_params
    assert found(client, bearer(in_a), "sa-1") == [("SA-1", "code")] and found(client, bearer(in_b), "sa-1") == []
    assert found(client, bearer(in_b), "sb-1") == [("SB-1", "code")] and found(client, bearer(in_a), "sb-1") == []
    assert found(client, bearer(in_a), "111222333") == [("SA-1", "tax_number")]
    assert found(client, bearer(in_b), "111222333") == []
    statement, _params = search_query(in_a, q="0912 345 678", by="phone", kinds=("line", "phone", "contact"))
    assert not statement.compile(dialect=sqlite.dialect()).post_compile_params


@pytest.mark.parametrize("params,field", [
    ({}, "q"), ({"q": " "}, "q"), ({"q": "x" * 201}, "q"), ({"q": "a", "by": "shoe size"}, "by"),
    ({"q": "a", "per_page": 0}, "per_page"), ({"q": "a", "per_page": 201}, "per_page"), ({"q": "a", "page": 0}, "page"),
    ({"q": "a", "sort": "name"}, "sort")])
def test_bad_search_parameters_are_field_errors(client, admin, params, field):
    response = client.get("/api/v1/customers/search", headers=admin[1], query_string=params)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_the_list_with_q_is_the_search(client, admin, directory):
    listed = client.get("/api/v1/customers", headers=admin[1], query_string={"q": "nguyen"}).get_json()
    assert [item["code"] for item in listed["items"]] == ["VN-1"]


# -- caller lookup ----------------------------------------------------------------------------
def test_a_caller_number_opens_its_one_card(client, admin, directory):
    by_line = client.get("/api/v1/customers/caller", headers=admin[1], query_string={"number": "+84 912 000 111"})
    assert by_line.status_code == 200 and by_line.get_json()["code"] == "VN-1"
    assert by_line.headers["ETag"] == '"2"'
    by_phone = client.get("/api/v1/customers/caller", headers=admin[1], query_string={"number": "8 912 345 67 89"})
    assert by_phone.get_json()["code"] == "RU-1"
    unknown = client.get("/api/v1/customers/caller", headers=admin[1], query_string={"number": "+57 310 000 0000"})
    assert unknown.status_code == 404 and unknown.get_json()["type"].endswith("/caller-not-found")
    not_a_number = client.get("/api/v1/customers/caller", headers=admin[1], query_string={"number": "Nguyễn"})
    assert not_a_number.status_code == 404


def test_a_line_beats_a_phone_and_two_equal_matches_are_ambiguous(client, admin, make_customer, directory):
    make_customer(code="VN-9", name="Another", country="VN", phone="0912 000 111")  # the line's number
    by_line = client.get("/api/v1/customers/caller", headers=admin[1], query_string={"number": "0912000111"})
    assert by_line.get_json()["code"] == "VN-1"
    make_customer(code="CR-2", name="Second", country="CR", phone2="8888 8888")
    twice = client.get("/api/v1/customers/caller", headers=admin[1], query_string={"number": "+506 8888 8888"})
    assert twice.status_code == 409
    assert {m["code"] for m in twice.get_json()["matches"]} == {"CR-1", "CR-2"}


def test_a_caller_out_of_reach_is_not_found(client, bearer, directory):
    stranger = bearer(make_principal(level=2, branch_id=BRANCH_B))
    response = client.get("/api/v1/customers/caller", headers=stranger, query_string={"number": "0912000111"})
    assert response.status_code == 404 and "Nguy" not in response.get_data(as_text=True)


# -- bulk change of preferred sales agent -----------------------------------------------------
@pytest.fixture
def manager(bearer):
    principal = make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A,
                               permissions=frozenset({"bulk_change_sales_agent"}) | EDITOR)
    return principal, bearer(principal)


def test_without_the_permission_the_bulk_change_is_forbidden(client, admin, make_customer, register_users):
    register_users(make_principal(user_id=AGENT_1, branch_id=BRANCH_A))
    make_customer(preferred_sales_agent_id=str(AGENT_1))
    assert client.get("/api/v1/customers/sales-agents", headers=admin[1]).status_code == 403
    proposed = client.post("/api/v1/customers/sales-agent-changes", headers=admin[1],
                           json={"moves": [{"from_agent_id": str(AGENT_1), "to_agent_id": str(AGENT_2)}]})
    assert proposed.status_code == 403
    confirm = client.post(f"/api/v1/customers/sales-agent-changes/{uuid.uuid4()}/confirm", headers=admin[1])
    assert confirm.status_code == 403


def test_agents_are_listed_with_counts_then_moved_in_one_go(client, manager, bearer, app, make_customer, outbox,
                                                            register_users):
    register_users(make_principal(user_id=AGENT_1, username="ana", branch_id=BRANCH_A),
                   *(make_principal(user_id=agent, branch_id=BRANCH_A) for agent in (AGENT_2, AGENT_3)))
    with app.extensions["caredesk"].database.session() as session:
        session.execute(directory_users.update().where(directory_users.c.id == AGENT_1).values(full_name="Ana Restrepo"))
        session.commit()
    mine = [make_customer(headers=manager[1], preferred_sales_agent_id=str(AGENT_1)) for _ in range(3)]
    make_customer(headers=manager[1], preferred_sales_agent_id=str(AGENT_3))
    other_branch = bearer(make_principal(level=1, branch_id=BRANCH_B, permissions=EDITOR))
    theirs = make_customer(headers=other_branch, preferred_sales_agent_id=str(AGENT_1))
    agents = client.get("/api/v1/customers/sales-agents", headers=manager[1]).get_json()["items"]
    assert agents == [{"agent_id": str(AGENT_1), "name": "Ana Restrepo", "customers": 3},
                      {"agent_id": str(AGENT_3), "name": "agent", "customers": 1}]
    proposed = client.post("/api/v1/customers/sales-agent-changes", headers=manager[1],
                           json={"moves": [{"from_agent_id": str(AGENT_1), "to_agent_id": str(AGENT_2)}]})
    assert proposed.status_code == 201 and proposed.get_json()["status"] == "pending"
    assert proposed.get_json()["moves"][0]["customers"] == 3
    events_before = len(outbox())
    change_id = proposed.get_json()["id"]
    someone_else = bearer(make_principal(level=1, permissions=frozenset({"bulk_change_sales_agent"})))
    assert client.post(f"/api/v1/customers/sales-agent-changes/{change_id}/confirm",
                       headers=someone_else).status_code == 404
    confirmed = client.post(f"/api/v1/customers/sales-agent-changes/{change_id}/confirm", headers=manager[1])
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "confirmed" and confirmed.get_json()["moved"] == 3
    for customer in mine:
        card = client.get(f"/api/v1/customers/{customer['id']}", headers=manager[1])
        assert card.get_json()["preferred_sales_agent_id"] == str(AGENT_2) and card.headers["ETag"] == '"2"'
        history = client.get(f"/api/v1/customers/{customer['id']}/history", headers=manager[1]).get_json()
        assert ("preferred_sales_agent_id", str(AGENT_1), str(AGENT_2)) in {
            (e["field"], e["old_value"], e["new_value"]) for e in history["items"]}
    # out of the manager's branch: untouched
    assert client.get(f"/api/v1/customers/{theirs['id']}", headers=other_branch).get_json()[
        "preferred_sales_agent_id"] == str(AGENT_1)
    events = outbox()[events_before:]
    assert [key for key, _ in events] == ["customer.updated.v1"] * 3
    assert {data["id"] for _, data in events} == {c["id"] for c in mine}
    assert all(data["preferred_sales_agent_id"] == str(AGENT_2) and data["version"] == 2 for _, data in events)
    again = client.post(f"/api/v1/customers/sales-agent-changes/{change_id}/confirm", headers=manager[1])
    assert again.status_code == 409


@pytest.mark.parametrize("moves,status", [
    ([], 422),
    ([{"from_agent_id": str(AGENT_1)}], 422),
    ([{"from_agent_id": str(AGENT_1), "to_agent_id": str(AGENT_1)}], 422),
    ([{"from_agent_id": str(AGENT_1), "to_agent_id": str(AGENT_2)},
      {"from_agent_id": str(AGENT_1), "to_agent_id": str(AGENT_3)}], 422),
    ([{"from_agent_id": "ana", "to_agent_id": str(AGENT_2)}], 422),
    ([{"from_agent_id": str(AGENT_1), "to_agent_id": str(AGENT_2), "why": "x"}], 422),
])
def test_a_bad_mapping_is_refused(client, manager, moves, status):
    response = client.post("/api/v1/customers/sales-agent-changes", headers=manager[1], json={"moves": moves})
    assert response.status_code == status and "moves" in response.get_json()["errors"]


def test_the_search_answer_has_the_documented_shape(client, admin, directory):
    body = client.get("/api/v1/customers/search", headers=admin[1], query_string={"q": "jose"}).get_json()
    assert SearchPageSchema().validate(body) == {}
    assert set(body["items"][0]) == set(SearchPageSchema().fields["items"].inner.schema.fields)
