"""Database plumbing: engines for PostgreSQL and SQLite, the metadata convention, the unit of work."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from collections.abc import Sequence
from typing import Any, Callable

import psycopg
from psycopg import Column as DescribedColumn
from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Uuid, create_engine,
                        event, text)
from sqlalchemy.types import TypeDecorator
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def bump_version(record) -> None:
    """A change to a record's sub-resources (rows of their own: SLA policies, routing rules) is a
    change of the record: its version, which its ETag shows, moves on in the same flush (a set
    value, so a ``version_id_col`` record takes it instead of its own increment)."""
    record.version = record.version + 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def new_metadata() -> MetaData:
    """Metadata of one service's own database, with the outbox and inbox tables every service has."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # BigInteger on PostgreSQL, but SQLite only auto-increments an INTEGER PRIMARY KEY.
    position_type = BigInteger().with_variant(Integer(), "sqlite")
    outbox = Table(
        "outbox", metadata,
        Column("position", position_type, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("routing_key", String(200), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
    )
    # The relay's next batch: the unsent rows in position order. Only unsent rows are in it, so taking
    # a batch reads that batch, not every row sent before it (which the primary key's order would).
    Index("ix_outbox_unsent", outbox.c.position, postgresql_where=text("sent_at IS NULL"),
          sqlite_where=text("sent_at IS NULL"))
    Table(
        "inbox", metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("handled_at", UtcDateTime(), nullable=False),
        # every delivery that reached the inbox: more than 1 means redeliveries were turned away
        Column("deliveries", Integer, nullable=False, server_default="1"),
    )
    Table(
        # attempts at a redelivered event, committed before its handler runs: a consumer that keeps
        # dying on one event dead-letters that event alone, not the batch it died with
        "consumer_attempts", metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("attempts", Integer, nullable=False),
        Column("last_attempt_at", UtcDateTime(), nullable=False),
    )
    return metadata


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on both backends (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def _make_sqlite_transactional(engine: Engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself,
    and wait for a writer lock instead of failing at once when several processes share a file."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class _DescriptionOnDemand(Sequence):
    """A result's column descriptions, built when first looked at.

    SQLAlchemy asks the cursor for ``description`` after every statement, but for a statement
    it has compiled before it only checks that there is one: it keeps the result's columns with
    the compiled form. psycopg builds a ``Column`` per result column each time it is asked (a case
    read by id returns about 90: some 0.1 ms of CPU per read, for nothing)."""

    __slots__ = ("_source", "_columns")

    def __init__(self, cursor: psycopg.Cursor) -> None:
        # what psycopg's Column reads, taken now: the cursor may run another statement before
        # the description is read
        self._source = _ResultOf(cursor)
        self._columns: list | None = None

    def _built(self) -> list:
        if self._columns is None:
            self._columns = [DescribedColumn(self._source, index) for index in range(self._source.pgresult.nfields)]
        return self._columns

    def __len__(self) -> int:
        return self._source.pgresult.nfields

    def __getitem__(self, index):
        return self._built()[index]

    def __iter__(self):
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class _ResultOf:
    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self.pgresult, self._encoding, self.adapters = cursor.pgresult, cursor._encoding, cursor.adapters


class DescribingOnDemandCursor(psycopg.Cursor):
    """psycopg's client-side cursor whose ``description`` builds its columns only when they are
    read (see :class:`_DescriptionOnDemand`); everything else is psycopg's own."""

    @property
    def description(self):
        result = self.pgresult
        if result is None or not result.nfields:
            return super().description  # None, or no columns ("SELECT ;")
        return _DescriptionOnDemand(self)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``: psycopg 3 for PostgreSQL, pysqlite in WAL mode for SQLite files."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _make_sqlite_transactional(engine)
        return engine
    # No pre-ping: it costs a round trip per request. After a database restart the first request
    # on a dead connection gets a 503 and SQLAlchemy invalidates the whole pool.
    kwargs["connect_args"] = {"cursor_factory": DescribingOnDemandCursor, **kwargs.get("connect_args", {})}
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> Callable[[], Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)



class Database:
    """One service's own database: engine, sessions and its outbox/inbox tables."""

    def __init__(self, url: str, metadata: MetaData, **engine_options: Any) -> None:
        self.url = url
        self.metadata = metadata
        self.engine = make_engine(url, **engine_options)
        self.session = make_session_factory(self.engine)
        # PostgreSQL: single statements run on a pool of their own whose connections are in
        # autocommit from their first use. Switching a pooled connection to autocommit for each
        # statement and back when it returns cost about a third of the token check's CPU (set and
        # reset on every checkout). SQLite: the one engine, as before.
        self._single_statements = (make_engine(url, isolation_level="AUTOCOMMIT", **engine_options)
                                   if self.engine.dialect.name == "postgresql" else self.engine)
        self.single_statement_session = sessionmaker(bind=self._single_statements, expire_on_commit=False,
                                                     autoflush=False)
        """Sessions for a read made of one statement (a record by id with what it shows): on
        PostgreSQL in autocommit, the statement its own transaction, with no BEGIN and ROLLBACK
        round trips; on SQLite like :attr:`session`. Never for writes, nor for reads of several
        statements that must agree with one another."""

    @property
    def outbox(self) -> Table:
        return self.metadata.tables["outbox"]

    @property
    def inbox(self) -> Table:
        return self.metadata.tables["inbox"]

    @property
    def consumer_attempts(self) -> Table:
        return self.metadata.tables["consumer_attempts"]

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def single_statement_connection(self) -> Connection:
        """A connection for statements that each stand alone (``with database.single_statement_connection()
        as connection``): a read, or a write that is complete in one statement (a counter's upsert).
        On PostgreSQL in autocommit, so each statement is its own transaction and no BEGIN and
        ROLLBACK round trips go with it; on SQLite a plain connection, rolled back when closed
        unless committed."""
        return self._single_statements.connect()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._single_statements is not self.engine:
            self._single_statements.dispose()
