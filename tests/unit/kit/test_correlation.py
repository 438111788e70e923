"""A correlation id sent with a request comes back on the response and travels in the event it causes."""
from __future__ import annotations

import json
import logging

from sqlalchemy import select

from gateway import create_app
from gateway.directory.bootstrap import ensure_first_admin
from gateway.models import Base
from gateway.settings import load_gateway_settings
from services.kit.db import Database
from services.kit.logging import JsonFormatter, correlation_scope


def test_request_correlation_id_reaches_the_response_and_the_outbox(component_settings, key_pair):
    service = component_settings("gateway")
    database = Database(service.database_url, Base.metadata)
    ensure_first_admin(database, username="admin", password="admin-password")
    client = create_app(load_gateway_settings(service=service, private_key_file=key_pair[0])).test_client()
    token = client.post("/api/v1/auth/login", json={"username": "admin", "password": "admin-password"}).get_json()
    response = client.post("/api/v1/directory/branches", json={"code": "north", "name": "North"},
                           headers={"Authorization": f"Bearer {token['access_token']}",
                                    "X-Correlation-ID": "call-4711"})
    assert response.status_code == 201
    assert response.headers["X-Correlation-ID"] == "call-4711"
    with database.session() as session:
        envelopes = session.scalars(select(database.outbox.c.envelope)).all()
    created = [e for e in envelopes if e["type"] == "branch.created" and e["data"]["code"] == "north"]
    assert [e["correlation_id"] for e in created] == ["call-4711"]
    assert created[0]["actor"] == token["user"]["id"]


def test_log_lines_are_json_with_the_correlation_id():
    record = logging.LogRecord("caredesk.test", logging.INFO, __file__, 1, "handled %s", ("it",), None)
    with correlation_scope("call-4712"):
        line = json.loads(JsonFormatter("cases").format(record))
    assert line["message"] == "handled it"
    assert line["correlation_id"] == "call-4712"
    assert line["service"] == "cases"
