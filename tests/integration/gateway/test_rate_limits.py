"""Per-user and per-token rate limits on the API: 429 problem+json with Retry-After past either,
counted in the gateway's database so that two gateway processes share one count (PostgreSQL as in
production, the SQLite file as in the embedded mode)."""
from __future__ import annotations

import dataclasses
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import delete, insert, select, update

from caredesk.components import COMPONENTS
from gateway import create_app as create_gateway
from gateway import limits as limits_module
from gateway.directory.bootstrap import ensure_first_admin
from gateway.limits import DatabaseWindows, RateLimits, Window
from gateway.models import RevokedToken, User
from gateway.settings import load_gateway_settings
from services.kit.db import Database
from services.kit.directory_replica import TokenGuard
from services.kit.settings import load_settings
from tests.conftest import make_principal
from tests.integration.gateway.conftest import Served, bearer
from tests.databases import drop_postgres_database_later, migrated_postgres_database, migrated_sqlite_database
from tests.servers import require_postgres

pytestmark = pytest.mark.integration

PASSWORD = "rate-limit-password-1"


@pytest.fixture
def gateway_database(request, tmp_path):
    """The gateway's database, migrated, with a first administrator: PostgreSQL or a SQLite file."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        require_postgres()
        url = migrated_postgres_database(COMPONENTS["gateway"].migrations)
    else:
        url = migrated_sqlite_database(COMPONENTS["gateway"].migrations, tmp_path / "gateway.sqlite3")
    database = Database(url, COMPONENTS["gateway"].metadata)
    ensure_first_admin(database, username="admin", password=PASSWORD)
    yield url
    database.dispose()
    if backend == "postgresql":
        drop_postgres_database_later(url)


def _gateway(url: str, tmp_path, key_pair, limits: RateLimits):
    service = load_settings("gateway", data_dir=tmp_path, database_url=url, broker_url="memory://",
                            public_key_file=key_pair[1])
    return create_gateway(load_gateway_settings(service=service, private_key_file=key_pair[0], rate_limits=limits))


def _statuses(client, path: str, headers: dict, times: int) -> list[int]:
    return [client.get(path, headers=headers).status_code for _ in range(times)]


@pytest.mark.parametrize(("gateway_database", "storage"), [
    ("sqlite", "database"), ("postgresql", "database"), ("sqlite", "memory://"),
], indirect=["gateway_database"])
def test_past_the_token_limit_a_429_with_retry_after(gateway_database, storage, tmp_path, key_pair, token_issuer):
    """The token's window first: a request it refuses is not counted against the user."""
    limits = RateLimits(per_user="5/minute", per_token="3/minute", storage=storage)
    gateway = _gateway(gateway_database, tmp_path, key_pair, limits)
    client = gateway.test_client()
    ana = make_principal(username="ana", level=2, token_id=uuid.uuid4().hex)
    first = bearer(token_issuer, ana)
    assert _statuses(client, "/api/v1/auth/me", first, 3) == [404, 404, 404]  # counted whatever the answer
    refused = client.get("/api/v1/auth/me", headers=first)
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.get_json()
    assert body["limited_by"] == "token" and body["retry_after"] == int(refused.headers["Retry-After"])
    assert refused.headers["X-Request-Id"] == body["correlation_id"]
    # the same user's other token: two more, then the user's own limit
    second = bearer(token_issuer, dataclasses.replace(ana, token_id=uuid.uuid4().hex))
    answers = [client.get("/api/v1/auth/me", headers=second) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [404, 404, 429]
    assert answers[-1].get_json()["limited_by"] == "user"
    # another user is not held back; anonymous requests are not counted here
    other = bearer(token_issuer, make_principal(username="boris", level=2, token_id=uuid.uuid4().hex))
    assert _statuses(client, "/api/v1/auth/me", other, 3) == [404, 404, 404]
    assert _statuses(client, "/api/v1/auth/me", {}, 8) == [401] * 8
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("gateway_database", ["postgresql", "sqlite"], indirect=True)
def test_limits_are_configurable_and_can_be_off(gateway_database, tmp_path, key_pair, token_issuer):
    env = {"CAREDESK_GATEWAY_RATE_LIMIT_PER_USER": "off", "CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN": "2/minute;50/hour"}
    limits = RateLimits.from_env(env.get)
    assert limits == RateLimits(per_user="off", per_token="2/minute;50/hour", storage="database")
    gateway = _gateway(gateway_database, tmp_path, key_pair, limits)
    headers = bearer(token_issuer, make_principal(token_id=uuid.uuid4().hex))
    assert _statuses(gateway.test_client(), "/api/v1/auth/me", headers, 3) == [404, 404, 429]
    unlimited = _gateway(gateway_database, tmp_path, key_pair, RateLimits(per_user="off", per_token="off"))
    assert set(_statuses(unlimited.test_client(), "/api/v1/auth/me", headers, 5)) == {404}


@pytest.mark.parametrize("gateway_database", ["postgresql", "sqlite"], indirect=True)
def test_two_gateway_processes_share_one_count(gateway_database, tmp_path, key_pair):
    env = dict(os.environ, CAREDESK_DATA_DIR=str(tmp_path), CAREDESK_BROKER_URL="memory://",
               CAREDESK_GATEWAY_DATABASE_URL=gateway_database, CAREDESK_GATEWAY_PRIVATE_KEY_FILE=str(key_pair[0]),
               CAREDESK_JWT_PUBLIC_KEY_FILE=str(key_pair[1]), CAREDESK_LOG_LEVEL="WARNING",
               CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN="10/minute", CAREDESK_GATEWAY_RATE_LIMIT_PER_USER="100/minute")
    replicas = [Served("gateway", env, tmp_path) for _ in range(2)]
    try:
        for replica in replicas:
            replica.start()
        login = requests.post(replicas[0].url + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD},
                              timeout=30)
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        statuses = [requests.get(replicas[i % 2].url + "/api/v1/auth/me", headers=headers, timeout=30).status_code
                    for i in range(14)]
    finally:
        for replica in replicas:
            replica.stop()
    assert statuses == [200] * 10 + [429] * 4, statuses


@pytest.mark.parametrize("gateway_database", ["postgresql", "sqlite"], indirect=True)
def test_windows_are_hit_in_order_up_to_the_first_refusal_and_start_again_when_ended(gateway_database, monkeypatch):
    database = Database(gateway_database, COMPONENTS["gateway"].metadata)
    windows = DatabaseWindows(database)
    first, second, third = Window("a", 60, 2), Window("b", 60, 1), Window("c", 3600, 5)
    started = 1_800_000_000.0
    monkeypatch.setattr(limits_module.time, "time", lambda: started)
    assert windows.hit_in_order([first, second, third]) is None
    assert windows.hit_in_order([first, second, third]) == (1, started + 60)  # b is past its limit: c not hit
    assert windows.hit_in_order([first, second, third]) == (0, started + 60)  # a is past its limit: b, c not hit
    assert _counters(database) == {"a": (3, started + 60), "b": (2, started + 60), "c": (1, started + 3600)}
    monkeypatch.setattr(limits_module.time, "time", lambda: started + 60)  # a's and b's windows have ended
    assert windows.hit_in_order([first, second, third]) is None
    assert _counters(database) == {"a": (1, started + 120), "b": (1, started + 120), "c": (2, started + 3600)}
    database.dispose()


def _counters(database: Database) -> dict:
    table = COMPONENTS["gateway"].metadata.tables["rate_limit_counters"]
    with database.engine.connect() as connection:
        return {key: (hits, expires_at) for key, hits, expires_at in connection.execute(
            select(table.c.key, table.c.hits, table.c.expires_at))}


REFUSED_TOKENS = {
    "revoked": ("This token was revoked", lambda connection, admin: connection.execute(insert(RevokedToken.__table__).values(
        token_id="tok-refused", expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))),
    "disabled": ("disabled", lambda connection, admin: connection.execute(
        update(User.__table__).where(User.__table__.c.id == admin.user_id).values(is_active=False))),
    "changed": ("changed since this token was issued", lambda connection, admin: connection.execute(
        update(User.__table__).where(User.__table__.c.id == admin.user_id).values(token_version=admin.token_version + 1))),
}


@pytest.mark.parametrize("refusal", sorted(REFUSED_TOKENS))
@pytest.mark.parametrize(("gateway_database", "storage"), [
    ("postgresql", "database"), ("sqlite", "database"), ("sqlite", "memory://"),
], indirect=["gateway_database"])
def test_a_refused_tokens_requests_count_against_no_window(gateway_database, storage, refusal, tmp_path, key_pair,
                                                           token_issuer):
    """The token check decides before any window is hit (on PostgreSQL in the windows' own statement):
    a revoked or outdated token, or a disabled user's, cannot use up the user's share."""
    limits = RateLimits(per_user="3/minute", per_token="3/minute", storage=storage)
    gateway = _gateway(gateway_database, tmp_path, key_pair, limits)
    client = gateway.test_client()
    database = Database(gateway_database, COMPONENTS["gateway"].metadata)
    with database.engine.connect() as connection:
        admin_id = connection.execute(select(User.__table__.c.id).where(User.__table__.c.username == "admin")).scalar_one()
    admin = make_principal(user_id=admin_id, username="admin", level=1, token_id="tok-refused")
    detail, refuse = REFUSED_TOKENS[refusal]
    with database.engine.begin() as connection:
        refuse(connection, admin)
    token = {"Authorization": f"Bearer {token_issuer.issue(admin, token_id=admin.token_id)[0]}"}
    refused = [client.get("/api/v1/auth/me", headers=token) for _ in range(5)]
    assert {answer.status_code for answer in refused} == {401}
    assert all(detail in answer.get_json()["detail"] for answer in refused)
    if storage == "database":
        assert _counters(database) == {}
    with database.engine.begin() as connection:  # the user's access comes back: the share is whole
        connection.execute(delete(RevokedToken.__table__))
        connection.execute(update(User.__table__).where(User.__table__.c.id == admin_id)
                           .values(is_active=True, token_version=admin.token_version))
    fresh = bearer(token_issuer, admin)  # a new sign-in: a token id of its own
    statuses = _statuses(client, "/api/v1/auth/me", fresh, 4)
    assert 429 not in statuses[:3] and statuses[3] == 429, statuses
    database.dispose()


@pytest.mark.parametrize("gateway_database", ["postgresql", "sqlite"], indirect=True)
def test_the_token_check_and_the_windows_in_one_call(gateway_database, monkeypatch):
    database = Database(gateway_database, COMPONENTS["gateway"].metadata)
    windows = DatabaseWindows(database)
    guard = TokenGuard(database, users=User.__table__, revoked=RevokedToken.__table__)
    principal = make_principal(token_id="tok-1")  # not in the users table: refused by nothing but a revocation
    started = 1_800_000_000.0
    monkeypatch.setattr(limits_module.time, "time", lambda: started)
    pair = [Window("token:tok-1", 60, 1), Window(f"user:{principal.user_id}", 60, 5)]
    assert windows.check_token_and_hit(guard.statement, guard.params(principal), pair) == (None, None)
    assert windows.check_token_and_hit(guard.statement, guard.params(principal), pair) == (None, (0, started + 60))
    with database.engine.begin() as connection:
        connection.execute(insert(RevokedToken.__table__).values(
            token_id="tok-1", expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))
    assert windows.check_token_and_hit(guard.statement, guard.params(principal), pair) == ("revoked", None)
    assert _counters(database) == {"token:tok-1": (2, started + 60), f"user:{principal.user_id}": (1, started + 60)}
    database.dispose()
