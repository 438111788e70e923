"""End-to-end event throughput (customers outbox -> relay -> RabbitMQ -> cases consumer) against its floor.

Run: ``.venv/bin/python bench/events.py [--events 10000] [--repeat N]`` (real PostgreSQL and RabbitMQ;
``CAREDESK_TEST_POSTGRES_URL`` / ``CAREDESK_TEST_RABBITMQ_URL`` choose other servers). Each round uses
its own databases and vhost and drops them at the end. See bench/README.md for what each figure means.

One round:
  1. ours      - this process creates customers through ``create_customer`` (one transaction each,
                 change + outbox row), while ``caredesk relay customers`` and ``caredesk consume cases``
                 run as their own processes; measured from the first commit to the last effect in cases.
  2. producer  - the same producer with no relay or consumer running (what one producer can commit);
     backlog   - then a fresh relay and consumer drain those committed events: the messaging path
                 alone, timed from the first publish to the last effect. The goal ratio is taken here,
                 since the live figure is bounded by how fast one producer commits customers.
  3. floor     - raw kombu on the same kind of queue with messages of the same size: publish with
                 per-message confirms (``confirm_publish=True``, as specified) and with one confirm wait
                 per batch (what the relay does), then consume everything with manual acks.
  4. db floor  - raw psycopg INSERT + COMMIT of the same count.
"""
from __future__ import annotations

import argparse
import cProfile
import inspect
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from kombu import Connection, Consumer, Exchange, Producer, Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from caredesk.components import COMPONENTS  # noqa: E402
from services.customers.schemas import CustomerCreateSchema  # noqa: E402
from services.customers.use_cases import create_customer  # noqa: E402
from services.kit import migrations  # noqa: E402
from services.kit.auth import Principal  # noqa: E402
from services.kit.db import Database  # noqa: E402
from services.kit.messaging.topology import connect, declare, queue_name  # noqa: E402
from services.kit.uow import UnitOfWork  # noqa: E402

HANDLER = "replicate_customer"
ROUTING_KEY = "customer.created.v1"
GOAL = 0.5
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- throwaway servers' resources -------------------------------------------------------------
def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + path, parts.query, parts.fragment))


@contextmanager
def throwaway_database(admin_url: str, name: str):
    with closing(psycopg.connect(admin_url, autocommit=True)) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_path(admin_url, name)
    finally:
        with closing(psycopg.connect(admin_url, autocommit=True)) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rabbitmqctl(*args: str, wait: float = 120.0, harmless: str = "") -> None:
    """Run rabbitmqctl, retrying while the broker is unavailable (other users of a shared broker
    stop and start its app to test outages); an error containing ``harmless`` counts as done."""
    deadline = time.monotonic() + wait
    while True:
        done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=120)
        output = (done.stderr or "") + (done.stdout or "")
        if done.returncode == 0 or (harmless and harmless in output):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): {output.strip()[-500:]}")
        time.sleep(2)


@contextmanager
def throwaway_vhost(amqp_url: str, name: str):
    user = urlsplit(amqp_url).username or "guest"
    _rabbitmqctl("add_vhost", name, harmless="already exists")
    try:
        _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
        yield _with_path(amqp_url, name)
    finally:
        _rabbitmqctl("delete_vhost", name, harmless="does not exist")


@contextmanager
def process(args: list[str], env: dict, log_path: Path):
    """A child process terminated (then killed) by its own pid when the block ends."""
    log = open(log_path, "wb")
    proc = subprocess.Popen(args, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


# -- CPU accounting (where the two cores went) -------------------------------------------------
def _proc_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def _start_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def rabbitmq_server_pids() -> list[int]:
    """The broker's VM (the oldest beam.smp); rabbitmqctl runs short-lived VMs of the same name."""
    candidates = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "beam.smp":
                        candidates.append((_start_ticks(int(entry)), int(entry)))
            except OSError:
                pass
    return [min(candidates)[1]] if candidates else []


def postgres_pids(conn, databases: list[str]) -> list[int]:
    """Backends of our databases plus the server's own processes (WAL writer, checkpointer...)."""
    rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) "
                        "OR backend_type NOT IN ('client backend', 'autovacuum worker')", (databases,))
    return [row[0] for row in rows]


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """Cores kept busy by each group of processes between start() and stop(), and by everything else."""

    def __init__(self, groups: dict):
        self.groups = groups

    def _sample(self, pids: dict[str, list[int]]) -> dict[str, dict[int, int]]:
        return {name: {pid: _proc_ticks(pid) for pid in group} for name, group in pids.items()}

    def start(self) -> None:
        self._pids = {name: list(pids()) for name, pids in self.groups.items()}
        self._t0, self._machine0 = time.perf_counter(), _machine_ticks()
        self._before = self._sample(self._pids)

    def stop(self) -> dict:
        # processes that appeared meanwhile (a new pooled connection's backend) count from zero
        pids = {name: sorted(set(self._pids[name]) | set(pids())) for name, pids in self.groups.items()}
        after, machine1 = self._sample(pids), _machine_ticks()
        elapsed = time.perf_counter() - self._t0
        result = {}
        for name in self.groups:
            ticks = sum(t - self._before[name].get(pid, 0) for pid, t in after[name].items())
            result[name] = ticks / CLK_TCK / elapsed
        busy, total = machine1[0] - self._machine0[0], machine1[1] - self._machine0[1]
        result["machine"] = os.cpu_count() * busy / total if total else 0.0
        result["others"] = max(0.0, result["machine"] - sum(result[name] for name in self.groups))
        return result


# -- ours -----------------------------------------------------------------------------------
def bench_principal() -> Principal:
    return Principal(user_id=uuid.uuid4(), username="bench.front", level=1, branch_id=uuid.uuid4(),
                     department_id=uuid.uuid4(), permissions=frozenset({"edit_customers"}))


# The use case either opens the unit of work itself (``with uow:`` inside, the API passes a fresh one)
# or expects an open one (the API wraps it in ``with new_uow() as uow``); call it the way the API does.
USE_CASE_OPENS_UOW = "with uow" in inspect.getsource(create_customer)


def customer_inputs(prefix: str, count: int) -> list[dict]:
    """What the API would hand the use case: the request body after CustomerCreateSchema.load."""
    schema = CustomerCreateSchema()
    prefix = prefix.replace("_", "-")  # a code is letters, digits and '-'
    return [schema.load({"code": f"{prefix}-{i:06d}", "kind": "person" if i % 3 else "company",
                         "name": f"Bench Customer {prefix} {i}"}) for i in range(count)]


def produce(database: Database, principal: Principal, *, prefix: str, count: int) -> tuple[float, float, float]:
    """``count`` customers, one transaction each (as the API does).

    Returns (start, end) monotonic times and the CPU seconds this process spent meanwhile."""
    inputs = customer_inputs(prefix, count)
    started, cpu = time.monotonic(), time.process_time()
    for data in inputs:
        uow = UnitOfWork(database, producer="customers", actor=str(principal.user_id))
        if USE_CASE_OPENS_UOW:
            create_customer(uow, principal=principal, data=data)
        else:
            with uow:
                create_customer(uow, principal=principal, data=data)
    return started, time.monotonic(), time.process_time() - cpu


def _producer_process(url: str, prefix: str, count: int, barrier, results) -> None:
    """One of several concurrent producers (--producers > 1): imported and connected before the clock."""
    database = Database(url, COMPONENTS["customers"].metadata)
    principal = bench_principal()
    produce(database, principal, prefix=prefix + "warm", count=5)
    barrier.wait()
    results.put(produce(database, principal, prefix=prefix, count=count))
    database.dispose()


class Producers:
    """``count`` customers from this process, or split over ``processes`` concurrent processes."""

    def __init__(self, url: str, *, processes: int, prefix: str, count: int, profile: Path | None):
        self.url, self.processes, self.prefix, self.count, self.profile = url, processes, prefix, count, profile
        if processes > 1:
            context = multiprocessing.get_context("spawn")
            self._barrier, self._results = context.Barrier(processes + 1), context.Queue()
            shares = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
            self._children = [context.Process(target=_producer_process, daemon=True, args=(
                url, f"{prefix}p{i}", share, self._barrier, self._results)) for i, share in enumerate(shares)]
            for child in self._children:
                child.start()

    def run(self, database: Database, principal: Principal) -> tuple[float, float, float]:
        if self.processes > 1:
            self._barrier.wait(timeout=120)
            spans = [self._results.get(timeout=3600) for _ in self._children]
            for child in self._children:
                child.join(timeout=30)
            return min(s for s, _, _ in spans), max(e for _, e, _ in spans), sum(c for _, _, c in spans)
        if self.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            try:
                return produce(database, principal, prefix=self.prefix, count=self.count)
            finally:
                profiler.disable()
                profiler.dump_stats(self.profile / "producer.prof")
        return produce(database, principal, prefix=self.prefix, count=self.count)

    def close(self) -> None:
        for child in getattr(self, "_children", []):
            if child.is_alive():
                child.terminate()
                child.join(timeout=10)


def _scalar(conn, sql: str, *params):
    return conn.execute(sql, params).fetchone()[0]


def _wait_for(predicate, *, timeout: float, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def _applied(cases_conn) -> int:
    return _scalar(cases_conn, "SELECT count(*) FROM inbox WHERE handler = %s", HANDLER)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_ours(*, pg_admin: str, amqp_url: str, events: int, warmup: int, tag: str, workdir: Path,
             producer_alone: int, producers: int, profile: Path | None) -> dict:
    result: dict = {}
    with ExitStack() as stack:
        customers_db, cases_db = f"{tag}_customers", f"{tag}_cases"
        customers_url = stack.enter_context(throwaway_database(pg_admin, customers_db))
        cases_url = stack.enter_context(throwaway_database(pg_admin, cases_db))
        vhost_url = stack.enter_context(throwaway_vhost(amqp_url, tag))
        migrations.upgrade(COMPONENTS["customers"].migrations, customers_url)
        migrations.upgrade(COMPONENTS["cases"].migrations, cases_url)
        cases_conn = stack.enter_context(closing(psycopg.connect(cases_url, autocommit=True)))
        customers_conn = stack.enter_context(closing(psycopg.connect(customers_url, autocommit=True)))
        # Instrument only: the consumer's top-level transaction id on each inbox row (a default the
        # consumer never sees) tells how many events it applies per transaction. xmin cannot: the
        # consumer's savepoints give each row its own subtransaction id.
        cases_conn.execute("ALTER TABLE inbox ADD COLUMN bench_txid bigint DEFAULT txid_current()")

        data_dir = workdir / "data"
        cases_settings = COMPONENTS["cases"].settings(database_url=cases_url, broker_url=vhost_url,
                                                      data_dir=data_dir)
        # Queues and bindings exist before the first publish, so nothing is routed to nowhere.
        with connect(cases_settings) as connection:
            declare(connection, cases_settings, COMPONENTS["cases"].handlers)

        env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
        env.update(CAREDESK_CUSTOMERS_DATABASE_URL=customers_url, CAREDESK_CASES_DATABASE_URL=cases_url,
                   CAREDESK_BROKER_URL=vhost_url, CAREDESK_DATA_DIR=str(data_dir))
        def cli(name: str) -> list[str]:
            # cProfile writes its file when the process ends on SIGTERM (the cli stops its loop cleanly)
            wrap = ["-m", "cProfile", "-o", str(profile / f"{name}.prof")] if profile else []
            return [sys.executable, *wrap, "-m", "caredesk.cli"]
        relay = stack.enter_context(process(cli("relay") + ["relay", "customers"], env, workdir / "relay.log"))
        consumer = stack.enter_context(process(cli("consumer") + ["consume", "cases"], env, workdir / "consumer.log"))
        database = Database(customers_url, COMPONENTS["customers"].metadata)
        stack.callback(database.dispose)
        principal = bench_principal()
        producer = Producers(customers_url, processes=producers, prefix=f"m{tag}", count=events, profile=profile)
        stack.callback(producer.close)

        def alive() -> None:
            for name, proc in (("relay", relay), ("consumer", consumer)):
                if proc.poll() is not None:
                    log = (workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the {name} exited with {proc.returncode}:\n{log}")

        # Warm-up: both processes connected and their code paths warm before the clock starts.
        produce(database, principal, prefix=f"w{tag}", count=warmup)
        if not _wait_for(lambda: alive() or _applied(cases_conn) >= warmup, timeout=60, interval=0.05):
            unsent = _scalar(customers_conn, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            raise RuntimeError(f"warm-up: {_applied(cases_conn)} of {warmup} events applied in 60 s, "
                               f"{unsent} still unsent in the outbox")
        last_warm = _scalar(customers_conn, "SELECT coalesce(max(position), 0) FROM outbox")

        meter = CpuMeter({
            "relay": lambda: [relay.pid], "consumer": lambda: [consumer.pid],
            "postgres": lambda: postgres_pids(cases_conn, [customers_db, cases_db]),
            "rabbitmq": rabbitmq_server_pids,
        })
        meter.start()
        started, produced, producer_cpu = producer.run(database, principal)
        total = warmup + events
        done = _wait_for(lambda: _applied(cases_conn) >= total, timeout=max(60.0, events / 50))
        finished = time.monotonic()
        cpu = meter.stop()
        # the producers' own CPU (process_time), so exited producer processes and this process's polling
        # are neither lost nor counted; the rest of the machine is "others"
        cpu["producer"] = producer_cpu / (finished - started)
        cpu["others"] = max(0.0, cpu["others"] - cpu["producer"])
        result["cpu"] = cpu
        alive()

        # Give a late duplicate (if any) time to land before counting.
        time.sleep(0.5)
        with Connection(vhost_url) as conn:
            _, ready, _ = conn.default_channel.queue_declare(queue=queue_name(cases_settings, HANDLER),
                                                            passive=True)
        result["queue_left"] = ready

        outbox = customers_conn.execute(
            "SELECT event_id, created_at, sent_at, position > %s, envelope::text FROM outbox WHERE routing_key = %s "
            "ORDER BY position", (last_warm, ROUTING_KEY)).fetchall()
        inbox = cases_conn.execute(
            "SELECT event_id, handled_at, bench_txid FROM inbox WHERE handler = %s", (HANDLER,)).fetchall()
        customers = {row[0] for row in customers_conn.execute("SELECT id FROM customers")}
        replica = [row[0] for row in cases_conn.execute("SELECT id FROM customers")]

        outbox_ids = {row[0] for row in outbox}
        handled = {row[0]: row[1] for row in inbox}
        measured = [row for row in outbox if row[3]]
        measured_ids = {row[0] for row in measured}
        latencies = [(handled[row[0]] - row[1]).total_seconds() for row in measured if row[0] in handled]
        relay_lags = [(row[2] - row[1]).total_seconds() for row in measured if row[2] is not None]
        lost_events = sum(1 for row in outbox if row[0] not in handled)
        lost_customers = len(customers - set(replica))
        relay_batches = len({row[2] for row in measured})
        consumer_batches = len({row[2] for row in inbox if row[0] in measured_ids})
        result.update(
            completed=done,
            events=events,
            seconds=finished - started,
            ours=events / (finished - started),
            producer_in_pipeline=events / (produced - started),
            drain_after_producer=finished - produced,
            p50=percentile(latencies, 0.50), p95=percentile(latencies, 0.95), p_max=max(latencies or [0.0]),
            relay_lag_p50=percentile(relay_lags, 0.50),
            lost=max(lost_events, lost_customers),
            # one inbox row and one read-model row per event; the primary keys make more impossible,
            # so anything here means the bench itself is broken
            duplicates=(len(inbox) - len(handled)) + (len(replica) - len(set(replica)))
            + len(set(handled) - outbox_ids),
            unsent=sum(1 for row in outbox if row[2] is None),
            relay_batch_mean=events / max(relay_batches, 1),
            consumer_batch_mean=events / max(consumer_batches, 1),
            envelope=json.loads(measured[-1][4]),
        )

        # Stop the pipeline (and let cProfile write its files), then the producer with nothing else running.
        for proc in (relay, consumer):
            proc.terminate()
        for proc in (relay, consumer):
            proc.wait(timeout=30)
        # A broker or database outage during the round (someone else's fault test on a shared server)
        # shows up as "paused" warnings; such a round measures the outage, not us.
        result["pauses"] = sum(log.read_text(errors="replace").count("paused")
                               for log in (workdir / "relay.log", workdir / "consumer.log"))
        if producer_alone:
            # a customer also announces events the cases service does not take (customer.addresses.v1):
            # only customer.created.v1 rows are counted
            before_alone = _scalar(customers_conn, "SELECT coalesce(max(position), 0) FROM outbox")
            start_alone, end_alone, _ = produce(database, principal, prefix=f"a{tag}", count=producer_alone)
            result["producer_alone"] = producer_alone / (end_alone - start_alone)
            result.update(drain_backlog(stack, cli, env, workdir, customers_conn, cases_conn,
                                        after_position=before_alone, expected=total + producer_alone))
    return result


def drain_backlog(stack, cli, env, workdir: Path, customers_conn, cases_conn, *, after_position: int,
                  expected: int) -> dict:
    """The messaging path alone: events already committed (the producer-alone ones) relayed and applied
    by a fresh relay and consumer, timed from the relay's first publish to the last effect (database
    clocks, so process start-up is not counted). This is what compares with the floor."""
    stack.enter_context(process(cli("consumer-backlog") + ["consume", "cases"], env, workdir / "consumer-backlog.log"))
    stack.enter_context(process(cli("relay-backlog") + ["relay", "customers"], env, workdir / "relay-backlog.log"))
    done = _wait_for(lambda: _applied(cases_conn) >= expected, timeout=300, interval=0.05)
    first_sent = _scalar(customers_conn, "SELECT min(sent_at) FROM outbox WHERE position > %s AND routing_key = %s",
                         after_position, ROUTING_KEY)
    ids = [row[0] for row in customers_conn.execute(
        "SELECT event_id FROM outbox WHERE position > %s AND routing_key = %s", (after_position, ROUTING_KEY))]
    last_handled = _scalar(cases_conn, "SELECT max(handled_at) FROM inbox WHERE event_id = ANY(%s)", ids)
    seconds = (last_handled - first_sent).total_seconds() if done and first_sent and last_handled else None
    return {"backlog_events": len(ids), "backlog_completed": done,
            "backlog_rate": len(ids) / seconds if seconds else None}


# -- the floors ---------------------------------------------------------------------------
def _floor_queue(exchange: Exchange, name: str) -> Queue:
    return Queue(name, exchange=exchange, routing_key=ROUTING_KEY, durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def _consume_all(url: str, queue: Queue, count: int, prefetch: int) -> float:
    received = 0

    def on_message(_body, message):
        nonlocal received
        received += 1
        message.ack()

    with Connection(url) as conn:
        channel = conn.channel()
        channel.basic_qos(0, prefetch, False)
        consumer = Consumer(channel, queues=[queue], callbacks=[on_message], accept=["json"], no_ack=False)
        started = time.perf_counter()
        consumer.consume()
        while received < count:
            conn.drain_events(timeout=30)
        elapsed = time.perf_counter() - started
        consumer.cancel()
    return elapsed


def run_floor(*, amqp_url: str, events: int, envelope: dict, tag: str, prefetch: int, batch: int) -> dict:
    result: dict = {}
    with throwaway_vhost(amqp_url, f"{tag}_floor") as url:
        exchange = Exchange("bench.floor", type="topic", durable=True)
        each, batched = _floor_queue(exchange, "bench.floor.confirm_each"), _floor_queue(exchange, "bench.floor.confirm_batch")
        bodies = [dict(envelope, id=str(uuid.uuid4())) for _ in range(events)]
        result["body_bytes"] = len(json.dumps(envelope))

        # As specified: kombu's confirm_publish, i.e. every publish waits for its own confirm.
        with Connection(url, transport_options={"confirm_publish": True}) as conn:
            channel = conn.channel()
            each(channel).declare()
            producer = Producer(channel, exchange=exchange, serializer="json")
            started = time.perf_counter()
            for body in bodies:
                producer.publish(body, routing_key=ROUTING_KEY, delivery_mode=2)
            result["publish_each"] = time.perf_counter() - started

        # Same guarantee, one confirm wait per batch of ``batch`` (the relay's way, without its database).
        with Connection(url) as conn:
            channel = conn.channel()
            batched(channel).declare()
            channel.confirm_select()
            outstanding: set[int] = set()
            nacked = []

            def settle(delivery_tag, multiple):
                nonlocal outstanding
                if multiple:
                    outstanding = {t for t in outstanding if t > delivery_tag}
                else:
                    outstanding.discard(delivery_tag)

            channel.events["basic_ack"].add(settle)
            channel.events["basic_nack"].add(lambda tag, multiple: (nacked.append(tag), settle(tag, multiple)))
            producer = Producer(channel, exchange=exchange, serializer="json")
            next_tag = 1
            started = time.perf_counter()
            for offset in range(0, events, batch):
                for body in bodies[offset:offset + batch]:
                    producer.publish(body, routing_key=ROUTING_KEY, delivery_mode=2)
                    outstanding.add(next_tag)
                    next_tag += 1
                while outstanding:
                    conn.drain_events(timeout=30)
            if nacked:
                raise RuntimeError(f"the broker nacked {len(nacked)} floor messages")
            result["publish_batch"] = time.perf_counter() - started

        result["consume_each"] = _consume_all(url, each, events, prefetch)
        result["consume_batch"] = _consume_all(url, batched, events, prefetch)
    n = events
    result.update(
        floor=n / (result["publish_each"] + result["consume_each"]),
        floor_batched=n / (result["publish_batch"] + result["consume_batch"]),
        publish_each_rate=n / result["publish_each"],
        publish_batch_rate=n / result["publish_batch"],
        consume_rate=n / statistics.mean([result["consume_each"], result["consume_batch"]]),
    )
    return result


def run_db_floor(*, pg_admin: str, events: int, envelope: dict, tag: str) -> dict:
    with throwaway_database(pg_admin, f"{tag}_floor") as url, closing(psycopg.connect(url)) as conn:
        conn.execute("CREATE TABLE outbox (position bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, "
                     "routing_key varchar(200) NOT NULL, envelope json NOT NULL, "
                     "created_at timestamptz NOT NULL, sent_at timestamptz)")
        conn.commit()
        body = json.dumps(envelope)
        started = time.perf_counter()
        for _ in range(events):
            conn.execute("INSERT INTO outbox (event_id, routing_key, envelope, created_at) "
                         "VALUES (%s, %s, %s, now())", (uuid.uuid4(), ROUTING_KEY, body))
            conn.commit()
        elapsed = time.perf_counter() - started
    return {"db_floor": events / elapsed}


# -- the report ---------------------------------------------------------------------------
ROWS = [
    ("ours, backlog: relay+consumer (events/s)", "backlog_rate", "{:.0f}"),
    ("ratio backlog/floor (goal >= 0.5)", "ratio_backlog", "{:.2f}"),
    ("ratio backlog/batched floor", "ratio_backlog_batched", "{:.2f}"),
    ("ours, live: first commit -> last effect", "ours", "{:.0f}"),
    ("floor: publish(confirm each)+consume (msg/s)", "floor", "{:.0f}"),
    ("ratio live/floor", "ratio", "{:.2f}"),
    ("floor: publish(confirm per batch)+consume", "floor_batched", "{:.0f}"),
    ("ratio live/batched floor", "ratio_batched", "{:.2f}"),
    ("latency p50 (s, outbox created -> inbox)", "p50", "{:.3f}"),
    ("latency p95 (s)", "p95", "{:.3f}"),
    ("latency max (s)", "p_max", "{:.3f}"),
    ("lost events", "lost", "{:.0f}"),
    ("duplicate effects", "duplicates", "{:.0f}"),
    ("unsent outbox rows / left in queue", "leftovers", "{}"),
    ("relay/consumer pauses (outages; must be 0)", "pauses", "{:.0f}"),
    ("producer commits/s during the pipeline", "producer_in_pipeline", "{:.0f}"),
    ("producer commits/s alone", "producer_alone", "{:.0f}"),
    ("drain after the last commit (s)", "drain_after_producer", "{:.2f}"),
    ("relay lag p50 (s, created -> sent)", "relay_lag_p50", "{:.3f}"),
    ("relay batch mean (events)", "relay_batch_mean", "{:.1f}"),
    ("consumer batch mean (events/transaction)", "consumer_batch_mean", "{:.1f}"),
    ("publish only, confirm each (msg/s)", "publish_each_rate", "{:.0f}"),
    ("publish only, confirm per batch (msg/s)", "publish_batch_rate", "{:.0f}"),
    ("consume only, manual acks (msg/s)", "consume_rate", "{:.0f}"),
    ("DB floor: INSERT+COMMIT (commits/s)", "db_floor", "{:.0f}"),
    ("message body (bytes)", "body_bytes", "{:.0f}"),
]
CPU_GROUPS = ("producer", "relay", "consumer", "postgres", "rabbitmq", "others", "machine")


def _fmt(fmt: str, value) -> str:
    if value is None:
        return "-"
    return fmt.format(value)


def report(rounds: list[dict]) -> bool:
    width = max(len(label) for label, _, _ in ROWS) + 2
    header = "".join(f"{'round ' + str(i + 1):>10}" for i in range(len(rounds)))
    print()
    print(f"{'':<{width}}{header}{'median':>10}")
    for label, key, fmt in ROWS:
        values = [r.get(key) for r in rounds]
        numeric = [v for v in values if isinstance(v, (int, float))]
        median = statistics.median(numeric) if numeric and len(numeric) == len(values) else None
        if key == "leftovers":
            median = None
        print(f"{label:<{width}}" + "".join(f"{_fmt(fmt, v):>10}" for v in values) + f"{_fmt(fmt, median):>10}")
    print(f"\nCPU during 'ours' (cores busy on average, of {os.cpu_count()}), medians:")
    print("  cores busy:     " + "  ".join(
        f"{g}={statistics.median(r['cpu'][g] for r in rounds):.2f}" for g in CPU_GROUPS))
    print("  CPU ms / event: " + "  ".join(
        f"{g}={statistics.median(1000 * r['cpu'][g] * r['seconds'] / r['events'] for r in rounds):.2f}"
        for g in CPU_GROUPS if g not in ("others", "machine")))
    ratio = statistics.median(r["ratio"] for r in rounds)
    print(f"\nlive pipeline/floor = {ratio:.2f} (bounded by the producer: see 'producer commits/s alone').")
    backlog = [r["ratio_backlog"] for r in rounds if r.get("ratio_backlog")]
    if backlog:
        median = statistics.median(backlog)
        print(f"backlog (relay+consumer)/floor = {median:.2f} ({'meets' if median >= GOAL else 'below'} "
              f"the {GOAL} goal).")
    if any(r["lost"] or r["duplicates"] or not r["completed"] or not r.get("backlog_completed", True)
           for r in rounds):
        print("FAIL: lost, duplicated or unapplied events (see the rows above).")
        return False
    return True


def run_round(args, index: int) -> dict:
    tag = f"{args.prefix}_{uuid.uuid4().hex[:10]}"
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-events-{tag}-"))
    profile = None
    if args.profile:
        profile = (args.profile / f"round{index + 1}").resolve()
        profile.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        ours = run_ours(pg_admin=args.postgres_url, amqp_url=args.rabbitmq_url, events=args.events,
                        warmup=args.warmup, tag=tag, workdir=workdir, producer_alone=args.events if args.producer_alone is None else args.producer_alone,
                        producers=args.producers, profile=profile)
        envelope = ours.pop("envelope")
        settings = COMPONENTS["cases"].settings(data_dir=workdir / "data")
        floor = run_floor(amqp_url=args.rabbitmq_url, events=args.events, envelope=envelope, tag=tag,
                          prefetch=settings.consumer_prefetch, batch=settings.relay_batch_size)
        db = run_db_floor(pg_admin=args.postgres_url, events=args.events, envelope=envelope, tag=tag)
        result = {**ours, **floor, **db}
        result["ratio"] = result["ours"] / result["floor"]
        result["ratio_batched"] = result["ours"] / result["floor_batched"]
        if result.get("backlog_rate"):
            result["ratio_backlog"] = result["backlog_rate"] / result["floor"]
            result["ratio_backlog_batched"] = result["backlog_rate"] / result["floor_batched"]
        result["leftovers"] = f"{result['unsent']}/{result['queue_left']}"
        if not result["completed"]:
            print(f"round {index + 1}: NOT all events were applied in time", file=sys.stderr)
        print(f"round {index + 1}: ours {result['ours']:.0f}/s, floor {result['floor']:.0f}/s, batched floor "
              f"{result['floor_batched']:.0f}/s, ratio {result['ratio']:.2f}, lost {result['lost']}, "
              f"duplicates {result['duplicates']} ({time.perf_counter() - t:.0f} s)", flush=True)
        return result
    except BaseException:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- last lines of the {log.stem} log ---", file=sys.stderr)
            print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events per round (default 10000)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed (default 1)")
    parser.add_argument("--warmup", type=int, default=50, help="events before the clock starts (default 50)")
    parser.add_argument("--producer-alone", type=int, default=None,
                        help="customers committed with the relay and consumer stopped, then drained as a backlog "
                             "(default: as many as --events; 0 skips)")
    parser.add_argument("--producers", type=int, default=1,
                        help="concurrent producer processes (default 1: this process, one commit at a time)")
    parser.add_argument("--profile", type=Path,
                        help="write cProfile files of the producer, relay and consumer here (slows them down)")
    parser.add_argument("--retries", type=int, default=2,
                        help="rounds run again after a failure or a broker/database outage (default 2)")
    parser.add_argument("--prefix", default="bench",
                        help="name prefix of the throwaway databases and vhosts (a shared server: your own, e.g. h4)")
    parser.add_argument("--json", type=Path, help="also write every round's figures here")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CAREDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rabbitmq-url", default=os.environ.get(
        "CAREDESK_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"{args.events} events per round, {args.repeat} round(s), {args.producers} producer(s), "
          f"{os.cpu_count()} cores", flush=True)
    rounds, retries = [], args.retries
    while len(rounds) < args.repeat:
        try:
            result = run_round(args, len(rounds))
        except Exception as exc:  # noqa: BLE001 - a shared server went away; the round measured nothing
            if retries <= 0:
                raise
            retries -= 1
            print(f"round {len(rounds) + 1} failed ({type(exc).__name__}: {str(exc)[:300]}); running it again",
                  file=sys.stderr, flush=True)
            continue
        if result["pauses"] and retries > 0:
            retries -= 1
            print(f"round {len(rounds) + 1} discarded: the relay or consumer paused {result['pauses']} time(s) "
                  "(broker or database outage); running it again", file=sys.stderr, flush=True)
            continue
        rounds.append(result)
    ok = report(rounds)
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=2, default=str))
    print(f"\n{args.events} events x {args.repeat} round(s) in {time.perf_counter() - started:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
