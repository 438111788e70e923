"""Outbox, relay and idempotent consumers on the real PostgreSQL and RabbitMQ: a relay killed between
publish and mark-sent. (Faults of the servers themselves run on private servers: tests/faults/.)

The customers service produces (``customer.created.v1`` from ``create_customer``) and the cases
service consumes (``replicate_customer`` keeps its ``customers`` read model).
"""
from __future__ import annotations

import signal

import pytest

from services.kit.messaging.topology import queue_name
from tests.integration.conftest import ready_messages, wait_until
from tests.integration.kit.conftest import (
    CountingConsumer, assert_applied_exactly_once, create_customers, running,
)

pytestmark = pytest.mark.integration


def test_event_applied_once_when_relay_is_killed_between_publish_and_mark_sent(
        customers, cases, make_processes, tmp_path):
    cases.declare_topology()
    queue = queue_name(cases.settings, "replicate_customer")
    codes = [f"K-{n:03d}" for n in range(25)]
    create_customers(customers, codes)
    processes = make_processes(customers, cases)

    marker = tmp_path / "published"
    stalled = processes.start("stalled-relay", "-m", "tests.integration.relay_stalled_after_publish",
                              "customers", str(marker))
    # each wait below includes an interpreter's start: a bound for CI's loaded machine, not a figure
    wait_until(lambda: marker.exists() or stalled.poll() is not None, timeout=90,
               what="the stalled relay to publish its batch")
    assert stalled.poll() is None, "the stalled relay died on its own"
    # each creation wrote customer.created.v1 and customer.addresses.v1
    assert int(marker.read_text()) == 2 * len(codes), "the whole outbox went out in one confirmed batch"
    stalled.send_signal(signal.SIGKILL)
    assert stalled.wait(timeout=10) == -signal.SIGKILL

    # Confirmed by the broker, yet not marked sent: the crash window the outbox must survive.
    assert customers.unsent_outbox() == 2 * len(codes)
    assert ready_messages(cases.settings, queue) == len(codes)

    relay = processes.caredesk("relay", "relay", "customers")
    wait_until(lambda: customers.unsent_outbox() == 0, timeout=90, what="the relay to mark the outbox sent")
    assert processes.stop(relay) == 0
    # The broker holds the batch twice: the killed relay's and the republished one.
    assert ready_messages(cases.settings, queue) == 2 * len(codes)

    consumer = CountingConsumer(cases.database, cases.settings, cases.component.handlers)
    with running(consumer):
        wait_until(lambda: sum(consumer.outcomes.values()) >= 2 * len(codes), timeout=30,
                   what="the consumer to settle every delivery, duplicates included")
    assert consumer.outcomes == {"done": len(codes), "duplicate": len(codes)}
    assert ready_messages(cases.settings, queue) == 0
    assert_applied_exactly_once(customers, cases, codes)
