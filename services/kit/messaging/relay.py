"""The outbox relay: publishes committed events and marks them sent only after the broker has them.

A crash between publish and mark-sent republishes the batch; consumers drop the duplicates by
event id. On PostgreSQL several relays may run: ``FOR UPDATE SKIP LOCKED`` gives each its own rows.
Events are published ``mandatory``: one that no queue is bound to comes back, is logged as an error
(once per routing key) and kept in ``<exchange>.unroutable`` (the latest 10,000), so a missing
binding is seen, and only then marked sent.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace

from kombu import Exchange
from sqlalchemy import BigInteger, Text, any_, bindparam, cast, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from services.kit.db import Database, utcnow
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, events_exchange, unroutable_queue
from services.kit.settings import ServiceSettings

log = logging.getLogger("caredesk.relay")

# The outbox is a queue: its rows change far faster than its statistics, so the planner's guesses
# about it are stale (this transaction's plans may also be kept: psycopg prepares a statement on the
# server after a few executions, and PostgreSQL keeps a generic plan until the table is analyzed
# again). A relay that started on an empty outbox planned for an empty table, a scan and a sort of
# every row, and kept doing that while a bulk job filled the outbox with a million events: seconds a
# batch. Each of the relay's statements has one right plan at every size (the unsent rows' index
# in position order; the primary key for the rows it took), so its transactions rule out the others.
INDEXED_PLANS_ONLY = text("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)")


class OutboxRelay:
    def __init__(self, database: Database, settings: ServiceSettings) -> None:
        self.database = database
        self.settings = settings
        self._connection = None
        self._publisher: BatchPublisher | None = None
        self._unroutable = unroutable_queue(settings)
        self._unroutable_seen: set[str] = set()
        outbox = database.outbox
        # The envelope as the JSON text it was stored as, sent as it is (no decoding and encoding
        # again here); its correlation id read by the database.
        self._take = (select(outbox.c.position, outbox.c.event_id, outbox.c.routing_key,
                             cast(outbox.c.envelope, Text).label("body"),
                             outbox.c.envelope["correlation_id"].as_string().label("correlation_id"))
                      .where(outbox.c.sent_at.is_(None))
                      .order_by(outbox.c.position)
                      .limit(settings.relay_batch_size))
        if database.is_postgresql:
            self._take = self._take.with_for_update(skip_locked=True)
            # one array parameter rather than a placeholder per row, each parsed again every batch
            taken = outbox.c.position == any_(bindparam("positions", type_=ARRAY(BigInteger)))
        else:
            taken = outbox.c.position.in_(bindparam("positions", expanding=True))
        self._mark_sent = update(outbox).where(taken)

    def _ensure_publisher(self) -> BatchPublisher:
        if self._publisher is None:
            self._connection = connect(self.settings)
            self._connection.ensure_connection(max_retries=1)
            self._publisher = BatchPublisher(self._connection, events_exchange(self.settings))
        return self._publisher

    def _drop_connection(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - the connection is already broken
                pass
        self._publisher = None
        self._connection = None

    def _park_unroutable(self, publisher: BatchPublisher) -> None:
        returned = publisher.returned
        for message in returned:
            if message.routing_key not in self._unroutable_seen:  # once per routing key and process
                self._unroutable_seen.add(message.routing_key)
                log.error("unroutable event: no queue is bound to %s (event %s); the latest are kept in %s",
                          message.routing_key, message.message_id, self._unroutable.name)
        self._unroutable(publisher.channel).declare()
        publisher.publish([
            replace(message, routing_key=self._unroutable.name,
                    headers={**message.headers, "x-caredesk-original-routing-key": message.routing_key})
            for message in returned], exchange=Exchange(""))

    def relay_once(self) -> int:
        """Publish one batch of unsent outbox rows; return how many were published."""
        with self.database.engine.connect() as conn, conn.begin():
            if self.database.is_postgresql:
                conn.execute(INDEXED_PLANS_ONLY)
            rows = conn.execute(self._take).all()
            if not rows:
                return 0
            publisher = self._ensure_publisher()
            publisher.publish([
                OutgoingMessage(routing_key=row.routing_key, body=row.body.encode(), message_id=str(row.event_id),
                                correlation_id=row.correlation_id, content_type="application/json",
                                content_encoding="utf-8")
                for row in rows
            ], mandatory=True)
            if publisher.returned:
                self._park_unroutable(publisher)
            conn.execute(self._mark_sent, {"positions": [row.position for row in rows], "sent_at": utcnow()})
        log.debug("relayed %d events", len(rows))
        return len(rows)

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set; outages of the broker or the database only delay."""
        backoff = 0.5
        while not stop.is_set():
            try:
                published = self.relay_once()
                backoff = 0.5
                if published < self.settings.relay_batch_size:
                    stop.wait(self.settings.relay_poll_seconds)
            except Exception as exc:  # noqa: BLE001 - any outage: drop the connection, wait, retry
                log.warning("relay paused: %s: %s", type(exc).__name__, exc)
                self._drop_connection()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self._drop_connection()
