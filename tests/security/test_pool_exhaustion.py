"""A full connection pool, on the real PostgreSQL: when every pooled connection is busy past the
pool's timeout (seen under load as "QueuePool limit ... reached, connection timed out"), each service
and the gateway answer like a database outage — 503 problem JSON with Retry-After, nothing changed —
never a 500; once a connection is free again the same request succeeds.

The pool is made small for real (one connection, no overflow, a short pool_timeout) and its one
connection is held by the test while the request waits for it.
"""
from __future__ import annotations

import time

import pytest

from gateway.models import PERMISSIONS
from services.kit.db import make_engine, make_session_factory
from tests.conftest import make_principal
from tests.security.conftest import fingerprint, register_users

pytestmark = pytest.mark.integration

POOL_TIMEOUT = 0.5
ADMIN = make_principal(username="pool.admin", level=1, permissions=frozenset(PERMISSIONS))
# a read and a write of each component, both needing the database
REQUESTS = {
    "customers": [("GET", "/api/v1/customers/attachment-types", None),
                  ("POST", "/api/v1/customers/attachment-types", {"name": "Utility bill"})],
    "cases": [("GET", "/api/v1/queues", None),
              ("POST", "/api/v1/queues", {"code": "delivery", "name": "Delivery"})],
    "notifications": [("GET", "/api/v1/notifications/templates", None)],
    "gateway": [("GET", "/api/v1/directory/branches", None),
                ("POST", "/api/v1/directory/branches", {"code": "north", "name": "North"})],
}


def one_connection_pool(app):
    """The app's database on a pool of one connection that waits POOL_TIMEOUT seconds for it."""
    database = app.extensions["caredesk"].database
    database.engine.dispose()
    database.engine = make_engine(database.url, pool_size=1, max_overflow=0, pool_timeout=POOL_TIMEOUT)
    database.session = make_session_factory(database.engine)
    return database


@pytest.mark.parametrize("component", sorted(REQUESTS))
def test_a_pool_timeout_is_a_503_with_retry_after_and_changes_nothing(component, make_app, client_of):
    app = make_app(component)
    if component != "gateway":
        register_users(app, ADMIN)
    database = one_connection_pool(app)
    api = client_of(app)
    before = fingerprint(app)
    for method, path, body in REQUESTS[component]:
        with database.engine.connect():  # the pool's only connection, busy
            started = time.perf_counter()
            answer = api.call(method, path, as_=ADMIN, json=body)
            waited = time.perf_counter() - started
        assert answer.status_code == 503, (method, path, answer.status_code, answer.get_data(as_text=True)[:300])
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["Retry-After"] == "5"
        problem = answer.get_json()
        assert (problem["status"], problem["type"].rsplit("/", 1)[-1]) == (503, "dependency-down")
        assert "busy" in problem["detail"] and problem["correlation_id"]
        assert waited >= POOL_TIMEOUT  # it waited for a connection, then gave up
        print(f"\npool timeout {component} {method} {path}: 503 after {waited:.2f} s")
    assert fingerprint(app) == before, "a request refused for a full pool changed the database"
    for method, path, body in REQUESTS[component]:  # the connection is back: the pool serves again
        assert api.call(method, path, as_=ADMIN, json=body).status_code in (200, 201), (method, path)


def test_login_answers_503_not_500_while_the_pool_is_full(make_app):
    gateway = make_app("gateway")
    database = one_connection_pool(gateway)
    with database.engine.connect():
        answer = gateway.test_client().post("/api/v1/auth/login", json={"username": "admin", "password": "wrong-one"})
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["type"].endswith("dependency-down")
