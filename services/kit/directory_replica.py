"""Each service's copy of the gateway's directory users, kept current by user events."""
from __future__ import annotations

import uuid

from sqlalchemy import JSON, Boolean, Column, ColumnElement, Integer, MetaData, String, Table, Uuid, and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.kit.auth import Principal, scope_filter
from services.kit.db import UtcDateTime
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork

USER_EVENTS = ["user.created.v1", "user.updated.v1"]


def define_users_replica(metadata: MetaData) -> Table:
    return Table(
        "directory_users", metadata,
        Column("id", Uuid, primary_key=True),
        Column("username", String(80), nullable=False),
        Column("full_name", String(200), nullable=False),
        Column("email", String(254), nullable=True),
        Column("level", Integer, nullable=False),
        Column("branch_id", Uuid, nullable=True),
        Column("department_id", Uuid, nullable=True),
        Column("permissions", JSON, nullable=False),
        Column("queues", JSON, nullable=False),
        Column("is_active", Boolean, nullable=False),
        Column("directory_version", Integer, nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )


def reachable_users(table: Table, principal: Principal) -> ColumnElement[bool]:
    """Active users the principal's access level reaches: the only users a write may name."""
    return and_(table.c.is_active.is_(True),
                scope_filter(principal, branch_column=table.c.branch_id, department_column=table.c.department_id,
                             owner_columns=[table.c.id]))


def is_reachable_user(session, table: Table, principal: Principal, user_id) -> bool:
    """Whether ``user_id`` names an active user within the principal's reach (missing or out of reach: no)."""
    return session.scalar(select(table.c.id).where(table.c.id == user_id, reachable_users(table, principal))) is not None


def user_replicator(table: Table) -> EventHandler:
    """``replicate_user``: upsert the user, ignoring an event older than the copy we hold."""

    def replicate_user(uow: UnitOfWork, envelope: Envelope) -> None:
        data = envelope.data
        row = {
            "id": data["id"], "username": data["username"], "full_name": data["full_name"],
            "email": data.get("email"), "level": data["level"], "branch_id": data.get("branch_id"),
            "department_id": data.get("department_id"), "permissions": data.get("permissions", []),
            "queues": data.get("queues", []), "is_active": data.get("is_active", True),
            "directory_version": data["version"], "updated_at": envelope.occurred_at,
        }
        row = {key: _uuid_or_value(key, value) for key, value in row.items()}
        dialect = uow.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={key: statement.excluded[key] for key in row if key != "id"},
            where=table.c.directory_version < statement.excluded.directory_version,
        )
        uow.session.execute(statement)

    return EventHandler(name="replicate_user", events=USER_EVENTS, handle=replicate_user)


def _uuid_or_value(key: str, value):
    if key in ("id", "branch_id", "department_id") and value:
        return uuid.UUID(value)
    return value
