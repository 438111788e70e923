"""Outbox, relay, idempotent consumer and dead letters on SQLite and the embedded broker."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from services.kit.messaging import dead_letters
from services.kit.messaging.consumer import ConsumerWorker, EventHandler
from services.kit.messaging.relay import OutboxRelay
from services.kit.messaging.topology import connect, declare, queue_name
from services.kit.uow import UnitOfWork
from tests.unit.kit.conftest import RECORD, effect_rows, record_effect


def _emit(database, **data):
    with UnitOfWork(database, producer="probe", actor="tester") as uow:
        uow.emit("probe.happened.v1", data)
        uow.commit()


def _outbox_counts(database):
    outbox = database.outbox
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(outbox))
        unsent = session.scalar(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))
    return total, unsent


def _deliveries_seen(database) -> int:
    inbox = database.inbox
    with database.session() as session:
        return session.scalar(select(func.coalesce(func.sum(inbox.c.deliveries), 0)))


def _consume_until(worker, predicate, timeout=10.0):
    stop = threading.Event()
    thread = threading.Thread(target=worker.consume, args=(stop,), kwargs={"idle_timeout": 0.05})
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not predicate():
            assert time.monotonic() < deadline, "the consumer did not get there in time"
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=5)


def test_event_is_written_with_its_change_and_not_without(database):
    with UnitOfWork(database, producer="probe") as uow:
        uow.emit("probe.happened.v1", {"label": "rolled back"})
        uow.flush_events()
    assert _outbox_counts(database) == (0, 0)
    _emit(database, label="kept")
    assert _outbox_counts(database) == (1, 1)


def test_relay_marks_rows_sent_and_consumer_applies_each_event_once(database, settings, worker):
    with connect(settings) as connection:
        declare(connection, settings, [RECORD])
    for n in range(5):
        _emit(database, label=f"event {n}")
    relay = OutboxRelay(database, settings)
    assert relay.relay_once() == 5
    assert _outbox_counts(database) == (5, 0)

    # Republishing the same rows (as after a relay crash before mark-sent) must not double effects.
    outbox = database.outbox
    with database.engine.begin() as conn:
        conn.execute(outbox.update().values(sent_at=None))
    assert relay.relay_once() == 5
    # every one of the ten deliveries seen (the inbox counts them), not merely the first five
    _consume_until(worker, lambda: _deliveries_seen(database) == 10)
    rows = effect_rows(database)
    assert sorted(label for _, label in rows) == [f"event {n}" for n in range(5)]
    assert len({event_id for event_id, _ in rows}) == 5


def test_poison_message_is_dead_lettered_after_retries_and_can_be_replayed(database, settings, worker):
    with connect(settings) as connection:
        declare(connection, settings, [RECORD])
    _emit(database, label="poison", poison=True)
    _emit(database, label="fine")
    OutboxRelay(database, settings).relay_once()
    queue = queue_name(settings, RECORD.name)
    _consume_until(worker, lambda: len(dead_letters.list_dead_letters(settings, queue)) == 1)
    assert [label for _, label in effect_rows(database)] == ["fine"]
    [letter] = dead_letters.list_dead_letters(settings, queue)
    assert letter.summary()["attempts"] == settings.consumer_max_attempts
    assert "always fails" in letter.summary()["reason"][0]

    assert dead_letters.replay_dead_letters(settings, queue) == 1
    assert dead_letters.list_dead_letters(settings, queue) == []
    # Still poison: it comes back to the dead-letter queue, and nothing was applied twice.
    _consume_until(worker, lambda: len(dead_letters.list_dead_letters(settings, queue)) == 1)
    assert [label for _, label in effect_rows(database)] == ["fine"]


def test_malformed_envelope_goes_straight_to_dead_letters(database, settings, worker):
    from kombu import Exchange, Producer

    with connect(settings) as connection:
        declare(connection, settings, [RECORD])
        Producer(connection.channel(), exchange=Exchange(settings.exchange, "topic")).publish(
            {"not": "an envelope"}, routing_key="probe.happened.v1", serializer="json")
    queue = queue_name(settings, RECORD.name)
    _consume_until(worker, lambda: len(dead_letters.list_dead_letters(settings, queue)) == 1)
    [letter] = dead_letters.list_dead_letters(settings, queue)
    assert letter.summary()["attempts"] == 1
    assert "malformed envelope" in letter.summary()["reason"][0]



def _set_based(calls: list, *, emits: bool = False) -> EventHandler:
    """RECORD with a set-based path that notes the size of every batch it is given."""
    def record_many(uow, envelopes):
        calls.append(len(envelopes))
        for envelope in envelopes:
            record_effect(uow, envelope)
        if emits:
            uow.emit("probe.happened.v1", {"label": "echo"})
    return EventHandler(name=RECORD.name, events=RECORD.events, handle=record_effect, handle_many=record_many)


def _relay_and_consume(database, settings, handler, labels):
    with connect(settings) as connection:
        declare(connection, settings, [handler])
    for label in labels:
        _emit(database, label=label)
    assert OutboxRelay(database, settings).relay_once() == len(labels)
    _consume_until(ConsumerWorker(database, settings, [handler]), lambda: len(effect_rows(database)) >= len(labels))
    time.sleep(0.2)  # a duplicate, if any, would land meanwhile


def test_a_set_based_handler_gets_a_fresh_batch_at_once_and_applies_each_event_once(database, settings):
    calls: list[int] = []
    labels = [f"event {n}" for n in range(8)]
    _relay_and_consume(database, settings, _set_based(calls), labels)
    assert sorted(label for _, label in effect_rows(database)) == labels
    assert sum(calls) == 8 and max(calls) > 1  # the embedded broker hands over the eight together
    assert _deliveries_seen(database) == 8


def test_a_set_based_handler_that_emits_events_is_redone_event_by_event(database, settings):
    """Each event it would emit needs its own causation: the batch is rolled back and redone
    through ``handle``, one savepoint each, with nothing applied twice."""
    calls: list[int] = []
    labels = [f"event {n}" for n in range(4)]
    _relay_and_consume(database, settings, _set_based(calls, emits=True), labels)
    assert sorted(label for _, label in effect_rows(database)) == labels
    assert calls and _outbox_counts(database) == (4, 0)


def test_what_a_committed_unit_of_work_returns_stays_readable_after_it_closes(tmp_path):
    """A view reads after commit (a new transaction) and dumps once the unit of work is closed."""
    from gateway.models import Base, Branch
    from services.kit.db import Database

    database = Database(f"sqlite:///{tmp_path / 'gateway.sqlite3'}", Base.metadata)
    Base.metadata.create_all(database.engine)
    with UnitOfWork(database, producer="gateway") as uow:
        branch = Branch(code="north", name="North")
        uow.session.add(branch)
        uow.commit()
        assert uow.session.scalar(select(func.count()).select_from(Branch)) == 1
    assert (branch.code, branch.name) == ("north", "North")
    database.dispose()
