"""Publishing a batch of messages and knowing the broker has them.

On RabbitMQ the channel is in confirm mode and a batch waits once for all its confirms; the
embedded transport writes the batch to disk in one transaction before ``publish`` returns. A
``mandatory`` publish that no queue takes comes back (``returned``) instead of being confirmed and
dropped.

A batch is sent with the channel's own ``prepare_message`` and publish, not kombu's ``Producer.publish``
per message (the body is encoded once here; a pre-encoded body, such as an outbox row's JSON, is sent
as it is). On RabbitMQ the batch's frames go to the socket in a few large writes, and each publish is
the ``basic.publish`` method alone: py-amqp's ``basic_publish`` also polls the socket for a
``connection.blocked`` notice before every message, which nothing here acts on (a blocked broker shows
as confirms that do not come, as before). Together these cost about a third of the CPU per message.
"""
from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from amqp import spec
from kombu import Connection, Exchange
from kombu.serialization import dumps

# A batch's frames are written to the socket whenever this much is buffered (and at its end).
WRITE_BUFFER_BYTES = 1 << 20


class PublishNotConfirmed(Exception):
    """The broker nacked a message or did not confirm it in time; nothing may be marked sent."""


@dataclass
class OutgoingMessage:
    routing_key: str
    body: dict | bytes | str
    message_id: str
    correlation_id: str | None = None
    headers: dict = field(default_factory=dict)
    # set for a body already encoded (a dead letter keeps the bytes it arrived with; the relay sends
    # the outbox row's JSON text)
    content_type: str | None = None
    content_encoding: str | None = None


class BatchPublisher:
    def __init__(self, connection: Connection, exchange: Exchange, *, confirm_timeout: float = 30.0):
        self.connection = connection
        self.channel = connection.channel()
        self.confirm_timeout = confirm_timeout
        self.confirming = connection.transport.driver_type == "amqp"
        self._outstanding: set[int] = set()
        self._nacked = False
        self._next_tag = 1
        self.returned: list[OutgoingMessage] = []  # mandatory publishes that no queue took
        self.channel.events["basic_return"].add(self._on_return)
        if self.confirming:
            self.channel.confirm_select()
            self.channel.events["basic_ack"].add(self._on_ack)
            self.channel.events["basic_nack"].add(self._on_nack)
        self.exchange = exchange
        if exchange.name:
            exchange(self.channel).declare()

    def _settle(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._outstanding = {tag for tag in self._outstanding if tag > delivery_tag}
        else:
            self._outstanding.discard(delivery_tag)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_return(self, _exc, _exchange, routing_key, message) -> None:
        """Keep what came back as it went out (py-amqp and the embedded broker hand different objects)."""
        properties = dict(getattr(message, "properties", None) or {})
        headers = getattr(message, "headers", None) or properties.get("application_headers") or {}
        body = message.body
        self.returned.append(OutgoingMessage(
            routing_key=routing_key, body=body.encode() if isinstance(body, str) else body,
            message_id=properties.get("message_id") or "", correlation_id=properties.get("correlation_id"),
            headers=dict(headers), content_type=getattr(message, "content_type", None) or "application/json",
            content_encoding=getattr(message, "content_encoding", None) or "utf-8"))

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True
        self._settle(delivery_tag, multiple)

    def publish(self, messages: list[OutgoingMessage], *, exchange: Exchange | None = None,
                mandatory: bool = False) -> None:
        """Publish every message persistently; return only once the broker has all of them (with
        ``mandatory``, those no queue took are in ``returned`` by then: RabbitMQ returns before it confirms)."""
        self._nacked = False
        self.returned = []
        channel = self.channel
        exchange_name = (exchange or self.exchange).name
        with self._batched_writes():
            for message in messages:
                content_type, content_encoding, body = _encoded(message)
                properties = {"delivery_mode": 2, "message_id": message.message_id}
                if message.correlation_id is not None:
                    properties["correlation_id"] = message.correlation_id
                prepared = channel.prepare_message(body, 0, content_type, content_encoding, message.headers,
                                                   properties)
                if self.confirming:
                    channel.send_method(spec.Basic.Publish, "Bssbb",
                                        (0, exchange_name, message.routing_key, mandatory, False), prepared)
                    self._outstanding.add(self._next_tag)
                    self._next_tag += 1
                else:
                    channel.basic_publish(prepared, exchange=exchange_name, routing_key=message.routing_key,
                                          mandatory=mandatory)
        if self.confirming:
            self._wait_for_confirms()

    def _batched_writes(self):
        """RabbitMQ: the frames buffered and written in large pieces; embedded: one transaction."""
        if self.confirming:
            return _coalesced_writes(self.connection.connection.transport)
        batch = getattr(self.channel, "publishing_batch", None)
        return batch() if batch is not None else nullcontext()

    def _wait_for_confirms(self) -> None:
        deadline = time.monotonic() + self.confirm_timeout
        while self._outstanding:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{len(self._outstanding)} messages not confirmed in time")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
        if self._nacked:
            raise PublishNotConfirmed("the broker refused at least one message")

    def close(self) -> None:
        try:
            self.channel.close()
        except Exception:  # noqa: BLE001 - closing a channel of a dead connection
            pass


def _encoded(message: OutgoingMessage) -> tuple[str, str, bytes]:
    """(content type, content encoding, bytes) of a message: a dict as JSON, an encoded body as it is."""
    if not message.content_type:
        return dumps(message.body, serializer="json")
    body = message.body
    if isinstance(body, str):
        encoding = message.content_encoding or "utf-8"
        return message.content_type, encoding, body.encode(encoding)
    return message.content_type, message.content_encoding or "binary", body


@contextmanager
def _coalesced_writes(transport):
    """py-amqp's frame writer writes each message with a ``sendall`` of its own; inside this block its
    writes are gathered and sent every ``WRITE_BUFFER_BYTES`` and at the end. What was gathered is sent
    even when the block fails (between two messages): every message counted as awaiting its confirm has
    then gone out, so the channel's delivery tags stay in step; the failed batch is not marked sent."""
    send = transport._write
    pending = bytearray()

    def gather(data) -> None:
        pending.extend(data)  # a copy: the frame writer reuses its buffer for the next frame
        if len(pending) >= WRITE_BUFFER_BYTES:
            send(bytes(pending))
            pending.clear()

    transport._write = gather
    try:
        yield
    finally:
        transport._write = send
        if pending:
            send(bytes(pending))
