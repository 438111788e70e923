"""SIGKILL of the messaging processes under load, in both run modes: nothing lost, nothing applied
twice, and the backlog drains by itself. Each test prints its figures (``FAULTS …`` lines)."""
from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest

from tests.faults.conftest import wait_until
from tests.integration.kit.conftest import create_customers

RELAY = ("-m", "caredesk.cli", "relay", "customers")
# Bounds on waits that include starting an interpreter (about 2 s alone, several times that under
# CI's four test workers on two cores): readiness, not figures under test (those are reported).
PROCESS_START_SECONDS = 90
CONSUMER = ("-m", "tests.faults.probe", "consume")


def kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.parametrize("where", ["handler", "ack"])
def test_consumer_killed_mid_handler_or_between_commit_and_ack(pipeline, make_processes, tmp_path, where):
    """``handler``: killed inside the handler's open transaction; ``ack``: killed after its batch
    committed and before acking it. The messages it held go back to the queue either way."""
    codes = [f"{where.upper()}-{n:03d}" for n in range(40)]
    create_customers(pipeline.customers, codes)
    processes = make_processes(pipeline.customers, pipeline.cases)
    processes.start("relay", *RELAY)
    marker = tmp_path / f"stalled-{where}"
    stalled = processes.start("stalled-consumer", *CONSUMER, where, str(marker))
    wait_until(lambda: marker.exists() or stalled.poll() is not None, timeout=PROCESS_START_SECONDS,
               what=f"the consumer to stall in {where}")
    assert stalled.poll() is None, "the stalled consumer died on its own"
    kill(stalled)
    killed_at = time.monotonic()

    processes.start("consumer", *CONSUMER)
    recovery = pipeline.wait_drained(timeout=PROCESS_START_SECONDS, since=killed_at)
    if where == "ack":
        wait_until(lambda: pipeline.check("redelivery").redeliveries > 0, timeout=PROCESS_START_SECONDS,
                   what="the committed, unacked batch to come back to the inbox")
    figures = pipeline.check(f"consumer SIGKILL in {where}", recovery_seconds=recovery).report()
    figures.assert_clean()
    assert figures.committed == len(codes)
    if where == "handler":
        assert figures.redeliveries == 0, "nothing was committed before the kill"


KILLS = {"relay": 20, "consumer": 16, "producer": 8}
WARM_UP_SECONDS = 120  # six interpreters at once (see PROCESS_START_SECONDS)


def test_storm_of_sigkills_on_relays_consumers_and_producers(pipeline, make_processes):
    """Two producers, two relays and two consumers, each SIGKILLed at random moments (relays 20
    times) and started again, while events keep coming."""
    rng = random.Random(20261130)
    processes = make_processes(pipeline.customers, pipeline.cases)
    generation = Counter()

    def start(role: str):
        generation[role] += 1
        if role.startswith("producer"):
            prefix = f"{role[-1].upper()}{generation[role]:02d}"
            return processes.start(role, "-m", "tests.faults.probe", "produce", prefix, "400", "0.01")
        return processes.start(role, *(RELAY if role.startswith("relay") else CONSUMER))

    roles = ["producer-a", "producer-b", "relay-1", "relay-2", "consumer-1", "consumer-2"]
    started_at = time.monotonic()
    running = {role: start(role) for role in roles}
    # Six interpreters start at once; under CI's four test workers on two cores that took over 30 s.
    wait_until(lambda: pipeline.check("warm-up").applied > 0, timeout=WARM_UP_SECONDS,
               what="the first event to be applied")
    warm_up = time.monotonic() - started_at

    committed_at_start = pipeline.check("storm start").committed
    plan = [kind for kind, count in KILLS.items() for _ in range(count)]
    rng.shuffle(plan)
    kills = Counter()
    for kind in plan:
        time.sleep(rng.uniform(0.1, 0.4))
        role = rng.choice([role for role in roles if role.startswith(kind)])
        if running[role].poll() is None:
            kill(running[role])
            kills[kind] += 1
        running[role] = start(role)
        for other in roles:  # a producer that finished its run starts another: the load stays on
            if other.startswith("producer") and running[other].poll() is not None:
                running[other] = start(other)
    storm_over = time.monotonic()
    committed_in_storm = pipeline.check("storm end").committed - committed_at_start
    for role in ("producer-a", "producer-b"):
        kill(running[role])

    recovery = pipeline.wait_drained(timeout=60, since=storm_over)
    figures = pipeline.check("storm of SIGKILLs", recovery_seconds=recovery)
    figures.extra.update({f"{kind}_kills": count for kind, count in sorted(kills.items())})
    figures.extra["committed_during_storm"] = committed_in_storm
    figures.extra["warm_up"] = f"{warm_up:.2f}s"
    figures.report().assert_clean()
    assert kills["relay"] >= 15 and kills["consumer"] >= 10, kills
    assert committed_in_storm > 0, "the load kept coming through the storm"
