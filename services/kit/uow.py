"""Unit of work: one transaction holding the change, its history and its outbox rows.

Aggregates record events with :meth:`RecordsEvents.record_event`; the unit of work collects them
on commit and writes them to the outbox in the same transaction, so an event exists exactly when
its change does. Each event is checked against its producer's declaration first
(services.kit.contracts): an undeclared event or a payload off its schema raises
EventContractBroken and the transaction is rolled back. Nothing is published here: the relay does
that after commit.
"""
from __future__ import annotations

import json
import uuid
from typing import Callable

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from services.kit.contracts import check_event
from services.kit.db import Database, utcnow
from services.kit.messaging.envelope import Envelope, split_event_name, to_jsonable
from services.kit.problems import EventTooLarge

# The largest event envelope (JSON, bytes) a unit of work writes to its outbox: well under the
# broker's message limit (RabbitMQ 3.10's max_message_size: 128 MiB), so the relay can always
# publish what was committed. Settings: CAREDESK_MAX_EVENT_BYTES.
MAX_EVENT_BYTES = 4 * 1024 * 1024


class RecordsEvents:
    """Mixin for mapped classes: events recorded by domain methods, drained by the unit of work."""

    def record_event(self, name: str, data: dict) -> None:
        self.__dict__.setdefault("_pending_events", []).append((name, data))

    def drain_events(self) -> list[tuple[str, dict]]:
        return self.__dict__.pop("_pending_events", [])


class UnitOfWork:
    """``with uow: ...; uow.commit()`` — rolls back unless committed.

    ``actor`` and ``correlation_id`` come from the request (or the event being handled) and go
    into every envelope written by this unit of work.
    """

    def __init__(self, database: Database, *, producer: str,
                 actor: str | None = None, correlation_id: str | None = None,
                 causation_id: str | None = None, max_event_bytes: int = MAX_EVENT_BYTES,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.database = database
        self.producer = producer
        self.actor = actor
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self.causation_id = causation_id
        self.max_event_bytes = max_event_bytes
        self.on_commit = on_commit
        self.session: Session | None = None
        self._emitted: list[tuple[str, dict]] = []

    @classmethod
    def joined(cls, database: Database, session: Session, **context) -> "UnitOfWork":
        """A unit of work inside a transaction someone else commits (a consumer's batch)."""
        uow = cls(database, **context)
        uow.session = session
        return uow

    def __enter__(self) -> "UnitOfWork":
        self.session = self.database.session()
        self._emitted = []
        self._committed = False
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        assert self.session is not None
        if exc_type is not None or not self._committed:
            self.session.rollback()
        # close() ends any read begun after commit without expiring what the caller will dump
        self.session.close()
        self.session = None

    def emit(self, name: str, data: dict) -> None:
        """Record an event that is not about one loaded aggregate (e.g. a bulk operation)."""
        self._emitted.append((name, data))

    def _collect(self) -> list[tuple[str, dict]]:
        assert self.session is not None
        collected = list(self._emitted)
        self._emitted = []
        seen: set[int] = set()
        for obj in list(self.session.new) + list(self.session.identity_map.values()):
            if id(obj) in seen or not isinstance(obj, RecordsEvents):
                continue
            seen.add(id(obj))
            collected.extend(obj.drain_events())
        return collected

    def flush_events(self) -> list[Envelope]:
        """Write pending events to the outbox (inside the open transaction)."""
        assert self.session is not None
        self.session.flush()
        envelopes, bodies = [], []
        for name, data in self._collect():
            event_type, version = split_event_name(name)
            data = to_jsonable(data)
            check_event(name, data, producer=self.producer)
            envelopes.append(Envelope(
                type=event_type, version=version, producer=self.producer, data=data,
                correlation_id=self.correlation_id, causation_id=self.causation_id, actor=self.actor,
            ))
        for envelope in envelopes:
            body = envelope.to_dict()  # once: the size check and the outbox row share it
            size = len(json.dumps(body, default=str).encode())
            if size > self.max_event_bytes:
                raise EventTooLarge(f"This change would announce an event of {size} bytes ({envelope.routing_key}); "
                                    f"the limit is {self.max_event_bytes}. Make it smaller (fewer items at once).",
                                    event=envelope.routing_key, size=size, limit=self.max_event_bytes)
            bodies.append(body)
        if envelopes:
            write_outbox(self.session, self.database.outbox, envelopes, bodies=bodies)
        return envelopes

    def commit(self) -> None:
        assert self.session is not None
        self.flush_events()
        self.session.commit()
        self._committed = True
        if self.on_commit is not None:
            self.on_commit()


# One INSERT statement per outbox table, built once: its compiled form and cache key are reused.
# Inline: nobody reads back a row's position, so no RETURNING (nor a sequence fetched first).
_OUTBOX_INSERTS: dict[Table, object] = {}


def write_outbox(session: Session, outbox: Table, envelopes: list[Envelope], *,
                 bodies: list[dict] | None = None) -> None:
    """The envelopes' outbox rows (``bodies``: their ``to_dict()``, when the caller has them),
    written on the session's connection: a plain table needs none of the ORM's execute path
    (nor its autoflush)."""
    statement = _OUTBOX_INSERTS.get(outbox)
    if statement is None:
        statement = _OUTBOX_INSERTS[outbox] = insert(outbox).inline()
    now = utcnow()
    bodies = bodies if bodies is not None else [e.to_dict() for e in envelopes]
    session.connection().execute(statement, [
        {"event_id": e.id, "routing_key": e.routing_key, "envelope": body, "created_at": now}
        for e, body in zip(envelopes, bodies)
    ])
