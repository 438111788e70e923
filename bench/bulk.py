"""Bulk jobs on the real PostgreSQL: the bulk change of preferred sales agent and the billing import.

Run: ``.venv/bin/python bench/bulk.py`` (100,000 customers, 1,000,000 invoices; ``--customers N``,
``--invoices N`` for a quicker run; ``--repeat K`` rounds, medians printed). Ports from
``CAREDESK_BENCH_PORT_BASE`` (default 45000), databases and vhosts named ``<prefix>_<hex>``
(``--prefix`` or ``CAREDESK_BENCH_DB_PREFIX``, default ``caredesk_bench``); all dropped at the end.

What one round does:
  1. load   a throwaway customers database migrated with the service's migrations; N customers of
            agent A (INSERT … SELECT generate_series, with their code search keys), agents A and B
            in the directory replica, ANALYZE.
  2. serve  ``caredesk serve customers`` (gunicorn, as deployed) and ``caredesk relay customers``
            against a throwaway RabbitMQ vhost, both running through the whole round. A queue on
            that vhost is bound to every event, as the services' queues are in production, so
            the relay's publishes are routed (``--unroutable``: no queue, every event returned
            and parked, the costlier path the bench measured before).
  3. reads  GET /api/v1/customers/{random id} from one client, back to back: p50/p95 with no job
            running (baseline), then again while each job runs.
  4. agent  ``propose_sales_agent_change`` + ``confirm_sales_agent_change`` (the use cases behind
            POST /sales-agent-changes and …/confirm, in this process so its memory can be read):
            A -> B for all N customers, a chunk of 1,000 per transaction; elapsed, rows/s, this
            process's peak RSS (VmHWM) after 10% and after 100% of the chunks; outbox rows written,
            relay backlog when the job ends and the time until the relay has sent them all.
     floor  raw psycopg, B -> A, the same chunks: UPDATE … RETURNING, the history rows and one
            outbox-shaped row per customer (prebuilt JSON of the same size) by COPY, a commit per chunk.
  5. import a CSV of M invoices over the N customers, imported as ``caredesk import-billing`` does
            (``stream_rows`` + ``import_billing``, not partial: a checking pass, then the writing
            pass, batches of 500); the same figures, RSS at 10% and 100% of the writing pass.
     floor  raw psycopg: the CSV read with the csv module, customer ids from one query, the
            receivables and one outbox-shaped row each COPYed into copies of those tables.
Printed: each job's figure, its floor, and the ratio floor time / our time; the CPU time of this
process per row (``process_time``: the job, plus the few GETs of the reading thread), steadier than
the rates on a shared machine, the relay process's CPU per event (from the job's start until its
events are sent), and the load average at the start.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, closing, contextmanager
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from events import throwaway_vhost  # noqa: E402
from kombu import Connection, Queue  # noqa: E402
from gateway.auth.keys import ensure_key_pair  # noqa: E402
from gateway.auth.tokens import TokenIssuer  # noqa: E402
from search import serve, throwaway_database  # noqa: E402
from take_next import cpu_seconds  # noqa: E402
from services.customers import MIGRATIONS  # noqa: E402
from services.customers.finance.csv_import import stream_rows  # noqa: E402
from services.customers.finance.use_cases import import_billing  # noqa: E402
from services.customers.models import Base  # noqa: E402
from services.customers.sales_agents import use_cases as agents  # noqa: E402
from services.kit import migrations  # noqa: E402
from services.kit.auth import Principal  # noqa: E402
from services.kit.db import Database  # noqa: E402
from services.kit.messaging.topology import events_exchange  # noqa: E402
from services.kit.settings import load_settings  # noqa: E402
from services.kit.uow import UnitOfWork  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
BRANCH, DEPARTMENT = uuid.UUID(int=0xB000), uuid.UUID(int=0xD000)
AGENT_A, AGENT_B = uuid.UUID(int=0xA6E1), uuid.UUID(int=0xA6E2)


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def reset_hwm() -> None:
    """Peak RSS counted from now (writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


# -- loading --------------------------------------------------------------------------------------
def load(url: str, customers: int) -> float:
    started = time.perf_counter()
    with closing(psycopg.connect(url, autocommit=True)) as db:
        db.execute(
            "INSERT INTO directory_users (id, username, full_name, level, branch_id, department_id, permissions, "
            "queues, is_active, directory_version, updated_at) VALUES "
            "(%s, 'agent.a', 'Agente A', 4, %s, %s, '[]', '[]', true, 1, now()), "
            "(%s, 'agent.b', 'Agente B', 4, %s, %s, '[]', '[]', true, 1, now())",
            (AGENT_A, BRANCH, DEPARTMENT, AGENT_B, BRANCH, DEPARTMENT))
        db.execute(
            "INSERT INTO customers (id, code, kind, name, search_name, status, region, address, description, "
            "campaigns, branch_id, department_id, preferred_sales_agent_id, version, created_at, updated_at) "
            "SELECT gen_random_uuid(), 'B-' || n, 'person', 'Cliente Pérez ' || n, ' cliente perez ' || n || ' ', "
            "'active', '', '', '', '[]', %s, %s, %s, 1, now(), now() FROM generate_series(1, %s) AS n",
            (BRANCH, DEPARTMENT, AGENT_A, customers))
        db.execute("INSERT INTO customer_search_terms (term, kind, customer_id) "
                   "SELECT upper(code), 'code', id FROM customers WHERE code LIKE 'B-%%'")
        db.execute("ANALYZE")
    return time.perf_counter() - started


def write_csv(path: Path, invoices: int, customers: int) -> None:
    issued = date(2026, 1, 1)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["invoice_number", "customer_code", "issue_date", "due_date", "amount", "currency",
                         "paid_amount"])
        for n in range(1, invoices + 1):
            day = issued + timedelta(days=n % 300)
            writer.writerow([f"F-{n:08d}", f"B-{1 + n % customers}", day.isoformat(),
                             (day + timedelta(days=20)).isoformat(), f"{10000 + n % 90000}.00", "COP",
                             "0" if n % 4 else f"{10000 + n % 90000}.00"])


# -- the API read while a job runs ------------------------------------------------------------------
class Reader(threading.Thread):
    """GET a random customer back to back on one kept-alive connection until stopped."""

    def __init__(self, port: int, token: str, ids: list[str]) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.ids = port, token, ids
        self.latencies: list[float] = []
        self.errors = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}"}
        rng = random.Random(7)
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                connection.request("GET", f"/api/v1/customers/{rng.choice(self.ids)}", headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            self.latencies.append(time.perf_counter() - started)
            time.sleep(0.01)  # a busy user, not a load test: the job has the rest of the machine

    def stop(self) -> dict:
        self.stopping.set()
        self.join(timeout=60)
        ms = sorted(x * 1000 for x in self.latencies)
        if not ms:
            return {"n": 0, "p50": float("nan"), "p95": float("nan"), "errors": self.errors}
        return {"n": len(ms), "p50": ms[len(ms) // 2], "p95": ms[int(len(ms) * 0.95) - 1 if len(ms) > 1 else 0],
                "errors": self.errors}


@contextmanager
def reading(port: int, token: str, ids: list[str]):
    reader = Reader(port, token, ids)
    reader.start()
    result: dict = {}
    try:
        yield result
    finally:
        result.update(reader.stop())


def baseline_reads(port: int, token: str, ids: list[str], seconds: float) -> dict:
    with reading(port, token, ids) as result:
        time.sleep(seconds)
    return result


# -- outbox ---------------------------------------------------------------------------------------
def outbox_counts(url: str) -> tuple[int, int, int]:
    """(last position, rows not yet sent, rows written in all)."""
    with closing(psycopg.connect(url, autocommit=True)) as db:
        return db.execute("SELECT coalesce(max(position), 0), count(*) FILTER (WHERE sent_at IS NULL), count(*) "
                          "FROM outbox").fetchone()


def drain(url: str, after: int, timeout: float = 1800) -> dict:
    """Wait until the relay sent every row past ``after``; its rate from the database clocks."""
    started = time.perf_counter()
    with closing(psycopg.connect(url, autocommit=True)) as db:
        backlog_at_end = db.execute("SELECT count(*) FROM outbox WHERE position > %s AND sent_at IS NULL",
                                    (after,)).fetchone()[0]
        # whether one unsent row is left, from the unsent rows' index: counting them all every half
        # second took half a core while a million waited
        db.execute("SET enable_seqscan = off")
        while db.execute("SELECT EXISTS (SELECT FROM outbox WHERE position > %s AND sent_at IS NULL)",
                         (after,)).fetchone()[0]:
            if time.perf_counter() - started > timeout:
                raise RuntimeError("the relay did not drain the outbox in time")
            time.sleep(0.5)
        rows, first_created, first_sent, last_sent = db.execute(
            "SELECT count(*), min(created_at), min(sent_at), max(sent_at) FROM outbox WHERE position > %s",
            (after,)).fetchone()
    span = (last_sent - first_sent).total_seconds() if rows > 1 else 0.0
    return {"events": rows, "backlog_at_end": backlog_at_end, "drain_after_end_s": time.perf_counter() - started,
            "relay_rate": rows / span if span else float("nan"),
            "lag_s": (last_sent - first_created).total_seconds() if rows else 0.0}


# -- the jobs -------------------------------------------------------------------------------------
class ProbedUnitOfWork(UnitOfWork):
    """The service's unit of work; after each commit, a callback (progress and memory)."""

    def __init__(self, *args, after_commit, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.after_commit = after_commit

    def commit(self) -> None:
        super().commit()
        self.after_commit()


def agent_change_ours(database: Database, principal: Principal, customers: int) -> dict:
    chunks = -(-customers // agents.CHUNK_SIZE)
    marks: dict[str, float] = {}
    commits = 0

    def after_commit() -> None:
        nonlocal commits
        commits += 1
        if commits == max(1, chunks // 10) + 1:  # the proposal's commit comes first
            marks["rss_10"] = vm_hwm_mb()

    reset_hwm()
    started, cpu = time.perf_counter(), time.process_time()
    uow = ProbedUnitOfWork(database, producer="customers", actor=str(principal.user_id), after_commit=after_commit)
    change = agents.propose_sales_agent_change(uow, principal=principal,
                                               moves=[{"from_agent_id": AGENT_A, "to_agent_id": AGENT_B}])
    change = agents.confirm_sales_agent_change(uow, principal=principal, change_id=change.id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if change.moved != customers:
        raise RuntimeError(f"moved {change.moved} of {customers}")
    return {"rows": change.moved, "seconds": elapsed, "cpu_seconds": cpu, "rss_10": marks.get("rss_10", float("nan")),
            "rss_100": vm_hwm_mb()}


def agent_change_floor(url: str, principal: Principal, customers: int, envelope_size: int) -> dict:
    """B -> A with raw psycopg, a chunk of CHUNK_SIZE customers per transaction."""
    padding = "x" * max(0, envelope_size - 200)
    started = time.perf_counter()
    with closing(psycopg.connect(url)) as db:
        last = uuid.UUID(int=0)
        moved = 0
        while True:
            with db.transaction():
                rows = db.execute(
                    "UPDATE customers c SET preferred_sales_agent_id = %s, version = c.version + 1, updated_at = now() "
                    "FROM (SELECT id FROM customers WHERE preferred_sales_agent_id = %s AND id > %s ORDER BY id "
                    "LIMIT %s FOR UPDATE) AS chunk WHERE c.id = chunk.id RETURNING c.id, c.version",
                    (AGENT_A, AGENT_B, last, agents.CHUNK_SIZE)).fetchall()
                if not rows:
                    break
                with db.cursor().copy("COPY customer_changes (id, customer_id, entity, entity_id, field, old_value, "
                                      "new_value, actor_id, changed_at) FROM STDIN") as copy:
                    for customer_id, _version in rows:
                        copy.write_row((uuid.uuid4(), customer_id, "customer", customer_id,
                                        "preferred_sales_agent_id", str(AGENT_B), str(AGENT_A), principal.user_id,
                                        "now"))
                with db.cursor().copy("COPY outbox_floor (event_id, routing_key, envelope, created_at, sent_at) "
                                      "FROM STDIN") as copy:
                    for customer_id, version in rows:
                        copy.write_row((uuid.uuid4(), "customer.updated.v1", json.dumps(
                            {"id": str(customer_id), "version": version, "pad": padding}), "now", "now"))
                moved += len(rows)
                last = max(row[0] for row in rows)
    if moved != customers:
        raise RuntimeError(f"floor moved {moved} of {customers}")
    return {"rows": moved, "seconds": time.perf_counter() - started}


def import_ours(database: Database, principal: Principal, path: Path, invoices: int) -> dict:
    source = stream_rows(path, kind="invoices")
    passes = 0
    marks: dict[str, float] = {}

    def rows():
        nonlocal passes
        passes += 1
        for count, row in enumerate(source(), start=1):
            if passes == 2 and count == invoices // 10:
                marks["rss_10"] = vm_hwm_mb()
            yield row

    reset_hwm()
    started, cpu = time.perf_counter(), time.process_time()
    result = import_billing(
        lambda: UnitOfWork(database, producer="customers", actor=str(principal.user_id)),
        principal=principal, kind="invoices", rows=rows, partial=False, reporting_currency="USD")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result.created != invoices:
        raise RuntimeError(f"created {result.created} of {invoices}: {result}")
    return {"rows": result.created, "seconds": elapsed, "cpu_seconds": cpu, "rss_10": marks.get("rss_10", float("nan")),
            "rss_100": vm_hwm_mb()}


def import_floor(url: str, path: Path, invoices: int, envelope_size: int) -> dict:
    padding = "x" * max(0, envelope_size - 200)
    started = time.perf_counter()
    # one COPY per connection (a connection runs one COPY at a time): two connections side by side
    with closing(psycopg.connect(url)) as db, closing(psycopg.connect(url)) as events_db:
        ids = dict(db.execute("SELECT code, id FROM customers WHERE code LIKE 'B-%'").fetchall())
        with db.transaction(), events_db.transaction(), path.open(newline="") as stream:
            reader = csv.reader(stream)
            next(reader)
            with db.cursor().copy("COPY receivables_floor (id, invoice_number, customer_id, issue_date, due_date, "
                                  "amount, currency, paid_amount, outstanding, settled_on, version, created_at, "
                                  "updated_at) FROM STDIN") as copy, \
                    events_db.cursor().copy("COPY outbox_floor (event_id, routing_key, envelope, created_at, sent_at) "
                                            "FROM STDIN") as event_copy:
                for number, code, issued, due, amount, currency, paid in reader:
                    receivable_id = uuid.uuid4()
                    cents, paid_cents = round(float(amount) * 100), round(float(paid) * 100)  # Money: cents
                    outstanding = cents - paid_cents
                    copy.write_row((receivable_id, number, ids[code], issued, due, cents, currency, paid_cents,
                                    outstanding, None if outstanding else issued, 1, "now", "now"))
                    event_copy.write_row((uuid.uuid4(), "receivable.recorded.v1", json.dumps(
                        {"id": str(receivable_id), "invoice_number": number, "pad": padding}), "now", "now"))
    return {"rows": invoices, "seconds": time.perf_counter() - started}


def mean_envelope_size(url: str, after: int) -> int:
    with closing(psycopg.connect(url, autocommit=True)) as db:
        return int(db.execute("SELECT coalesce(avg(length(envelope::text)), 0) FROM outbox WHERE position > %s",
                              (after,)).fetchone()[0])


def bind_every_event(broker_url: str) -> None:
    """A durable queue bound to every event of the customers' exchange: the relay's publishes are routed."""
    exchange = events_exchange(load_settings("customers", broker_url=broker_url))
    with Connection(broker_url) as connection:
        Queue("bench.bulk.every-event", exchange, routing_key="#", durable=True)(connection.default_channel).declare()


# -- one round ------------------------------------------------------------------------------------
def round_(args, admin_url: str, amqp_url: str, number: int) -> dict:
    port = int(os.environ.get("CAREDESK_BENCH_PORT_BASE", "45000")) + 10 + (os.getpid() + number) % 90
    principal = Principal(user_id=uuid.uuid4(), username="bench.bulk", level=1, branch_id=BRANCH,
                          department_id=DEPARTMENT, permissions=frozenset({"bulk_change_sales_agent"}))
    out: dict = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-bulk-")))
        url = stack.enter_context(throwaway_database(admin_url, keep=False, prefix=args.prefix))
        vhost = stack.enter_context(throwaway_vhost(amqp_url, f"{args.prefix}_{uuid.uuid4().hex[:8]}"))
        if not args.unroutable:
            bind_every_event(vhost)
        migrations.upgrade(MIGRATIONS, url)
        print(f"[{number}] loaded {args.customers:,} customers in {load(url, args.customers):.1f} s", flush=True)
        with closing(psycopg.connect(url, autocommit=True)) as db:
            db.execute("CREATE TABLE outbox_floor (LIKE outbox INCLUDING DEFAULTS)")
            db.execute("CREATE SEQUENCE outbox_floor_seq; ALTER TABLE outbox_floor ALTER COLUMN position "
                       "SET DEFAULT nextval('outbox_floor_seq')")
            db.execute("CREATE TABLE receivables_floor (LIKE receivables INCLUDING ALL)")
            ids = [str(row[0]) for row in db.execute("SELECT id FROM customers WHERE code LIKE 'B-%'")]
        csv_path = tmp / "invoices.csv"
        write_csv(csv_path, args.invoices, args.customers)
        private, public = tmp / "gateway.pem", tmp / "gateway.pub"
        ensure_key_pair(private, public)
        token = TokenIssuer.from_file(private, lifetime_seconds=7200).issue(principal)[0]
        stack.enter_context(serve(url, tmp, public, port))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
        env.update(CAREDESK_CUSTOMERS_DATABASE_URL=url, CAREDESK_BROKER_URL=vhost, CAREDESK_DATA_DIR=str(tmp),
                   PYTHONUNBUFFERED="1")
        relay_log = open(tmp / "relay.log", "wb")
        stack.callback(relay_log.close)
        relay = subprocess.Popen([sys.executable, "-m", "caredesk.cli", "relay", "customers"], cwd=ROOT, env=env,
                                 stdout=relay_log, stderr=subprocess.STDOUT)

        def stop_relay() -> None:
            relay.terminate()
            try:
                relay.wait(timeout=20)
            except subprocess.TimeoutExpired:
                relay.kill()
                relay.wait(timeout=10)
        stack.callback(stop_relay)
        database = Database(url, Base.metadata)
        stack.callback(database.dispose)

        out["reads_idle"] = baseline_reads(port, token, ids, args.idle_seconds)
        # 1. the bulk agent change
        position, relay_cpu = outbox_counts(url)[0], cpu_seconds(relay.pid)
        with reading(port, token, ids) as reads:
            out["agent"] = agent_change_ours(database, principal, args.customers)
        out["agent"]["reads"] = reads
        out["agent"]["outbox"] = drain(url, position)
        out["agent"]["outbox"]["relay_cpu_ms"] = (1000 * (cpu_seconds(relay.pid) - relay_cpu)
                                                  / max(out["agent"]["outbox"]["events"], 1))
        out["agent_floor"] = agent_change_floor(url, principal, args.customers, mean_envelope_size(url, position))
        # 2. the billing import
        position, relay_cpu = outbox_counts(url)[0], cpu_seconds(relay.pid)
        with reading(port, token, ids) as reads:
            out["import"] = import_ours(database, principal, csv_path, args.invoices)
        out["import"]["reads"] = reads
        out["import"]["outbox"] = drain(url, position)
        out["import"]["outbox"]["relay_cpu_ms"] = (1000 * (cpu_seconds(relay.pid) - relay_cpu)
                                                   / max(out["import"]["outbox"]["events"], 1))
        out["import_floor"] = import_floor(url, csv_path, args.invoices, mean_envelope_size(url, position))
        if relay.poll() is not None:
            raise RuntimeError(f"the relay exited: {(tmp / 'relay.log').read_text()[-2000:]}")
    print_round(number, out)
    return out


def print_round(number: int, out: dict) -> None:
    idle = out["reads_idle"]
    print(f"[{number}] GET a customer, no job: n={idle['n']} p50 {idle['p50']:.1f} ms p95 {idle['p95']:.1f} ms")
    for job in ("agent", "import"):
        ours, floor = out[job], out[f"{job}_floor"]
        reads, box = ours["reads"], ours["outbox"]
        print(f"[{number}] {job:<6} {ours['rows']:>9,} rows in {ours['seconds']:7.1f} s = "
              f"{ours['rows'] / ours['seconds']:8,.0f} rows/s; floor {floor['rows'] / floor['seconds']:9,.0f} rows/s; "
              f"ratio {floor['seconds'] / ours['seconds']:.2f}; "
              f"CPU {ours['cpu_seconds'] / ours['rows'] * 1000:.3f} ms/row; "
              f"peak RSS {ours['rss_10']:.0f} MB at 10%, {ours['rss_100']:.0f} MB at 100%")
        print(f"[{number}] {job:<6} outbox {box['events']:,} events, backlog at the end {box['backlog_at_end']:,}, "
              f"drained {box['drain_after_end_s']:.1f} s later, relay {box['relay_rate']:,.0f} events/s "
              f"({box['relay_cpu_ms']:.3f} CPU ms/event); "
              f"GET during the job n={reads['n']} p50 {reads['p50']:.1f} ms p95 {reads['p95']:.1f} ms "
              f"(errors {reads['errors']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--prefix", default=os.environ.get("CAREDESK_BENCH_DB_PREFIX", "caredesk_bench"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--unroutable", action="store_true", help="bind no queue: every event is returned and parked")
    args = parser.parse_args()
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL
    amqp_url = os.environ.get("CAREDESK_TEST_RABBITMQ_URL") or DEFAULT_AMQP_URL
    print(f"machine load average (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores", flush=True)
    rounds = [round_(args, admin_url, amqp_url, number) for number in range(1, args.repeat + 1)]
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=1, default=str))

    def med(get) -> float:
        return statistics.median(get(r) for r in rounds)
    print(f"medians of {len(rounds)} rounds:")
    print(f"  GET a customer, no job: p95 {med(lambda r: r['reads_idle']['p95']):.1f} ms")
    for job, size in (("agent", args.customers), ("import", args.invoices)):
        print(f"  {job:<6} {size:,} rows: {med(lambda r: r[job]['rows'] / r[job]['seconds']):,.0f} rows/s "
              f"({med(lambda r: r[job]['seconds']):.1f} s; CPU "
              f"{med(lambda r: r[job]['cpu_seconds'] / r[job]['rows']) * 1000:.3f} ms/row), floor "
              f"{med(lambda r: r[job + '_floor']['rows'] / r[job + '_floor']['seconds']):,.0f} rows/s, ratio "
              f"{med(lambda r: r[job + '_floor']['seconds'] / r[job]['seconds']):.2f}; peak RSS "
              f"{med(lambda r: r[job]['rss_10']):.0f} MB at 10%, {med(lambda r: r[job]['rss_100']):.0f} MB at 100%; "
              f"relay {med(lambda r: r[job]['outbox']['relay_rate']):,.0f} events/s "
              f"({med(lambda r: r[job]['outbox']['relay_cpu_ms']):.3f} CPU ms/event), drained "
              f"{med(lambda r: r[job]['outbox']['drain_after_end_s']):.1f} s after the job; GET p95 during "
              f"{med(lambda r: r[job]['reads']['p95']):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
