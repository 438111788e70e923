"""Each service's copy of the gateway's directory users and revoked tokens, kept current by the
gateway's events, and the check every request's token passes against them.

Why a token is refused "at once" everywhere: the gateway writes the change (user disabled,
password or access changed, logout) and its event in one transaction; the relay publishes it
within its poll interval (20 ms) and each service's consumer applies it on delivery. From then on
every request's token is checked against this replica (one primary-key query), so the lag is the
event's transit time, measured by tests/security/test_token_life.py. The gateway itself checks
its own tables, so it refuses in the same instant the change commits."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON, Boolean, Column, ColumnElement, Integer, MetaData, Select, String, Table, Uuid, and_, bindparam, case, delete,
    literal_column, null, select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from services.kit.auth import Principal, scope_filter
from services.kit.contracts import Reads, fields
from services.kit.problems import Unauthorized
from services.kit.db import RowAhead, UtcDateTime, execute_rendered, utcnow
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork

USER_EVENTS = ["user.created.v1", "user.updated.v1"]
TOKEN_EVENTS = ["token.revoked.v1"]


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
        # tokens carrying an older version ("tv") are refused: bumped on every change of access
        Column("token_version", Integer, nullable=False, server_default="0"),
        Column("updated_at", UtcDateTime(), nullable=False),
    )


def define_revoked_tokens(metadata: MetaData) -> Table:
    """Token ids (jti) ended by a logout or a revocation, kept until the token would expire anyway."""
    return Table(
        "revoked_tokens", metadata,
        Column("token_id", String(64), primary_key=True),
        Column("expires_at", UtcDateTime(), nullable=False),
    )


class TokenGuard:
    """The check run on every request's principal: ``users`` and ``revoked`` are a service's
    replica, or the gateway's own directory tables (which need no event to be current). One
    statement, built once, on a connection of its own (on PostgreSQL without a transaction); or,
    for a read made of one statement, sent ahead of the read's statement on the read's connection
    (:meth:`send_ahead`)."""

    def __init__(self, database, *, users: Table, revoked: Table) -> None:
        self.database = database
        self.statement = token_refusal_statement(users=users, revoked=revoked)

    def __call__(self, principal: Principal) -> None:
        """Raises Unauthorized when the token was revoked, its user disabled, or its access changed."""
        with self.database.single_statement_connection() as connection:
            row = execute_rendered(connection, self.statement, self.params(principal)).one()
        refuse_token(row[0])

    def send_ahead(self, connection: Connection, principal: Principal) -> RowAhead:
        """The same check sent on ``connection`` ahead of the read's own statement (one round trip
        for both on PostgreSQL): Unauthorized is raised when its row comes back, before the read's
        result is handed on, and by every ``settle()`` of what this returns."""
        return RowAhead(connection, self.statement, self.params(principal), then=lambda row: refuse_token(row[0]))

    @staticmethod
    def params(principal: Principal) -> dict:
        """The statement's parameters for this principal's token."""
        return {"user_id": principal.user_id, "token_id": principal.token_id or "",
                "token_version": principal.token_version}


# Why a token is refused, as the check's statement names it (its column ``refusal``), and what the
# caller is told.
REFUSALS = {
    "revoked": "This token was revoked; log in again.",
    "disabled": "This account is disabled.",
    "changed": "Your password or access changed since this token was issued; log in again.",
}


def refuse_token(refusal: str | None) -> None:
    """Unauthorized when the check's ``refusal`` names a reason (None: the token may be used)."""
    if refusal is not None:
        raise Unauthorized(REFUSALS[refusal])


def replica_token_guard(database) -> TokenGuard:
    tables = database.metadata.tables
    return TokenGuard(database, users=tables["directory_users"], revoked=tables["revoked_tokens"])


def token_refusal_statement(*, users: Table, revoked: Table) -> Select:
    """One row, one column ``refusal``: why the token ``:token_id``, issued at ``:token_version`` to
    the user ``:user_id``, may no longer be used ('revoked', 'disabled': the user is, 'changed': the
    user's password or access changed since), or NULL when it may. The rule is decided here, in
    SQL, once, so that a statement can also act only for an accepted token (the gateway's rate
    limits count no refused token's request). A user missing from the table refuses nothing: the
    token's signature vouches for them until their first event arrives."""
    user = select(users.c.is_active, users.c.token_version).where(
        users.c.id == bindparam("user_id", type_=users.c.id.type)).subquery()
    is_revoked = select(revoked.c.token_id).where(
        revoked.c.token_id == bindparam("token_id", type_=revoked.c.token_id.type)).exists()
    # the reasons are written into the text (no parameters of their own): the statement is rendered
    # once and run over psycopg with the three parameters above only (services.kit.db.RowAhead,
    # execute_rendered)
    return select(case(
        (is_revoked, literal_column("'revoked'", String)),
        (select(user.c.is_active).scalar_subquery().is_(False), literal_column("'disabled'", String)),
        (select(user.c.token_version).scalar_subquery() > bindparam("token_version", type_=Integer),
         literal_column("'changed'", String)),
        else_=null()).label("refusal"))


def token_refusal(session, *, users: Table, revoked: Table, principal: Principal) -> str | None:
    """Why this token may no longer be used (None: it may), in one round trip: revoked, user
    disabled, or issued before the user's access or password last changed."""
    refusal = session.execute(token_refusal_statement(users=users, revoked=revoked),
                              TokenGuard.params(principal)).scalar_one()
    return REFUSALS[refusal] if refusal is not None else None


# Kept past its expiry by this margin (clock skew between hosts), then forgotten: the token's own
# expiry refuses it from then on.
REVOKED_TOKEN_MARGIN = timedelta(minutes=5)


def prune_revoked_tokens(session, table: Table) -> int:
    """Forget revoked tokens that have expired anyway; run wherever a revocation is recorded."""
    return session.execute(delete(table).where(table.c.expires_at < utcnow() - REVOKED_TOKEN_MARGIN)).rowcount


def reachable_users(table: Table, principal: Principal) -> ColumnElement[bool]:
    """Active users the principal's access level reaches: the only users a write may name."""
    return and_(table.c.is_active.is_(True),
                scope_filter(principal, branch_column=table.c.branch_id, department_column=table.c.department_id,
                             owner_columns=[table.c.id]))


def is_reachable_user(session, table: Table, principal: Principal, user_id) -> bool:
    """Whether ``user_id`` names an active user within the principal's reach (missing or out of reach: no)."""
    return session.scalar(select(table.c.id).where(table.c.id == user_id, reachable_users(table, principal))) is not None


class UserReads(Reads):
    """What replicate_user reads of user.created/updated (older events may lack the optional ones)."""

    id = fields.UUID(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    level = fields.Integer(required=True)
    branch_id = fields.UUID(allow_none=True)
    department_id = fields.UUID(allow_none=True)
    permissions = fields.List(fields.String())
    queues = fields.List(fields.String())
    is_active = fields.Boolean()
    version = fields.Integer(required=True)
    token_version = fields.Integer()


class RevokedTokenReads(Reads):
    """What replicate_revoked_token reads of token.revoked."""

    token_id = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


def queue_members(session, table: Table, queue_code: str) -> list:
    """Active users whose queues name ``queue_code``, by username: the one place queue membership
    is read (the users' ``queues`` JSON lists queue codes)."""
    rows = session.execute(select(table).where(table.c.is_active.is_(True)).order_by(table.c.username))
    return [row for row in rows if queue_code in (row.queues or [])]


def is_queue_member(session, table: Table, queue_code: str, user_id) -> bool:
    """Whether ``user_id`` is an active member of the queue ``queue_code``."""
    row = session.execute(select(table.c.queues, table.c.is_active).where(table.c.id == user_id)).first()
    return bool(row and row.is_active and queue_code in (row.queues or []))


def user_replicator(table: Table) -> EventHandler:
    """``replicate_user``: upsert the user, ignoring an event older than the copy we hold."""

    def replicate_user(uow: UnitOfWork, envelope: Envelope) -> None:
        data = envelope.data
        row = {
            "id": data["id"], "username": data["username"], "full_name": data["full_name"],
            "email": data.get("email"), "level": data["level"], "branch_id": data.get("branch_id"),
            "department_id": data.get("department_id"), "permissions": data.get("permissions", []),
            "queues": data.get("queues", []), "is_active": data.get("is_active", True),
            "directory_version": data["version"], "token_version": data.get("token_version", 0),
            "updated_at": envelope.occurred_at,
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

    return EventHandler(name="replicate_user", events=USER_EVENTS, handle=replicate_user, reads=UserReads)


def token_revoker(table: Table) -> EventHandler:
    """``replicate_revoked_token``: remember a logged-out token's id until it expires."""

    def replicate_revoked_token(uow: UnitOfWork, envelope: Envelope) -> None:
        data = envelope.data
        dialect = uow.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        uow.session.execute(insert(table).values(token_id=data["token_id"], expires_at=_instant(data["expires_at"]))
                            .on_conflict_do_nothing(index_elements=[table.c.token_id]))
        prune_revoked_tokens(uow.session, table)

    return EventHandler(name="replicate_revoked_token", events=TOKEN_EVENTS, handle=replicate_revoked_token,
                        reads=RevokedTokenReads)


def upgrade_token_checks(op) -> None:
    """Migration step shared by every service: the replica's token version and the revoked tokens."""
    import sqlalchemy as sa
    with op.batch_alter_table("directory_users") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table("revoked_tokens",
                    sa.Column("token_id", sa.String(length=64), nullable=False),
                    sa.Column("expires_at", UtcDateTime(), nullable=False),
                    sa.PrimaryKeyConstraint("token_id", name=op.f("pk_revoked_tokens")))


def downgrade_token_checks(op) -> None:
    op.drop_table("revoked_tokens")
    with op.batch_alter_table("directory_users") as batch:
        batch.drop_column("token_version")


def _instant(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _uuid_or_value(key: str, value):
    if key in ("id", "branch_id", "department_id") and value:
        return uuid.UUID(value)
    return value
