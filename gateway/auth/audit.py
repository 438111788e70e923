"""The audit log: who did what, when (UTC) and from where, at the gateway.

Recorded: logins (succeeded, failed, locked out), logouts, authorisation failures (every 403 the
gateway answers, its own or a service's through it), administration changes (branches,
departments, users: the names of the fields changed, never their values when they are secret) and
API tokens created and revoked. Never a password or a token: entries hold ids, usernames as typed,
field names and the client address. Searchable by company-level administrators (manage_users)
at GET /api/v1/directory/audit."""
from __future__ import annotations

import uuid
from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import AuditEntry
from services.kit.auth import COMPANY, Principal
from services.kit.db import Database, utcnow
from services.kit.problems import Forbidden, NotFound

KINDS = ("login.succeeded", "login.failed", "login.locked", "logout", "authorisation.refused",
         "branch.created", "department.created", "user.created", "user.updated", "user.unlocked",
         "api_token.created", "api_token.revoked")
SECRET_FIELDS = frozenset({"password"})


def _context() -> dict:
    if not has_request_context():
        return {"address": None, "correlation_id": None, "method": None, "path": None}
    return {"address": request.remote_addr, "correlation_id": g.get("correlation_id"),
            "method": request.method, "path": request.path}


def entry(kind: str, *, actor: Principal | None = None, actor_username: str | None = None,
          subject_id=None, detail: dict | None = None) -> AuditEntry:
    context = _context()
    principal = actor if actor is not None else (g.get("principal") if has_request_context() else None)
    return AuditEntry(
        id=uuid.uuid4(), at=utcnow(), kind=kind,
        actor_id=principal.user_id if principal else None,
        actor_username=actor_username if actor_username is not None else (principal.username if principal else None),
        subject_id=str(subject_id) if subject_id is not None else None,
        address=context["address"], method=context["method"], path=context["path"],
        correlation_id=context["correlation_id"], detail=detail or {})


def add(session: Session, kind: str, **kwargs) -> None:
    """Record in the caller's transaction (an administration change and its entry, or neither)."""
    session.add(entry(kind, **kwargs))


def record(database: Database, kind: str, **kwargs) -> None:
    """Record on its own (a refused login has no transaction to join)."""
    with database.session() as session:
        session.add(entry(kind, **kwargs))
        session.commit()


def changed_fields(changes: dict) -> dict:
    """What an administration change changed: every field's name, the values of those that are
    not secret."""
    return {"fields": sorted(changes), "values": {
        key: (str(value) if isinstance(value, uuid.UUID) else value)
        for key, value in changes.items() if key not in SECRET_FIELDS}}


def search(session: Session, *, principal: Principal, kind: str | None, actor_id: uuid.UUID | None,
           actor_username: str | None, subject_id: str | None, address: str | None,
           since: datetime | None, until: datetime | None, page: int, per_page: int) -> dict:
    principal.require("manage_users")
    if principal.level != COMPANY:
        raise NotFound("Only company-level administrators read the audit log.")
    if principal.token_kind == "api":
        raise Forbidden("An API token cannot read the audit log; log in as an administrator.")
    query = select(AuditEntry)
    for column, value in ((AuditEntry.actor_id, actor_id), (AuditEntry.subject_id, subject_id),
                          (AuditEntry.address, address)):
        if value is not None:
            query = query.where(column == value)
    if kind is not None:
        query = query.where(AuditEntry.kind.startswith(kind) if kind.endswith(".") else AuditEntry.kind == kind)
    if actor_username is not None:
        query = query.where(func.lower(AuditEntry.actor_username) == actor_username.strip().lower())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id)
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}
