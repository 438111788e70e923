"""Odd traffic in both run modes: a consumer that keeps dying on one event, messages that can never
be handled, and a handler that keeps failing. Each ends in the dead-letter queue (or, unroutable,
in ``<exchange>.unroutable``) while the other events keep flowing."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

from sqlalchemy import func, select

from services.kit.messaging import dead_letters
from services.kit.messaging.consumer import ATTEMPTS_HEADER
from services.kit.messaging.envelope import Envelope
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import connect, events_exchange, unroutable_queue
from services.kit.uow import write_outbox
from tests.faults.conftest import BACKOFF_SECONDS, MAX_ATTEMPTS, wait_until
from tests.faults.test_process_kills import CONSUMER, RELAY
from tests.integration.kit.conftest import create_customers, read_model_codes


def dead(pipeline) -> list:
    return dead_letters.list_dead_letters(pipeline.cases.settings, pipeline.queue)


def last_handled_at(service) -> datetime:
    with service.database.session() as session:
        return session.scalar(select(func.max(service.database.inbox.c.handled_at)))


def first_handled_after(service, moment: datetime) -> datetime:
    """When the consumer applied its first event after ``moment`` (its own clock)."""
    inbox = service.database.inbox
    with service.database.session() as session:
        return session.scalar(select(func.min(inbox.c.handled_at)).where(inbox.c.handled_at > moment))


def waiting(settings, queue) -> int:
    with connect(settings) as connection:
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


def test_consumer_that_keeps_dying_on_one_event_dead_letters_that_event_alone(pipeline, make_processes):
    """Each death returns the consumer's whole prefetched batch; only the event it dies on may be
    counted against the limit, never its healthy neighbours."""
    healthy = [f"H-{n:03d}" for n in range(30)]
    create_customers(pipeline.customers, healthy[:15] + ["KILLER"] + healthy[15:])
    processes = make_processes(pipeline.customers, pipeline.cases)
    processes.start("relay", *RELAY)
    deaths = 0
    while True:  # restarted after each death, as a process supervisor would
        consumer = processes.start("consumer", *CONSUMER, "die", "KILLER")
        wait_until(lambda: consumer.poll() is not None or dead(pipeline), timeout=60,
                   what="the consumer to die or the killer event to be dead-lettered")
        if consumer.poll() is None:
            break
        deaths += 1
        assert deaths <= MAX_ATTEMPTS + 1, "the killer event was not dead-lettered after its tries"
    wait_until(lambda: read_model_codes(pipeline.cases) == sorted(healthy), timeout=30,
               what="every healthy event to be applied")
    [letter] = dead(pipeline)
    assert letter.summary()["event_type"] == "customer.created"
    assert "stopped" in letter.reason() and letter.headers[ATTEMPTS_HEADER] == MAX_ATTEMPTS
    figures = pipeline.check("consumer dying on one event")
    figures.extra["deaths"] = deaths
    figures.report()
    assert (figures.lost, figures.duplicate_effects, figures.committed) == (1, 0, 31), figures.line()


def _customer_envelope(code: str, version: int = 1) -> Envelope:
    return Envelope(type="customer.created", version=version, producer="customers", correlation_id=str(uuid.uuid4()),
                    data={"id": str(uuid.uuid4()), "code": code, "name": f"Customer {code}", "version": 1})


def test_messages_that_can_never_be_handled_are_dead_lettered_and_traffic_flows(pipeline, make_processes):
    settings = pipeline.cases.settings
    unknown_version = _customer_envelope("V2", version=2)
    oversized = _customer_envelope("BIG", version=2)
    with_new_field = {**_customer_envelope("NEW-FIELD").to_dict(), "tenant": "acme"}

    def raw(body, message_id: str, **kwargs) -> OutgoingMessage:
        return OutgoingMessage(routing_key="customer.created.v1", body=body, message_id=message_id,
                               content_type="application/json", content_encoding="utf-8", **kwargs)

    odd = [
        raw(b'{"id": "cut short', "malformed-json"),
        raw(json.dumps({"id": "not-a-uuid", "type": "customer.created"}).encode(), "schema-invalid"),
        raw(json.dumps(unknown_version.to_dict()).encode(), "unknown-version"),
        # headers just under RabbitMQ's 128 KiB frame: with the dead-letter headers added they would not fit
        raw(json.dumps(oversized.to_dict()).encode(), "oversized-headers", headers={"x-trace": "t" * 129_000}),
        raw(json.dumps(with_new_field).encode(), "new-field"),
    ]
    with connect(settings) as connection:
        BatchPublisher(connection, events_exchange(settings)).publish(odd)
    # an event no queue is bound to (say, from a newer producer): written past the contract check
    with pipeline.customers.database.session() as session:
        write_outbox(session, pipeline.customers.database.outbox, [Envelope(
            type="customer.archived", version=1, producer="customers", data={"id": str(uuid.uuid4())},
            correlation_id=str(uuid.uuid4()))])
        session.commit()
    healthy = [f"OK-{n:03d}" for n in range(20)]
    create_customers(pipeline.customers, healthy)

    processes = make_processes(pipeline.customers, pipeline.cases)
    relay = processes.start("relay", *RELAY)
    processes.start("consumer", *CONSUMER)
    wait_until(lambda: read_model_codes(pipeline.cases) == sorted(healthy + ["NEW-FIELD"]), timeout=60,
               what="the healthy events and the one with a new envelope field to be applied")
    wait_until(lambda: len(dead(pipeline)) == 4, timeout=30, what="four dead letters")
    reasons = {letter.message_id: letter.reason() for letter in dead(pipeline)}
    assert "undecodable body" in reasons["malformed-json"]
    assert "malformed envelope" in reasons["schema-invalid"]
    assert "customer.created.v2 is not an event replicate_customer takes" in reasons["unknown-version"]
    [big] = [letter for letter in dead(pipeline) if letter.message_id == "oversized-headers"]
    assert big.headers["x-caredesk-headers-dropped"] > 129_000 and "x-trace" not in big.headers

    unroutable = unroutable_queue(settings).name
    # kept beside it: each healthy customer's customer.addresses.v1, which only the notifications
    # service (not in this pipeline) consumes
    kept = 1 + len(healthy)
    wait_until(lambda: waiting(settings, unroutable) == kept, timeout=30, what="the unroutable events to be kept")
    assert "unroutable event: no queue is bound to customer.archived.v1" in processes.log("relay")
    assert relay.poll() is None
    figures = pipeline.check("poison and odd messages")
    figures.extra.update(dead_letters=4, unroutable=kept)
    figures.report().assert_clean()


def test_failing_event_waits_in_delay_queues_while_healthy_traffic_flows(pipeline, make_processes):
    """Retries wait in the broker (``<queue>.delay.<n>``), not in the consumer's thread: an event
    committed after the failing one is applied while the failing one waits out its delays (a
    consumer that slept through the retries would apply it only after dead-lettering it)."""
    processes = make_processes(pipeline.customers, pipeline.cases)
    processes.start("relay", *RELAY)
    processes.start("consumer", *CONSUMER, "fail", "FAILING")
    create_customers(pipeline.customers, ["WARM-UP"])
    wait_until(lambda: read_model_codes(pipeline.cases) == ["WARM-UP"], timeout=60, what="the consumer to run")

    warmed_up = last_handled_at(pipeline.cases)
    started = time.monotonic()
    healthy = [f"FLOW-{n:03d}" for n in range(40)]
    create_customers(pipeline.customers, ["FAILING"] + healthy)
    wait_until(lambda: read_model_codes(pipeline.cases) == sorted(["WARM-UP"] + healthy), timeout=60,
               what="the healthy events to be applied")
    flowed_after = time.monotonic() - started

    wait_until(lambda: dead(pipeline), timeout=60, what="the failing event to be dead-lettered")
    died_after = time.monotonic() - started
    [letter] = dead(pipeline)
    assert letter.headers[ATTEMPTS_HEADER] == MAX_ATTEMPTS and f"failed {MAX_ATTEMPTS} times" in letter.reason()
    # The order by the consumer's own clock (inbox handled_at, the letter's dead-at), not by when
    # this test happened to look: a starved machine may let both be seen at the same poll.
    first_healthy = first_handled_after(pipeline.cases, warmed_up)
    dead_at = datetime.fromisoformat(letter.headers["x-caredesk-dead-at"])
    assert first_healthy < dead_at, "a healthy event waited until the failing one had used up its tries"
    assert died_after >= BACKOFF_SECONDS * (1 + 2), "each retry waited its delay"
    figures = pipeline.check("failing handler with delayed retries")
    figures.extra.update(healthy_applied_after=f"{flowed_after:.2f}s", failing_dead_after=f"{died_after:.2f}s")
    figures.report()
    assert (figures.lost, figures.duplicate_effects) == (1, 0), figures.line()
