"""Rate limits on the API, per user and per token, with the ``limits`` library: 429 problem+json with
Retry-After past either limit.

Every authenticated request under /api/ counts once against its user (all their sign-ins and API
tokens together) and once against its token (a sign-in's access tokens share its id, so refreshing
does not start a new count); anonymous requests (login, which has its own lockout, health, the
console's pages) are not counted here. Fixed windows.

Storage: by default the gateway's own database (table ``rate_limit_counters``: one upsert per
window; a request's token check and windows in one statement on PostgreSQL), so every replica counts
into the same window, on PostgreSQL in production and on the SQLite file in the embedded mode, with
no server to add. Any storage URI of the ``limits`` library may be given instead, for example
``redis://127.0.0.1:6379/0`` (install ``redis``) or ``memory://`` (one process only: each replica
and each gunicorn worker would count on its own).
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
from sqlalchemy import (Float, Integer, Select, String, Table, bindparam, case, delete, literal, literal_column, select,
                        true)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from gateway.models import RateLimitCounter
from services.kit.auth import Principal
from services.kit.db import Database, execute_rendered
from services.kit.directory_replica import TokenGuard, refuse_token
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

    A request's windows are hit in order and the first one past its limit stops the rest; a token
    check given with them (:meth:`check_token_and_hit`) comes first and stops them all when it
    refuses. On PostgreSQL that is one statement (each upsert a data-modifying WITH step that runs
    only when the step before it let the request on), one round trip; on SQLite, whose WITH takes no
    upsert, one statement after the other in one transaction."""

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
        return self._hit(windows, None, {})[1]

    def check_token_and_hit(self, token_check: Select, params: dict,
                            windows: Sequence[Window]) -> tuple[str | None, tuple[int, float] | None]:
        """``token_check`` (a statement whose one row's one column names why a token is refused, or
        is NULL) with ``params``, then, only when it is NULL, the windows as :meth:`hit_in_order`
        hits them: the refusal, and the window past its limit."""
        return self._hit(windows, token_check, params)

    def _hit(self, windows: Sequence[Window], token_check: Select | None, params: dict):
        now = time.time()
        refusal, counted = None, []
        with self.database.single_statement_connection() as connection:  # PostgreSQL: no BEGIN/COMMIT
            if self.database.is_postgresql:
                row = execute_rendered(connection, _in_order_statement(self.table, len(windows), token_check),
                                       params | _in_order_params(windows, now)).one()
                refusal, answers = (row[0], row[1:]) if token_check is not None else (None, row)
                counted = [(answers[2 * index], answers[2 * index + 1]) for index in range(len(windows))]
            else:
                if token_check is not None:
                    refusal = connection.execute(token_check, params).scalar_one()
                for window in windows if refusal is None else ():
                    counted.append(tuple(connection.execute(self._increment, {
                        "key": window.key, "now": now, "new_expiry": now + window.seconds}).one()))
                    if counted[-1][0] > window.limit:
                        break
            if next(self._increments) % PRUNE_EVERY == 0:
                self._prune(connection, now)
            if not self.database.is_postgresql:
                connection.commit()
        over = next(((index, expires_at) for index, ((hits, expires_at), window) in enumerate(zip(counted, windows))
                     if hits is not None and hits > window.limit), None)
        return refusal, over

    def _prune(self, connection, now: float) -> None:
        ended = select(self.table.c.key).where(self.table.c.expires_at < now).limit(PRUNE_BATCH)
        connection.execute(delete(self.table).where(self.table.c.key.in_(ended)))


@functools.lru_cache(maxsize=8)
def _in_order_statement(table: Table, count: int, token_check: Select | None) -> Select:
    """PostgreSQL's statement for ``count`` windows: step ``w<n>`` upserts window n's hit when step
    ``w<n-1>`` came back within its limit (a step that did not run returns no row: NULL, not within),
    and ``w0`` when the token check (if any, the first column) refused nothing. The answer: the
    check's refusal, then each step's hits and window end, NULL for the steps that did not run. Its
    only parameters are those of :func:`_in_order_params` and the check's (it is rendered once,
    ``execute_rendered``)."""
    now = bindparam("now", type_=Float)
    one = literal_column("1", Integer)
    ended = table.c.expires_at <= now
    answers: list = []
    go_on = true()
    if token_check is not None:
        refusal = select(token_check.cte("token_check").c.refusal).scalar_subquery()
        answers.append(refusal)
        go_on = refusal.is_(None)
    for index in range(count):
        hit = select(bindparam(f"key_{index}", type_=String), one,
                     bindparam(f"new_expiry_{index}", type_=Float)).where(go_on)
        upsert = pg_insert(table).from_select(["key", "hits", "expires_at"], hit)
        step = upsert.on_conflict_do_update(index_elements=[table.c.key], set_={
            "hits": case((ended, one), else_=table.c.hits + one),
            "expires_at": case((ended, upsert.excluded.expires_at), else_=table.c.expires_at),
        }).returning(table.c.hits, table.c.expires_at).cte(f"w{index}")
        hits = select(step.c.hits).scalar_subquery()
        answers += [hits, select(step.c.expires_at).scalar_subquery()]
        go_on = hits <= bindparam(f"limit_{index}", type_=Integer)
    return select(*answers)


def _in_order_params(windows: Sequence[Window], now: float) -> dict:
    params: dict = {"now": now}
    for index, window in enumerate(windows):
        params.update({f"key_{index}": window.key, f"new_expiry_{index}": now + window.seconds})
        if index < len(windows) - 1:  # the last window's limit gates no later step
            params[f"limit_{index}"] = window.limit
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
    return g.get("principal") is not None and _counts_path()


def _counts_path() -> bool:
    return request.path.startswith("/api/")


@dataclass(frozen=True)
class _Check:
    """One scope's limits (several windows, e.g. per minute and per hour) and how a principal is keyed."""
    scope: str
    items: tuple[RateLimitItem, ...]
    key_of: Callable[[Principal], str]


def is_rate_limited(limits: RateLimits) -> bool:
    """Whether any per-user or per-token limit is on (then every authenticated route may answer 429)."""
    return any(value.strip().lower() != OFF for value in (limits.per_token, limits.per_user))


WINDOWS_COUNTED = "rate_limit_windows_counted"  # in g: the window past its limit (or None), as the guard counted


class RateLimiter:
    """Per-token and per-user limits on every authenticated API request: which windows a request
    counts into, where they are counted, and the hook that answers 429.

    The token's windows come first: a request its token refuses does not use up its user's other
    tokens' share. Counted in the gateway's database, the windows go with the token check in one
    statement (:meth:`token_guard`); in another storage, they are hit by the hook after it."""

    def __init__(self, limits: RateLimits, database: Database) -> None:
        self.database = database
        self.checks = [
            _Check(scope, tuple(parse_many(value)), key_of)
            for scope, value, key_of in (("token", limits.per_token, lambda p: f"token:{p.token_id or p.user_id}"),
                                         ("user", limits.per_user, lambda p: f"user:{p.user_id}"))
            if value.strip().lower() != OFF
        ]
        self.storage = (None if not self.checks else DatabaseWindows(database) if limits.storage == DATABASE
                        else LibraryWindows(storage_from_string(limits.storage)))

    def windows_of(self, principal: Principal) -> tuple[list[tuple[str, RateLimitItem]], list[Window]]:
        """The scope and limit of each window the principal's request counts into, and the windows."""
        scopes, windows = [], []
        for check in self.checks:
            key = check.key_of(principal)
            for item in check.items:
                scopes.append((check.scope, item))
                windows.append(Window(item.key_for(KEY_PREFIX, key), item.get_expiry(), item.amount))
        return scopes, windows

    def token_guard(self, *, users: Table, revoked: Table) -> TokenGuard:
        """The gateway's token guard: counting the request's windows in the same statement when they
        are in its database, the plain guard otherwise."""
        if isinstance(self.storage, DatabaseWindows):
            return _GuardCountingWindows(self, users=users, revoked=revoked)
        return TokenGuard(self.database, users=users, revoked=revoked)

    def install(self, app: Flask) -> None:
        """The ``before_request`` hook that answers 429. Install after the app's authentication: it
        reads the principal it leaves in ``g``, and the windows the token guard counted."""
        if self.storage is None:
            return
        storage = self.storage

        @app.before_request
        def _count():
            if not _counted():
                return None
            if WINDOWS_COUNTED in g:  # by the token guard, in its statement
                over = g.get(WINDOWS_COUNTED)
            else:
                try:
                    over = storage.hit_in_order(self.windows_of(g.principal)[1])
                except storage.base_exceptions:
                    log.warning("rate-limit storage failed; the request goes through", exc_info=True)
                    return None
            if over is None:
                return None
            index, reset_at = over
            scope, item = self.windows_of(g.principal)[0][index]
            return _too_many(item, scope, reset_at)


class _GuardCountingWindows(TokenGuard):
    """The token guard of a gateway whose windows are in its database: an API request's token check
    and its windows' hits are one statement on PostgreSQL (one transaction on SQLite), the check
    gating the hits, so a refused token's request counts against no window. What the windows
    decided is left in ``g`` for the rate-limit hook, which answers 429 after authentication. A
    failure of that statement is the token check's failure (a storage of its own would let the
    request through)."""

    def __init__(self, limiter: RateLimiter, *, users: Table, revoked: Table) -> None:
        super().__init__(limiter.database, users=users, revoked=revoked)
        self.limiter = limiter

    def __call__(self, principal: Principal) -> None:
        if not _counts_path():
            return super().__call__(principal)
        _scopes, windows = self.limiter.windows_of(principal)
        refusal, over = self.limiter.storage.check_token_and_hit(self.statement, self.params(principal), windows)
        refuse_token(refusal)
        setattr(g, WINDOWS_COUNTED, over)


def _too_many(item: RateLimitItem, scope: str, reset_at: float):
    retry_after = max(1, math.ceil(reset_at - time.time()))
    response = problem_response(
        status=429, title="Too many requests", type_="too-many-requests", retry_after=retry_after,
        detail=f"More than {item} for this {scope}; wait {retry_after} s before the next request.",
        limit=str(item), limited_by=scope)
    response.headers["Retry-After"] = str(retry_after)
    return response
