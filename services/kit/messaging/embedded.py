"""The embedded broker: a kombu transport on one SQLite file shared by every local process.

kombu's own local transports lose messages: ``filesystem://`` lets a reader take a message file
while it is still being written, and every virtual transport forgets a taken message once it is
handed to the consumer (the ack lives in process memory), so a consumer killed before its commit
loses it. Here:

* a publish is one SQLite transaction: a message is in all its queues or in none, never half-written;
  a batch of publishes (``Channel.publishing_batch``, the relay's) is one transaction for all of them;
* taking a message marks it with the taker's token instead of removing it; the ack deletes it, a
  requeue or a clean close gives it back;
* each taker holds an exclusive ``flock`` on ``<broker>.takers/<token>.lock`` for as long as it
  lives. The kernel drops that lock when the process dies, however it dies (SIGKILL included), so
  any process can tell a dead taker from a slow one and give its messages back to their queues,
  with their delivery count, at once and without a timeout to tune;
* exchanges and bindings live in the file too, so a process routes by bindings another declared;
* a queue declared with ``x-message-ttl`` and dead-lettering to a queue through the default
  exchange (a retry delay queue) holds nothing itself: a message put there goes straight to that
  queue, not to be taken before its TTL has passed; one with ``x-max-length`` keeps its newest
  messages only.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import virtual

SCHEMA = """
CREATE TABLE IF NOT EXISTS exchanges (name TEXT PRIMARY KEY, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bindings (
    exchange TEXT NOT NULL, routing_key TEXT NOT NULL, pattern TEXT NOT NULL, queue TEXT NOT NULL,
    PRIMARY KEY (exchange, routing_key, pattern, queue));
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY, ttl_ms INTEGER, dead_letter_queue TEXT, max_length INTEGER);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, payload TEXT NOT NULL,
    taken_by TEXT, deliveries INTEGER NOT NULL DEFAULT 0, not_before REAL NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS ix_messages_ready ON messages (queue, taken_by, id);
"""
ORPHAN_CHECK_SECONDS = 0.5  # how often a taker looks for messages held by dead takers


class _Batch:
    """What a batch of publishes has looked up (see :meth:`Store.batch`)."""

    def __init__(self) -> None:
        self.bindings: dict[str, list[tuple[str, str, str]]] = {}
        self.queues: dict[str, tuple] = {}
        self.trim: dict[str, int] = {}  # queue -> its maximum length


class Store:
    """The SQLite file: one connection per kombu connection, each statement its own transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.takers = self.path.with_name(self.path.name + ".takers")
        self.takers.mkdir(exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # survives any process crash; WAL keeps it consistent
        self.db.executescript(SCHEMA)
        self.token: str | None = None
        self._token_fd: int | None = None
        self._orphans_checked = 0.0
        self._batch: _Batch | None = None
        self.closed = False

    # -- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def _transaction(self):
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self.token is not None:
                with self._transaction() as db:
                    db.execute("UPDATE messages SET taken_by = NULL WHERE taken_by = ?", (self.token,))
                (self.takers / f"{self.token}.lock").unlink(missing_ok=True)
                os.close(self._token_fd)
                self.token = self._token_fd = None
            self.db.close()

    # -- topology -------------------------------------------------------------------------------
    def declare_exchange(self, name: str, type_: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO exchanges (name, type) VALUES (?, ?)", (name, type_))

    def exchange_type(self, name: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT type FROM exchanges WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO bindings VALUES (?, ?, ?, ?)",
                       (exchange, routing_key or "", pattern or "", queue))

    def bindings(self, exchange: str) -> list[tuple[str, str, str]]:
        with self._lock:
            known = self._batch.bindings if self._batch is not None else {}
            if exchange not in known:
                known[exchange] = [tuple(row) for row in self.db.execute(
                    "SELECT routing_key, pattern, queue FROM bindings WHERE exchange = ?", (exchange,))]
            return known[exchange]

    def declare_queue(self, name: str, arguments: dict | None = None) -> None:
        arguments = arguments or {}
        delay = ((arguments["x-message-ttl"], arguments["x-dead-letter-routing-key"])
                 if arguments.get("x-message-ttl") and arguments.get("x-dead-letter-exchange") == ""
                 and arguments.get("x-dead-letter-routing-key") else (None, None))
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO queues (name, ttl_ms, dead_letter_queue, max_length) "
                       "VALUES (?, ?, ?, ?)", (name, *delay, arguments.get("x-max-length")))

    def has_queue(self, name: str) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM queues WHERE name = ?", (name,)).fetchone() is not None

    def delete_queue(self, name: str) -> None:
        with self._transaction() as db:
            for statement in ("DELETE FROM messages WHERE queue = ?", "DELETE FROM bindings WHERE queue = ?",
                              "DELETE FROM queues WHERE name = ?"):
                db.execute(statement, (name,))

    # -- messages -------------------------------------------------------------------------------
    @contextmanager
    def batch(self):
        """Every ``put`` inside the block is part of one transaction, committed when it ends: the whole
        batch is on disk when the block returns, or (on any failure) none of it. It holds the file's
        writer lock meanwhile, so the bindings and queues it looks up cannot change under it and are
        read once; queues with a maximum length are trimmed once, at the end."""
        with self._lock:
            if self._batch is not None:  # inside a batch already: part of it
                yield
                return
            with self._transaction() as db:
                self._batch = _Batch()
                try:
                    yield
                    for queue, max_length in self._batch.trim.items():
                        db.execute("DELETE FROM messages WHERE queue = ? AND taken_by IS NULL AND id <= "
                                   "(SELECT id FROM messages WHERE queue = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                                   (queue, queue, max_length))
                finally:
                    self._batch = None

    def put(self, queues: list[str], payload: dict) -> None:
        """One transaction (or part of the open ``batch``): the message is in every queue, or (on any
        failure) in none."""
        body = json.dumps(payload)
        with self.batch():
            batch, rows = self._batch, []
            for queue in queues:
                info = batch.queues.get(queue)
                if info is None:
                    info = batch.queues[queue] = self.db.execute(
                        "SELECT ttl_ms, dead_letter_queue, max_length FROM queues WHERE name = ?",
                        (queue,)).fetchone() or (None, None, None)
                ttl_ms, dead_letter_queue, max_length = info
                rows.append((dead_letter_queue, body, time.time() + ttl_ms / 1000) if dead_letter_queue
                             else (queue, body, 0))
                if max_length is not None:
                    batch.trim[queue] = max_length
            self.db.executemany("INSERT INTO messages (queue, payload, not_before) VALUES (?, ?, ?)", rows)

    def take(self, queue: str) -> dict:
        """The oldest ready message of ``queue``, now held by this taker until ack or release."""
        self._become_taker()
        if time.monotonic() - self._orphans_checked > ORPHAN_CHECK_SECONDS:
            self.release_orphans()
        ready = ("SELECT id, payload, deliveries FROM messages WHERE queue = ? AND taken_by IS NULL "
                 "AND not_before <= ? ORDER BY id LIMIT 1")
        with self._lock:  # an idle poll only reads: no writer lock taken from the other processes
            if self.db.execute(ready, (queue, time.time())).fetchone() is None:
                raise Empty()
        with self._transaction() as db:
            row = db.execute(ready, (queue, time.time())).fetchone()
            if row is None:
                raise Empty()
            db.execute("UPDATE messages SET taken_by = ?, deliveries = deliveries + 1 WHERE id = ?",
                       (self.token, row[0]))
        message_id, body, deliveries = row
        payload = json.loads(body)
        properties = payload["properties"]
        properties["delivery_tag"] = message_id
        if deliveries:
            # as RabbitMQ's quorum queues say it: how many times it was handed out and not settled
            properties["delivery_info"]["redelivered"] = True
            payload["headers"] = {**(payload.get("headers") or {}), "x-delivery-count": deliveries}
        return payload

    def ack(self, message_id: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM messages WHERE id = ? AND taken_by = ?", (message_id, self.token))

    def release(self, message_ids: list[int]) -> None:
        with self._transaction() as db:
            db.executemany("UPDATE messages SET taken_by = NULL WHERE id = ? AND taken_by = ?",
                           [(message_id, self.token) for message_id in message_ids])

    def ready(self, queue: str) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM messages WHERE queue = ? AND taken_by IS NULL",
                                   (queue,)).fetchone()[0]

    def purge(self, queue: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM messages WHERE queue = ? AND taken_by IS NULL", (queue,)).rowcount

    # -- takers -----------------------------------------------------------------------------------
    def _become_taker(self) -> None:
        """Hold the lock file before taking anything, so a live taker is never mistaken for a dead one."""
        if self.token is None:
            token = f"{os.getpid()}-{uuid.uuid4().hex}"
            fd = os.open(self.takers / f"{token}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.token, self._token_fd = token, fd

    def release_orphans(self) -> int:
        """Give back the messages of takers whose process is gone; returns how many."""
        self._orphans_checked = time.monotonic()
        with self._lock:
            tokens = [row[0] for row in self.db.execute(
                "SELECT DISTINCT taken_by FROM messages WHERE taken_by IS NOT NULL")]
        released = 0
        for token in tokens:
            if token == self.token:
                continue
            path = self.takers / f"{token}.lock"
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                fd = None  # its process died and another taker already cleaned up after it
            try:
                if fd is not None:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # alive
                with self._transaction() as db:
                    released += db.execute("UPDATE messages SET taken_by = NULL WHERE taken_by = ?",
                                           (token,)).rowcount
                path.unlink(missing_ok=True)
            finally:
                if fd is not None:
                    os.close(fd)
        return released


class QoS(virtual.QoS):
    """Acks and rejects settle the row in the file, not only the in-memory record."""

    def ack(self, delivery_tag):
        self.channel.store.ack(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if requeue:
            self.channel.store.release([delivery_tag])
        else:
            self.channel.store.ack(delivery_tag)
        self._quick_ack(delivery_tag)

    def restore_unacked(self):
        self._flush()
        tags = list(self._delivered)
        self._delivered.clear()
        if tags and self.channel.connection is not None:
            self.channel.store.release(tags)
        return []


class Channel(virtual.Channel):
    QoS = QoS
    supports_fanout = True  # makes queue_bind call _queue_bind, which persists the binding

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self.events = {"basic_return": set()}  # as py-amqp's channel: who hears of unroutable messages

    @property
    def store(self) -> Store:
        return self.connection.store

    def exchange_declare(self, exchange=None, type="direct", *args, **kwargs):
        super().exchange_declare(exchange, type, *args, **kwargs)
        if not kwargs.get("passive"):
            self.store.declare_exchange(exchange or f"amq.{type or 'direct'}", type or "direct")

    def typeof(self, exchange, default="direct"):
        if exchange not in self.state.exchanges:
            default = self.store.exchange_type(exchange) or default
        return super().typeof(exchange, default)

    def get_table(self, exchange):
        return self.store.bindings(exchange)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        self.store.bind(exchange, routing_key, pattern, queue)

    def publishing_batch(self):
        """Publishes inside this block are written in one transaction when it ends (BatchPublisher)."""
        return self.store.batch()

    def basic_publish(self, message, exchange, routing_key, **kwargs):
        """Route, then write to every bound queue in one transaction."""
        self._inplace_augment_message(message, exchange, routing_key)
        queues = self._lookup(exchange, routing_key) if exchange else [routing_key]
        if queues:
            self.store.put(queues, message)
        elif kwargs.get("mandatory"):
            returned = self.Message(message, channel=self)
            for callback in self.events["basic_return"]:
                callback(ChannelError("NO_ROUTE"), exchange, routing_key, returned)

    def _new_queue(self, queue, **kwargs):
        self.store.declare_queue(queue, kwargs.get("arguments"))

    def _has_queue(self, queue, **kwargs):
        return self.store.has_queue(queue)

    def queue_delete(self, queue, if_unused=False, if_empty=False, **kwargs):
        if if_empty and self._size(queue):
            return
        self.store.delete_queue(queue)
        self.state.queue_bindings_delete(queue)

    def _get(self, queue, timeout=None):
        return self.store.take(queue)

    def _size(self, queue):
        return self.store.ready(queue)

    def _purge(self, queue):
        return self.store.purge(queue)


class Transport(virtual.Transport):
    """``Connection(transport=Transport, transport_options={"database": path})``."""

    Channel = Channel
    driver_type = driver_name = "caredesk-sqlite"
    implements = virtual.Transport.implements.extend(exchange_type=frozenset(["direct", "topic", "fanout"]))

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self.store = Store(client.transport_options["database"])

    def close_connection(self, connection):
        super().close_connection(connection)
        self.store.close()

    def driver_version(self):
        return sqlite3.sqlite_version
