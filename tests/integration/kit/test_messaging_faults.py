"""Outbox, relay and idempotent consumers on the real PostgreSQL and RabbitMQ under faults: a relay
killed between publish and mark-sent, a broker restart while events flow.

The customers service produces (``customer.created.v1`` from ``create_customer``) and the cases
service consumes (``replicate_customer`` keeps its ``customers`` read model).
"""
from __future__ import annotations

import signal
import subprocess
import threading

import pytest

from services.kit.messaging.topology import queue_name
from tests.integration.conftest import ready_messages, wait_until
from tests.integration.kit.conftest import (
    CountingConsumer, assert_applied_exactly_once, create_customers, read_model_codes, running,
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
    wait_until(lambda: marker.exists() or stalled.poll() is not None, timeout=30,
               what="the stalled relay to publish its batch")
    assert stalled.poll() is None, "the stalled relay died on its own"
    assert int(marker.read_text()) == len(codes), "the whole outbox went out in one confirmed batch"
    stalled.send_signal(signal.SIGKILL)
    assert stalled.wait(timeout=10) == -signal.SIGKILL

    # Confirmed by the broker, yet not marked sent: the crash window the outbox must survive.
    assert customers.unsent_outbox() == len(codes)
    assert ready_messages(cases.settings, queue) == len(codes)

    relay = processes.caredesk("relay", "relay", "customers")
    wait_until(lambda: customers.unsent_outbox() == 0, timeout=30, what="the relay to mark the outbox sent")
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


class Restarts:
    """Stop and start the RabbitMQ application; it is always started again, even if the test fails."""

    def __init__(self) -> None:
        self.stopped = False

    @staticmethod
    def _ctl(*args: str, timeout: float = 60) -> None:
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=timeout)

    @staticmethod
    def answers() -> bool:
        return subprocess.run(["rabbitmq-diagnostics", "-q", "check_port_connectivity"],
                              capture_output=True, timeout=30).returncode == 0

    def stop(self) -> None:
        self.stopped = True
        self._ctl("stop_app")

    def start(self) -> None:
        self._ctl("start_app", timeout=120)
        wait_until(self.answers, timeout=60, interval=0.5, what="RabbitMQ to accept connections again")
        self.stopped = False


@pytest.fixture
def broker_restarts():
    restarts = Restarts()
    try:
        yield restarts
    finally:
        if restarts.stopped:
            restarts.start()


def test_broker_restart_while_events_flow_loses_none_and_applies_each_once(
        customers, cases, make_processes, broker_restarts):
    cases.declare_topology()
    processes = make_processes(customers, cases)
    processes.caredesk("relay", "relay", "customers")
    consumer = processes.caredesk("consumer", "consume", "cases")
    codes = [f"R-{n:04d}" for n in range(1000)]

    failures: list[BaseException] = []

    def produce() -> None:
        try:
            create_customers(customers, codes, pause=0.002)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    producer = threading.Thread(target=produce, name="producer")
    producer.start()
    try:
        # Restart once events are flowing end to end, with many still to come.
        wait_until(lambda: len(read_model_codes(cases)) >= 150, timeout=30,
                   what="the first events to reach the cases read model")
        broker_restarts.stop()
        mid_outage = customers.count(customers.database.outbox)
        broker_restarts.start()
    finally:
        producer.join(timeout=60)
    assert not failures, failures
    assert mid_outage < len(codes), "the restart happened while events were still being produced"

    wait_until(lambda: customers.unsent_outbox() == 0, timeout=40, interval=0.2,
               what="the relay to publish the whole outbox after the restart")
    wait_until(lambda: len(read_model_codes(cases)) == len(codes), timeout=40, interval=0.2,
               what="every event to reach the cases read model")
    assert processes.stop(consumer) == 0
    assert_applied_exactly_once(customers, cases, codes)
    # Both lost their connection and came back on their own.
    assert "relay paused" in processes.log("relay") and "consumer paused" in processes.log("consumer")
