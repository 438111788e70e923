"""Customer writes send few SQL statements (issue 16): a write answers from the objects it wrote
instead of reading the card again, a reach check loads the customer's row alone, and the unique
keys are checked by the database's indexes (no SELECT before the INSERT). The count of each write
is pinned here so that a new relationship load or a second read-back cannot grow back silently;
the answers stay what a read gives."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

# Statements per write on SQLite, the request's own included (BEGIN of each session, the token's
# revocation check). Lower is welcome: lower the figure with the change that earns it.
STATEMENTS = {"create": 9, "update": 20, "line": 13, "interaction": 8, "note": 6}


@pytest.fixture
def statements(app):
    """``with statements() as sent: ...`` -> the SQL texts the app sent meanwhile."""
    engine = app.extensions["caredesk"].database.engine

    @contextmanager
    def counting():
        sent: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            sent.append(statement)
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return counting


def _create(client, headers, n):
    return client.post("/api/v1/customers", headers=headers, json={
        "code": f"W-{n}", "kind": "person", "name": f"Cliente {n}", "country": "CO", "tax_number": f"{9_000_000_000 + n}",
        "language": "es", "region": "Antioquia", "address": "Calle 10 # 43-12, Medellín",
        "phone": f"604{4_000_000 + n:07d}", "phone2": f"300{n:07d}", "email": f"w{n}@example.com"})


def _without_clock(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in ("updated_at",)}


def test_each_write_sends_its_pinned_number_of_statements(client, admin, statements):
    headers = admin[1]
    assert _create(client, headers, 1).status_code == 201  # warm: caches, the directory replica
    counts = {}
    with statements() as sent:
        created = _create(client, headers, 2)
    assert created.status_code == 201, created.get_json()
    counts["create"] = len(sent)
    customer_id, etag = created.get_json()["id"], created.headers["ETag"]
    with statements() as sent:
        updated = client.patch(f"/api/v1/customers/{customer_id}", headers=headers | {"If-Match": etag},
                               json={"address": "Carrera 70 # 52-20, Medellín", "phone2": "3017654321"})
    assert updated.status_code == 200, updated.get_json()
    counts["update"] = len(sent)
    with statements() as sent:
        line = client.post(f"/api/v1/customers/{customer_id}/lines", headers=headers | {"If-Match": updated.headers["ETag"]},
                           json={"number": "3100000002", "tariff_plan": "POSTPAID-20GB", "service_type": "voice",
                                 "status": "active", "activated_on": "2026-01-15"})
    assert line.status_code == 201, line.get_json()
    counts["line"] = len(sent)
    with statements() as sent:
        interaction = client.post(f"/api/v1/customers/{customer_id}/interactions", headers=headers, json={
            "direction": "inbound", "channel": "phone", "topic": "Roaming charges", "comments": "Asked why."})
    assert interaction.status_code == 201, interaction.get_json()
    counts["interaction"] = len(sent)
    with statements() as sent:
        note = client.post(f"/api/v1/customers/{customer_id}/notes", headers=headers, json={
            "text": "Called about roaming charges.", "location": "Call centre", "next_treatment": "Call back."})
    assert note.status_code == 201, note.get_json()
    counts["note"] = len(sent)
    assert counts == STATEMENTS


def test_writes_answer_what_a_read_gives(client, admin):
    headers = admin[1]
    created = _create(client, headers, 3)
    customer_id = created.get_json()["id"]
    card = client.get(f"/api/v1/customers/{customer_id}", headers=headers)
    assert created.get_json() == card.get_json() and created.headers["ETag"] == card.headers["ETag"]

    client.post(f"/api/v1/customers/{customer_id}/flashes", headers=headers | {"If-Match": card.headers["ETag"]},
                json={"text": "Disputes the October invoice.", "ends_at": "2099-12-31T23:00:00Z"})
    client.post(f"/api/v1/customers/{customer_id}/interactions", headers=headers,
                json={"direction": "inbound", "channel": "phone", "topic": "Roaming"})
    etag = client.get(f"/api/v1/customers/{customer_id}", headers=headers).headers["ETag"]
    updated = client.patch(f"/api/v1/customers/{customer_id}", headers=headers | {"If-Match": etag},
                           json={"address": "Carrera 70 # 52-20, Medellín", "phone2": "3017654321"})
    assert updated.status_code == 200, updated.get_json()
    card = client.get(f"/api/v1/customers/{customer_id}", headers=headers)
    assert updated.get_json() == card.get_json() and updated.headers["ETag"] == card.headers["ETag"]
    assert updated.get_json()["flashes"] and updated.get_json()["latest_interactions"]

    interaction = client.post(f"/api/v1/customers/{customer_id}/interactions", headers=headers,
                              json={"direction": "outbound", "channel": "phone", "topic": "Call back"})
    read = client.get(f"/api/v1/customers/{customer_id}/interactions/{interaction.get_json()['id']}", headers=headers)
    assert interaction.status_code == 201 and interaction.get_json() == read.get_json()
    assert interaction.headers["ETag"] == read.headers["ETag"]

    note = client.post(f"/api/v1/customers/{customer_id}/notes", headers=headers,
                       json={"text": "Called.", "location": "Call centre", "next_treatment": "None."})
    read = client.get(f"/api/v1/customers/{customer_id}/notes/{note.get_json()['id']}", headers=headers)
    assert note.status_code == 201 and note.get_json() == read.get_json()
    assert note.headers["ETag"] == read.headers["ETag"]


def test_taken_keys_answer_409_naming_the_value(client, admin, make_customer):
    headers = admin[1]
    assert _create(client, headers, 4).status_code == 201
    again = client.post("/api/v1/customers", headers=headers, json={"code": "W-4", "kind": "person", "name": "X"})
    assert again.status_code == 409 and again.get_json()["type"].endswith("/customer-code-taken")
    assert "W-4" in again.get_json()["detail"]
    tax = client.post("/api/v1/customers", headers=headers, json={
        "code": "W-5", "kind": "person", "name": "X", "country": "CO", "tax_number": "9000000004"})
    assert tax.status_code == 409 and tax.get_json()["type"].endswith("/tax-number-taken")
    assert "9000000004" in tax.get_json()["detail"]
    first, second = make_customer(), make_customer()
    body = {"number": "3100000009", "tariff_plan": "POSTPAID-20GB", "service_type": "voice", "status": "active"}
    assert client.post(f"/api/v1/customers/{first['id']}/lines", headers=headers | {"If-Match": '"1"'},
                       json=body).status_code == 201
    taken = client.post(f"/api/v1/customers/{second['id']}/lines", headers=headers | {"If-Match": '"1"'}, json=body)
    assert taken.status_code == 409 and taken.get_json()["type"].endswith("/line-number-taken")
    assert "+573100000009" in taken.get_json()["detail"]


def _search_kinds(client, headers, typed: str, code: str) -> set[str]:
    items = client.get("/api/v1/customers/search", headers=headers, query_string={"q": typed}).get_json()["items"]
    return {item["matched"] for item in items if item["code"] == code}


def test_a_change_writes_the_search_keys_it_changed_without_reading_the_stored_ones(client, admin):
    headers = admin[1]
    created = _create(client, headers, 6)
    customer_id = created.get_json()["id"]
    assert _search_kinds(client, headers, "3000000006", "W-6") == {"phone"}
    updated = client.patch(f"/api/v1/customers/{customer_id}", headers=headers | {"If-Match": created.headers["ETag"]},
                           json={"phone2": "3017654321"})
    assert updated.status_code == 200, updated.get_json()
    assert _search_kinds(client, headers, "3000000006", "W-6") == set()
    assert _search_kinds(client, headers, "3017654321", "W-6") == {"phone"}
    line = client.post(f"/api/v1/customers/{customer_id}/lines", headers=headers | {"If-Match": updated.headers["ETag"]},
                       json={"number": "3100000006", "tariff_plan": "POSTPAID-20GB", "service_type": "voice",
                             "status": "active"})
    assert line.status_code == 201, line.get_json()
    assert _search_kinds(client, headers, "3100000006", "W-6") == {"line"}
    # a second change in a row starts from what the first one wrote
    again = client.patch(f"/api/v1/customers/{customer_id}", headers=headers | {"If-Match": line.headers["ETag"]},
                         json={"phone2": "3000000006"})
    assert again.status_code == 200, again.get_json()
    assert _search_kinds(client, headers, "3017654321", "W-6") == set()
    assert _search_kinds(client, headers, "3000000006", "W-6") == {"phone"}
    assert _search_kinds(client, headers, "3100000006", "W-6") == {"line"}
