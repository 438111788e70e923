"""Recording and sending deliveries: never lost, never sent twice for an event, recipient and channel.

The rule for "never twice" (docs/notifications.md has the figures):
1. A handler records the delivery in the transaction that writes the event's inbox row; the
   unique key (event, channel, recipient) refuses a second row for a redelivered event.
2. A send task first *claims* its rows (pending -> sending, claim token, ``claimed_until``; one
   statement for a whole batch) and commits: two tasks for the same row cannot both claim it.
3. The provider is called with the delivery's stable id (SMTP Message-ID, HTTP Idempotency-Key).
4. Its answer and message id are committed at once (sending -> sent), guarded by the claim token:
   one autocommitted UPDATE per message, also inside a batch.

A worker that dies between 3 and 4 leaves a claim that expires; the delivery is then sent again
with the same Message-ID / Idempotency-Key. That gap — from the provider accepting the message to
the commit of step 4, one UPDATE on an open connection — is the only double-send window.
"""
from __future__ import annotations

import logging
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY, Principal
from services.kit.db import Database, utcnow
from services.kit.problems import Conflict, Forbidden, NotFound
from services.kit.uow import UnitOfWork
from services.notifications.deliveries.channels import (
    HttpMessagingProvider, MailboxLoginRefused, MailboxUnavailable, OutgoingMessage, PermanentFailure, SmtpAccount,
    SmtpMailer, TemporaryFailure,
)
from services.notifications.deliveries.models import EMAIL, FAILED, PENDING, SENDING, SENT, Delivery

log = logging.getLogger("caredesk.notifications.deliveries")

MAX_BACKOFF_SECONDS = 3600.0
LOST_TASK_SECONDS = 300.0  # a pending row enqueued this long ago without a try is enqueued again


@dataclass
class Channels:
    """The ways out, and the mailbox a delivery is sent from (the system's, or a user's own)."""

    mailer: SmtpMailer
    provider: HttpMessagingProvider
    system_account: SmtpAccount
    account_of: Callable[[uuid.UUID], SmtpAccount] | None = None
    # told of every delivery that fails for good (e.g. a reminder's sender mailbox: seed 001)
    on_failed: Callable[[Delivery, str], None] | None = None

    def account_for(self, delivery: Delivery) -> SmtpAccount | None:
        """The mailbox an e-mail leaves from (None for the other channels), read from the database
        at each send task, so an account fixed after a failure is the one an administrator's
        retry uses."""
        if delivery.channel != EMAIL:
            return None
        account = self.system_account
        if delivery.sender_account_id is not None and self.account_of is not None:
            account = self.account_of(delivery.sender_account_id)
        if not account.host:
            raise TemporaryFailure("no SMTP server is configured for this mailbox")
        return account

    def send(self, delivery: Delivery, account: SmtpAccount | None) -> tuple[str, str]:
        message = OutgoingMessage(
            delivery_id=str(delivery.id), message_id=delivery.message_id, channel=delivery.channel,
            address=delivery.address, subject=delivery.subject, body_text=delivery.body_text,
            body_html=delivery.body_html, calendar=delivery.calendar,
            calendar_method=_calendar_method(delivery.calendar))
        if delivery.channel != EMAIL:
            return self.provider.send(message)
        return self.mailer.send(message, account)


def _calendar_method(calendar: str | None) -> str:
    return "CANCEL" if calendar and "METHOD:CANCEL" in calendar else "REQUEST"


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    backoff_seconds: float
    claim_seconds: float

    def backoff(self, attempts: int) -> float:
        """Exponential with ±25 % jitter, so retries of a burst do not arrive together."""
        delay = min(self.backoff_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
        return delay * random.uniform(0.75, 1.25)


@dataclass(frozen=True)
class Outcome:
    """What a send attempt came to: ``sent``, ``retry`` (in ``retry_in`` s), ``busy`` (another
    worker holds the claim), ``failed`` or ``done`` (nothing left to do)."""

    status: str
    retry_in: float | None = None


def record_delivery(session: Session, **values) -> bool:
    """Insert a pending delivery unless the event already has one for this recipient and channel.
    Runs inside the caller's transaction (a handler's, with its inbox row). Returns whether new."""
    table = Delivery.__table__
    now = utcnow()
    row = {"id": uuid.uuid4(), "status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
           "updated_at": now, "body_html": None, "calendar": None, "sender_account_id": None} | values
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(insert(table).values(**row).on_conflict_do_nothing(
        index_elements=[table.c.event_id, table.c.channel, table.c.recipient_kind, table.c.recipient]))
    return inserted.rowcount == 1


def _claim(database: Database, delivery_ids: list[uuid.UUID], policy: Policy) -> tuple[list[Delivery], str]:
    """Take the rows for one send task (pending and due, or a claim whose worker is gone) in one
    ``UPDATE … RETURNING``, committed before anything leaves: a second task for the same rows finds
    them taken."""
    now = utcnow()
    token = uuid.uuid4().hex
    with database.session() as session, session.begin():
        claimed = session.scalars(
            update(Delivery).where(
                Delivery.id.in_(delivery_ids),
                or_(and_(Delivery.status == PENDING, Delivery.next_attempt_at <= now),
                    and_(Delivery.status == SENDING, Delivery.claimed_until < now)))
            .values(status=SENDING, claim_token=token, claimed_until=now + timedelta(seconds=policy.claim_seconds),
                    attempts=Delivery.attempts + 1, updated_at=now)
            .returning(Delivery), execution_options={"synchronize_session": False}).all()
        session.expunge_all()
    return claimed, token


_DELIVERIES = Delivery.__table__
# One statement, compiled once: the record of a sent message, guarded by the claim token.
_RECORD_SENT = update(_DELIVERIES).where(
    _DELIVERIES.c.id == bindparam("delivery_id"), _DELIVERIES.c.claim_token == bindparam("token")).values(
    status=SENT, provider_message_id=bindparam("provider_id"), provider_answer=bindparam("answer"),
    sent_at=bindparam("at"), updated_at=bindparam("at"), claimed_until=None, last_error=None)


@contextmanager
def _recorder(database: Database) -> Iterator[Callable[[dict], None]]:
    """``record(values)`` commits one sent message. On PostgreSQL an autocommitted UPDATE: one round
    trip with its commit, where BEGIN, UPDATE, COMMIT take three."""
    if database.is_postgresql:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield lambda values: connection.execute(_RECORD_SENT, values)
        return
    with database.engine.connect() as connection:
        def record(values: dict) -> None:
            connection.execute(_RECORD_SENT, values)
            connection.commit()
        yield record


def send_delivery(database: Database, channels: Channels, delivery_id: uuid.UUID, *, policy: Policy) -> Outcome:
    """Claim, send, record: the send step of one delivery (Celery task ``notifications.send_*``)."""
    return send_deliveries(database, channels, [delivery_id], policy=policy)[delivery_id]


def send_deliveries(database: Database, channels: Channels, delivery_ids: list[uuid.UUID], *, policy: Policy,
                    pace: Callable[[str], None] | None = None) -> dict[uuid.UUID, Outcome]:
    """Claim a batch in one statement, send it over one connection per sender mailbox, and record
    each message as soon as the provider took it (Celery task ``notifications.send_deliveries``).

    The claim is shared, the record is not: one autocommitted UPDATE per message sent, so a worker
    killed mid-batch leaves every earlier message recorded and the window for a second copy stays
    the one of a single send. A message is not started when the claim could run out during it
    (another worker could then take the row over); it is put back at once. ``pace(channel)`` waits
    for the channel's rate limit before each message."""
    delivery_ids = list(dict.fromkeys(delivery_ids))
    claimed, token = _claim(database, delivery_ids, policy)
    outcomes = {}
    if claimed:
        # a send may take up to the mailer's timeout: start none that could outlast the claim
        last_start = time.monotonic() + policy.claim_seconds - min(channels.mailer.timeout, policy.claim_seconds / 2)
        by_sender: dict[tuple, list[Delivery]] = {}
        for delivery in claimed:
            by_sender.setdefault((delivery.channel, delivery.sender_account_id), []).append(delivery)
        with _recorder(database) as records:
            for deliveries in by_sender.values():
                outcomes |= _send_from_one_sender(database, channels, records, deliveries, token, policy,
                                                  pace=pace, last_start=last_start)
    missing = [delivery_id for delivery_id in delivery_ids if delivery_id not in outcomes]
    if missing:
        outcomes |= _why_not_claimed(database, missing)
    return outcomes


def _send_from_one_sender(database: Database, channels: Channels, records: Callable[[dict], None],
                          deliveries: list[Delivery], token: str, policy: Policy, *, pace,
                          last_start: float) -> dict[uuid.UUID, Outcome]:
    """One sender's messages, in order, on its one connection. A mailbox that cannot be reached or
    logged into fails the rest of its messages with the same error instead of being tried again
    for each."""
    outcomes = {}
    try:
        account = channels.account_for(deliveries[0])
    except (TemporaryFailure, PermanentFailure) as exc:
        account, unusable = None, exc
    else:
        unusable = None
    for delivery in deliveries:
        if unusable is not None:
            outcomes[delivery.id] = _failed_try(database, channels, delivery, token, policy, unusable)
            continue
        if pace is not None:
            pace(delivery.channel)
        if time.monotonic() > last_start:
            outcomes[delivery.id] = _put_back(database, delivery, token)
            continue
        try:
            provider_id, answer = channels.send(delivery, account)
        except (TemporaryFailure, PermanentFailure) as exc:
            if isinstance(exc, (MailboxUnavailable, MailboxLoginRefused)):
                unusable = exc
            outcomes[delivery.id] = _failed_try(database, channels, delivery, token, policy, exc)
            continue
        records({"delivery_id": delivery.id, "token": token, "provider_id": provider_id, "answer": answer[:2000],
                 "at": utcnow()})
        outcomes[delivery.id] = Outcome("sent")
    return outcomes


def _failed_try(database: Database, channels: Channels, delivery: Delivery, token: str, policy: Policy,
                error: Exception) -> Outcome:
    outcome = _release(database, delivery, token, policy, str(error), permanent=isinstance(error, PermanentFailure))
    if outcome.status == FAILED and channels.on_failed is not None:
        channels.on_failed(delivery, str(error))
    return outcome


def _put_back(database: Database, delivery: Delivery, token: str) -> Outcome:
    """A claimed message the batch had no time left for: pending again at once, the try not counted."""
    now = utcnow()
    with database.engine.begin() as connection:
        connection.execute(update(_DELIVERIES).where(_DELIVERIES.c.id == delivery.id,
                                                     _DELIVERIES.c.claim_token == token)
                           .values(status=PENDING, attempts=_DELIVERIES.c.attempts - 1, claim_token=None,
                                   claimed_until=None, next_attempt_at=now, updated_at=now))
    return Outcome("retry", retry_in=0.0)


def _why_not_claimed(database: Database, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, Outcome]:
    now = utcnow()
    outcomes = {delivery_id: Outcome("done") for delivery_id in delivery_ids}
    with database.session() as session:
        rows = session.execute(select(Delivery.id, Delivery.status, Delivery.claimed_until, Delivery.next_attempt_at)
                               .where(Delivery.id.in_(delivery_ids), Delivery.status.in_((PENDING, SENDING))))
        for delivery_id, status, claimed_until, next_attempt_at in rows:
            wait_until = claimed_until if status == SENDING else next_attempt_at
            outcomes[delivery_id] = Outcome("busy", retry_in=max((wait_until - now).total_seconds(), 0.0) + 0.05)
    return outcomes


def _release(database: Database, delivery: Delivery, token: str, policy: Policy, error: str, *,
             permanent: bool) -> Outcome:
    """After a failed try: back to pending at the backoff's time, or failed for good."""
    now = utcnow()
    give_up = permanent or delivery.attempts >= policy.max_attempts
    delay = policy.backoff(delivery.attempts)
    values = dict(claim_token=None, claimed_until=None, last_error=error[:2000], updated_at=now)
    if give_up:
        values.update(status=FAILED)
    else:
        values.update(status=PENDING, next_attempt_at=now + timedelta(seconds=delay),
                      enqueued_at=now + timedelta(seconds=delay))
    with database.engine.begin() as connection:
        connection.execute(update(_DELIVERIES).where(
            _DELIVERIES.c.id == delivery.id, _DELIVERIES.c.claim_token == token).values(**values))
    if give_up:
        log.error("delivery %s failed after %d attempt(s): %s", delivery.id, delivery.attempts, error)
        return Outcome("failed")
    log.warning("delivery %s will be retried in %.1f s: %s", delivery.id, delay, error)
    return Outcome("retry", retry_in=delay)


def dispatch_due_deliveries(database: Database, enqueue: Callable[[str, uuid.UUID], None], *,
                            now: datetime | None = None, limit: int = 1000) -> int:
    """Hand every due delivery to a send task: new ones, retries whose task was lost, and claims
    left by a worker that died. Enqueuing twice is harmless (the claim decides), losing is not."""
    now = now or utcnow()
    forgotten = now - timedelta(seconds=LOST_TASK_SECONDS)
    not_enqueued = or_(Delivery.enqueued_at.is_(None), Delivery.enqueued_at <= forgotten)
    with database.session() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.channel).where(not_enqueued, or_(
                and_(Delivery.status == PENDING, Delivery.next_attempt_at <= now),
                and_(Delivery.status == SENDING, Delivery.claimed_until < now)))
            .order_by(Delivery.next_attempt_at).limit(limit)).all()
    for delivery_id, channel in rows:
        enqueue(channel, delivery_id)
    if rows:  # a crash before this line only enqueues them again next time
        with database.engine.begin() as connection:
            connection.execute(update(Delivery.__table__).where(Delivery.__table__.c.id.in_([r[0] for r in rows]))
                               .values(enqueued_at=now))
    return len(rows)


def retry_failed_delivery(uow: UnitOfWork, *, principal: Principal, delivery_id: uuid.UUID) -> Delivery:
    """An administrator's retry (level 1): the failed delivery gets a fresh set of attempts and is
    pending at once. Anything but a failed delivery is a conflict."""
    if principal.level != COMPANY:
        raise Forbidden("Only an administrator (level 1) retries deliveries.")
    with uow:
        delivery = uow.session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())
        if delivery is None:
            raise NotFound("No such delivery.")
        if delivery.status != FAILED:
            raise Conflict(f"Only a failed delivery is retried; this one is {delivery.status}.")
        now = utcnow()
        delivery.status, delivery.attempts, delivery.next_attempt_at = PENDING, 0, now
        delivery.enqueued_at, delivery.last_error, delivery.updated_at = None, None, now
        uow.commit()
        log.info("delivery %s retried by %s", delivery_id, principal.user_id)
        return delivery
