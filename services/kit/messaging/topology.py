"""Exchanges and queues, drawn once here so every process declares the same topology.

    producer outbox --relay--> [caredesk.events  topic] --<event name>--> <consumer>.<handler>
                                                                              | after max tries
                               [caredesk.dead  direct] --<queue name>--> <consumer>.<handler>.dead

One durable quorum queue per handler; its dead letters in ``<queue>.dead``. The embedded
transport (SQLite, see ``embedded``) ignores queue arguments, so the same code runs on both.
"""
from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

from services.kit.messaging import embedded
from services.kit.settings import ServiceSettings

# A redelivery loop that never reaches our code (a consumer crashing on a message) still ends:
# RabbitMQ dead-letters after this many deliveries. Our own retry budget is far below it.
BROKER_DELIVERY_LIMIT = 50


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
        queues.append(queue)
    return queues
