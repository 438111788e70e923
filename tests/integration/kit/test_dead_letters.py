"""Dead letters on the real RabbitMQ: a poison message reaches ``<queue>.dead`` after the configured
tries, is listed and replayed with ``caredesk dead-letters``, and is applied once when the cause is
gone; replays take each letter once; the broker's own delivery limit ends in the same queue.
"""
from __future__ import annotations

import json
import time
import uuid

import pytest

from services.kit.messaging import dead_letters
from services.kit.messaging.consumer import ATTEMPTS_HEADER
from services.kit.messaging.envelope import Envelope
from services.kit.messaging.publisher import BatchPublisher, OutgoingMessage
from services.kit.messaging.topology import (
    BROKER_DELIVERY_LIMIT, connect, dead_letter_exchange, events_exchange, handler_queue, queue_name,
)
from tests.integration.conftest import MAX_ATTEMPTS, ready_messages, wait_until
from tests.integration.kit.conftest import (
    assert_applied_exactly_once, create_customers, inbox_event_ids, outbox_event_ids, read_model_codes,
)

pytestmark = pytest.mark.integration


def replicate_customer_queue(cases) -> str:
    return queue_name(cases.settings, "replicate_customer")


def test_poison_message_is_dead_lettered_after_configured_tries_and_replayed_once(
        customers, cases, poison, make_processes):
    poison.add("P-POISON")
    cases.declare_topology()
    queue = replicate_customer_queue(cases)
    before, after = [f"P-BEFORE-{n}" for n in range(3)], [f"P-AFTER-{n}" for n in range(3)]
    create_customers(customers, [*before, "P-POISON", *after])
    processes = make_processes(customers, cases)
    processes.caredesk("relay", "relay", "customers")
    processes.caredesk("consumer", "consume", "cases")

    wait_until(lambda: ready_messages(cases.settings, queue + ".dead") == 1, timeout=30,
               what="the poison message to reach the dead-letter queue")
    wait_until(lambda: read_model_codes(cases) == sorted(before + after), timeout=30,
               what="the messages around the poison one to be applied")

    [listed] = [json.loads(line) for line in
                processes.run_caredesk("dead-letters", "list", "cases", queue).splitlines()]
    assert listed["event_type"] == "customer.created" and listed["event_version"] == 1
    assert listed["attempts"] == MAX_ATTEMPTS
    assert "customer P-POISON is poisoned" in listed["reason"][0]
    shown = json.loads(processes.run_caredesk("dead-letters", "show", "cases", queue,
                                              "--message-id", listed["message_id"]))
    assert shown["headers"]["x-caredesk-failed-queue"] == queue
    assert shown["headers"]["x-caredesk-original-routing-key"] == "customer.created.v1"
    assert f"failed {MAX_ATTEMPTS} times" in shown["headers"]["x-caredesk-reason"]
    assert shown["body"]["data"]["code"] == "P-POISON"
    assert "P-POISON" not in read_model_codes(cases)

    poison.cure()
    replayed = processes.run_caredesk("dead-letters", "replay", "cases", queue)
    assert replayed.strip() == f"replayed 1 message(s) to {queue}"

    wait_until(lambda: "P-POISON" in read_model_codes(cases), timeout=30,
               what="the replayed message to be applied")
    assert processes.run_caredesk("dead-letters", "list", "cases", queue).strip() == ""
    assert ready_messages(cases.settings, queue + ".dead") == 0
    assert_applied_exactly_once(customers, cases, [*before, "P-POISON", *after])


def test_replay_while_the_cause_holds_takes_each_letter_once(customers, cases, poison, make_processes):
    codes = [f"D-{n:03d}" for n in range(60)]
    poison.add(*codes)
    cases.declare_topology()
    queue = replicate_customer_queue(cases)
    create_customers(customers, codes)
    processes = make_processes(customers, cases)
    processes.caredesk("relay", "relay", "customers")
    processes.caredesk("consumer", "consume", "cases")
    wait_until(lambda: ready_messages(cases.settings, queue + ".dead") == len(codes), timeout=30,
               what="every poisoned event to reach the dead-letter queue")

    # The consumer keeps running: replayed letters fail again and return to the dead-letter queue
    # while the replay is still draining it. They must wait for the next replay.
    replayed = processes.run_caredesk("dead-letters", "replay", "cases", queue)
    assert replayed.strip() == f"replayed {len(codes)} message(s) to {queue}"
    wait_until(lambda: ready_messages(cases.settings, queue + ".dead") == len(codes), timeout=30,
               what="the replayed letters to be dead-lettered again")

    letters = dead_letters.list_dead_letters(cases.settings, queue)
    assert sorted(letter.message_id for letter in letters) == sorted(map(str, outbox_event_ids(customers)))
    assert [letter.headers.get("x-caredesk-replayed") for letter in letters] == [1] * len(codes)
    assert {letter.headers[ATTEMPTS_HEADER] for letter in letters} == {MAX_ATTEMPTS}
    assert read_model_codes(cases) == [] and inbox_event_ids(cases, "replicate_customer") == []


def test_replay_of_more_letters_than_a_connection_has_channels(cases):
    cases.declare_topology()
    queue = replicate_customer_queue(cases)
    count = 2100  # RabbitMQ allows 2047 channels per connection by default
    letters = []
    for n in range(count):
        envelope = Envelope(type="customer.created", version=1, producer="customers",
                            correlation_id=str(uuid.uuid4()), data={"id": str(uuid.uuid4()), "code": f"M-{n}"})
        letters.append(OutgoingMessage(
            routing_key=queue, body=envelope.to_dict(), message_id=str(envelope.id),
            headers={ATTEMPTS_HEADER: MAX_ATTEMPTS, "x-caredesk-reason": "RuntimeError: down"}))
    started = time.monotonic()
    with connect(cases.settings) as connection:
        BatchPublisher(connection, dead_letter_exchange(cases.settings)).publish(letters)
    publishing = time.monotonic() - started
    assert ready_messages(cases.settings, queue + ".dead") == count

    # Replaying reads, republishes and settles each letter: a few times the cost of publishing them
    # once, measured in this run so that a loaded machine slows both alike (a channel or connection
    # per letter would cost far more, and past 2,047 channels fail outright). Publishing goes out in
    # batched frames (1.5 s here) while replaying settles letter by letter, so the floor of the bound
    # is what a loaded two-core machine needs (33 s seen in a CI run of 32 minutes).
    started = time.monotonic()
    assert dead_letters.replay_dead_letters(cases.settings, queue) == count
    replaying = time.monotonic() - started
    assert replaying < max(60, 20 * publishing), f"replay took {replaying:.1f} s, publishing {publishing:.1f} s"
    assert ready_messages(cases.settings, queue + ".dead") == 0
    assert ready_messages(cases.settings, queue) == count


def test_message_the_broker_gives_up_on_lands_in_its_dead_letter_queue(cases):
    """A consumer that dies on a message before settling it never reaches our retry budget: the
    quorum queue's delivery limit ends the loop, into the same ``<queue>.dead``."""
    cases.declare_topology()
    queue = replicate_customer_queue(cases)
    envelope = Envelope(type="customer.created", version=1, producer="customers", correlation_id="c-1",
                        data={"id": str(uuid.uuid4()), "code": "LOOP"})
    with connect(cases.settings) as connection:
        BatchPublisher(connection, events_exchange(cases.settings)).publish([OutgoingMessage(
            routing_key=envelope.routing_key, body=envelope.to_dict(), message_id=str(envelope.id))])
        handler = handler_queue(cases.settings, "replicate_customer", [envelope.routing_key])(connection.channel())
        deliveries = 0
        while (message := handler.get(no_ack=False)) is not None:
            deliveries += 1
            message.requeue()  # what the broker does with the unacked message of a crashed consumer
            assert deliveries <= BROKER_DELIVERY_LIMIT + 1, "the delivery limit did not stop the loop"
    assert deliveries == BROKER_DELIVERY_LIMIT + 1

    wait_until(lambda: ready_messages(cases.settings, queue + ".dead") == 1, timeout=10,
               what="the broker to dead-letter the message")
    [letter] = dead_letters.list_dead_letters(cases.settings, queue)
    assert letter.message_id == str(envelope.id)
    assert letter.summary()["reason"] == ["dead-lettered by the broker: delivery_limit"]
    assert letter.summary()["event_type"] == "customer.created"
