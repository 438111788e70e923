"""Rate limits on the API, per user and per token, with the ``limits`` library: 429 problem+json with
Retry-After past either limit.

Every authenticated request under /api/ counts once against its user (all their sign-ins and API
tokens together) and once against its token (a sign-in's access tokens share its id, so refreshing
does not start a new count); anonymous requests (login, which has its own lockout, health, the
console's pages) are not counted here. Fixed windows.

Storage: by default the gateway's own database (table ``rate_limit_counters``: one upsert per
window, a request's windows in one statement on PostgreSQL), so every replica counts into the same
window, on PostgreSQL in production and on the SQLite file in the embedded mode, with no server to
add. Any storage URI of the ``limits``
library may be given instead, for example ``redis://127.0.0.1:6379/0`` (install ``redis``) or
``memory://`` (one process only: each replica and each gunicorn worker would count on its own).
If the storage fails, requests go through (logged): a limit never takes the API down.

Settings: ``CAREDESK_GATEWAY_RATE_LIMIT_PER_USER`` (default ``1200/minute``),
``CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN`` (``600/minute``) in the ``limits`` notation, several
joined by ``;`` (``600/minute;10000/hour``), ``off`` for none; ``CAREDESK_GATEWAY_RATE_LIMIT_STORAGE``
(``database``).
"""
from __future__ import annotations

import functools
import itertools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

from flask import Flask, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from sqlalchemy import Float, Integer, String, TextClause, bindparam, case, delete, literal, select, text
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


@dataclass(frozen=True)
class Window:
    """One fixed window a request counts into: the ``limits`` library's key for it, its length in
    seconds and how many hits it allows."""
    key: str
    seconds: int
    limit: int


class DatabaseWindows:
    """Fixed windows counted in the gateway's database (table ``rate_limit_counters``), so that
    every replica counts into the same window. Each window's hit is one upsert that starts a new
    window when the old one has ended.

    A request's windows are hit in order and the first one past its limit stops the rest. On
    PostgreSQL that is one statement (each upsert a data-modifying WITH step that runs only when the
    one before it is within its limit), one round trip; on SQLite, whose WITH takes no upsert, one
    upsert after the other in one transaction."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = RateLimitCounter.__table__
        self._increments = itertools.count(1)
        table = self.table
        amount = literal(1, Integer)
        new_expiry = bindparam("new_expiry", type_=Float)
        insert = sqlite_insert(table).values(key=bindparam("key", type_=String), hits=amount, expires_at=new_expiry)
        ended = table.c.expires_at <= bindparam("now", type_=Float)
        self._increment = insert.on_conflict_do_update(index_elements=[table.c.key], set_={
            "hits": case((ended, amount), else_=table.c.hits + amount),
            "expires_at": case((ended, new_expiry), else_=table.c.expires_at),
        }).returning(table.c.hits, table.c.expires_at)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def hit_in_order(self, windows: Sequence[Window]) -> tuple[int, float] | None:
        """One hit in each of ``windows`` in turn until one is past its limit: that window's index
        and when it ends (epoch seconds), or None when every window allowed the request."""
        now = time.time()
        with self.database.single_statement_connection() as connection:  # PostgreSQL: no BEGIN/COMMIT
            if self.database.is_postgresql:
                row = connection.execute(_in_order_statement(self.table.name, len(windows)),
                                         _in_order_params(windows, now)).one()
                counted = [(row[2 * index], row[2 * index + 1]) for index in range(len(windows))]
            else:
                counted = []
                for window in windows:
                    counted.append(tuple(connection.execute(self._increment, {
                        "key": window.key, "now": now, "new_expiry": now + window.seconds}).one()))
                    if counted[-1][0] > window.limit:
                        break
            if next(self._increments) % PRUNE_EVERY == 0:
                self._prune(connection, now)
            if not self.database.is_postgresql:
                connection.commit()
        return next(((index, expires_at) for index, ((hits, expires_at), window) in enumerate(zip(counted, windows))
                     if hits > window.limit), None)

    def _prune(self, connection, now: float) -> None:
        ended = select(self.table.c.key).where(self.table.c.expires_at < now).limit(PRUNE_BATCH)
        connection.execute(delete(self.table).where(self.table.c.key.in_(ended)))


@functools.lru_cache(maxsize=8)
def _in_order_statement(table: str, count: int) -> TextClause:
    """PostgreSQL's statement for ``count`` windows: step ``w<n>`` upserts window n's hit when step
    ``w<n-1>`` came back within its limit (a step that did not run returns no row: NULL, not within);
    the answer is each step's hits and window end, NULL for the steps that did not run."""
    steps, answers = [], []
    for index in range(count):
        within_so_far = f"(SELECT hits FROM w{index - 1}) <= :limit_{index - 1}" if index else "TRUE"
        steps.append(
            f"w{index} AS (INSERT INTO {table} AS counter (key, hits, expires_at)"
            f" SELECT :key_{index}, 1, :new_expiry_{index} WHERE {within_so_far}"
            f" ON CONFLICT (key) DO UPDATE SET"
            f" hits = CASE WHEN counter.expires_at <= :now THEN 1 ELSE counter.hits + 1 END,"
            f" expires_at = CASE WHEN counter.expires_at <= :now THEN excluded.expires_at ELSE counter.expires_at END"
            f" RETURNING hits, expires_at)")
        answers += [f"(SELECT hits FROM w{index})", f"(SELECT expires_at FROM w{index})"]
    return text(f"WITH {', '.join(steps)} SELECT {', '.join(answers)}").bindparams(
        *(bindparam(f"key_{index}", type_=String) for index in range(count)),
        *(bindparam(f"new_expiry_{index}", type_=Float) for index in range(count)),
        *(bindparam(f"limit_{index}", type_=Integer) for index in range(count - 1)),
        bindparam("now", type_=Float))


def _in_order_params(windows: Sequence[Window], now: float) -> dict:
    params: dict = {"now": now}
    for index, window in enumerate(windows):
        params.update({f"key_{index}": window.key, f"new_expiry_{index}": now + window.seconds,
                       f"limit_{index}": window.limit})
    if windows:
        del params[f"limit_{len(windows) - 1}"]  # the last window's limit gates no later step
    return params


class LibraryWindows:
    """Windows in any other storage of the ``limits`` library (``redis://``, ``memory://``): hit one
    after the other, exactly as its fixed-window limiter hits them."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    @property
    def base_exceptions(self):
        return self.storage.base_exceptions

    def hit_in_order(self, windows: Sequence[Window]) -> tuple[int, float] | None:
        for index, window in enumerate(windows):
            if self.storage.incr(window.key, window.seconds) > window.limit:
                return index, self.storage.get_expiry(window.key)
        return None


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


def _windows(limits: RateLimits, database: Database) -> DatabaseWindows | LibraryWindows:
    if limits.storage == DATABASE:
        return DatabaseWindows(database)
    return LibraryWindows(storage_from_string(limits.storage))


def install_rate_limits(app: Flask, limits: RateLimits, *, database: Database) -> None:
    """Per-user and per-token limits on every authenticated API request of ``app``. Call after the
    app's authentication is installed: the limits read the principal it leaves in ``g``.

    One ``before_request`` hook hits the request's windows, the token's first: a request its token
    refuses does not use up its user's other tokens' share. The per-request cost is the storage's
    increments (one statement on PostgreSQL) and nothing else."""
    checks = [
        _Check(scope, tuple(parse_many(value)), key_of)
        for scope, value, key_of in (("token", limits.per_token, _token_key), ("user", limits.per_user, _user_key))
        if value.strip().lower() != OFF
    ]
    if not checks:
        return
    storage = _windows(limits, database)

    @app.before_request
    def _count():
        if not _counted():
            return None
        scopes, windows = [], []
        for check in checks:
            key = check.key_of()
            for item in check.items:
                scopes.append((check.scope, item))
                windows.append(Window(item.key_for(KEY_PREFIX, key), item.get_expiry(), item.amount))
        try:
            refusal = storage.hit_in_order(windows)
        except storage.base_exceptions:
            log.warning("rate-limit storage failed; the request goes through", exc_info=True)
            return None
        if refusal is None:
            return None
        index, reset_at = refusal
        return _too_many(scopes[index][1], scopes[index][0], reset_at)


def _too_many(item: RateLimitItem, scope: str, reset_at: float):
    retry_after = max(1, math.ceil(reset_at - time.time()))
    response = problem_response(
        status=429, title="Too many requests", type_="too-many-requests", retry_after=retry_after,
        detail=f"More than {item} for this {scope}; wait {retry_after} s before the next request.",
        limit=str(item), limited_by=scope)
    response.headers["Retry-After"] = str(retry_after)
    return response
