"""Each component on a real PostgreSQL database of its own, a client that speaks as any principal,
the directory replica filled as user events would fill it, and a fingerprint of every table to
prove that a refused request changed nothing."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timezone
from typing import Callable

import pytest
from sqlalchemy import insert, select

from caredesk.components import COMPONENTS
from gateway import create_app as create_gateway
from gateway.settings import load_gateway_settings
from services.kit.auth import Principal
from services.kit.settings import load_settings
from tests.integration.conftest import (  # noqa: F401 - fixtures: services and processes on the real servers
    broker_url, make_database, make_processes, make_service, make_settings, postgres_server, rabbitmq_server,
)
from tests.databases import drop_postgres_database_later, migrated_postgres_database, migrated_sqlite_database
from tests.servers import require_postgres


@pytest.fixture
def make_app(tmp_path, key_pair) -> Callable:
    """``make_app("cases")``: the component's app on a fresh PostgreSQL database cloned from the
    worker's migrated template (or, with
    ``backend="sqlite"``, on a SQLite file as in the embedded mode)."""
    made = []

    def make(name: str, *, backend: str = "postgresql", gateway: dict | None = None, **overrides):
        """``gateway``: overrides of the gateway's own settings (e.g. login_limits)."""
        component = COMPONENTS[name]
        if backend == "sqlite":
            url = migrated_sqlite_database(component.migrations, tmp_path / f"{name}-{uuid.uuid4().hex[:8]}.sqlite3")
        else:
            require_postgres()
            url = migrated_postgres_database(component.migrations)
        made.append((url, None))
        settings = load_settings(name, data_dir=tmp_path, database_url=url, broker_url="memory://",
                                 public_key_file=key_pair[1], **overrides)
        if name == "gateway":
            app = create_gateway(load_gateway_settings(service=settings, private_key_file=key_pair[0], **(gateway or {})))
        else:
            app = component.module.create_app(settings)
        made[-1] = (url, app)
        return app

    yield make
    for url, app in made:
        if app is not None:
            app.extensions["caredesk"].database.dispose()
        if url.startswith("postgresql"):
            drop_postgres_database_later(url)


class Client:
    """The Flask test client speaking as a principal: ``client.post(path, as_=ana, json=...)``."""

    def __init__(self, app, token_issuer) -> None:
        self.app = app
        self.client = app.test_client()
        self.token_issuer = token_issuer

    def call(self, method: str, path: str, *, as_: Principal, json=None, if_match: int | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token_issuer.issue(as_)[0]}"}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        return self.client.open(path, method=method, json=json, headers=headers, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def put(self, path, **kwargs):
        return self.call("PUT", path, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)


@pytest.fixture
def client_of(token_issuer) -> Callable[..., Client]:
    return lambda app: Client(app, token_issuer)


def register_users(app, *principals: Principal, table_name: str = "directory_users") -> None:
    """What user.created events would have put into the service's directory replica."""
    table = app.extensions["caredesk"].database.metadata.tables[table_name]
    with app.extensions["caredesk"].database.session() as session:
        session.execute(insert(table), [{
            "id": p.user_id, "username": p.username, "full_name": p.username.title(), "email": None,
            "level": p.level, "branch_id": p.branch_id, "department_id": p.department_id,
            "permissions": sorted(p.permissions), "queues": sorted(p.queues), "is_active": True,
            "directory_version": 1, "updated_at": datetime.now(timezone.utc)} for p in principals])
        session.commit()


AUDIT_TABLES = {"audit_log", "rate_limit_counters"}


def fingerprint(app) -> dict[str, str]:
    """A digest of every row of every table: equal before and after means nothing changed. The
    gateway's audit log and rate-limit counters are left out: a refusal is recorded (and counted)
    there by design."""
    database = app.extensions["caredesk"].database
    digests = {}
    with database.session() as session:
        for table in database.metadata.sorted_tables:
            if table.name in AUDIT_TABLES:
                continue
            rows = sorted(repr(tuple(row)) for row in session.execute(select(table)))
            digests[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def without_correlation(body: dict) -> dict:
    """A problem body minus what differs on every request, to compare two refusals."""
    return {key: value for key, value in body.items() if key not in ("correlation_id", "instance")}


def new_id() -> uuid.UUID:
    return uuid.uuid4()
