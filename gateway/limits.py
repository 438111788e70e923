"""Rate limits on the API, per user and per token, with the ``limits`` library: 429 problem+json with
Retry-After past either limit.

Every authenticated request under /api/ counts once against its user (all their sign-ins and API
tokens together) and once against its token (a sign-in's access tokens share its id, so refreshing
does not start a new count); anonymous requests (login, which has its own lockout, health, the
console's pages) are not counted here. Fixed windows.

Storage: by default the gateway's own database (table ``rate_limit_counters``: one upsert per
limit per request), so every replica counts into the same window, on PostgreSQL in production and
on the SQLite file in the embedded mode, with no server to add. Any storage URI of the ``limits``
library may be given instead, for example ``redis://127.0.0.1:6379/0`` (install ``redis``) or
``memory://`` (one process only: each replica and each gunicorn worker would count on its own).
If the storage fails, requests go through (logged): a limit never takes the API down.

Settings: ``CAREDESK_GATEWAY_RATE_LIMIT_PER_USER`` (default ``1200/minute``),
``CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN`` (``600/minute``) in the ``limits`` notation, several
joined by ``;`` (``600/minute;10000/hour``), ``off`` for none; ``CAREDESK_GATEWAY_RATE_LIMIT_STORAGE``
(``database``).
"""
from __future__ import annotations

import itertools
import logging
import math
import time
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, ContextManager

from flask import Flask, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Float, Integer, String, bindparam, case, delete, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from gateway.models import RateLimitCounter
from services.kit.db import Database
from services.kit.problems import problem_response

log = logging.getLogger("caredesk.gateway.limits")

DATABASE = "database"
KEY_PREFIX = "caredesk"
OFF = "off"
PRUNE_EVERY = 1000  # increments between two sweeps of ended windows
PRUNE_BATCH = 1000


@dataclass(frozen=True)
class RateLimits:
    per_user: str = "1200/minute"
    per_token: str = "600/minute"
    storage: str = DATABASE

    @classmethod
    def from_env(cls, env) -> "RateLimits":
        return cls(per_user=env("CAREDESK_GATEWAY_RATE_LIMIT_PER_USER") or cls.per_user,
                   per_token=env("CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN") or cls.per_token,
                   storage=env("CAREDESK_GATEWAY_RATE_LIMIT_STORAGE") or cls.storage)


class DatabaseStorage(Storage):
    """The ``limits`` storage of fixed windows in the gateway's database: ``incr`` is one upsert
    that starts a new window when the old one has ended (atomic on PostgreSQL and SQLite alike)."""

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, database: Database, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.database = database
        self.table = RateLimitCounter.__table__
        self._insert = pg_insert if database.is_postgresql else sqlite_insert
        self._increments = itertools.count(1)
        self._held: ContextVar = ContextVar(f"rate-limit-connection-{id(self)}", default=None)
        # Built once: each increment only binds its values (building and keying the statement cost
        # more than running it).
        table = self.table
        amount, new_expiry = bindparam("amount", type_=Integer), bindparam("new_expiry", type_=Float)
        insert = self._insert(table).values(key=bindparam("key", type_=String), hits=amount, expires_at=new_expiry)
        ended = table.c.expires_at <= bindparam("now", type_=Float)
        self._increment = insert.on_conflict_do_update(index_elements=[table.c.key], set_={
            "hits": case((ended, amount), else_=table.c.hits + amount),
            "expires_at": case((ended, new_expiry), else_=table.c.expires_at),
        }).returning(table.c.hits)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @contextmanager
    def one_connection(self):
        """The storage's statements inside use one pooled connection: a request's windows (its
        token's and its user's) cost one checkout, not one each."""
        with self.database.single_statement_connection() as connection:
            held = self._held.set(connection)
            try:
                yield
            finally:
                self._held.reset(held)

    def _connection(self):
        held = self._held.get()
        if held is not None:
            return nullcontext(held)
        return self.database.single_statement_connection()  # on PostgreSQL no BEGIN/COMMIT round trips

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._connection() as connection:
            hits = connection.execute(self._increment, {"key": key, "amount": amount, "now": now,
                                                        "new_expiry": now + expiry}).scalar_one()
            if next(self._increments) % PRUNE_EVERY == 0:
                self._prune(connection, now)
            if not self.database.is_postgresql:
                connection.commit()
        return hits

    def _prune(self, connection, now: float) -> None:
        ended = select(self.table.c.key).where(self.table.c.expires_at < now).limit(PRUNE_BATCH)
        connection.execute(delete(self.table).where(self.table.c.key.in_(ended)))

    def get(self, key: str) -> int:
        with self._connection() as connection:
            hits = connection.execute(select(self.table.c.hits).where(
                self.table.c.key == key, self.table.c.expires_at > time.time())).scalar()
        return hits or 0

    def get_expiry(self, key: str) -> float:
        with self._connection() as connection:
            expires_at = connection.execute(select(self.table.c.expires_at).where(self.table.c.key == key)).scalar()
        return expires_at if expires_at is not None and expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self._connection() as connection:
                connection.execute(select(literal(1)))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.database.engine.begin() as connection:
            return connection.execute(delete(self.table)).rowcount

    def clear(self, key: str) -> None:
        with self.database.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key))


def _counted() -> bool:
    return g.get("principal") is not None and request.path.startswith("/api/")


def _user_key() -> str:
    return f"user:{g.principal.user_id}"


def _token_key() -> str:
    return f"token:{g.principal.token_id or g.principal.user_id}"


@dataclass(frozen=True)
class _Check:
    """One scope's limits (several windows, e.g. per minute and per hour) and how a request is keyed."""
    scope: str
    items: tuple[RateLimitItem, ...]
    key_of: Callable[[], str]


def is_rate_limited(limits: RateLimits) -> bool:
    """Whether any per-user or per-token limit is on (then every authenticated route may answer 429)."""
    return any(value.strip().lower() != OFF for value in (limits.per_token, limits.per_user))


def _storage(limits: RateLimits, database: Database) -> Storage:
    if limits.storage == DATABASE:
        return DatabaseStorage(database=database)
    return storage_from_string(limits.storage)


def install_rate_limits(app: Flask, limits: RateLimits, *, database: Database) -> None:
    """Per-user and per-token limits on every authenticated API request of ``app``. Call after the
    app's authentication is installed: the limits read the principal it leaves in ``g``.

    The ``limits`` library's fixed windows are hit straight from one ``before_request`` hook: the
    per-request cost is the storage's increments and nothing else."""
    checks = [
        _Check(scope, tuple(parse_many(value)), key_of)
        # the token first: a request its token refuses does not use up its user's other tokens' share
        for scope, value, key_of in (("token", limits.per_token, _token_key), ("user", limits.per_user, _user_key))
        if value.strip().lower() != OFF
    ]
    if not checks:
        return
    storage = _storage(limits, database)
    windows = FixedWindowRateLimiter(storage)
    one_connection: Callable[[], ContextManager] = getattr(storage, "one_connection", nullcontext)

    @app.before_request
    def _count():
        if not _counted():
            return None
        try:
            with one_connection():
                return _first_refusal(windows, checks)
        except storage.base_exceptions:
            log.warning("rate-limit storage failed; the request goes through", exc_info=True)
            return None


def _first_refusal(windows: FixedWindowRateLimiter, checks: list[_Check]):
    """Hit every window in turn; the 429 of the first one past its limit (the later ones are not hit)."""
    for check in checks:
        key = check.key_of()
        for item in check.items:
            if not windows.hit(item, KEY_PREFIX, key):
                return _too_many(item, check.scope, windows.get_window_stats(item, KEY_PREFIX, key).reset_time)
    return None


def _too_many(item: RateLimitItem, scope: str, reset_at: float):
    retry_after = max(1, math.ceil(reset_at - time.time()))
    response = problem_response(
        status=429, title="Too many requests", type_="too-many-requests", retry_after=retry_after,
        detail=f"More than {item} for this {scope}; wait {retry_after} s before the next request.",
        limit=str(item), limited_by=scope)
    response.headers["Retry-After"] = str(retry_after)
    return response
