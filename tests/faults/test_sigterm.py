"""SIGTERM to each process kind under load, against the real PostgreSQL and RabbitMQ: what a
Kubernetes rollout, a scale-down or `docker compose stop` does. Expected every time: the process
exits 0 well within its grace period (terminationGracePeriodSeconds / stop_grace_period, checked
against these figures below), nothing committed is lost and nothing is applied twice.

* relay: finishes its batch (rows are marked sent only after the broker confirmed them);
* consumer: stops fetching, finishes or gives back the messages in hand;
* API (gunicorn): stops accepting, answers every request in flight;
* Celery worker: warm shutdown, the task in hand runs to its end (acks late);
* beat: stops at once (its schedule is only timing).

Each test prints ``FAULTS production SIGTERM …`` lines with its figures.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import select

from services.notifications.deliveries.models import Delivery
from tests.catchers import MailCatcher
from tests.conftest import make_principal
from tests.faults.checker import REPORTED
from tests.faults.conftest import wait_until
from tests.faults.test_process_kills import CONSUMER, RELAY
from tests.integration.conftest import make_service  # noqa: F401 - fixture
from tests.integration.notifications.test_celery_sending import record_batch, sent

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PORTS = range(25000, 26000)  # this suite's own range


def grace_periods() -> dict[str, int]:
    """Kubernetes' terminationGracePeriodSeconds of each Deployment (the base's manifests)."""
    periods = {}
    for path in (ROOT / "deploy" / "k8s" / "base").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == "Deployment":
                periods[doc["metadata"]["name"]] = doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    return periods


GRACE = grace_periods()


def line(text: str) -> None:
    print(text, flush=True)
    REPORTED.append(text)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 25000-25999")


def terminate(process: subprocess.Popen, *, grace: float) -> tuple[int, float]:
    """SIGTERM (to the process only, as the kubelet sends it to PID 1); exit code and seconds."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"still running {grace}s after SIGTERM: the kubelet would SIGKILL it")
    return code, time.monotonic() - started


def healthy(processes, health_file: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "caredesk.cli", "health"], cwd=ROOT, capture_output=True, text=True,
                          env=processes.env() | {"CAREDESK_HEALTH_FILE": str(health_file)}, timeout=60)
    return done.returncode == 0


@pytest.mark.parametrize("pipeline", ["production"], indirect=True)
def test_relay_and_consumer_stop_cleanly_on_sigterm_under_load(pipeline, make_processes, tmp_path):
    """A producer commits 600 customers over ~12 s; the relay is SIGTERMed at a third of them and
    started again, the consumer at two thirds and started again."""
    processes = make_processes(pipeline.customers, pipeline.cases)
    health = {"relay": tmp_path / "relay-health.json", "consumer": tmp_path / "consumer-health.json"}

    def start(kind: str) -> subprocess.Popen:
        processes.extra_env = {"CAREDESK_HEALTH_FILE": str(health[kind])}
        return processes.start(kind, *(RELAY if kind == "relay" else CONSUMER))

    relay, consumer = start("relay"), start("consumer")
    processes.extra_env = {}
    producer = processes.start("producer", "-m", "tests.faults.probe", "produce", "TERM", "600", "0.02")
    wait_until(lambda: healthy(processes, health["relay"]) and healthy(processes, health["consumer"]),
               timeout=60, what="caredesk health to pass for the relay and the consumer")

    figures = {}
    for kind, process, share in (("relay", relay, 200), ("consumer", consumer, 400)):
        wait_until(lambda: pipeline.check("progress").applied >= share, timeout=120, what=f"{share} events applied")
        code, seconds = terminate(process, grace=GRACE[f"cases-{kind}"])
        assert code == 0, processes.logs()
        figures[kind] = seconds
        start(kind)
        processes.extra_env = {}
    assert producer.wait(timeout=180) == 0
    recovery = pipeline.wait_drained(timeout=120)
    result = pipeline.check("SIGTERM relay and consumer", recovery_seconds=recovery)
    result.extra = {"relay_exit": f"{figures['relay']:.2f}s", "consumer_exit": f"{figures['consumer']:.2f}s",
                    "grace": f"{GRACE['cases-relay']}s"}
    result.report().assert_clean()
    assert result.committed == 600


@pytest.mark.parametrize("pipeline", ["production"], indirect=True)
def test_api_answers_every_request_in_flight_on_sigterm(pipeline, make_processes, key_pair, token_issuer, tmp_path):
    """Eight clients write customers through gunicorn as fast as it answers; SIGTERM to the master.
    Every request it accepted is answered; every 201 is one row and every row had its 201."""
    port = free_port()
    health_file = tmp_path / "api-health.json"
    processes = make_processes(pipeline.customers)
    processes.extra_env = {"CAREDESK_JWT_PUBLIC_KEY_FILE": str(key_pair[1]), "CAREDESK_HEALTH_FILE": str(health_file)}
    api = processes.caredesk("api", "serve", "customers", "--port", str(port), "--workers", "2", "--threads", "4")
    url = f"http://127.0.0.1:{port}/api/v1/customers"
    wait_until(lambda: healthy(processes, health_file), timeout=90, what="caredesk health to pass for the API")
    token, _ = token_issuer.issue(make_principal(level=1, permissions=frozenset({"edit_customers"})))
    outcomes: Counter = Counter()
    created: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for n in range(100_000):
            if stop.is_set():
                return
            code = f"API-{number}-{n:05d}"
            try:
                answer = session.post(url, json={"code": code, "kind": "person", "name": f"Customer {code}"},
                                      timeout=30)
            except requests.ConnectionError as exc:
                # Refused or reset before the request was read: only once the master has stopped
                # accepting; a request it read is always answered.
                with lock:
                    outcomes["not accepted"] += 1
                    errors.append(type(exc).__name__)
                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {token}"
                if api.poll() is not None:
                    return
                time.sleep(0.05)
                continue
            with lock:
                outcomes[answer.status_code] += 1
                if answer.status_code == 201:
                    created.append(code)
            if answer.status_code != 201:
                stop.set()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: outcomes[201] >= 150 or stop.is_set(), timeout=120, what="150 customers written through the API")
        assert set(outcomes) <= {201, "not accepted"}, outcomes
        answered_before = sum(count for status, count in outcomes.items() if status != "not accepted")
        code, seconds = terminate(api, grace=GRACE["customers-api"])
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    with pipeline.customers.database.session() as session:
        from services.customers.models import Customer
        rows = Counter(session.scalars(select(Customer.code).where(Customer.code.like("API-%"))))
    line(f"FAULTS production SIGTERM api: answered={sum(v for k, v in outcomes.items() if k != 'not accepted')} "
         f"(before SIGTERM {answered_before}) statuses={dict((str(k), v) for k, v in outcomes.items())} "
         f"rows={sum(rows.values())} duplicate_rows={sum(c - 1 for c in rows.values())} "
         f"exit={code} in {seconds:.2f}s grace={GRACE['customers-api']}s")
    assert code == 0, processes.logs()
    assert set(outcomes) <= {201, "not accepted"}, outcomes  # no 5xx, no half-answered request
    assert sorted(rows) == sorted(created)  # each 201 is a row, each row had its 201
    assert all(count == 1 for count in rows.values())
    assert set(errors) <= {"ConnectionError"}, errors


class SlowMailCatcher(MailCatcher):
    """An SMTP server taking 0.3 s per message, so sends are in flight when the signal comes."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.3)
        return await super().handle_DATA(server, session, envelope)


def test_celery_worker_finishes_its_sends_and_beat_stops_on_sigterm(make_service, make_processes, tmp_path):
    """300 e-mails through a slow SMTP server; the worker (8 threads) is SIGTERMed twice mid-batch
    and started again; at the end beat is SIGTERMed. Every e-mail arrives exactly once: a send in
    flight at the signal runs to its end (nothing to resend, unlike SIGKILL)."""
    notifications = make_service("notifications")
    batch = 300
    record_batch(notifications, batch)
    health = {"tasks": tmp_path / "tasks-health.json", "beat": tmp_path / "beat-health.json"}
    exits = []
    with SlowMailCatcher() as smtp:
        processes = make_processes(notifications)
        base_env = {"CAREDESK_NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "CAREDESK_NOTIFICATIONS_SMTP_PORT": str(smtp.port),
                    "CAREDESK_NOTIFICATIONS_RATE_EMAIL": "2000/s",
                    "CAREDESK_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule")}
        processes.extra_env = base_env | {"CAREDESK_HEALTH_FILE": str(health["beat"])}
        beat = processes.caredesk("beat", "beat")
        processes.extra_env = base_env | {"CAREDESK_HEALTH_FILE": str(health["tasks"])}
        for threshold in (batch // 4, batch // 2):
            # The signal must find this worker sending (a worker still booting has no handler for it
            # yet), so it waits for sends of its own even when the last one got past the threshold.
            sent_before = sent(notifications)
            worker = processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "8")
            wait_until(lambda: sent(notifications) >= max(threshold, sent_before + 16), timeout=180,
                       what=f"{threshold} e-mails sent")
            assert healthy(processes, health["tasks"]), "caredesk health fails for a working Celery worker"
            in_flight = len(smtp.message_ids())
            code, seconds = terminate(worker, grace=GRACE["notifications-tasks"])
            assert code == 0, processes.logs()
            exits.append((seconds, len(smtp.message_ids()) - in_flight))
        processes.caredesk("tasks", "tasks", "notifications", "--concurrency", "8")
        wait_until(lambda: sent(notifications) == batch, timeout=300, what="every e-mail sent")
        assert healthy(processes, health["beat"]), "caredesk health fails for a working beat"
        beat_code, beat_seconds = terminate(beat, grace=GRACE["caredesk-beat"])
        ids = smtp.message_ids()
    with notifications.database.session() as session:
        expected = {f"<{delivery_id}@caredesk>" for delivery_id in session.scalars(select(Delivery.id))}
    copies = Counter(ids)
    resent = sum(count - 1 for count in copies.values())
    line(f"FAULTS production SIGTERM celery worker: e-mails={batch} received={len(ids)} distinct={len(copies)} "
         f"resent={resent} missing={len(expected - set(copies))} worker_exits="
         + ",".join(f"{s:.2f}s(+{n} finished after the signal)" for s, n in exits)
         + f" grace={GRACE['notifications-tasks']}s; beat exit={beat_code} in {beat_seconds:.2f}s "
           f"grace={GRACE['caredesk-beat']}s")
    assert beat_code == 0
    assert set(copies) == expected
    assert resent == 0, "a send in flight at SIGTERM was sent again"
