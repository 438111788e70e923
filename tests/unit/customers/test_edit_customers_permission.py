"""SPEC's permission "edit customer master data" (the directory's edit_customers, carried in the
token): creating a customer and every change of its card (master data, other phones, contacts,
lines and their PIN, flashes) needs it at any level; without it the write is a 403 problem and
nothing is written. Reading, interactions, notes, consents and offers do not need it."""
from __future__ import annotations

import pytest

from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, DEPT_A, if_match, iccid, in_days

REFUSED = "/edit-customers-permission-required"


@pytest.fixture
def reader(bearer):
    """Level 1, the whole company, every other permission but edit_customers."""
    principal = make_principal(level=1, branch_id=BRANCH_A, department_id=DEPT_A, permissions=frozenset({
        "bulk_change_sales_agent", "delete_notes", "manage_queues", "manage_reminders", "manage_templates",
        "manage_users"}))
    return principal, bearer(principal)


@pytest.fixture
def card(client, admin, make_customer):
    customer = make_customer(name="Iván Petrov", phone="+57 601 555 1234")
    url = f"/api/v1/customers/{customer['id']}"
    phone = client.post(f"{url}/phones", headers=if_match(admin[1], 1), json={"label": "Office", "number": "6015551235"})
    contact = client.post(f"{url}/contacts", headers=if_match(admin[1], 2), json={"name": "Olga"})
    line = client.post(f"{url}/lines", headers=if_match(admin[1], 3),
                       json={"number": "+573001234567", "tariff_plan": "Smart", "iccid": iccid()})
    for response in (phone, contact, line):
        assert response.status_code == 201, response.get_json()
    return {"url": url, "phone": phone.get_json()["id"], "contact": contact.get_json()["id"],
            "line": line.get_json()["id"], "version": 4}


def writes(card) -> list[tuple[str, str, dict | None]]:
    url = card["url"]
    return [
        ("PATCH", url, {"description": "Llamado hoy"}),
        ("POST", f"{url}/phones", {"label": "Home", "number": "6015551299"}),
        ("PATCH", f"{url}/phones/{card['phone']}", {"label": "Casa"}),
        ("DELETE", f"{url}/phones/{card['phone']}", None),
        ("POST", f"{url}/contacts", {"name": "Pavel"}),
        ("PATCH", f"{url}/contacts/{card['contact']}", {"name": "Olga P."}),
        ("DELETE", f"{url}/contacts/{card['contact']}", None),
        ("POST", f"{url}/lines", {"number": "+573001234568", "tariff_plan": "Smart", "iccid": iccid("898401234567890124")}),
        ("PATCH", f"{url}/lines/{card['line']}", {"status": "blocked"}),
        ("PUT", f"{url}/lines/{card['line']}/pin", {"pin": "4821"}),
        ("POST", f"{url}/flashes", {"text": "Deuda vencida", "ends_at": in_days(3)}),
    ]


def test_a_level_1_user_without_the_permission_creates_and_changes_nothing(client, reader, card, outbox, app):
    events_before = len(outbox())
    created = client.post("/api/v1/customers", headers=reader[1],
                          json={"code": "NP-1", "kind": "person", "name": "Nadie", "country": "CO"})
    assert created.status_code == 403 and created.content_type == "application/problem+json"
    assert created.get_json()["type"].endswith(REFUSED) and "edit_customers" in created.get_json()["detail"]
    for method, path, body in writes(card):
        response = client.open(path, method=method, headers=if_match(reader[1], card["version"]), json=body)
        assert response.status_code == 403, (method, path, response.get_json())
        assert response.get_json()["type"].endswith(REFUSED), (method, path)
    assert len(outbox()) == events_before
    shown = client.get(card["url"], headers=reader[1])
    assert shown.status_code == 200 and shown.get_json()["version"] == card["version"]
    assert client.get("/api/v1/customers", headers=reader[1], query_string={"q": "NP-1"}).get_json()["items"] == []


def test_the_same_writes_succeed_with_the_permission(client, admin, card):
    version = card["version"]
    for method, path, body in writes(card):
        response = client.open(path, method=method, headers=if_match(admin[1], version), json=body)
        assert response.status_code in (200, 201, 204), (method, path, response.get_json())
        version += 1


def test_what_is_not_master_data_needs_no_permission(client, reader, card):
    url = card["url"]
    interaction = client.post(f"{url}/interactions", headers=reader[1],
                              json={"direction": "inbound", "channel": "phone", "topic": "Factura"})
    assert interaction.status_code == 201, interaction.get_json()
    note = client.post(f"{url}/notes", headers=reader[1], json={"text": "Llamar el lunes", "location": "office"})
    assert note.status_code == 201, note.get_json()
