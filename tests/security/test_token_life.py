"""Token life at the gateway and at each service directly, on the real PostgreSQL and RabbitMQ.

A token ends when its user logs out, when their password or access changes, and when they are
disabled: the gateway refuses it the moment the change commits (its own tables), each service as
soon as the gateway's event reaches its directory replica (``caredesk relay gateway`` and each
service's ``caredesk consume``). The lag from the gateway's answer to each service's first 401 is
printed. Forged and malformed tokens (alg none, algorithm confusion, bad signature, expiry, nbf,
audience, issuer, unknown kid) are refused everywhere.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gateway import create_app as create_gateway
from gateway.directory.bootstrap import ensure_first_admin
from gateway.settings import load_gateway_settings
from services.kit.auth import ALGORITHM, AUDIENCE, ISSUER
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

PASSWORD = "long-enough-1"
SERVICES = ("customers", "cases", "notifications")
# a read every user may make, per component
PROBES = {"gateway": "/api/v1/auth/me", "customers": "/api/v1/customers", "cases": "/api/v1/cases/folder",
          "notifications": "/api/v1/notifications"}


@pytest.fixture
def system(make_service, make_processes, key_pair):
    """The gateway and the three services in this process, each on its database, with the gateway's
    relay and every service's consumers running against a vhost of the real broker."""
    gateway = make_service("gateway")
    services = {name: make_service(name) for name in SERVICES}
    for service in services.values():
        service.declare_topology()
    ensure_first_admin(gateway.database, username="admin", password=PASSWORD)
    apps = {"gateway": create_gateway(load_gateway_settings(
        service=dataclasses.replace(gateway.settings, public_key_file=key_pair[1]), private_key_file=key_pair[0]))}
    for name, service in services.items():
        apps[name] = service.component.module.create_app(
            dataclasses.replace(service.settings, public_key_file=key_pair[1]))
    processes = make_processes(gateway, *services.values())
    processes.caredesk("relay", "relay", "gateway")
    for name in SERVICES:
        processes.caredesk(f"consume-{name}", "consume", name)
    yield apps, services
    for app in apps.values():
        app.extensions["caredesk"].database.dispose()


def _login(gateway, username: str, password: str = PASSWORD) -> str:
    response = gateway.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def _status(app, name: str, token: str) -> int:
    return app.test_client().get(PROBES[name], headers={"Authorization": f"Bearer {token}"}).status_code


def _lags_until_refused(apps: dict, token: str, since: float) -> dict[str, float]:
    """Seconds from ``since`` until each service refuses ``token`` (polled every 5 ms)."""
    lags = {}
    for name in SERVICES:
        wait_until(lambda: _status(apps[name], name, token) == 401, timeout=30, interval=0.005,
                   what=f"{name} to refuse the token")
        lags[name] = time.perf_counter() - since
    return lags


def test_logout_password_change_and_disabling_end_tokens_everywhere(system):
    apps, services = system
    gateway = apps["gateway"].test_client()
    admin = {"Authorization": f"Bearer {_login(gateway, 'admin')}"}
    hq = gateway.get("/api/v1/directory/branches", headers=admin).get_json()["items"][0]
    created = gateway.post("/api/v1/directory/users", headers=admin, json={
        "username": "ana.front", "full_name": "Ana", "password": PASSWORD, "level": 2, "branch_id": hq["id"]})
    assert created.status_code == 201
    user = created.get_json()
    users = {name: service.database.metadata.tables["directory_users"] for name, service in services.items()}
    for name, service in services.items():
        wait_until(lambda: service.count(users[name], users[name].c.id == uuid.UUID(user["id"])) == 1,
                   timeout=60, what=f"the user to reach {name}")

    lags: dict[str, dict[str, float]] = {}
    token = _login(gateway, "ana.front")
    assert {name: _status(app, name, token) for name, app in apps.items()} == dict.fromkeys(apps, 200)
    assert gateway.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    since = time.perf_counter()
    assert _status(apps["gateway"], "gateway", token) == 401
    lags["after logout"] = _lags_until_refused(apps, token, since)

    token = _login(gateway, "ana.front")
    other_session = _login(gateway, "ana.front")
    assert all(_status(app, name, token) == 200 for name, app in apps.items())
    etag = gateway.get(f"/api/v1/directory/users/{user['id']}", headers=admin).headers["ETag"]
    changed = gateway.patch(f"/api/v1/directory/users/{user['id']}", headers=admin | {"If-Match": etag},
                            json={"password": "a-new-password-2"})
    assert changed.status_code == 200
    since = time.perf_counter()
    assert _status(apps["gateway"], "gateway", token) == 401
    lags["after a password change"] = _lags_until_refused(apps, token, since)
    assert all(_status(app, name, other_session) == 401 for name, app in apps.items())

    token = _login(gateway, "ana.front", "a-new-password-2")
    assert all(_status(app, name, token) == 200 for name, app in apps.items())
    disabled = gateway.patch(f"/api/v1/directory/users/{user['id']}", json={"is_active": False},
                             headers=admin | {"If-Match": changed.headers["ETag"]})
    assert disabled.status_code == 200
    since = time.perf_counter()
    assert _status(apps["gateway"], "gateway", token) == 401
    lags["after disabling"] = _lags_until_refused(apps, token, since)
    assert gateway.post("/api/v1/auth/login", json={"username": "ana.front",
                                                    "password": "a-new-password-2"}).status_code == 401

    print("\ntoken refused at the gateway at once (0 ms); at each service after (ms):")
    for case, per_service in lags.items():
        print(f"  {case:<26}" + "  ".join(f"{name} {lag * 1000:7.1f}" for name, lag in per_service.items()))
    worst = max(lag for per_service in lags.values() for lag in per_service.values())
    print(f"  worst lag {worst * 1000:.1f} ms")


# -- forged and malformed tokens ----------------------------------------------------------------
def _claims(**overrides) -> dict:
    now = datetime.now(timezone.utc)
    claims = {"sub": str(uuid.uuid4()), "name": "mallory", "lvl": 1, "br": None, "dep": None,
              "perms": ["manage_users"], "queues": [], "tv": 0, "iss": ISSUER, "aud": AUDIENCE,
              "iat": now, "exp": now + timedelta(minutes=5), "jti": uuid.uuid4().hex, "typ": "access"}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not ...}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict, alg: str = "none") -> str:
    payload = json.loads(json.dumps(claims, default=lambda v: int(v.timestamp())))
    return f"{_b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{_b64(json.dumps(payload).encode())}."


def forged_tokens(key_pair) -> dict[str, str]:
    private = serialization.load_pem_private_key(key_pair[0].read_bytes(), password=None)
    public_pem = key_pair[1].read_bytes()
    now = datetime.now(timezone.utc)
    genuine = jwt.encode(_claims(), private, algorithm=ALGORITHM)
    header, payload, signature = genuine.split(".")
    tampered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered["lvl"], tampered["perms"] = 1, ["manage_users", "manage_queues"]
    return {
        "alg none": _unsigned(_claims()),
        "alg None, signature kept": _unsigned(_claims(), alg="None")[:-1] + signature,
        "HS256 keyed with the public key": _hmac_with(public_pem),
        "RS256 with an attacker's key": jwt.encode(_claims(), rsa.generate_private_key(65537, 2048), algorithm="RS256"),
        "ES256 with an attacker's key": jwt.encode(_claims(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"),
        "EdDSA with another key": jwt.encode(_claims(), ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA"),
        "EdDSA, payload tampered": f"{header}.{_b64(json.dumps(tampered).encode())}.{signature}",
        "bad signature": f"{header}.{payload}.{_b64(b'x' * 64)}",
        "expired": jwt.encode(_claims(iat=now - timedelta(hours=2), exp=now - timedelta(hours=1)), private,
                              algorithm=ALGORITHM),
        "not before in the future": jwt.encode(_claims(nbf=now + timedelta(hours=1)), private, algorithm=ALGORITHM),
        "wrong audience": jwt.encode(_claims(aud="someone-else"), private, algorithm=ALGORITHM),
        "wrong issuer": jwt.encode(_claims(iss="evil-gateway"), private, algorithm=ALGORITHM),
        "no expiry": jwt.encode(_claims(exp=...), private, algorithm=ALGORITHM),
        "unknown kid, another key": jwt.encode(_claims(), ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                               headers={"kid": "attacker-key-1"}),
        "not a token kind": jwt.encode(_claims(typ="refresh"), private, algorithm=ALGORITHM),
        "garbage": "abc.def.ghi",
    }


def _hmac_with(public_pem: bytes) -> str:
    """HS256 keyed with the public key's PEM, built by hand (PyJWT itself refuses to sign that way)."""
    payload = json.loads(json.dumps(_claims(), default=lambda v: int(v.timestamp())))
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture
def apps(make_app):
    return {name: make_app(name) for name in ("gateway", *SERVICES)}


def test_forged_and_malformed_tokens_are_refused_everywhere(apps, key_pair):
    tokens = forged_tokens(key_pair)
    cells = 0
    for label, token in tokens.items():
        for name, app in apps.items():
            response = app.test_client().get(PROBES[name], headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (label, name, response.get_data(as_text=True))
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.content_type == "application/problem+json"
            cells += 1
    print(f"\nforged tokens: {len(tokens)} kinds x {len(apps)} components = {cells} cells, all 401")
