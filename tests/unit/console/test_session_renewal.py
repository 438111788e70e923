"""A signed-in agent stays signed in through a working day: when the 15-minute access token ends, the
console renews it with the sign-in's refresh token; logout and a disabled account still end it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt

from services.kit.auth import Principal
from tests.unit.console.test_console import csrf_of, session_of, sign_in


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def end_the_access_token(app, client) -> str:
    """The session's access token as it is 15 minutes after sign-in: expired, same sign-in."""
    token = session_of(app, client)["token"]
    expired, ended_at = app.extensions["caredesk.token_issuer"].issue(
        Principal.from_claims(claims_of(token)), lifetime=timedelta(seconds=-60), token_id=claims_of(token)["jti"])
    with client.session_transaction() as session:
        session.update(token=expired, expires_at=ended_at.isoformat())
    return expired


def api(app, method: str, path: str, token: str | None = None, **kwargs):
    headers = ({"Authorization": f"Bearer {token}"} if token else {}) | kwargs.pop("headers", {})
    return getattr(app.test_client(), method)(f"/api/v1/{path}", headers=headers, **kwargs)


def test_an_agent_whose_access_token_ended_stays_signed_in(console, app):
    sign_in(console)
    signed_in = session_of(app, console)
    ended = end_the_access_token(app, console)
    assert api(app, "get", "auth/me", ended).status_code == 401
    page = console.get("/desk")  # every service is down in this app: the page says so, it does not sign out
    assert page.status_code == 503
    renewed = session_of(app, console)
    assert renewed["token"] not in (ended, None) and renewed["refresh"] == signed_in["refresh"]
    assert datetime.fromisoformat(renewed["expires_at"]) > datetime.now(timezone.utc) + timedelta(minutes=10)
    assert api(app, "get", "auth/me", renewed["token"]).status_code == 200
    assert claims_of(renewed["token"])["jti"] == claims_of(signed_in["token"])["jti"], "the same sign-in"


def test_a_token_far_from_its_end_is_not_renewed(console, app):
    sign_in(console)
    token = session_of(app, console)["token"]
    console.get("/desk")
    assert session_of(app, console)["token"] == token


def test_after_sign_out_the_refresh_token_renews_nothing(console, app):
    sign_in(console)
    refresh = session_of(app, console)["refresh"]
    console.post("/signout", data={"csrf_token": csrf_of(console, "/signin")})
    assert api(app, "post", "auth/refresh", json={"refresh_token": refresh}).status_code == 401
    stolen = app.test_client()  # a copy of the cookie taken before sign-out gets nowhere either
    sign_in(stolen)
    with stolen.session_transaction() as session:
        session.update(refresh=refresh)
    end_the_access_token(app, stolen)
    answer = stolen.get("/desk")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/signin")


def test_a_disabled_agent_is_signed_out_at_the_next_renewal(console, app):
    sign_in(console)
    admin = session_of(app, console)["token"]
    branch = api(app, "get", "directory/branches", admin).get_json()["items"][0]
    created = api(app, "post", "directory/users", admin, json={
        "username": "ana.front", "full_name": "Ana Restrepo", "password": "ana-password-1", "level": 3,
        "branch_id": branch["id"]})
    assert created.status_code == 201, created.get_json()
    agent = app.test_client()
    agent.post("/signin", data={"csrf_token": csrf_of(agent), "username": "ana.front", "password": "ana-password-1"})
    end_the_access_token(app, agent)
    disabled = api(app, "patch", f"directory/users/{created.get_json()['id']}", json={"is_active": False},
                   headers={"Authorization": f"Bearer {admin}", "If-Match": created.headers["ETag"]})
    assert disabled.status_code == 200, disabled.get_json()
    answer = agent.get("/desk")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/signin")
    assert "refresh" not in session_of(app, agent)


def test_a_refresh_token_is_no_access_token_and_a_renewal_never_outlives_it(console, app):
    sign_in(console)
    refresh = session_of(app, console)["refresh"]
    assert api(app, "get", "auth/me", refresh).status_code == 401
    assert api(app, "post", "auth/refresh", json={"refresh_token": session_of(app, console)["token"]}).status_code == 401
    short, ends_at = app.extensions["caredesk.token_issuer"].issue(
        Principal.from_claims(claims_of(refresh)), kind="refresh", lifetime=timedelta(seconds=30),
        token_id=claims_of(refresh)["jti"])
    renewed = api(app, "post", "auth/refresh", json={"refresh_token": short})
    assert renewed.status_code == 200
    assert datetime.fromisoformat(renewed.get_json()["expires_at"]) <= ends_at
