"""API tokens for integrations: issued, listed, shown and revoked by company-level administrators.

A token is a signed access token of kind "api" acting as a user, with its scopes in its claims
("ro": read-only, "res": the resources it may call) that every service enforces
(services.kit.auth.Principal.check_scope). Only its id (the jti) is stored: the token is shown once.
Revoking records the jti as revoked and emits token.revoked.v1, which every service replicates, so
a revoked token is refused everywhere; a change of its user's password or access ends it too (its
"tv")."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth import audit
from gateway.auth.tokens import TokenIssuer
from gateway.directory import use_cases
from gateway.models import ApiToken, RevokedToken
from services.kit.auth import COMPANY, Principal
from services.kit.db import utcnow
from services.kit.directory_replica import prune_revoked_tokens
from services.kit.problems import Forbidden, InvalidFields, NotFound, ensure_version
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query
from services.kit.uow import UnitOfWork


def require_token_administrator(principal: Principal) -> None:
    """Only a company-level administrator, logged in (not through an API token), manages API tokens."""
    _require_token_administrator(principal)


def _require_token_administrator(principal: Principal) -> None:
    if principal.token_kind == "api":
        raise Forbidden("An API token cannot issue or revoke API tokens; log in as an administrator.")
    principal.require("manage_users")
    if principal.level != COMPANY:
        raise NotFound("Only company-level administrators manage API tokens.")


def status_of(token: ApiToken, now=None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= (now or utcnow()) else "active"


def described(token: ApiToken) -> dict:
    return {key: getattr(token, key) for key in ("id", "name", "user_id", "read_only", "resources", "created_by",
                                                 "created_at", "expires_at", "revoked_at", "revoked_by",
                                                 "version")} | {
        "status": status_of(token)}


def create(uow: UnitOfWork, issuer: TokenIssuer, *, principal: Principal, data: dict) -> tuple[dict, str]:
    """The token's record and the token itself (shown once). The user it acts as is a reference in
    the body: missing or out of reach, it is a 422 naming ``user_id`` (docs/security.md)."""
    _require_token_administrator(principal)
    with uow:
        try:
            user = use_cases.get_manageable_user(uow.session, principal=principal, user_id=data["user_id"])
        except NotFound:
            raise InvalidFields({"user_id": ["No such user."]}) from None
        resources = sorted(set(data["resources"]))
        token_id = uuid.uuid4()
        acting = use_cases.principal_of(user)
        scoped = dataclasses.replace(acting, read_only=data["read_only"], resources=frozenset(resources))
        token, expires_at = issuer.issue(scoped, kind="api", lifetime=timedelta(days=data["days"]),
                                         token_id=token_id.hex)
        record = ApiToken(id=token_id, version=1, name=data["name"], user_id=user.id, read_only=data["read_only"],
                          resources=resources, created_by=principal.user_id, created_at=utcnow(), expires_at=expires_at)
        uow.session.add(record)
        audit.add(uow.session, "api_token.created", actor=principal, subject_id=token_id, detail={
            "user_id": str(user.id), "name": record.name, "read_only": record.read_only, "resources": resources,
            "expires_at": expires_at.isoformat()})
        uow.commit()
        return described(record) | {"user": user}, token


def _get(session: Session, token_id: uuid.UUID, *, for_update: bool = False) -> ApiToken:
    query = select(ApiToken).where(ApiToken.id == token_id)
    token = session.scalar(query.with_for_update() if for_update else query)
    if token is None:
        raise NotFound("No such API token.")
    return token


def listed(session: Session, *, principal: Principal, user_id: uuid.UUID | None, status: str | None,
           page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict:
    """One page of the API tokens, newest first; the status filter is the one :func:`status_of` applies."""
    _require_token_administrator(principal)
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    now = utcnow()
    if status == "revoked":
        query = query.where(ApiToken.revoked_at.is_not(None))
    elif status == "expired":
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at <= now)
    elif status == "active":
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    return page_from_query(session, query, page=page, per_page=per_page, item=described)


def shown(session: Session, *, principal: Principal, token_id: uuid.UUID) -> dict:
    _require_token_administrator(principal)
    return described(_get(session, token_id))


def revoke(uow: UnitOfWork, *, principal: Principal, token_id: uuid.UUID, expected_version: int | None = None) -> dict:
    """Refused at the gateway at once, at every service when token.revoked.v1 arrives; from the
    version the caller read (StaleVersion otherwise). Revoking a revoked token changes nothing."""
    _require_token_administrator(principal)
    with uow:
        token = _get(uow.session, token_id, for_update=True)
        ensure_version(token.version, expected_version, what="The API token")
        if token.revoked_at is None:
            token.revoked_at, token.revoked_by = utcnow(), principal.user_id
            token.version += 1
            prune_revoked_tokens(uow.session, RevokedToken.__table__)
            revoked = uow.session.merge(RevokedToken(token_id=token.token_id, expires_at=token.expires_at))
            revoked.record_event("token.revoked.v1", {"token_id": token.token_id, "user_id": token.user_id,
                                                      "expires_at": token.expires_at})
            audit.add(uow.session, "api_token.revoked", actor=principal, subject_id=token.id,
                      detail={"user_id": str(token.user_id), "name": token.name})
            uow.commit()
        return described(token)
