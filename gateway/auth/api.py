"""Login, logout, who-am-I and integration tokens under /api/v1/auth."""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app, request

from gateway.auth import api_tokens, audit, throttle
from gateway.auth.tokens import REFRESH, refresh_principal
from gateway.directory import my_account, use_cases
from gateway.directory.schemas import (ApiTokenCreatedSchema, ApiTokenCreateSchema, ApiTokenPageSchema, ApiTokenQuerySchema, ApiTokenSchema,
                                       LoginSchema, MySettingsSchema, RefreshSchema, TokenSchema,
                                       UserSchema)
from gateway.models import RevokedToken, User
from services.kit.app import current_principal, new_uow, service_context
from services.kit.db import utcnow
from services.kit.http import expected_version, install_id_converter, with_etag
from services.kit.input import Blueprint
from services.kit.directory_replica import token_refusal
from services.kit.problems import TooManyRequests, Unauthorized

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Login and tokens")
install_id_converter(blp)


def _issuer():
    return current_app.extensions["caredesk.token_issuer"]


@blp.post("/login")
@blp.arguments(LoginSchema, example={"username": "ana.gomez", "password": "correct horse battery staple"})
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="Wrong username or password (the same answer for a user that does not exist)")
@blp.alt_response(429, description="Too many failed logins for this account or client address: wait Retry-After")
def login(credentials):
    """A token for the right password; 401 alike for an unknown user and a wrong password, 429 with
    Retry-After once the account or the client address has failed too often."""
    database = service_context().database
    keys = throttle.AttemptKeys.of(username=credentials["username"], address=request.remote_addr)
    limits = current_app.extensions["caredesk.login_limits"]
    typed = credentials["username"]
    try:
        with database.session() as session:
            throttle.reserve_attempt(session, keys=keys, limits=limits)
    except TooManyRequests:
        audit.record(database, "login.locked", actor_username=typed)
        raise
    with database.session() as session:
        throttle.prune(session, limits=limits)
    try:
        with database.session() as session:
            user = use_cases.authenticate(session, **credentials)
    except Unauthorized:
        audit.record(database, "login.failed", actor_username=typed)
        raise
    with database.session() as session:
        throttle.attempt_succeeded(session, keys=keys, limits=limits)
    audit.record(database, "login.succeeded", actor=use_cases.principal_of(user))
    issuer, principal = _issuer(), use_cases.principal_of(user)
    sign_in_id = uuid.uuid4().hex  # shared by the refresh token and every access token it renews
    token, expires_at = issuer.issue(principal, token_id=sign_in_id)
    refresh, refresh_expires_at = issuer.issue(principal, kind=REFRESH, lifetime=issuer.refresh_lifetime,
                                               token_id=sign_in_id)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at, "refresh_token": refresh,
            "refresh_expires_at": refresh_expires_at, "user": user}


@blp.post("/refresh")
@blp.arguments(RefreshSchema, example={
    "refresh_token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjEifQ.eyJ0eXAiOiJyZWZyZXNoIn0.c2lnbmF0dXJl"})
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="The refresh token expired, was revoked by logout, or its user was disabled "
                                   "or changed: log in again")
def refresh(data):
    """A new access token for the refresh token login gave, so a signed-in user stays signed in through
    a working day. 401 once the refresh token expired, its sign-in ended with logout, the user was
    disabled or their access or password changed (then the user logs in again). The new token keeps the
    sign-in's id, so logout still ends it; it never outlives the refresh token."""
    issuer = _issuer()
    principal = refresh_principal(data["refresh_token"], service_context().verifier.public_key)
    with service_context().database.session() as session:
        reason = token_refusal(session, users=User.__table__, revoked=RevokedToken.__table__, principal=principal)
        if reason:
            raise Unauthorized(reason)
        user = session.get(User, principal.user_id)
        if user is None:
            raise Unauthorized("This account is disabled.")
        ends_at = principal.expires_at or utcnow()
        lifetime = min(issuer.lifetime, ends_at - utcnow())
        token, expires_at = issuer.issue(use_cases.principal_of(user), lifetime=lifetime,
                                         token_id=principal.token_id)
        return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at, "user": user}


@blp.post("/logout")
@blp.response(204)
def logout():
    """End this token at the gateway at once and at every service as soon as token.revoked.v1 arrives."""
    principal = current_principal()
    # The sign-in's refresh token shares this token's id: the revocation outlives them both.
    until = max(principal.expires_at or utcnow() + timedelta(days=366), utcnow() + _issuer().refresh_lifetime)
    use_cases.revoke_token(new_uow(), principal=principal, expires_at=until)


@blp.get("/me")
@blp.response(200, UserSchema)
@blp.alt_response(404, description="The token's user is not in the directory")
def me():
    """Who am I: the signed-in user (or the API token's user) with level, branch, permissions and queues."""
    principal = current_principal()
    with service_context().database.session() as session:
        user = use_cases.get_user(session, principal=principal, user_id=principal.user_id)
    return with_etag(user, user.version)


@blp.patch("/me")
@blp.arguments(MySettingsSchema, example={"language": "es", "time_zone": "America/Bogota"})
@blp.response(200, UserSchema)
@blp.alt_response(404, description="The token's user is not in the directory")
def change_me(changes):
    """My account: the language and time zone the console shows me, kept on my user so they follow me
    to any browser (If-Match: the ETag of GET /auth/me). Anyone signed in, for themselves only."""
    user = my_account.change_my_settings(new_uow(), principal=current_principal(), changes=changes,
                                         expected_version=expected_version())
    return with_etag(user, user.version)


@blp.post("/api-tokens")
@blp.arguments(ApiTokenCreateSchema, example={"user_id": "2f1c6c2e-6a39-4c8e-9f55-0b7c8a1d2e31", "name": "Billing sync",
                                                "days": 90, "read_only": True, "resources": ["customers"]})
@blp.response(201, ApiTokenCreatedSchema)
@blp.alt_response(404, description="You are not a company-level administrator")
def create_api_token(data):
    """A long-lived token for an integration (billing, telephony, reporting), acting as the given
    user within its scopes (read-only, resources). The token is in this answer only: it is never
    stored nor shown again. Company-level administrators (manage_users) only."""
    record, token = api_tokens.create(new_uow(), _issuer(), principal=current_principal(), data=data)
    return record | {"access_token": token, "token_type": "Bearer"}, 201, {
        "Location": f"/api/v1/auth/api-tokens/{record['id']}"}


@blp.get("/api-tokens")
@blp.arguments(ApiTokenQuerySchema, location="query")
@blp.response(200, ApiTokenPageSchema)
def list_api_tokens(args):
    """Every API token (never the token itself), newest first; by user and status."""
    with service_context().database.session() as session:
        return api_tokens.listed(session, principal=current_principal(), **args)


@blp.get("/api-tokens/<id:token_id>")
@blp.response(200, ApiTokenSchema)
def get_api_token(token_id: uuid.UUID):
    """One API token: its name, user, scopes, expiry and whether it is revoked (never the token itself)."""
    with service_context().database.session() as session:
        token = api_tokens.shown(session, principal=current_principal(), token_id=token_id)
    return with_etag(token, token["version"])


@blp.delete("/api-tokens/<id:token_id>")
@blp.response(200, ApiTokenSchema)
def revoke_api_token(token_id: uuid.UUID):
    """Revoke: refused at the gateway at once and at every service as soon as token.revoked.v1
    arrives (each service's replica of revoked tokens). If-Match: the token's ETag. Revoking again
    changes nothing."""
    principal = current_principal()
    api_tokens.require_token_administrator(principal)  # who may comes before what the request lacks
    token = api_tokens.revoke(new_uow(), principal=principal, token_id=token_id, expected_version=expected_version())
    return with_etag(token, token["version"])
