"""Notes (the card's list, the notes report and its export) and knowledge articles are searched like
customers: case and accents folded, partial words, every word typed must occur (services.kit.text)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.unit.customers.conftest import BRANCH_A, DEPT_A

TEXTS = {"jose": "Llamó José Pérez: reenviar la cotización",
         "elka": "ЁЛКА: клиент просит перезвонить",
         "nguyen": "Nguyễn Văn An muốn đổi gói cước"}


@pytest.fixture
def notes(client, admin, make_customer, directory):
    directory(admin[0], branch_id=BRANCH_A, department_id=DEPT_A, name="Ana Front")
    customer = make_customer()
    made = {}
    for name, text in TEXTS.items():
        response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=admin[1],
                               json={"text": text, "location": "Oficina Bogotá" if name == "jose" else ""})
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()
    return customer, {note["id"]: name for name, note in made.items()}


CASES = [("jose perez", {"jose"}), ("JOSÉ", {"jose"}), ("pere", {"jose"}), ("cotizacion", {"jose"}),
         ("bogota", {"jose"}), ("ЁЛКА", {"elka"}), ("елка", {"elka"}), ("nguyen", {"nguyen"}),
         ("doi goi", {"nguyen"}), ("jose lopez", set()), ("", {"jose", "elka", "nguyen"})]


@pytest.mark.parametrize("q, found", CASES)
def test_a_customers_notes_are_searched_folded(client, admin, notes, q, found):
    customer, names = notes
    response = client.get(f"/api/v1/customers/{customer['id']}/notes", headers=admin[1], query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    assert {names[item["id"]] for item in response.get_json()["items"]} == found


@pytest.mark.parametrize("q, found", CASES)
def test_the_notes_report_is_searched_folded(client, admin, notes, q, found):
    _customer, names = notes
    response = client.get("/api/v1/customers/notes-report", headers=admin[1], query_string={"q": q, "per_page": 200})
    assert response.status_code == 200, response.get_json()
    assert {names[item["id"]] for item in response.get_json()["items"] if item["id"] in names} == found


def test_the_notes_report_export_takes_the_search(client, admin, notes):
    response = client.get("/api/v1/customers/notes-report.xlsx", headers=admin[1], query_string={"q": "елка"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert [row for row in rows[1:] if any(cell == TEXTS["elka"] for cell in row)] and len(rows) == 2


def test_a_too_long_search_is_a_field_problem(client, admin, notes):
    customer, _names = notes
    response = client.get(f"/api/v1/customers/{customer['id']}/notes", headers=admin[1], query_string={"q": "x" * 201})
    assert response.status_code == 422 and "q" in response.get_json()["errors"]


@pytest.mark.parametrize("q, found", [
    ("jose perez", {"jose"}), ("pere", {"jose"}), ("ЁЛКА", {"elka"}), ("елка", {"elka"}), ("nguyen", {"nguyen"}),
    ("nguyen jose", set()),
])
def test_knowledge_articles_are_searched_folded(client, admin, q, found):
    reason = client.post("/api/v1/customers/interaction-reasons", headers=admin[1], json={"name": "Billing"})
    assert reason.status_code == 201, reason.get_json()
    ids = {}
    for name, text in TEXTS.items():
        response = client.post("/api/v1/customers/knowledge-articles", headers=admin[1],
                               json={"reason_id": reason.get_json()["id"], "title": text.split(":")[0], "body": text})
        assert response.status_code == 201, response.get_json()
        ids[response.get_json()["id"]] = name
    response = client.get("/api/v1/customers/knowledge-articles", headers=admin[1], query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    assert {ids[item["id"]] for item in response.get_json()["items"]} == found
