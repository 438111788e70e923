"""How BatchPublisher hands a batch to the broker: the outbox row's own JSON, the embedded broker's one
transaction per batch, and py-amqp's writes gathered into a few large ones."""
from __future__ import annotations

import json
from contextlib import closing

import pytest
from kombu import Exchange, Queue
from sqlalchemy import select

from services.kit.messaging.embedded import Store
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage, _coalesced_writes
from services.kit.messaging.relay import OutboxRelay
from services.kit.messaging.topology import connect, declare, queue_name
from services.kit.uow import UnitOfWork
from tests.unit.kit.conftest import RECORD


def _waiting(settings, queue: str) -> list[dict]:
    with closing(Store(settings.broker_file)) as store:
        return [json.loads(row[0]) for row in store.db.execute(
            "SELECT payload FROM messages WHERE queue = ? ORDER BY id", (queue,))]


def test_relay_sends_the_stored_envelope_text_with_its_correlation_id(database, settings):
    with connect(settings) as connection:
        declare(connection, settings, [RECORD])
    with UnitOfWork(database, producer="probe", actor="tester", correlation_id="corr-7") as uow:
        uow.emit("probe.happened.v1", {"label": "café"})
        uow.commit()
    assert OutboxRelay(database, settings).relay_once() == 1
    with database.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT envelope FROM outbox").scalar()
        event_id = conn.execute(select(database.outbox.c.event_id)).scalar()
    [message] = _waiting(settings, queue_name(settings, RECORD.name))
    with connect(settings) as connection:
        body = connection.default_channel.decode_body(message["body"], message["properties"]["body_encoding"])
    assert body.decode() == stored  # the very text the outbox holds
    assert message["content-type"] == "application/json" and message["content-encoding"] == "utf-8"
    assert message["properties"]["correlation_id"] == "corr-7"
    assert message["properties"]["message_id"] == str(event_id)
    assert json.loads(body)["data"]["label"] == "café"


def test_an_embedded_batch_is_written_whole_or_not_at_all(settings):
    exchange = Exchange("batch.test", type="topic", durable=True)
    with connect(settings) as connection:
        Queue("batch.all", exchange=exchange, routing_key="#", durable=True)(connection.default_channel).declare()
        publisher = BatchPublisher(connection, exchange)
        messages = [OutgoingMessage(routing_key="probe.happened.v1", body={"n": n}, message_id=str(n))
                    for n in range(3)]
        with pytest.raises(RuntimeError), publisher.channel.publishing_batch():
            for message in messages:
                publisher.channel.basic_publish(publisher.channel.prepare_message(
                    json.dumps(message.body).encode(), 0, "application/json", "utf-8", {}, {}),
                    exchange=exchange.name, routing_key=message.routing_key)
            assert len(_waiting(settings, "batch.all")) == 0  # nothing committed while the batch is open
            raise RuntimeError("the relay died in the middle of its batch")
        assert _waiting(settings, "batch.all") == []
        publisher.publish(messages)
        assert len(_waiting(settings, "batch.all")) == 3


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self._write = self.writes.append


def test_coalesced_writes_send_the_frames_in_few_pieces_even_when_the_batch_fails(monkeypatch):
    monkeypatch.setattr("services.kit.messaging.publisher.WRITE_BUFFER_BYTES", 10)
    transport = _Transport()
    frame = bytearray(b"abcd")
    with _coalesced_writes(transport):
        for letter in b"wxyz":
            frame[0] = letter  # the frame writer reuses its buffer: what was gathered must be a copy
            transport._write(memoryview(frame))
        assert transport.writes == [b"wbcdxbcdybcd"]  # past the size: sent at once
    assert transport.writes == [b"wbcdxbcdybcd", b"zbcd"]
    transport.writes.clear()
    # a failure between two messages: those already framed (and counted as awaiting confirms) go out
    with pytest.raises(ValueError), _coalesced_writes(transport):
        transport._write(b"one")
        raise ValueError
    assert transport.writes == [b"one"]
    transport._write(b"after")
    assert transport.writes == [b"one", b"after"]
