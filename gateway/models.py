"""The gateway's own database: the directory and issued-token bookkeeping."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, new_metadata, utcnow
from services.kit.uow import RecordsEvents

PERMISSIONS = (
    "edit_customers",          # edit customer master data
    "bulk_change_sales_agent",  # change preferred sales agent in bulk
    "delete_notes",            # only effective at level 1
    "manage_queues",           # queues and case types
    "manage_reminders",        # reminder concepts and customers' reminder settings
    "manage_templates",        # notification templates in every language
    "manage_users",            # the directory
)


class Base(DeclarativeBase):
    metadata = new_metadata()


class Branch(RecordsEvents, Base):
    __tablename__ = "branches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name}


class Department(RecordsEvents, Base):
    __tablename__ = "departments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name}


class User(RecordsEvents, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"))
    permissions: Mapped[list] = mapped_column(JSON, default=list)
    queues: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the user's own choices ("my account"), following them to any browser; None: not chosen yet
    language: Mapped[str | None] = mapped_column(String(5))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # carried by every token ("tv"); bumped when access or password changes, refusing older tokens
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    def snapshot(self) -> dict:
        """The user as other services replicate it (never the password hash)."""
        return {
            "id": self.id, "username": self.username, "full_name": self.full_name, "email": self.email,
            "level": self.level, "branch_id": self.branch_id, "department_id": self.department_id,
            "permissions": sorted(self.permissions), "queues": sorted(self.queues),
            "is_active": self.is_active, "token_version": self.token_version, "version": self.version,
        }


class RevokedToken(RecordsEvents, Base):
    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """An integration's token (billing, telephony, reporting): acts as ``user_id`` within its scopes.
    The token itself is never stored: it is shown once, at creation; ``id`` is its jti."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    resources: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def token_id(self) -> str:
        return self.id.hex


class AuditEntry(Base):
    """One line of the audit log (gateway.auth.audit): never a password or a token."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_username: Mapped[str | None] = mapped_column(String(200))  # as typed at a login
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(500))
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class RateLimitCounter(Base):
    """One fixed window of an API rate limit (gateway.limits): its hits and when it ends (epoch
    seconds). In the gateway's database, so every replica counts into the same window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class LoginThrottle(Base):
    """Failed logins counted per account ("account:<username>") and per client address
    ("address:<ip>"), and the lock they earned (gateway.auth.throttle)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
