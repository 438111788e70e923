"""Idempotent consumers: the effect and the inbox row are written in one transaction; the inbox
row counts the deliveries of its event, so redeliveries are visible.

Messages arrive in batches (prefetch); a fresh batch is one transaction, redone with a savepoint per
message when a handler fails, so a duplicate or a failing handler does not undo its neighbours.
After commit the batch is acked.

* A handler that raises: the message goes to ``<queue>.delay.<n>``, a queue whose TTL returns it
  to ``<queue>`` later (the broker waits, not this thread, so healthy traffic flows past), and
  after ``consumer_max_attempts`` tries to ``<queue>.dead``.
* A message that cannot be handled at all (malformed, or an event name or version the handler is
  not bound to) goes to ``<queue>.dead`` at once. Unknown envelope fields are ignored.
* A consumer that dies (crash, OOM kill) returns its whole batch. Redelivered messages are therefore
  handled one at a time, each counting its attempt in ``consumer_attempts`` (committed first), so
  only the message that kills the consumer reaches the limit and is dead-lettered; the broker's own
  delivery limit is a far backstop.
* A database outage acks nothing: the broker redelivers once the worker reconnects.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Mapping

from kombu import Consumer, Exchange
from marshmallow import Schema, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.kit.db import Database, utcnow
from services.kit.logging import correlation_scope
from services.kit.messaging.envelope import Envelope
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, dead_letter_exchange, declare, delay_queue_name
from services.kit.settings import ServiceSettings
from services.kit.uow import UnitOfWork

log = logging.getLogger("caredesk.consumer")

ATTEMPTS_HEADER = "x-caredesk-attempts"  # failed tries so far, carried through the delay queues
# The original headers a dead letter keeps must leave room in one AMQP frame (RabbitMQ's frame_max
# is 128 KiB) for ours; past this they are dropped so the dead letter can always be published.
MAX_KEPT_HEADER_BYTES = 64 * 1024
MIN_BACKOFF, MAX_BACKOFF = 0.5, 5.0  # seconds between reconnection attempts


ORIGINAL_ROUTING_KEY_HEADER = "x-caredesk-original-routing-key"


def _original_routing_key(message) -> str:
    """The event's routing key, also once the message came back from a delay queue (which routes
    it by the queue's name)."""
    return (message.headers or {}).get(ORIGINAL_ROUTING_KEY_HEADER) or message.delivery_info.get("routing_key", "")


class PermanentFailure(Exception):
    """The message can never be handled (malformed, unknown version): dead-letter it at once."""


@dataclass(frozen=True)
class EventHandler:
    """A reaction to events: ``handle(uow, envelope)`` runs inside the consumer's transaction.

    ``reads`` is the schema of just the fields of ``data`` the handler reads (a
    services.kit.contracts.Reads), one for every bound event or one per event name;
    tests/unit/test_event_contracts.py holds it against each producer's declared payload."""

    name: str
    events: list[str]
    handle: Callable[[UnitOfWork, Envelope], None]
    reads: type[Schema] | Mapping[str, type[Schema]] | None = None
    # Optional, set-based: ``handle_many(uow, envelopes)`` applies several events (in arrival order)
    # with as few statements as it can, with exactly the effect of ``handle`` applied to each in
    # turn, and emits no events. The consumer uses it for a fresh batch; a batch that fails, and
    # redelivered messages, go through ``handle`` one at a time (where a failure is isolated).
    # Give both from one implementation (``handle = lambda uow, e: handle_many(uow, [e])``).
    handle_many: Callable[[UnitOfWork, list[Envelope]], None] | None = None

    def reads_of(self, event: str) -> type[Schema] | None:
        """The read schema for ``event`` (None: not declared)."""
        if isinstance(self.reads, Mapping):
            return self.reads.get(event)
        return self.reads


@dataclass
class Delivery:
    handler: EventHandler
    queue: str
    message: object
    outcome: str = "pending"  # done, duplicate, retry, dead
    reason: str = ""
    attempts: int = 1
    envelope: Envelope | None = None


class ConsumerWorker:
    def __init__(self, database: Database, settings: ServiceSettings, handlers: list[EventHandler]) -> None:
        self.database = database
        self.settings = settings
        self.handlers = handlers
        self._buffer: list[Delivery] = []
        self._consuming_since: float | None = None

    # -- applying deliveries -----------------------------------------------------------------
    @staticmethod
    def _envelope(delivery: Delivery) -> Envelope | None:
        """The validated envelope, or None with the delivery marked for the dead-letter queue."""
        if delivery.envelope is None:
            try:
                envelope = Envelope.from_dict(delivery.message.decode())
            except (ValidationError, ValueError, TypeError) as exc:
                delivery.outcome, delivery.reason = "dead", f"malformed envelope: {exc}"
                return None
            if envelope.name not in delivery.handler.events:
                delivery.outcome, delivery.reason = "dead", (
                    f"{envelope.name} is not an event {delivery.handler.name} takes "
                    f"({', '.join(delivery.handler.events)})")
                return None
            delivery.envelope = envelope
        return delivery.envelope

    def _handle(self, session: Session, delivery: Delivery) -> None:
        envelope = delivery.envelope
        uow = UnitOfWork.joined(self.database, session, producer=self.settings.service,
                                actor=envelope.actor, correlation_id=envelope.correlation_id,
                                causation_id=str(envelope.id))
        with correlation_scope(envelope.correlation_id):
            delivery.handler.handle(uow, envelope)
            uow.flush_events()

    def _handle_many(self, session: Session, handler: EventHandler, deliveries: list[Delivery]) -> None:
        """Deliveries of one set-based handler applied together (the batch's fast path)."""
        first = deliveries[0].envelope
        uow = UnitOfWork.joined(self.database, session, producer=self.settings.service, actor=first.actor,
                                correlation_id=first.correlation_id, causation_id=str(first.id))
        with correlation_scope(first.correlation_id):
            handler.handle_many(uow, [delivery.envelope for delivery in deliveries])
            if uow.flush_events():
                # each event needs its own causation: redone one by one through ``handle``
                raise RuntimeError(f"{handler.name}.handle_many emitted events; a set-based handler may not")

    def _apply(self, session: Session, delivery: Delivery) -> None:
        """Inbox row then effect, in a savepoint of ``session``; sets the delivery's outcome."""
        if self._envelope(delivery) is None:
            return
        savepoint = session.begin_nested()
        if not self._record_deliveries(session, [delivery]):
            # handled before, or by another consumer of the same queue just now: keep the count
            savepoint.commit()
            delivery.outcome = "duplicate"
            return
        try:
            self._handle(session, delivery)
            savepoint.commit()
            delivery.outcome = "done"
        except OperationalError:
            raise
        except (PermanentFailure, ValidationError) as exc:
            savepoint.rollback()
            delivery.outcome, delivery.reason = "dead", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a handler bug must not stop the queue
            savepoint.rollback()
            delivery.outcome, delivery.reason = "retry", "".join(
                traceback.format_exception_only(type(exc), exc)).strip()

    def _record_deliveries(self, session: Session, deliveries: list[Delivery]) -> set[tuple]:
        """Count each delivery in the inbox with one INSERT … ON CONFLICT DO UPDATE … RETURNING;
        returns the (event id, handler) keys seen for the first time, which are the ones to apply."""
        counts = Counter((d.envelope.id, d.handler.name) for d in deliveries)
        now = utcnow()
        rows = session.execute(self._count_delivery, [
            {"event_id": event_id, "handler": handler, "handled_at": now, "deliveries": count}
            for (event_id, handler), count in counts.items()])
        return {(row.event_id, row.handler) for row in rows if row.deliveries == counts[(row.event_id, row.handler)]}

    @functools.cached_property
    def _count_delivery(self):
        """The inbox's counting upsert, built once: executed with a list of rows it goes out as
        multi-row INSERTs from one cached compiled form (SQLAlchemy's insertmanyvalues)."""
        inbox = self.database.inbox
        dialect_insert = pg_insert if self.database.is_postgresql else sqlite_insert
        statement = dialect_insert(inbox)
        return statement.on_conflict_do_update(
            index_elements=[inbox.c.event_id, inbox.c.handler],
            set_={"deliveries": inbox.c.deliveries + statement.excluded.deliveries},
        ).returning(inbox.c.event_id, inbox.c.handler, inbox.c.deliveries)

    def _apply_batch(self, deliveries: list[Delivery]) -> bool:
        """The fast path: every inbox row in one statement, every handler in one transaction, no
        savepoints. Returns False (having changed nothing) when a handler fails, so the batch can be
        redone message by message."""
        fresh = [d for d in deliveries if d.outcome == "pending" and self._envelope(d) is not None]
        if not fresh:
            return True
        try:
            with self.database.session() as session, session.begin():
                new = self._record_deliveries(session, fresh)
                handled = set()
                together: dict[str, list[Delivery]] = {}
                for delivery in fresh:
                    key = (delivery.envelope.id, delivery.handler.name)
                    if key in new and key not in handled:
                        handled.add(key)
                        if delivery.handler.handle_many is not None:
                            together.setdefault(delivery.handler.name, []).append(delivery)
                        else:
                            self._handle(session, delivery)
                # handlers are independent of one another (one queue each): each set-based one
                # applies its deliveries, in arrival order, at once
                for group in together.values():
                    self._handle_many(session, group[0].handler, group)
        except OperationalError:
            raise
        except Exception:  # noqa: BLE001 - rolled back whole; redone one by one, where it is isolated
            return False
        for delivery in fresh:
            key = (delivery.envelope.id, delivery.handler.name)
            if key in handled:
                handled.discard(key)
                delivery.outcome = "done"
            else:
                delivery.outcome = "duplicate"
        return True

    def process(self, deliveries: list[Delivery]) -> None:
        """Apply a batch, then ack; send failures to their delay or dead-letter queue."""
        redelivered = [d for d in deliveries if d.message.delivery_info.get("redelivered")]
        fresh = [d for d in deliveries if d not in redelivered]
        if not self._apply_batch(fresh):
            with self.database.session() as session, session.begin():
                for delivery in fresh:
                    if delivery.outcome == "pending":
                        self._apply(session, delivery)
        self._settle(fresh)
        for delivery in redelivered:
            self._apply_counting_attempts(delivery)
            self._settle([delivery])

    def _settle(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.outcome in ("done", "duplicate"):
                delivery.message.ack()
        for delivery in deliveries:
            if delivery.outcome == "retry":
                self._retry_later(delivery)
            elif delivery.outcome == "dead":
                self.dead_letter(delivery)

    def _apply_counting_attempts(self, delivery: Delivery) -> None:
        """A redelivered message, alone: count the attempt (committed before the handler runs, so
        it survives a crash inside it), refuse it past the limit, apply it, forget the count.
        One already applied (its batch died before the ack) is only counted in the inbox."""
        if delivery.outcome != "pending" or self._envelope(delivery) is None:
            return
        attempts_table, inbox = self.database.consumer_attempts, self.database.inbox
        key = {"event_id": delivery.envelope.id, "handler": delivery.handler.name}
        with self.database.session() as session, session.begin():
            if session.execute(select(inbox.c.event_id).where(
                    inbox.c.event_id == key["event_id"], inbox.c.handler == key["handler"])).first():
                self._record_deliveries(session, [delivery])
                delivery.outcome = "duplicate"
                return
            dialect_insert = pg_insert if self.database.is_postgresql else sqlite_insert
            statement = dialect_insert(attempts_table).values(**key, attempts=1, last_attempt_at=utcnow())
            statement = statement.on_conflict_do_update(
                index_elements=[attempts_table.c.event_id, attempts_table.c.handler],
                set_={"attempts": attempts_table.c.attempts + 1, "last_attempt_at": utcnow()},
            ).returning(attempts_table.c.attempts)
            attempts = session.execute(statement).scalar_one()
        forget = delete(attempts_table).where(attempts_table.c.event_id == key["event_id"],
                                              attempts_table.c.handler == key["handler"])
        with self.database.session() as session, session.begin():
            if attempts > self.settings.consumer_max_attempts:
                delivery.outcome, delivery.attempts = "dead", attempts - 1
                delivery.reason = f"the consumer stopped {attempts - 1} times while handling it (crash or kill)"
            else:
                self._apply(session, delivery)
            session.execute(forget)

    def _retry_later(self, delivery: Delivery) -> None:
        """Through ``<queue>.delay.<n>``, whose TTL sends it back to the queue; dead past the limit."""
        message = delivery.message
        failed = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        delivery.attempts = failed
        if failed >= self.settings.consumer_max_attempts:
            delivery.outcome = "dead"
            delivery.reason = f"failed {failed} times; last: {delivery.reason}"
            self.dead_letter(delivery)
            return
        log.warning("a message of %s failed (try %d of %d), retrying later: %s", delivery.queue, failed,
                    self.settings.consumer_max_attempts, delivery.reason.splitlines()[0])
        self._republish(delivery, routing_key=delay_queue_name(delivery.queue, failed), exchange=Exchange(""),
                        headers={**(message.headers or {}), ATTEMPTS_HEADER: failed,
                                 ORIGINAL_ROUTING_KEY_HEADER: _original_routing_key(message)})
        message.ack()

    def dead_letter(self, delivery: Delivery) -> None:
        """Move the message to ``<queue>.dead`` with why it died, then ack the original."""
        message = delivery.message
        ours = {
            ATTEMPTS_HEADER: delivery.attempts,
            "x-caredesk-failed-queue": delivery.queue,
            "x-caredesk-reason": delivery.reason[:2000],
            ORIGINAL_ROUTING_KEY_HEADER: _original_routing_key(message),
            "x-caredesk-dead-at": utcnow().isoformat(),
        }
        kept = dict(message.headers or {})
        kept_size = len(json.dumps(kept, default=str))
        if kept_size > MAX_KEPT_HEADER_BYTES:
            kept = {"x-caredesk-headers-dropped": kept_size}
        log.error("dead-lettered a message of %s: %s", delivery.queue, delivery.reason.splitlines()[0])
        self._republish(delivery, routing_key=delivery.queue, exchange=dead_letter_exchange(self.settings),
                        headers={**kept, **ours})
        message.ack()

    def _republish(self, delivery: Delivery, *, routing_key: str, exchange: Exchange, headers: dict) -> None:
        """The message's own bytes, again, to ``exchange`` (a delay queue or the dead letters)."""
        if self._republisher is None:
            self._republisher = BatchPublisher(self._connection, Exchange(""))
        message = delivery.message
        self._republisher.publish([OutgoingMessage(
            routing_key=routing_key, body=message.body, message_id=message.properties.get("message_id") or "",
            correlation_id=message.properties.get("correlation_id"), headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
        )], exchange=exchange)

    # -- the loop ----------------------------------------------------------------------------
    def _on_message(self, handler: EventHandler, queue: str):
        def receive(_body, message):
            self._buffer.append(Delivery(handler=handler, queue=queue, message=message))
        return receive

    def _on_undecodable(self, handler: EventHandler, queue: str):
        def refuse(message, exc):
            self._buffer.append(Delivery(handler=handler, queue=queue, message=message, outcome="dead",
                                         reason=f"undecodable body: {exc}"))
        return refuse

    def consume(self, stop: threading.Event, *, idle_timeout: float = 1.0) -> None:
        """Consume until ``stop`` is set; one connection, one channel, one queue per handler."""
        self._connection = connect(self.settings, heartbeat=self.settings.consumer_heartbeat_seconds)
        self._republisher = None
        try:
            self._connection.ensure_connection(max_retries=1)
            queues = declare(self._connection, self.settings, self.handlers)
            channel = self._connection.channel()
            channel.basic_qos(0, self.settings.consumer_prefetch, False)
            consumers = [
                Consumer(channel, queues=[queue], callbacks=[self._on_message(handler, queue.name)],
                         on_decode_error=self._on_undecodable(handler, queue.name),
                         accept=["json"], auto_declare=False, no_ack=False)
                for handler, queue in zip(self.handlers, queues)
            ]
            for consumer in consumers:
                consumer.consume()
            self._consuming_since = time.monotonic()
            while not stop.is_set():
                self._drain_batch(idle_timeout)
                if self._buffer:
                    batch, self._buffer = self._buffer, []
                    self.process(batch)
        finally:
            self._buffer = []
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - already broken
                pass

    def _drain_batch(self, idle_timeout: float) -> None:
        self._connection.heartbeat_check()
        try:
            self._connection.drain_events(timeout=idle_timeout)
        except TimeoutError:
            return
        while len(self._buffer) < self.settings.consumer_prefetch:
            try:
                self._connection.drain_events(timeout=0.002)
            except TimeoutError:
                return

    def run(self, stop: threading.Event) -> None:
        """Consume forever, reconnecting after broker or database outages (nothing acked is lost)."""
        backoff = MIN_BACKOFF
        while not stop.is_set():
            self._consuming_since = None
            try:
                self.consume(stop)
            except Exception as exc:  # noqa: BLE001 - outage: reconnect; unacked messages come back
                # A new outage after a good spell starts from a short wait again; one that breaks
                # every attempt at once (a database down) keeps backing off.
                if self._consuming_since is not None and time.monotonic() - self._consuming_since > MAX_BACKOFF:
                    backoff = MIN_BACKOFF
                log.warning("consumer paused: %s: %s", type(exc).__name__, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
