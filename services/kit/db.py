"""Database plumbing: engines for PostgreSQL and SQLite, the metadata convention, the unit of work."""
from __future__ import annotations

import functools
import uuid
import weakref
from datetime import datetime, timezone
from collections.abc import Sequence
from typing import Any, Callable

import psycopg
from psycopg import Column as DescribedColumn
from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Uuid, create_engine,
                        event, text)
from sqlalchemy.exc import DBAPIError
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
        if result is None and _PIPELINES_ENDING:
            # SQLAlchemy asks right after executing: the first result read on a connection whose
            # statements wait in a pipeline ends it, one round trip for all of them (RowAhead)
            ending = _PIPELINES_ENDING.pop(self.connection, None)
            if ending is not None:
                ending()
                result = self.pgresult
        if result is None or not result.nfields:
            return super().description  # None, or no columns ("SELECT ;")
        return _DescriptionOnDemand(self)


_PIPELINES_SUPPORTED = psycopg.Pipeline.is_supported()  # a libpq of PostgreSQL 14 or later
# psycopg connections whose pipeline ends when the next result is read on them: what ends it
_PIPELINES_ENDING: weakref.WeakKeyDictionary[psycopg.Connection, Callable[[], None]] = weakref.WeakKeyDictionary()


class RowAhead:
    """A one-row statement sent ahead of the next statement on the same connection; its row goes to
    ``then`` (which refuses by raising) once, before anything of the next statement is handed on.

    On PostgreSQL the connection enters psycopg's pipeline mode and the statement is queued on a
    cursor of its own, unread. The pipeline ends (one Sync: the server answers every queued
    statement in the same round trip) when a result is first needed on the connection: when
    SQLAlchemy, right after executing the next statement, asks for its columns, or at
    :meth:`settle`. Then ``then`` runs with the row sent ahead, and only after it the next
    statement's result (or error) goes to SQLAlchemy. What ``then`` raised, or the failure of the
    statement sent ahead, is kept and raised again by every later :meth:`settle`. On SQLite (or a
    libpq without pipelines) the statement runs at once and ``then`` with it: the two statements
    run in turn. Never for writes: the statement sent ahead must decide before a write."""

    def __init__(self, connection: Connection, statement, params: dict, *, then: Callable[[Any], None]) -> None:
        self._then = then
        self._failure: BaseException | None = None
        self._settled = False
        self._pipeline = None
        self._pipeline_error: psycopg.Error | None = None
        if connection.dialect.name != "postgresql" or not _PIPELINES_SUPPORTED:
            row = connection.execute(statement, params).one()
            connection.rollback()  # SQLite: the next statement begins its own transaction, as before
            self._settled = True
            self._settle_with(row)
            return
        self._connection = connection
        self._sql, constants = _psycopg_rendered(statement, connection.dialect)
        self._params = params = constants | params if constants else params
        driver = connection.connection.driver_connection
        try:
            self._pipeline = driver.pipeline()
            self._pipeline.__enter__()
            self._cursor = driver.cursor()
            self._cursor.execute(self._sql, params)
        except psycopg.Error as error:
            self._settled = True
            self._failure = self._wrapped(error)
            self._end_pipeline()
            raise self._failure from None
        _PIPELINES_ENDING[driver] = self._next_result_wanted

    def settle(self) -> None:
        """End the pipeline if it is still open, hand the row to ``then`` (once), and raise what
        ``then`` or the statement raised, every time."""
        if not self._settled:
            self._settled = True
            _PIPELINES_ENDING.pop(self._connection.connection.driver_connection, None)
            self._end_pipeline()
            try:
                row = self._cursor.fetchone()
            except psycopg.Error as error:
                # no row: the statement sent ahead failed (its error ended the pipeline first)
                self._failure = self._wrapped(self._pipeline_error or error)
            else:
                if row is None:
                    self._failure = self._wrapped(psycopg.ProgrammingError("the statement sent ahead returned no row"))
                else:
                    self._settle_with(row)
            finally:
                self._cursor.close()
        if self._failure is not None:
            raise self._failure

    def _settle_with(self, row) -> None:
        try:
            self._then(row)
        except BaseException as failure:
            self._failure = failure
            raise

    def _next_result_wanted(self) -> None:
        """The next statement's result is asked for: both come back; ``then`` decides first."""
        self._end_pipeline()
        self.settle()
        if self._pipeline_error is not None:
            raise self._pipeline_error  # the next statement's own error: SQLAlchemy wraps it

    def _end_pipeline(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            try:
                pipeline.__exit__(None, None, None)
            except psycopg.Error as error:
                self._pipeline_error = error

    def _wrapped(self, error: psycopg.Error) -> DBAPIError:
        """As SQLAlchemy raises a driver's error (a lost connection: OperationalError, a 503)."""
        if self._connection.connection.driver_connection.broken:
            self._connection.invalidate()
        return DBAPIError.instance(self._sql, self._params, error, psycopg.Error)


@functools.lru_cache(maxsize=256)
def _psycopg_rendered(statement, dialect) -> tuple[str, dict]:
    """``statement`` (built once by its caller) rendered once for psycopg (named ``%(name)s``
    parameters), and the values of the parameters it holds itself (constants such as ``1`` or a
    ``case`` mapping's values), merged under each execution's parameters. Every value goes to
    psycopg as it is, so a parameter whose type would process it (a date made UTC, JSON) is refused
    here: such a statement is for SQLAlchemy's own execution."""
    compiled = statement.compile(dialect=dialect)
    for name, bind in compiled.binds.items():
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            raise ValueError(f"parameter {name!r} of type {bind.type!r} needs SQLAlchemy's processing")
    constants = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
    return str(compiled), constants


def execute_rendered(connection: Connection, statement, params: dict):
    """``statement`` (built once by its caller) executed with ``params``. On PostgreSQL its text,
    rendered once, goes to psycopg as it is: SQLAlchemy neither walks the statement for its cache
    key nor processes its parameters on every execution (for the gateway's statement of three WITH
    steps, run on every request, that was half of its execution: bench/README.md, session 14). The
    rows hold the driver's values. On SQLite, SQLAlchemy executes the statement."""
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params)
    sql, constants = _psycopg_rendered(statement, connection.dialect)
    return connection.exec_driver_sql(sql, constants | params if constants else params)


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
