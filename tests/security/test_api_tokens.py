"""API tokens for integrations, on the real PostgreSQL (and RabbitMQ for revocation).

Company-level administrators create them (shown once: never listed, never stored), list, show and
revoke them. Their scopes are enforced by the gateway and by every service called directly: a
read-only token gets 403 on any write, a token gets 403 on a resource it does not name. A revoked
token is refused at the gateway at once and at each service as soon as token.revoked.v1 arrives.
"""
from __future__ import annotations

import time
import uuid

import pytest

from gateway.directory.bootstrap import ensure_first_admin
from tests.conftest import make_principal
from tests.integration.conftest import wait_until
from tests.security.conftest import fingerprint
from tests.security.test_token_life import PASSWORD, PROBES, SERVICES, _login, system  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

# a write each component refuses for its own reasons (422/404) once the token's scope lets it through
WRITES = {"gateway": "/api/v1/directory/branches", "customers": "/api/v1/customers", "cases": "/api/v1/cases",
          "notifications": "/api/v1/notifications/read-all"}
READS = PROBES | {"gateway": "/api/v1/directory/users"}  # a read of the component's resource
RESOURCE = {"gateway": "directory", "customers": "customers", "cases": "cases", "notifications": "notifications"}
# through the gateway: refused there before anything is forwarded
FORWARDED = {"customers": "/api/v1/customers", "cases": "/api/v1/cases", "queues": "/api/v1/queues",
             "case-types": "/api/v1/case-types", "notifications": "/api/v1/notifications"}
# a path of each that takes POST (a method the path does not take is a 405 before any token is read)
FORWARDED_WRITES = FORWARDED | {"notifications": "/api/v1/notifications/read-all"}
OWNER = {"customers": "customers", "cases": "cases", "queues": "cases", "case-types": "cases",
         "notifications": "notifications"}


@pytest.fixture
def apps(make_app):
    apps = {name: make_app(name) for name in ("gateway", *SERVICES)}
    ensure_first_admin(apps["gateway"].extensions["caredesk"].database, username="admin", password=PASSWORD)
    return apps


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _create(gateway, admin: str, **body) -> dict:
    me = gateway.get("/api/v1/auth/me", headers=_bearer(admin)).get_json()
    response = gateway.post("/api/v1/auth/api-tokens", headers=_bearer(admin), json={"user_id": me["id"]} | body)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"].endswith(response.get_json()["id"])
    return response.get_json()


def test_api_tokens_are_shown_once_listed_without_the_secret_and_managed_by_administrators_only(apps):
    gateway = apps["gateway"].test_client()
    admin = _login(gateway, "admin")
    created = _create(gateway, admin, name="Billing import", days=30, read_only=True, resources=["customers"])
    token = created["access_token"]
    assert (created["status"], created["read_only"], created["resources"]) == ("active", True, ["customers"])
    listed = gateway.get("/api/v1/auth/api-tokens", headers=_bearer(admin))
    shown = gateway.get(f"/api/v1/auth/api-tokens/{created['id']}", headers=_bearer(admin))
    assert listed.status_code == shown.status_code == 200
    assert [t["id"] for t in listed.get_json()["items"]] == [created["id"]] and shown.get_json()["name"] == "Billing import"
    for answer in (listed, shown):
        assert "access_token" not in answer.get_data(as_text=True) and token not in answer.get_data(as_text=True)
    database = apps["gateway"].extensions["caredesk"].database
    with database.engine.connect() as connection:
        dump = "".join(str(row) for table in database.metadata.sorted_tables
                       for row in connection.execute(table.select()))
    assert token not in dump and token.split(".")[2] not in dump, "the token itself is stored"

    # nobody else manages tokens: an API token (even an administrator's), a branch administrator, a non-admin
    full = _create(gateway, admin, name="Reporting")["access_token"]
    assert gateway.post("/api/v1/auth/api-tokens", headers=_bearer(full),
                        json={"user_id": created["user_id"]}).status_code == 403
    assert gateway.delete(f"/api/v1/auth/api-tokens/{created['id']}", headers=_bearer(full)).status_code == 403
    assert gateway.get("/api/v1/auth/api-tokens", headers=_bearer(full)).status_code == 403
    before = fingerprint(apps["gateway"])
    issuer = apps["gateway"].extensions["caredesk.token_issuer"]
    for who in (make_principal(level=2, permissions=frozenset({"manage_users"})), make_principal(level=1)):
        headers = _bearer(issuer.issue(who)[0])
        refused = [gateway.get("/api/v1/auth/api-tokens", headers=headers),
                   gateway.get(f"/api/v1/auth/api-tokens/{created['id']}", headers=headers),
                   gateway.delete(f"/api/v1/auth/api-tokens/{created['id']}", headers=headers),
                   gateway.post("/api/v1/auth/api-tokens", headers=headers, json={"user_id": created["user_id"]})]
        assert all(r.status_code in (403, 404) for r in refused), [r.get_json() for r in refused]
    assert fingerprint(apps["gateway"]) == before

    path = f"/api/v1/auth/api-tokens/{created['id']}"
    assert gateway.delete(path, headers=_bearer(admin)).status_code == 428
    assert gateway.delete(path, headers=_bearer(admin) | {"If-Match": '"9"'}).status_code == 412
    etag = gateway.get(path, headers=_bearer(admin)).headers["ETag"]
    revoked = gateway.delete(path, headers=_bearer(admin) | {"If-Match": etag})
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert revoked.headers["ETag"] != etag
    assert gateway.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    again = gateway.delete(path, headers=_bearer(admin) | {"If-Match": revoked.headers["ETag"]})
    assert again.get_json()["revoked_at"] == revoked.get_json()["revoked_at"]
    assert [t["id"] for t in gateway.get("/api/v1/auth/api-tokens?status=revoked",
                                         headers=_bearer(admin)).get_json()["items"]] == [created["id"]]
    missing = gateway.delete(f"/api/v1/auth/api-tokens/{uuid.uuid4()}", headers=_bearer(admin) | {"If-Match": '"1"'})
    assert missing.status_code == 404

    # the user a token acts as is a reference in the body: missing is a 422 naming the field, as
    # every reference in a body is (docs/security.md), and nothing is written
    before = fingerprint(apps["gateway"])
    unknown = gateway.post("/api/v1/auth/api-tokens", headers=_bearer(admin), json={"user_id": str(uuid.uuid4())})
    assert unknown.status_code == 422, unknown.get_json()
    assert unknown.get_json()["errors"] == {"user_id": ["No such user."]}
    assert fingerprint(apps["gateway"]) == before


def test_scopes_are_enforced_by_the_gateway_and_every_service(apps):
    gateway = apps["gateway"].test_client()
    admin = _login(gateway, "admin")
    cells = 0
    read_only = _create(gateway, admin, read_only=True)["access_token"]
    for name, app in apps.items():
        client = app.test_client()
        assert client.get(PROBES[name], headers=_bearer(read_only)).status_code == 200, name
        before = fingerprint(app)
        refused = client.post(WRITES[name], headers=_bearer(read_only), json={})
        assert refused.status_code == 403, (name, refused.get_json())
        assert refused.content_type == "application/problem+json" and "read-only" in refused.get_json()["detail"]
        assert fingerprint(app) == before
        cells += 2
    for resource, path in FORWARDED_WRITES.items():
        assert gateway.post(path, headers=_bearer(read_only), json={}).status_code == 403, resource
        cells += 1
    for name in RESOURCE:
        scoped = _create(gateway, admin, resources=[RESOURCE[name]])["access_token"]
        for other, app in apps.items():
            client = app.test_client()
            if other == name:
                assert client.get(READS[other], headers=_bearer(scoped)).status_code == 200, (name, other)
                assert client.post(WRITES[other], headers=_bearer(scoped), json={}).status_code not in (401, 403)
            else:
                before = fingerprint(app)
                for method in ("GET", "POST"):
                    path = READS[other] if method == "GET" else WRITES[other]
                    response = client.open(path, method=method, headers=_bearer(scoped), json=None if method == "GET" else {})
                    assert response.status_code == 403, (name, other, method, response.get_json())
                    cells += 1
                assert fingerprint(app) == before
        for resource, path in FORWARDED.items():
            if OWNER[resource] != RESOURCE[name]:
                assert gateway.get(path, headers=_bearer(scoped)).status_code == 403, (name, resource)
                cells += 1
        # who-am-I belongs to no resource: any valid token may ask it
        assert gateway.get("/api/v1/auth/me", headers=_bearer(scoped)).status_code == 200
    print(f"\nAPI token scopes: {cells} refusals (read-only writes, other resources) at the gateway and each "
          "service directly, all 403 with nothing changed")


def test_a_revoked_api_token_is_refused_at_the_gateway_and_every_service(system):
    apps, services = system
    gateway = apps["gateway"].test_client()
    admin = _login(gateway, "admin")
    created = _create(gateway, admin, name="Telephony", days=1)
    for name, service in services.items():  # the relay and consumers are up: the directory reached every service
        users = service.database.metadata.tables["directory_users"]
        wait_until(lambda: service.count(users, users.c.id == uuid.UUID(created["user_id"])) == 1, timeout=60,
                   what=f"the administrator to reach {name}")
    token = created["access_token"]
    assert {name: app.test_client().get(PROBES[name], headers=_bearer(token)).status_code
            for name, app in apps.items()} == dict.fromkeys(apps, 200)
    assert gateway.delete(f"/api/v1/auth/api-tokens/{created['id']}",
                          headers=_bearer(admin) | {"If-Match": '"1"'}).status_code == 200
    since = time.perf_counter()
    assert gateway.get(PROBES["gateway"], headers=_bearer(token)).status_code == 401
    for path in FORWARDED.values():
        assert gateway.get(path, headers=_bearer(token)).status_code == 401
    lags = {}
    for name in SERVICES:
        client = apps[name].test_client()
        wait_until(lambda: client.get(PROBES[name], headers=_bearer(token)).status_code == 401, timeout=30,
                   interval=0.005, what=f"{name} to refuse the revoked API token")
        lags[name] = (time.perf_counter() - since) * 1000
        refused = client.get(PROBES[name], headers=_bearer(token))
        assert refused.get_json()["detail"] == "This token was revoked; log in again."
    print("\nrevoked API token: refused at the gateway at once, at each service after "
          + ", ".join(f"{name} {lag:.1f} ms" for name, lag in lags.items()))
