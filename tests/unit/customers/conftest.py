"""The customers app on SQLite, principals of every level, and factories for cards."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.customers import create_app
from services.customers.models import directory_users
from services.kit.directory_replica import user_replicator
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.customers.normalisation import luhn_valid
from tests.conftest import make_principal

BRANCH_A, BRANCH_B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
DEPT_A, DEPT_B = uuid.UUID(int=0xA1), uuid.UUID(int=0xB1)
# SPEC: writing customer master data needs the directory's permission edit_customers
EDITOR = frozenset({"edit_customers"})


def iccid(body: str = "898401234567890123") -> str:
    """A SIM serial with a correct Luhn check digit appended."""
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


def in_days(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


@pytest.fixture
def app(component_settings):
    return create_app(component_settings("customers"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def headers_for(bearer):
    """``headers_for(principal)`` -> Authorization header."""
    return bearer


@pytest.fixture
def admin(bearer):
    """Level 1 of branch A / department A."""
    principal = make_principal(level=1, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR)
    return principal, bearer(principal)


@pytest.fixture
def make_customer(client, admin):
    """``make_customer(**overrides)`` -> the created card (as JSON)."""
    counter = iter(range(1, 10_000))

    def make(headers=None, **overrides) -> dict:
        body = {"code": f"C-{next(counter)}", "kind": "person", "name": "José Pérez", "country": "CO"} | overrides
        response = client.post("/api/v1/customers", headers=headers or admin[1], json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return make


@pytest.fixture
def outbox(app):
    """``outbox()`` -> [(routing key, data)] written so far, oldest first."""
    database = app.extensions["caredesk"].database

    def rows() -> list[tuple[str, dict]]:
        table = database.outbox
        with database.session() as session:
            found = session.execute(select(table.c.routing_key, table.c.envelope).order_by(table.c.position)).all()
        return [(key, envelope["data"]) for key, envelope in found]
    return rows


def if_match(headers: dict, version) -> dict:
    return headers | {"If-Match": f'"{version}"'}


@pytest.fixture
def directory(app):
    """``directory(principal, branch_id=…, department_id=…)``: the user as the gateway's user events
    left them in the customers service's replica (each call a newer directory version)."""
    return replica_writer(app)


def replica_writer(app):
    database = app.extensions["caredesk"].database
    handler = user_replicator(directory_users)
    versions: dict = {}

    def put(principal, *, branch_id, department_id, name: str | None = None) -> None:
        versions[principal.user_id] = versions.get(principal.user_id, 0) + 1
        data = {"id": str(principal.user_id), "username": principal.username, "full_name": name or principal.username,
                "level": principal.level, "branch_id": str(branch_id) if branch_id else None,
                "department_id": str(department_id) if department_id else None, "permissions": [],
                "queues": [], "is_active": True, "version": versions[principal.user_id]}
        with UnitOfWork(database, producer="test") as uow:
            handler.handle(uow, Envelope(type="user.updated", version=1, producer="gateway", data=data,
                                         correlation_id="test"))
            uow.commit()
    return put


@pytest.fixture
def register_users(app):
    """``register_users(*principals)``: each in the replica with their own branch and department."""
    put = replica_writer(app)

    def register(*principals) -> None:
        for principal in principals:
            put(principal, branch_id=principal.branch_id, department_id=principal.department_id)
    return register
