"""Exchanges and queues, drawn once here so every process declares the same topology.

    producer outbox --relay--> [caredesk.events  topic] --<event name>--> <consumer>.<handler>
                                                           failed try n |   ^ after its TTL
                                                    <consumer>.<handler>.delay.<n>
                                                                              | after max tries
                               [caredesk.dead  direct] --<queue name>--> <consumer>.<handler>.dead

One durable quorum queue per handler; its dead letters in ``<queue>.dead``. The embedded
transport (SQLite, see ``embedded``) ignores queue arguments, so the same code runs on both.
"""
from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

from services.kit.messaging import embedded
from services.kit.settings import ServiceSettings

# The consumer counts attempts per message itself (a crash returns a whole batch, and the broker
# would count every message of it); this limit is only a backstop for a loop that never reaches
# that count, far above it.
BROKER_DELIVERY_LIMIT = 500


def connect(settings: ServiceSettings, *, heartbeat: int = 0) -> Connection:
    """A broker connection. Consumers ask for heartbeats (and check them while draining) so that a
    silently dead peer is noticed; publishers notice through their confirm timeout instead."""
    if settings.is_embedded_broker:
        return Connection(transport=embedded.Transport, connect_timeout=5,
                          transport_options={"database": str(settings.broker_file), "polling_interval": 0.05})
    return Connection(settings.broker_url, heartbeat=heartbeat, connect_timeout=5)


def events_exchange(settings: ServiceSettings) -> Exchange:
    return Exchange(settings.exchange, type="topic", durable=True)


def dead_letter_exchange(settings: ServiceSettings) -> Exchange:
    return Exchange(settings.exchange + ".dead", type="direct", durable=True)


def queue_name(settings: ServiceSettings, handler_name: str) -> str:
    return f"{settings.queue_prefix}{settings.service}.{handler_name}"


def _quorum(settings: ServiceSettings, **extra) -> dict:
    if settings.is_embedded_broker:
        return {}
    return {"x-queue-type": "quorum", **extra}


def handler_queue(settings: ServiceSettings, handler_name: str, event_names: list[str]) -> Queue:
    name = queue_name(settings, handler_name)
    exchange = events_exchange(settings)
    return Queue(
        name,
        bindings=[binding(exchange, routing_key=event) for event in event_names],
        durable=True,
        queue_arguments=_quorum(
            settings,
            **{"x-delivery-limit": BROKER_DELIVERY_LIMIT,
               "x-dead-letter-exchange": dead_letter_exchange(settings).name,
               "x-dead-letter-routing-key": name},
        ),
    )


UNROUTABLE_KEPT = 10_000  # the latest unroutable events kept for inspection; older ones are dropped


def unroutable_queue(settings: ServiceSettings) -> Queue:
    """Where the relay keeps the latest events that no queue is bound to (published mandatory,
    returned), for an operator to see what is missing; bounded, as nothing consumes it."""
    return Queue(settings.exchange + ".unroutable", durable=True,
                 queue_arguments={"x-queue-type": "classic", "x-max-length": UNROUTABLE_KEPT})


def delay_queue_name(source_queue: str, attempt: int) -> str:
    return f"{source_queue}.delay.{attempt}"


def delay_queue(settings: ServiceSettings, source_queue: str, attempt: int) -> Queue:
    """Where a message waits after its ``attempt``-th failure: the queue's TTL (doubling with each
    attempt) hands it back to ``source_queue`` through the default exchange."""
    return Queue(delay_queue_name(source_queue, attempt), durable=True, queue_arguments={
        "x-queue-type": "classic",
        "x-message-ttl": int(settings.consumer_backoff_seconds * 1000 * 2 ** (attempt - 1)),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": source_queue,
    })


def dead_letter_queue(settings: ServiceSettings, source_queue: str) -> Queue:
    return Queue(source_queue + ".dead", exchange=dead_letter_exchange(settings), routing_key=source_queue,
                 durable=True, queue_arguments=_quorum(settings))


def declare(connection: Connection, settings: ServiceSettings, handlers) -> list[Queue]:
    """Declare the exchanges, every handler queue with its bindings, and its dead-letter queue."""
    channel = connection.default_channel
    events_exchange(settings)(channel).declare()
    dead_letter_exchange(settings)(channel).declare()
    queues = []
    for handler in handlers:
        queue = handler_queue(settings, handler.name, handler.events)(channel)
        queue.declare()
        dead_letter_queue(settings, queue.name)(channel).declare()
        for attempt in range(1, settings.consumer_max_attempts):
            delay_queue(settings, queue.name, attempt)(channel).declare()
        queues.append(queue)
    return queues
