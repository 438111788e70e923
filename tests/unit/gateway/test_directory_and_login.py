"""Gateway: login with argon2 passwords, tokens every service accepts, revocation, the directory's rules."""
from __future__ import annotations

import pytest

from gateway import create_app
from gateway.directory.bootstrap import ensure_first_admin
from gateway.models import Base
from gateway.settings import load_gateway_settings
from services.kit.auth import TokenVerifier
from services.kit.db import Database


@pytest.fixture
def gateway(component_settings, key_pair):
    service = component_settings("gateway")
    ensure_first_admin(Database(service.database_url, Base.metadata), username="admin", password="admin-password")
    app = create_app(load_gateway_settings(service=service, private_key_file=key_pair[0]))
    return app.test_client()


def login(client, username="admin", password="admin-password"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def auth(response) -> dict:
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_login_issues_a_token_the_services_verify(gateway, key_pair):
    response = login(gateway)
    assert response.status_code == 200
    principal = TokenVerifier.from_file(key_pair[1]).verify(response.get_json()["access_token"])
    assert principal.username == "admin" and principal.level == 1
    assert "manage_users" in principal.permissions


@pytest.mark.parametrize("username,password", [("admin", "wrong-password"), ("nobody", "admin-password")])
def test_wrong_credentials_get_one_vague_401(gateway, username, password):
    response = login(gateway, username, password)
    assert response.status_code == 401
    assert response.get_json()["detail"] == "Wrong username or password."


def test_logout_revokes_the_token(gateway):
    headers = auth(login(gateway))
    assert gateway.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert gateway.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = gateway.get("/api/v1/auth/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == "This token was revoked; log in again."


def test_user_creation_is_validated_field_by_field_and_changes_nothing(gateway):
    headers = auth(login(gateway))
    before = gateway.get("/api/v1/directory/users", headers=headers).get_json()["items"]
    response = gateway.post("/api/v1/directory/users", headers=headers, json={
        "username": "X", "full_name": "", "password": "short", "level": 7, "branch_id": "not-a-uuid",
        "permissions": ["fly"], "extra": True})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert set(response.get_json()["errors"]) == {"username", "full_name", "password", "level", "branch_id",
                                                   "permissions", "extra"}
    assert gateway.get("/api/v1/directory/users", headers=headers).get_json()["items"] == before


def test_a_branch_administrator_sees_only_their_branch(gateway):
    admin = auth(login(gateway))
    hq = gateway.get("/api/v1/directory/branches", headers=admin).get_json()["items"][0]
    north = gateway.post("/api/v1/directory/branches", headers=admin, json={"code": "north", "name": "North"}).get_json()
    for username, branch, level in (("north.admin", north, 2), ("north.agent", north, 4), ("hq.agent", hq, 4)):
        created = gateway.post("/api/v1/directory/users", headers=admin, json={
            "username": username, "full_name": username, "password": "long-enough-1", "level": level,
            "branch_id": branch["id"], "permissions": ["manage_users"] if level == 2 else []})
        assert created.status_code == 201, created.get_json()
    north_admin = auth(login(gateway, "north.admin", "long-enough-1"))
    visible = {u["username"] for u in gateway.get("/api/v1/directory/users", headers=north_admin).get_json()["items"]}
    assert visible == {"north.admin", "north.agent"}
    hq_agent = next(u for u in gateway.get("/api/v1/directory/users", headers=admin).get_json()["items"]
                    if u["username"] == "hq.agent")
    assert gateway.get(f"/api/v1/directory/users/{hq_agent['id']}", headers=north_admin).status_code == 404
    # and may not place a user in another branch, nor grant level 1
    refused = gateway.post("/api/v1/directory/users", headers=north_admin, json={
        "username": "sneaky", "full_name": "Sneaky", "password": "long-enough-1", "level": 1,
        "branch_id": hq["id"]})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"level", "branch_id"}


def test_user_update_needs_the_version_read(gateway):
    admin = auth(login(gateway))
    me = gateway.get("/api/v1/auth/me", headers=admin)
    user_id, etag = me.get_json()["id"], me.headers.get("ETag") or '"1"'
    assert gateway.patch(f"/api/v1/directory/users/{user_id}", headers=admin,
                         json={"full_name": "Root"}).status_code == 428
    first = gateway.patch(f"/api/v1/directory/users/{user_id}", headers=admin | {"If-Match": etag},
                          json={"full_name": "Root"})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = gateway.patch(f"/api/v1/directory/users/{user_id}", headers=admin | {"If-Match": etag},
                          json={"full_name": "Someone else"})
    assert stale.status_code == 412
    assert gateway.get(f"/api/v1/directory/users/{user_id}", headers=admin).get_json()["full_name"] == "Root"


def test_only_health_metrics_and_login_answer_without_a_token(gateway):
    for path in ("/healthz", "/metrics"):
        assert gateway.get(path).status_code == 200
    for path in ("/api/v1/directory/users", "/api/v1/auth/me", "/api/v1/customers"):
        assert gateway.get(path).status_code == 401, path
    forged = gateway.get("/api/v1/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401


def test_the_console_start_page_opens_without_a_token(gateway):
    page = gateway.get("/")
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    assert "Sign in" in page.get_data(as_text=True)


def _user(gateway, headers, username="ana.gomez", **overrides) -> dict:
    hq = gateway.get("/api/v1/directory/branches", headers=headers).get_json()["items"][0]
    return gateway.post("/api/v1/directory/users", headers=headers, json={
        "username": username, "full_name": "Ana Gómez", "password": "ana-password", "level": 3,
        "branch_id": hq["id"], **overrides}).get_json()


def test_an_administrator_sees_a_locked_sign_in_and_unlocks_it(gateway):
    admin = auth(login(gateway))
    ana = _user(gateway, admin)
    lock_url = f"/api/v1/directory/users/{ana['id']}/sign-in-lock"
    assert gateway.get(lock_url, headers=admin).get_json() == {"user_id": ana["id"], "locked": False,
                                                               "locked_until": None, "failures": 0}
    for _attempt in range(5):
        login(gateway, "ana.gomez", "wrong-password")
    assert login(gateway, "ana.gomez", "ana-password").status_code == 429
    state = gateway.get(lock_url, headers=admin).get_json()
    assert state["locked"] and state["locked_until"] and state["failures"] == 5
    assert gateway.delete(lock_url, headers=admin).status_code == 428
    assert gateway.delete(lock_url, headers=admin | {"If-Match": f'"{ana["version"] + 1}"'}).status_code == 412
    assert gateway.delete(lock_url, headers=admin | {"If-Match": f'"{ana["version"]}"'}).status_code == 204
    assert gateway.get(lock_url, headers=admin).get_json()["locked"] is False
    assert login(gateway, "ana.gomez", "ana-password").status_code == 200
    audit = gateway.get("/api/v1/directory/audit?kind=user.unlocked", headers=admin).get_json()["items"]
    assert [(entry["subject_id"], entry["detail"]) for entry in audit] == [(ana["id"], {"was_locked": True})]


def test_only_user_managers_read_or_lift_a_sign_in_lock(gateway):
    admin = auth(login(gateway))
    ana = _user(gateway, admin)
    _user(gateway, admin, username="boris.plain")
    plain = auth(login(gateway, "boris.plain", "ana-password"))
    lock_url = f"/api/v1/directory/users/{ana['id']}/sign-in-lock"
    assert gateway.get(lock_url, headers=plain).status_code == 403
    assert gateway.delete(lock_url, headers=plain).status_code == 403


def test_an_administrator_sets_a_users_language_with_the_version_read(gateway):
    admin = auth(login(gateway))
    ana = _user(gateway, admin, language="ru")
    assert ana["language"] == "ru"
    url = f"/api/v1/directory/users/{ana['id']}"
    assert gateway.patch(url, headers=admin, json={"language": "vi"}).status_code == 428
    refused = gateway.patch(url, headers=admin | {"If-Match": f'"{ana["version"]}"'}, json={"language": "fr"})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"language"}
    changed = gateway.patch(url, headers=admin | {"If-Match": f'"{ana["version"]}"'}, json={"language": "vi"})
    assert changed.status_code == 200 and changed.get_json()["language"] == "vi"
    stale = gateway.patch(url, headers=admin | {"If-Match": f'"{ana["version"]}"'}, json={"language": "es"})
    assert stale.status_code == 412
    assert gateway.get(url, headers=admin).get_json()["language"] == "vi"
    cleared = gateway.patch(url, headers=admin | {"If-Match": changed.headers["ETag"]}, json={"language": None})
    assert cleared.status_code == 200 and cleared.get_json()["language"] is None
