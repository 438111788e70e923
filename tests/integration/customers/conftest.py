"""The customers service on a throwaway PostgreSQL database (one per test module, cloned from the
worker's migrated template: search plans depend on what else the tables hold); the broker is kombu's memory transport, since these tests assert events
in the outbox table (the relay's path to RabbitMQ is covered by the kit's integration tests).

Tests share a module's database, so each one works on customers of its own: fresh codes and, where
a query spans customers, a branch of its own.
"""
from __future__ import annotations

import uuid
from typing import Callable

import pytest
from sqlalchemy import select

from services.customers import MIGRATIONS, create_app
from services.customers.normalisation import luhn_valid
from services.kit.auth import Principal
from services.kit.settings import load_settings
from tests.conftest import make_principal
from tests.databases import drop_postgres_database_later, migrated_postgres_database
from tests.servers import require_postgres


# SPEC: writing customer master data needs the directory's permission edit_customers
EDITOR = frozenset({"edit_customers"})


@pytest.fixture(scope="module")
def database_url() -> str:
    require_postgres()
    url = migrated_postgres_database(MIGRATIONS)
    yield url
    drop_postgres_database_later(url)


@pytest.fixture(scope="module")
def app(database_url, key_pair, tmp_path_factory):
    settings = load_settings("customers", data_dir=tmp_path_factory.mktemp("customers"), database_url=database_url,
                             broker_url="memory://", public_key_file=key_pair[1])
    app = create_app(settings)
    yield app
    app.extensions["caredesk"].database.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def headers(token_issuer) -> Callable[[Principal], dict]:
    def header(principal: Principal) -> dict:
        token, _ = token_issuer.issue(principal)
        return {"Authorization": f"Bearer {token}"}
    return header


@pytest.fixture
def branch() -> uuid.UUID:
    """A branch of this test's own, so branch-level queries see only what the test made."""
    return uuid.uuid4()


@pytest.fixture
def manager(headers, branch):
    """Level 2 of the test's branch: reaches and edits every customer the test makes there."""
    principal = make_principal(level=2, branch_id=branch, department_id=uuid.uuid4(), permissions=EDITOR)
    return principal, headers(principal)


@pytest.fixture
def make_customer(client, manager):
    def make(by=None, **fields) -> dict:
        body = {"code": f"T-{uuid.uuid4().hex[:12]}", "kind": "person", "name": "José Pérez", "country": "CO"} | fields
        response = client.post("/api/v1/customers", headers=by or manager[1], json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return make


@pytest.fixture
def events_of(app):
    """``events_of(customer_id)`` -> [(routing key, data)] in the outbox for that customer, in order."""
    database = app.extensions["caredesk"].database

    def events(customer_id: str) -> list[tuple[str, dict]]:
        table = database.outbox
        with database.session() as session:
            rows = session.execute(select(table.c.routing_key, table.c.envelope).order_by(table.c.position)).all()
        return [(key, envelope["data"]) for key, envelope in rows if envelope["data"].get("id") == customer_id]
    return events


def if_match(headers: dict, version) -> dict:
    return headers | {"If-Match": f'"{version}"'}


def iccid(seed: int) -> str:
    body = f"8957{seed:014d}"
    return next(body + d for d in "0123456789" if luhn_valid(body + d))
