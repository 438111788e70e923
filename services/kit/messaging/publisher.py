"""Publishing a batch of messages and knowing the broker has them.

On RabbitMQ the channel is in confirm mode and a batch waits once for all its confirms; the
embedded transport writes each message to disk before ``publish`` returns. A ``mandatory`` publish
that no queue takes comes back (``returned``) instead of being confirmed and dropped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from kombu import Connection, Exchange, Producer


class PublishNotConfirmed(Exception):
    """The broker nacked a message or did not confirm it in time; nothing may be marked sent."""


@dataclass
class OutgoingMessage:
    routing_key: str
    body: dict
    message_id: str
    correlation_id: str | None = None
    headers: dict = field(default_factory=dict)
    # set for a body already encoded (a dead letter keeps the bytes it arrived with)
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
        self.producer = Producer(self.channel, exchange=exchange, serializer="json", auto_declare=True)

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
        for message in messages:
            encoding = ({"content_type": message.content_type, "content_encoding": message.content_encoding}
                        if message.content_type else {"serializer": "json"})
            self.producer.publish(
                message.body, routing_key=message.routing_key, exchange=exchange or self.producer.exchange,
                delivery_mode=2, message_id=message.message_id, correlation_id=message.correlation_id,
                headers=message.headers, retry=False, mandatory=mandatory, **encoding,
            )
            if self.confirming:
                self._outstanding.add(self._next_tag)
                self._next_tag += 1
        if self.confirming:
            self._wait_for_confirms()

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
