"""The SQL statements each customer write sends, pinned: a write answers from what it wrote and loads
only what it needs, so a new relationship load or a second read-back shows up here (issue 16)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event


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
        "language": "es", "region": "Antioquia", "address": "Calle 10 # 43-12, Medellín", "phone": f"604{4_000_000 + n:07d}",
        "phone2": f"300{n:07d}", "email": f"w{n}@example.com"})


ALL = {}


def test_statements_per_write(client, admin, statements):
    headers = admin[1]
    _create(client, headers, 1)  # warm: the directory replica, counters, caches
    with statements() as sent:
        created = _create(client, headers, 2)
    assert created.status_code == 201, created.get_json()
    counts = {"create": len(sent)}; ALL["create"] = list(sent)
    customer_id, etag = created.get_json()["id"], created.headers["ETag"]
    with statements() as sent:
        updated = client.patch(f"/api/v1/customers/{customer_id}", headers=headers | {"If-Match": etag},
                               json={"address": "Carrera 70 # 52-20, Medellín", "phone2": "3017654321"})
    assert updated.status_code == 200, updated.get_json()
    counts["update"] = len(sent); ALL["update"] = list(sent)
    with statements() as sent:
        line = client.post(f"/api/v1/customers/{customer_id}/lines", headers=headers | {"If-Match": updated.headers["ETag"]},
                           json={"number": "3100000002", "tariff_plan": "POSTPAID-20GB", "service_type": "voice",
                                 "status": "active", "activated_on": "2026-01-15"})
    assert line.status_code == 201, line.get_json()
    counts["line"] = len(sent); ALL["line"] = list(sent)
    with statements() as sent:
        interaction = client.post(f"/api/v1/customers/{customer_id}/interactions", headers=headers, json={
            "direction": "inbound", "channel": "phone", "topic": "Roaming charges", "comments": "Asked why."})
    assert interaction.status_code == 201, interaction.get_json()
    counts["interaction"] = len(sent); ALL["interaction"] = list(sent)
    with statements() as sent:
        note = client.post(f"/api/v1/customers/{customer_id}/notes", headers=headers, json={
            "text": "Called about roaming charges.", "location": "Call centre", "next_treatment": "Call back."})
    assert note.status_code == 201, note.get_json()
    counts["note"] = len(sent); ALL["note"] = list(sent)
    print(counts)
    import json; json.dump(ALL, open("/tmp/perf-writes-stmts.json", "w"), indent=1)
    assert counts == {}
