"""The audit log at the gateway, on the real PostgreSQL: logins (succeeded, failed, locked out),
logout, authorisation failures, administration changes and API tokens, each with who, what, when
(UTC) and from where; never a password or a token anywhere in it; searchable by company-level
administrators only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gateway.directory.bootstrap import ensure_first_admin
from gateway.models import AuditEntry
from gateway.settings import LoginLimits
from tests.conftest import make_principal

pytestmark = pytest.mark.integration

PASSWORD = "long-enough-1"
NEW_PASSWORD = "a-new-secret-password-9"


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_every_kind_is_recorded_without_secrets_and_searchable_by_administrators(make_app):
    app = make_app("gateway", gateway={"login_limits": LoginLimits(account_failures=3)})
    database = app.extensions["caredesk"].database
    ensure_first_admin(database, username="admin", password=PASSWORD)
    client = app.test_client()
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    admin = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).get_json()["access_token"]
    assert client.post("/api/v1/auth/login", json={"username": "nobody", "password": "guess-1"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "admin", "password": "wrong-password"}).status_code == 401
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"username": "ghost", "password": "wrong-password"})
    assert client.post("/api/v1/auth/login", json={"username": "ghost", "password": "wrong-password"}).status_code == 429
    hq = client.get("/api/v1/directory/branches", headers=_bearer(admin)).get_json()["items"][0]
    created = client.post("/api/v1/directory/users", headers=_bearer(admin), json={
        "username": "ana.front", "full_name": "Ana", "password": PASSWORD, "level": 4, "branch_id": hq["id"]})
    assert created.status_code == 201
    user = created.get_json()
    changed = client.patch(f"/api/v1/directory/users/{user['id']}", headers=_bearer(admin) | {"If-Match": '"1"'},
                           json={"password": NEW_PASSWORD, "full_name": "Ana Front"})
    assert changed.status_code == 200
    token = client.post("/api/v1/auth/api-tokens", headers=_bearer(admin), json={"user_id": user["id"]}).get_json()
    assert client.delete(f"/api/v1/auth/api-tokens/{token['id']}",
                         headers=_bearer(admin) | {"If-Match": '"1"'}).status_code == 200
    issuer = app.extensions["caredesk.token_issuer"]
    agent = make_principal(username="ana.front", level=4)
    assert client.post("/api/v1/directory/branches", headers=_bearer(issuer.issue(agent)[0]),
                       json={"code": "x", "name": "X"}).status_code == 403
    assert client.post("/api/v1/auth/logout", headers=_bearer(admin)).status_code == 204
    admin = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert admin.status_code == 200, admin.get_json()  # another address: its own count
    admin = admin.get_json()["access_token"]

    with database.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.at)).all()
        dump = "\n".join(repr({c.key: getattr(e, c.key) for c in AuditEntry.__table__.columns}) for e in entries)
    kinds = [e.kind for e in entries]
    for kind in ("login.succeeded", "login.failed", "login.locked", "logout", "authorisation.refused",
                 "user.created", "user.updated", "api_token.created", "api_token.revoked"):
        assert kind in kinds, (kind, kinds)
    for secret in (PASSWORD, NEW_PASSWORD, "wrong-password", "guess-1", token["access_token"]):
        assert secret not in dump, "a secret is in the audit log"
    failed = [e for e in entries if e.kind == "login.failed"]
    assert {e.actor_username for e in failed} == {"nobody", "admin", "ghost"} and all(e.address for e in failed)
    assert [e.actor_username for e in entries if e.kind == "login.locked"] == ["ghost"]
    update = next(e for e in entries if e.kind == "user.updated")
    assert update.detail["fields"] == ["full_name", "password"] and "password" not in update.detail["values"]
    assert update.subject_id == user["id"] and update.actor_username == "admin" and update.at >= started
    refused = next(e for e in entries if e.kind == "authorisation.refused")
    assert (refused.actor_username, refused.method, refused.path) == ("ana.front", "POST", "/api/v1/directory/branches")
    assert entries[-1].address == "10.9.8.7"

    search = client.get("/api/v1/directory/audit?kind=login.&actor_username=admin", headers=_bearer(admin))
    assert search.status_code == 200, search.get_json()
    page = search.get_json()
    assert page["total"] >= 3 and {item["kind"] for item in page["items"]} <= {"login.succeeded", "login.failed", "login.locked"}
    assert page["items"][0]["at"] >= page["items"][-1]["at"], "newest first"
    one = client.get(f"/api/v1/directory/audit?subject_id={user['id']}", headers=_bearer(admin)).get_json()
    assert {item["kind"] for item in one["items"]} == {"user.created", "user.updated"}
    for who in (make_principal(level=2, permissions=frozenset({"manage_users"})), make_principal(level=1)):
        assert client.get("/api/v1/directory/audit", headers=_bearer(issuer.issue(who)[0])).status_code in (403, 404)
    print(f"\naudit log: {len(entries)} entries of {len(set(kinds))} kinds, no secret in any, searchable by kind, "
          "actor and subject")
