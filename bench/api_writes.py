"""Customer writes through the HTTP API against a raw psycopg insert+commit of the very same rows.

Run: ``.venv/bin/python bench/api_writes.py`` (real PostgreSQL; ``CAREDESK_TEST_POSTGRES_URL`` chooses
another server). Options: ``--operations N`` per kind of write (default 2,000), ``--clients N``
(default 8), ``--repeat N`` (whole runs; medians printed at the end), ``--workers N`` (gunicorn
processes of the service and of the bare stack, 8 threads each; default 1, as deployed),
``--profile`` (instead of measuring: cProfile of ``--operations`` requests of each phase through
the app in this process). Each run makes throwaway databases and drops them;
``CAREDESK_BENCH_PORT_BASE`` chooses the 100 ports it may listen on (default 22000-22099),
``CAREDESK_BENCH_DB_PREFIX`` the databases' names.

One run:
  1. ``caredesk init`` migrates the gateway and the customers database A; a copy of A, database B,
     is made from it as a template before anything else writes (the floor's database: the same
     tables, indexes and constraints).
  2. The customers service runs under gunicorn as deployed (``caredesk serve customers``); the
     gateway runs only to sign in. ``--clients`` clients write straight to the customers service,
     each with its own kept-alive connection and the administrator's token, in five phases:
       create   POST /customers (code, tax number, two phones, e-mail, address)
       update   PATCH /customers/{id} with If-Match (address and second phone)
       line     POST /customers/{id}/lines with If-Match (a mobile line)
       interaction  POST /customers/{id}/interactions
       note     POST /customers/{id}/notes
  3. The floor of each phase is **the rows that phase wrote**, read back from database A by the
     transaction that wrote them (PostgreSQL's ``xmin``): every row inserted or updated — the
     customer, its phones and search keys, its field history, the outbox event, the version bump —
     and written again into database B over psycopg, one transaction per API request, by as many
     connections as there were clients (``INSERT … ON CONFLICT (primary key) DO UPDATE``, so a
     row an earlier phase created is updated as the API updated it).
  4. The bare stack: the same transactions once more, as HTTP requests (with the phase's request
     bodies) to bench/bare_stack.py, a Flask app with nothing of Caredesk under the same gunicorn,
     which writes each transaction's rows with the floor's statements into database C (another
     copy of A). It shows what the web stack alone costs for the same rows: the ceiling of any
     Flask service of ours on this machine.
Printed per phase: operations/s, p50/p95 in ms, for ours and the floor; the ratio ours/floor of the
throughput (goal ≥ 0.3); CPU ms per operation of the customers service and of PostgreSQL (ours and
floor); rows written per operation; then the bare stack's operations/s, p50/p95, its ratio to the
floor, ours to it, and the CPU per operation of the bare app and of PostgreSQL.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pickle
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, closing
from pathlib import Path

import psycopg
import requests
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") not in sys.path:
    sys.path.append(str(ROOT / "bench"))

import api_reads  # noqa: E402
import take_next  # noqa: E402

GOAL = 0.3
ADMIN_PASSWORD = "bench-admin-password"
PHASES = ("create", "update", "line", "interaction", "note")


class Customer:
    """What a client knows of one customer it made: id and the ETag it last read."""

    def __init__(self, number: int) -> None:
        self.number, self.id, self.etag = number, None, None


def body_for(phase: str, customer: Customer, run: str) -> tuple[str, str, dict]:
    n = customer.number
    if phase == "create":
        return "POST", "/customers", {
            "code": f"W{run}-{n}", "kind": "person", "name": f"Cliente Bench {n}", "country": "CO",
            "tax_number": f"{9_000_000_000 + n}", "language": "es", "region": "Antioquia",
            "address": f"Calle {n % 100} # {n % 97}-{n % 89}, Medellín", "phone": f"604{4_000_000 + n:07d}",
            "phone2": f"300{n:07d}", "email": f"bench{n}.{run}@example.com"}
    if phase == "update":
        return "PATCH", f"/customers/{customer.id}", {"address": f"Carrera {n % 90} # 52-20, Medellín",
                                                       "phone2": f"301{n:07d}"}
    if phase == "line":
        return "POST", f"/customers/{customer.id}/lines", {
            "number": f"310{n:07d}", "tariff_plan": "POSTPAID-20GB", "service_type": "voice",
            "status": "active", "activated_on": "2026-01-15"}
    if phase == "interaction":
        return "POST", f"/customers/{customer.id}/interactions", {
            "direction": "inbound", "channel": "phone", "topic": "Roaming charges",
            "comments": "Asked why roaming was billed in October."}
    return "POST", f"/customers/{customer.id}/notes", {
        "text": "Called about roaming charges; explained the plan.", "location": "Call centre",
        "next_treatment": "Call back after the next invoice."}


def api_phase(base: str, token: str, phase: str, per_client: list[list[Customer]], run: str) -> tuple[list[float], float]:
    """Every client writes its customers' requests of ``phase``; (latencies in ms, wall seconds)."""
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(per_client) + 1)

    def client(customers: list[Customer]) -> None:
        session = requests.Session()
        session.trust_env = False
        session.headers["Authorization"] = f"Bearer {token}"
        mine = []
        try:
            start.wait()
            for customer in customers:
                method, path, body = body_for(phase, customer, run)
                headers = {"If-Match": customer.etag} if phase in ("update", "line") else {}
                started = time.perf_counter()
                answer = session.request(method, base + path, json=body, headers=headers, timeout=60)
                mine.append((time.perf_counter() - started) * 1000)
                if answer.status_code not in (200, 201):
                    raise RuntimeError(f"{method} {path} -> {answer.status_code}: {answer.text[:300]}")
                if phase == "create":
                    customer.id = answer.json()["id"]
                if phase in ("create", "update"):
                    customer.etag = answer.headers["ETag"]
                elif phase == "line":
                    customer.etag = None
            with lock:
                times.extend(mine)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=client, args=(customers,)) for customers in per_client]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return times, wall


def current_xid(url: str) -> int:
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        return conn.execute("SELECT txid_current()").fetchone()[0] % 2**32


def tables_of(url: str) -> dict[str, tuple[list[str], list[str]]]:
    """table -> (its columns, its primary key columns), for every table but Alembic's."""
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        columns: dict[str, list[str]] = {}
        for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name <> 'alembic_version' ORDER BY table_name, ordinal_position"):
            columns.setdefault(table, []).append(column)
        keys: dict[str, list[str]] = {}
        for table, column in conn.execute(
                "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
                "AND kcu.table_schema = tc.table_schema WHERE tc.constraint_type = 'PRIMARY KEY' "
                "AND tc.table_schema = 'public' ORDER BY tc.table_name, kcu.ordinal_position"):
            keys.setdefault(table, []).append(column)
        parents: dict[str, set[str]] = {}
        for child, parent in conn.execute(
                "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name "
                "AND ccu.table_schema = tc.table_schema WHERE tc.constraint_type = 'FOREIGN KEY' "
                "AND tc.table_schema = 'public'"):
            if child != parent:
                parents.setdefault(child, set()).add(parent)
    ordered: list[str] = []  # parents before children, so a transaction's rows go in as the API wrote them

    def visit(table: str) -> None:
        if table not in ordered:
            for parent in sorted(parents.get(table, ())):
                visit(parent)
            ordered.append(table)

    for table in sorted(columns):
        visit(table)
    return {table: (columns[table], keys[table]) for table in ordered if table in keys and table in columns}


def rows_written(url: str, tables: dict, since: int, until: int) -> list[list[tuple[str, tuple]]]:
    """The rows the transactions between the two xids left, grouped by transaction, in xid order:
    ``[[(table, row), ...], ...]``."""
    by_xid: dict[int, list[tuple[str, tuple]]] = {}
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        for table, (columns, _key) in tables.items():
            listed = ", ".join(f'"{column}"' for column in columns)
            for xid, *row in conn.execute(
                    f'SELECT xmin::text::bigint, {listed} FROM "{table}" '
                    "WHERE xmin::text::bigint >= %s AND xmin::text::bigint < %s", (since, until)):
                values = tuple(Jsonb(value) if isinstance(value, (dict, list)) else value for value in row)
                by_xid.setdefault(xid, []).append((table, values))
    order = {table: position for position, table in enumerate(tables)}
    return [sorted(by_xid[xid], key=lambda item: order[item[0]]) for xid in sorted(by_xid)]


def upsert_sql(tables: dict) -> dict[str, str]:
    statements = {}
    for table, (columns, key) in tables.items():
        listed = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join(["%s"] * len(columns))
        others = [column for column in columns if column not in key]
        action = ("DO UPDATE SET " + ", ".join(f'"{column}" = EXCLUDED."{column}"' for column in others)
                  if others else "DO NOTHING")
        conflict = ", ".join(f'"{column}"' for column in key)
        statements[table] = f'INSERT INTO "{table}" ({listed}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}'
    return statements


def floor_phase(url: str, statements: dict[str, str], transactions: list, clients: int,
                meter: api_reads.CpuMeter) -> tuple[list[float], float, dict[str, float]]:
    """The same transactions over raw psycopg, ``clients`` connections at once; with the CPU that
    PostgreSQL spent on them (sampled while the connections are open)."""
    shares = [transactions[index::clients] for index in range(clients)]
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start, done = threading.Barrier(clients + 1), threading.Barrier(clients + 1)
    sampled = threading.Event()  # the connections stay open until their CPU has been read

    def client(share) -> None:
        mine = []
        try:
            with closing(psycopg.connect(url)) as conn:
                start.wait()
                for transaction in share:
                    started = time.perf_counter()
                    with conn.cursor() as cursor:
                        for table, row in transaction:
                            cursor.execute(statements[table], row)
                    conn.commit()
                    mine.append((time.perf_counter() - started) * 1000)
                done.wait()
                sampled.wait(60)
            with lock:
                times.extend(mine)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            start.abort()
            done.abort()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    try:
        start.wait()
        before = meter.sample()
        started = time.perf_counter()
        done.wait()
        wall = time.perf_counter() - started
        used = api_reads.CpuMeter.used(before, meter.sample())
    except threading.BrokenBarrierError:
        pass
    sampled.set()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return times, wall, used


def stack_phase(base: str, phase: str, transactions: int, clients: int, bodies: list[dict],
                meter: api_reads.CpuMeter) -> tuple[list[float], float, dict[str, float]]:
    """The same transactions as HTTP requests to bench/bare_stack.py, one request each, ``clients``
    clients at once with kept-alive connections, each request carrying a body of the phase's API
    requests; with the CPU of the bare app and of PostgreSQL."""
    shares = [list(range(index, transactions, clients)) for index in range(clients)]
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(share: list[int]) -> None:
        session = requests.Session()
        session.trust_env = False
        mine = []
        try:
            start.wait()
            for index in share:
                started = time.perf_counter()
                answer = session.post(f"{base}/write/{phase}/{index}", json=bodies[index % len(bodies)], timeout=60)
                mine.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 201:
                    raise RuntimeError(f"bare stack -> {answer.status_code}: {answer.text[:300]}")
            with lock:
                times.extend(mine)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            start.abort()
        finally:
            session.close()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    before = meter.sample()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    used = api_reads.CpuMeter.used(before, meter.sample())
    if errors:
        raise errors[0]
    return times, wall, used


def save_for_bare_stack(folder: Path, phase: str, statements: dict[str, str], transactions: list) -> None:
    """The phase's transactions as bench/bare_stack.py loads them (JSON values unwrapped to pickle)."""
    plain = [[(table, tuple(value.obj if isinstance(value, Jsonb) else value for value in row))
              for table, row in transaction] for transaction in transactions]
    with open(folder / f"{phase}.pickle", "wb") as file:
        pickle.dump({"statements": statements, "transactions": plain}, file)


def front_office_token(gateway: str) -> str:
    """A token of a company-level agent with a department (notes need one) who may edit customers."""
    def call(method, path, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = requests.request(method, gateway + path, headers=headers, timeout=60, **kwargs)
        answer.raise_for_status()
        return answer.json()

    admin = call("POST", "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})["access_token"]
    branch = call("POST", "/directory/branches", admin, json={"code": "medellin", "name": "Medellín"})["id"]
    department = call("POST", "/directory/departments", admin, json={"code": "care", "name": "Care"})["id"]
    call("POST", "/directory/users", admin, json={
        "username": "bench.agent", "full_name": "Bench Agent", "email": "bench.agent@example.com",
        "password": ADMIN_PASSWORD, "level": 1, "branch_id": branch, "department_id": department,
        "permissions": ["edit_customers"]})
    return call("POST", "/auth/login", json={"username": "bench.agent", "password": ADMIN_PASSWORD})["access_token"]


def start_server(name: str, port: int, env: dict, folder: Path, processes: list, workers: int = 1) -> int:
    log = open(folder / f"{name}.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "caredesk.cli", "serve", name, "--port", str(port),
                                "--workers", str(workers)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    processes.append(process)
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return process.pid
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start; see its log in {folder}")
        time.sleep(0.3)


def one_run(args, admin_url: str) -> dict[str, dict]:
    ports = api_reads.free_ports(2)
    prefix = os.environ.get("CAREDESK_BENCH_DB_PREFIX", "caredesk_bench")
    run = uuid.uuid4().hex[:6]
    names = {name: f"{prefix}_w{run}_{name}" for name in ("gateway", "customers", "floor", "stack")}
    figures: dict[str, dict] = {}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caredesk-bench-writes-")))
        urls = {name: stack.enter_context(take_next.throwaway_database(admin_url, names[name]))
                for name in ("gateway", "customers")}
        env = dict(os.environ, CAREDESK_DATA_DIR=str(folder), CAREDESK_ADMIN_PASSWORD=ADMIN_PASSWORD,
                   CAREDESK_CUSTOMERS_DATABASE_URL=urls["customers"], CAREDESK_GATEWAY_DATABASE_URL=urls["gateway"],
                   CAREDESK_LOG_LEVEL="INFO", CAREDESK_GATEWAY_CUSTOMERS_URL=f"http://127.0.0.1:{ports[1]}",
                   CAREDESK_GATEWAY_RATE_LIMIT_PER_USER="1000000/minute",
                   CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN="1000000/minute")
        # every component is migrated; those not named here keep SQLite files in the throwaway folder
        subprocess.run([sys.executable, "-m", "caredesk.cli", "init"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        for copy in ("floor", "stack"):
            with closing(psycopg.connect(admin_url, autocommit=True)) as admin:
                admin.execute(f'CREATE DATABASE "{names[copy]}" TEMPLATE "{names["customers"]}"')
            stack.callback(lambda copy=copy: psycopg.connect(admin_url, autocommit=True).execute(
                f'DROP DATABASE IF EXISTS "{names[copy]}" WITH (FORCE)'))
        floor_url = take_next._with_path(admin_url, names["floor"])
        processes: list = []

        def stop_all():
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)

        stack.callback(stop_all)
        start_server("gateway", ports[0], env, folder, processes)
        customers_pid = start_server("customers", ports[1], env, folder, processes, args.workers)
        bare, bare_pid = stack.enter_context(take_next.bare_stack(
            take_next._with_path(admin_url, names["stack"]), folder, workers=args.workers, threads=8,
            env={"BARE_STACK_ROWS_DIR": str(folder)}))
        token = front_office_token(f"http://127.0.0.1:{ports[0]}/api/v1")
        base = f"http://127.0.0.1:{ports[1]}/api/v1"
        if args.profile:
            profile_in_process(env, token, run, args.operations)
            return {}
        tables = tables_of(urls["customers"])
        statements = upsert_sql(tables)
        meter = api_reads.CpuMeter(admin_url, [names["customers"]], {"customers": customers_pid})
        floor_meter = api_reads.CpuMeter(admin_url, [names["floor"]], {})
        stack_meter = api_reads.CpuMeter(admin_url, [names["stack"]], {"bare": bare_pid})
        numbers = iter(range(random.randrange(1_000_000), 10_000_000))
        per_client = [[Customer(next(numbers)) for _ in range(args.operations // args.clients)]
                      for _ in range(args.clients)]
        warm = [[Customer(next(numbers)) for _ in range(5)] for _ in range(args.clients)]
        for phase in PHASES:  # warm-up: every path once per client, not measured, not replayed
            api_phase(base, token, phase, warm, run)
        for phase in PHASES:
            since = current_xid(urls["customers"])
            before = meter.sample()
            ours, ours_wall = api_phase(base, token, phase, per_client, run)
            ours_cpu = api_reads.CpuMeter.used(before, meter.sample())
            until = current_xid(urls["customers"])
            transactions = rows_written(urls["customers"], tables, since, until)
            floor, floor_wall, floor_cpu = floor_phase(floor_url, statements, transactions, args.clients, floor_meter)
            save_for_bare_stack(folder, phase, statements, transactions)
            bodies = [body_for(phase, customer, run)[2] for customers in per_client for customer in customers]
            bare_times, bare_wall, bare_cpu = stack_phase(bare, phase, len(transactions), args.clients, bodies, stack_meter)
            count = len(ours)
            figures[phase] = {
                "ours_rate": count / ours_wall, "ours_p50": statistics.median(ours),
                "ours_p95": api_reads.percentile(ours, 95), "floor_rate": len(floor) / floor_wall,
                "floor_p50": statistics.median(floor), "floor_p95": api_reads.percentile(floor, 95),
                "service_cpu": ours_cpu.get("customers", 0.0) * 1000 / count,
                "postgres_cpu": ours_cpu.get("postgres", 0.0) * 1000 / count,
                "floor_postgres_cpu": floor_cpu.get("postgres", 0.0) * 1000 / max(1, len(floor)),
                "stack_rate": len(bare_times) / bare_wall, "stack_p50": statistics.median(bare_times),
                "stack_p95": api_reads.percentile(bare_times, 95),
                "stack_cpu": bare_cpu.get("bare", 0.0) * 1000 / max(1, len(bare_times)),
                "stack_postgres_cpu": bare_cpu.get("postgres", 0.0) * 1000 / max(1, len(bare_times)),
                "rows": sum(len(transaction) for transaction in transactions) / max(1, len(transactions)),
                "transactions": len(transactions) / count,
            }
            figures[phase]["ratio"] = figures[phase]["ours_rate"] / figures[phase]["floor_rate"]
            figures[phase]["stack_ratio"] = figures[phase]["stack_rate"] / figures[phase]["floor_rate"]
            figures[phase]["ours_to_stack"] = figures[phase]["ours_rate"] / figures[phase]["stack_rate"]
    return figures


def profile_in_process(env: dict, token: str, run: str, count: int) -> None:
    """cProfile (CPU time) of ``count`` requests of each phase through the customers app in this
    process (Flask's test client, no sockets), then the top functions of each."""
    os.environ.update(env)
    import services.customers as customers_app
    client = customers_app.create_app().test_client()
    headers = {"Authorization": f"Bearer {token}"}
    customers = [Customer(number) for number in range(random.randrange(1_000_000), 10_000_000)[:count + 20]]
    for phase in PHASES:
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        for index, customer in enumerate(customers):
            if index == 20:
                started = time.process_time()
                profiler.enable()
            method, path, body = body_for(phase, customer, run)
            extra = {"If-Match": customer.etag} if phase in ("update", "line") else {}
            answer = client.open("/api/v1" + path, method=method, json=body, headers={**headers, **extra})
            assert answer.status_code in (200, 201), answer.data[:300]
            if phase == "create":
                customer.id = answer.get_json()["id"]
            if phase in ("create", "update"):
                customer.etag = answer.headers["ETag"]
        profiler.disable()
        cpu = (time.process_time() - started) / count * 1000
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(40)
        print(f"===== {phase}: {cpu:.2f} ms CPU per request under cProfile (test client included) =====")
        print(out.getvalue())


def print_figures(title: str, figures: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"{'phase':12} {'ours/s':>7} {'p50':>6} {'p95':>6} | {'floor/s':>7} {'p50':>6} {'p95':>6} | {'ratio':>5} | "
          f"CPU ms/op: {'service':>7} {'pg':>5} {'pg floor':>8} | rows/op")
    for phase, f in figures.items():
        print(f"{phase:12} {f['ours_rate']:7.0f} {f['ours_p50']:6.1f} {f['ours_p95']:6.1f} | {f['floor_rate']:7.0f} "
              f"{f['floor_p50']:6.1f} {f['floor_p95']:6.1f} | {f['ratio']:5.2f} | {'':10} {f['service_cpu']:7.2f} "
              f"{f['postgres_cpu']:5.2f} {f['floor_postgres_cpu']:8.2f} | {f['rows']:.1f}")
    print(f"{'the bare stack (bench/bare_stack.py: the same gunicorn and Flask, the same rows over psycopg)'}")
    print(f"{'phase':12} {'stack/s':>7} {'p50':>6} {'p95':>6} | {'stack/floor':>11} {'ours/stack':>10} | "
          f"CPU ms/op: {'bare app':>8} {'pg':>5}")
    for phase, f in figures.items():
        print(f"{phase:12} {f['stack_rate']:7.0f} {f['stack_p50']:6.1f} {f['stack_p95']:6.1f} | {f['stack_ratio']:11.2f} "
              f"{f['ours_to_stack']:10.2f} | {'':10} {f['stack_cpu']:8.2f} {f['stack_postgres_cpu']:5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1,
                        help="gunicorn worker processes of the customers service and of the bare stack (8 threads each)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of measuring: cProfile of --operations requests of each phase in this process")
    args = parser.parse_args()
    if args.profile:
        one_run(args, os.environ.get("CAREDESK_TEST_POSTGRES_URL", api_reads.DEFAULT_ADMIN_URL))
        return 0
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL", api_reads.DEFAULT_ADMIN_URL)
    load_before = os.getloadavg()
    runs = []
    for number in range(args.repeat):
        runs.append(one_run(args, admin_url))
        print_figures(f"run {number + 1} of {args.repeat}: {args.operations:,} operations per phase, "
                      f"{args.clients} clients, times in ms", runs[-1])
    medians = {phase: {key: statistics.median(run[phase][key] for run in runs) for key in runs[0][phase]}
               for phase in PHASES}
    load_after = os.getloadavg()
    print_figures(f"medians of {len(runs)} runs (load average {load_before[0]:.1f} at the start, "
                  f"{load_after[0]:.1f} at the end)", medians)
    met = all(figures["ratio"] >= GOAL for figures in medians.values())
    print(f"\ngoal (each phase >= {GOAL} of its floor's throughput): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
