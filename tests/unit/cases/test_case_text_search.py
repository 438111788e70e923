"""The case search's text (``q``): subject, the customer's name and the form's values, case and
accents folded and partial words matched like the customer search (services.kit.text)."""
from __future__ import annotations

import uuid

import pytest

from services.cases.models import Case
from tests.unit.cases.conftest import new_case

FORM = [{"name": "address", "label": "Delivery address", "type": "text", "required": True},
        {"name": "tariff", "label": "Tariff", "type": "choice", "choices": ["Básico", "Ilimitado"]}]


def make_cases(api, people) -> dict:
    """Four cases of Ana's: three by their subject, one by its form's values."""
    ana = people.initiator
    api.ok(api.post("/case-types", as_=people.admin, json={"code": "sim-delivery", "name": "SIM delivery",
                                                            "queue": "delivery", "form": FORM}), 201)
    return {
        "jose": new_case(api, ana, subject="José Pérez asks for a refund"),
        "elka": new_case(api, ana, subject="ЁЛКА в офисе"),
        "nguyen": new_case(api, ana, subject="Nguyễn Văn An: roaming"),
        "form": new_case(api, ana, subject="SIM to deliver", type="sim-delivery",
                         custom_fields={"address": "Calle Mayor 5, Bogotá", "tariff": "Básico"}),
    }


@pytest.fixture
def cases(api, people):
    return make_cases(api, people)


def found_by(api, people, cases, q: str) -> set[str]:
    page = api.ok(api.get("/cases", as_=people.initiator, query={"q": q, "per_page": 50}))
    by_id = {case["id"]: name for name, case in cases.items()}
    return {by_id[item["id"]] for item in page["items"]}


SEARCHES = [
    ("jose perez", {"jose"}),
    ("JOSÉ PÉREZ", {"jose"}),
    ("pere", {"jose"}),
    ("ЁЛКА", {"elka"}),
    ("елка", {"elka"}),
    ("nguyen", {"nguyen"}),
    ("bogota", {"form"}),  # a form's text value
    ("basico", {"form"}),  # a form's choice
    ("иванов", {"jose", "elka", "nguyen", "form"}),  # the customer's name (Дмитрий Иванов) as before
    ("дмитрий refund", {"jose"}),
    ("jose lopez", set()),
]


@pytest.mark.parametrize("q, found", SEARCHES)
def test_case_search_folds_case_and_accents_and_takes_partial_words(api, people, cases, q, found):
    assert found_by(api, people, cases, q) == found


def test_a_changed_subject_or_form_is_found_by_its_new_text(api, people, cases):
    ana, case = people.initiator, cases["form"]
    api.ok(api.patch(f"/cases/{case['id']}", as_=ana, if_match=case["version"], json={
        "subject": "Entrega en Medellín", "custom_fields": {"address": "Carrera 7, Cúcuta"}}))
    find = lambda q: [item["id"] for item in api.ok(api.get("/cases", as_=ana, query={"q": q}))["items"]]  # noqa: E731
    assert find("medellin cucuta") == [case["id"]]
    assert find("bogota") == [] and find("deliver") == []


def test_the_search_column_is_written_with_the_case(app, api, people, cases):
    with app.extensions["caredesk"].database.session() as session:
        stored = session.get(Case, uuid.UUID(cases["jose"]["id"])).search_text
    assert stored == " jose perez asks for a refund дмитрий иванов "
