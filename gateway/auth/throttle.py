"""Login protection: failed attempts counted per account and per client address, a lock with
exponential backoff past the limit, 429 with Retry-After while locked.

An attempt is counted as a failure *before* its password is checked, in a transaction that holds
the counters' rows locked: however many requests arrive at once, no more than the limit ever
reach the password check, and a success gives its count back. The account key is the username
as typed, whether or not such a user exists, so a lock reveals nothing about existence.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gateway.models import LoginThrottle
from gateway.settings import LoginLimits
from services.kit.db import utcnow
from services.kit.problems import TooManyRequests


@dataclass(frozen=True)
class AttemptKeys:
    account: str
    address: str

    @classmethod
    def of(cls, *, username: str, address: str | None) -> "AttemptKeys":
        return cls(account=f"account:{username.strip().lower()}", address=f"address:{address or 'unknown'}")

    def limits(self, limits: LoginLimits) -> dict[str, int]:
        return {self.account: limits.account_failures, self.address: limits.address_failures}


PRUNE_BATCH = 500


def _locked_rows(session: Session, keys: list[str]) -> dict[str, LoginThrottle]:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows: dict[str, LoginThrottle] = {}
    while len(rows) < len(keys):  # again if a pruning removed a row between the insert and the lock
        for key in keys:
            session.execute(insert(LoginThrottle).values(key=key, failures=0).on_conflict_do_nothing(
                index_elements=[LoginThrottle.key]))
        rows = {row.key: row for row in session.scalars(
            select(LoginThrottle).where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key).with_for_update())}
    return rows


def prune(session: Session, *, limits: LoginLimits, now: datetime | None = None) -> int:
    """Forget counters that no longer count: no lock in force and no failure within the window
    (the next attempt would start them afresh anyway). Run after each login, a batch at a time."""
    stale_before = (now or utcnow()) - timedelta(seconds=limits.window_seconds)
    stale = select(LoginThrottle.key).where(
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < stale_before),
        or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < stale_before),
    ).limit(PRUNE_BATCH)
    with session.begin():
        return session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(stale))).rowcount


def _lock_for(limits: LoginLimits, failures_past_limit: int) -> timedelta:
    seconds = limits.lockout_seconds * 2 ** min(failures_past_limit, 20)
    return timedelta(seconds=min(seconds, limits.max_lockout_seconds))


def reserve_attempt(session: Session, *, keys: AttemptKeys, limits: LoginLimits, now: datetime | None = None) -> None:
    """Count this attempt as a failure in advance, or refuse it (TooManyRequests) while a lock holds."""
    now = now or utcnow()
    per_key = keys.limits(limits)
    with session.begin():
        rows = _locked_rows(session, sorted(per_key))
        locked = [row.locked_until for row in rows.values() if row.locked_until and row.locked_until > now]
        if locked:
            raise TooManyRequests("Too many failed logins; wait before trying again.",
                                  retry_after=int((max(locked) - now).total_seconds()) + 1)
        for key, row in rows.items():
            last = max(filter(None, (row.last_failure_at, row.locked_until)), default=None)
            if last is None or now - last > timedelta(seconds=limits.window_seconds):
                row.failures, row.locked_until = 0, None
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= per_key[key]:
                # the next attempt waits; a success below gives the lock back
                row.locked_until = now + _lock_for(limits, row.failures - per_key[key])


def attempt_succeeded(session: Session, *, keys: AttemptKeys, limits: LoginLimits) -> None:
    """The password was right: the account starts afresh and the address gets its count back."""
    per_key = keys.limits(limits)
    with session.begin():
        rows = _locked_rows(session, sorted(per_key))
        account, address = rows[keys.account], rows[keys.address]
        account.failures, account.locked_until = 0, None
        address.failures = max(address.failures - 1, 0)
        if address.failures < per_key[keys.address]:
            address.locked_until = None


@dataclass(frozen=True)
class AccountLock:
    failures: int
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def account_lock(session: Session, *, username: str, now: datetime | None = None) -> AccountLock:
    """The sign-in counter of an account as it stands: failures in a row and a lock in force."""
    key = AttemptKeys.of(username=username, address=None).account
    row = session.get(LoginThrottle, key)
    now = now or utcnow()
    if row is None:
        return AccountLock(failures=0, locked_until=None)
    return AccountLock(failures=row.failures, locked_until=row.locked_until if row.locked_until and row.locked_until > now
                       else None)


def unlock_account(session: Session, *, username: str) -> bool:
    """An administrator lifts the account's lock and its count of failures; whether there was one.
    The lock of a client address stays (it guards against guessing across accounts)."""
    key = AttemptKeys.of(username=username, address=None).account
    return bool(session.execute(delete(LoginThrottle).where(LoginThrottle.key == key)).rowcount)
