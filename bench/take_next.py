"""Take-next under load: 32 agents emptying 4 queues of 20,000 dispatched cases, against its floor.

Run: ``.venv/bin/python bench/take_next.py [--cases 20000] [--queues 4] [--agents 32] [--processes 8]
[--mode usecase|http]`` (real PostgreSQL; ``CAREDESK_TEST_POSTGRES_URL`` chooses another server). The
run makes its own database (``bench_take_next_<hex>``) and drops it at the end, even when it fails.

One run:
  1. seed    - 20,000 cases in Open Dispatch, spread over the queues, priorities and dispatch times
               (bulk INSERT: seeding is not measured).
  2. ours    - ``--agents`` agents (threads, each with its own connection, spread over ``--processes``
               processes) call the service's take-next until their queues are empty:
               * usecase (default): ``services.cases.use_cases.take_next_case`` in a unit of work -
                 the row lock (FOR UPDATE SKIP LOCKED), the ORM load, the domain rule, the timeline
                 line, the case.assigned.v1 outbox row, the commit. This is the service minus Flask:
                 on a two-core machine an HTTP layer (JSON, JWT, gunicorn) competes with PostgreSQL
                 for the same cores and measures the machine rather than the claim.
               * http: the same through ``POST /api/v1/cases/take-next`` on the cases API under
                 gunicorn (``--workers`` x ``--threads``), with real tokens.
               Agents are members of one, two or all queues, as in a real department.
  3. floor   - the same agents, same layout, raw psycopg: one
               ``UPDATE cases ... WHERE id = (SELECT ... ORDER BY priority_rank, dispatched_at, id
               LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id`` and a COMMIT per claim, on the same
               rows reset to waiting. The ratio ours/floor is reported against this one.
  4. floor+writes - (for the analysis) the same raw claim plus the two rows our take-next must also
               write in the same transaction: its timeline line and its case.assigned.v1 outbox
               row. The gap between 3 and 4 is the cost of those writes; between 4 and ours, of the
               ORM, the domain model and the unit of work.
  5. bare stack - (http mode, for the analysis) the floor+writes transaction behind HTTP: the same
               agents post to bench/bare_stack.py, a Flask app with nothing of Caredesk, served by
               gunicorn as the cases API is (``--workers`` x ``--threads``). Its rate is the most a
               Flask service could reach here; between it and ours lies the cost of our code.
Printed: claims/s of each phase, the ratio ours/floor (goal >= 0.5), take-next latency p50/p95/p99,
the CPU per claim of the agent processes, of PostgreSQL (the phase's backends, /proc) and, in http
mode, of the cases API (gunicorn and its workers), the load average before and after, and the
double-assignment and lost-case counts of every phase (all must be 0; the exit status is 1
otherwise). On a shared machine the CPU per claim is the steadier figure. ``--port`` (default
``CAREDESK_BENCH_PORT_BASE``, else a free one) is the cases API's port in http mode.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import closing, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.cases import MIGRATIONS  # noqa: E402
from services.cases.models import PRIORITIES, PRIORITY_RANK, case_search_text  # noqa: E402
from services.kit import migrations  # noqa: E402
from services.kit.auth import Principal  # noqa: E402

GOAL = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FLOOR_CLAIM = """
UPDATE cases SET owner_id = %(agent)s, assigned_at = now(), version = version + 1
 WHERE id = (SELECT id FROM cases
              WHERE status = 'open_dispatch' AND owner_id IS NULL AND queue_id = ANY(%(queues)s)
              ORDER BY priority_rank, dispatched_at, id
              LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id
"""
# The claim plus what our take-next also writes (its timeline line and its outbox event), still raw.
FLOOR_WRITES_CLAIM = FLOOR_CLAIM.replace("RETURNING id", "RETURNING id, number, subject, priority, queue_id, initiator_id")
FLOOR_WRITES_TIMELINE = """
INSERT INTO case_timeline (id, case_id, at, actor_id, action, status_from, status_to, queue_id, detail)
VALUES (%s, %s, now(), %s, 'taken', 'open_dispatch', 'open_dispatch', %s, %s)
"""
FLOOR_WRITES_OUTBOX = """
INSERT INTO outbox (event_id, routing_key, envelope, created_at) VALUES (%s, 'case.assigned.v1', %s, now())
"""


# -- the throwaway database ------------------------------------------------------------------------
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


def seed(url: str, *, cases: int, queues: int) -> dict[str, uuid.UUID]:
    """Queues q0..qN and ``cases`` dispatched cases round-robin over them, every priority, dispatch
    times a second apart, their search text as the service keeps it (so a claim does not rewrite
    it); returns queue code -> id."""
    codes = {f"q{index}": uuid.uuid4() for index in range(queues)}
    customer, initiator = uuid.UUID(int=0), uuid.uuid4()
    start = datetime.now(timezone.utc) - timedelta(seconds=cases)
    year = datetime.now(timezone.utc).year
    with closing(psycopg.connect(url)) as conn:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO queues (id, code, name, created_at, version) VALUES (%s, %s, %s, now(), 1)",
                [(queue_id, code, code.upper()) for code, queue_id in codes.items()])
            queue_ids = list(codes.values())
            columns = ("id, number, subject, description, priority, priority_rank, status, queue_id, is_queue_chosen,"
                       " customer_id, customer_code, customer_name, attachments, custom_fields, search_text, initiator_id,"
                       " is_cancelled, created_at, dispatched_at, queue_seconds, sla_started_at,"
                       " sla_paused_seconds, version")
            with cursor.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
                for index in range(cases):
                    priority = PRIORITIES[(index * 7) % len(PRIORITIES)]
                    dispatched = start + timedelta(seconds=index)
                    subject = f"Bench case {index}"
                    copy.write_row((uuid.uuid4(), f"{year}-{index + 1:06d}", subject, "", priority,
                                    PRIORITY_RANK[priority], "open_dispatch", queue_ids[index % queues], True,
                                    customer, "0", "Prospect", "[]", "{}", case_search_text(subject, "Prospect", {}),
                                    initiator, False, dispatched,
                                    dispatched, 0.0, dispatched, 0.0, 2))
            cursor.execute("INSERT INTO case_number_counters (year, last_value) VALUES (%s, %s)", (year, cases))
        conn.commit()
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        conn.execute("VACUUM ANALYZE cases")
    return codes


def reset(url: str) -> None:
    """Every case back to waiting, for the floor."""
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        conn.execute("UPDATE cases SET owner_id = NULL, assigned_at = NULL")
        conn.execute("VACUUM ANALYZE cases")


def memberships(agents: int, codes: list[str]) -> list[list[str]]:
    """Agent i is a member of one, two or all queues (a department's usual mix)."""
    result = []
    for index in range(agents):
        kind = index % 3
        first = index % len(codes)
        if kind == 0:
            result.append([codes[first]])
        elif kind == 1:
            result.append([codes[first], codes[(first + 1) % len(codes)]])
        else:
            result.append(list(codes))
    return result


# -- one agent, three ways ------------------------------------------------------------------------
def agent_usecase(url: str, go: threading.Event, pool_size: int):
    from services.cases.models import Base
    from services.cases.use_cases import take_next_case
    from services.kit.db import Database
    from services.kit.uow import UnitOfWork

    state = {}

    def setup():
        if "database" not in state:
            database = state["database"] = Database(url, Base.metadata, pool_size=pool_size, max_overflow=0)
            # every pooled connection opened before the start, so its backend is measured from there
            warm = [database.engine.connect() for _ in range(pool_size)]
            for connection in warm:
                connection.close()
        return state["database"]

    def run(agent: Principal) -> tuple[list[str], list[float], float]:
        database = setup()
        claimed, latencies = [], []
        go.wait()
        while True:
            started = time.monotonic()
            uow = UnitOfWork(database, producer="cases", actor=str(agent.user_id))
            case = take_next_case(uow, principal=agent)
            latencies.append(time.monotonic() - started)
            if case is None:
                return claimed, latencies[:-1], time.monotonic()
            claimed.append(str(case.id))

    return setup, run


def agent_floor(url: str, queue_ids: dict[str, uuid.UUID], go: threading.Event, opened: list):
    def run(agent: Principal) -> tuple[list[str], list[float], float]:
        ids = [queue_ids[code] for code in agent.queues]
        claimed, latencies = [], []
        conn = psycopg.connect(url)
        opened.append(conn)  # closed once the parent has read its backend's CPU
        go.wait()
        while True:
            started = time.monotonic()
            row = conn.execute(FLOOR_CLAIM, {"agent": agent.user_id, "queues": ids}).fetchone()
            conn.commit()
            latencies.append(time.monotonic() - started)
            if row is None:
                return claimed, latencies[:-1], time.monotonic()
            claimed.append(str(row[0]))

    return None, run


def claim_with_writes(conn: psycopg.Connection, agent_id: uuid.UUID, queue_ids: list[uuid.UUID]):
    """The raw claim with our two writes (timeline line, outbox event) and the commit: the
    floor+writes phase's transaction, also what bench/bare_stack.py's take-next runs. The claimed
    row (id, number, subject, priority, queue_id, initiator_id), or None once the queues are empty."""
    row = conn.execute(FLOOR_WRITES_CLAIM, {"agent": agent_id, "queues": queue_ids}).fetchone()
    if row is not None:
        case_id, number, subject, priority, queue_id, initiator = row
        conn.execute(FLOOR_WRITES_TIMELINE, (uuid.uuid4(), case_id, agent_id, queue_id,
                                             json.dumps({"assignee_id": str(agent_id)})))
        envelope = {"id": str(uuid.uuid4()), "type": "case.assigned", "version": 1, "producer": "cases",
                    "occurred_at": datetime.now(timezone.utc).isoformat(), "actor": str(agent_id),
                    "data": {"id": str(case_id), "number": number, "subject": subject, "priority": priority,
                             "queue": {"id": str(queue_id)}, "initiator_id": str(initiator),
                             "owner_id": str(agent_id), "assignee_id": str(agent_id)}}
        conn.execute(FLOOR_WRITES_OUTBOX, (envelope["id"], json.dumps(envelope)))
    conn.commit()
    return row


def agent_floor_writes(url: str, queue_ids: dict[str, uuid.UUID], go: threading.Event, opened: list):
    def run(agent: Principal) -> tuple[list[str], list[float], float]:
        ids = [queue_ids[code] for code in agent.queues]
        claimed, latencies = [], []
        conn = psycopg.connect(url)
        opened.append(conn)  # closed once the parent has read its backend's CPU
        go.wait()
        while True:
            started = time.monotonic()
            row = claim_with_writes(conn, agent.user_id, ids)
            latencies.append(time.monotonic() - started)
            if row is None:
                return claimed, latencies[:-1], time.monotonic()
            claimed.append(str(row[0]))

    return None, run


def agent_bare(base_url: str, queue_ids: dict[str, uuid.UUID], go: threading.Event):
    import requests

    def run(agent: Principal) -> tuple[list[str], list[float], float]:
        session = requests.Session()
        body = {"agent": str(agent.user_id), "queues": [str(queue_ids[code]) for code in agent.queues]}
        claimed, latencies = [], []
        go.wait()
        while True:
            started = time.monotonic()
            response = session.post(base_url + "/take-next", json=body, timeout=60)
            latencies.append(time.monotonic() - started)
            if response.status_code == 204:
                return claimed, latencies[:-1], time.monotonic()
            if response.status_code != 200:
                raise RuntimeError(f"the bare stack answered {response.status_code}: {response.text[:300]}")
            claimed.append(response.json()["id"])

    return None, run


def agent_http(base_url: str, tokens: dict[uuid.UUID, str], go: threading.Event):
    import requests

    def run(agent: Principal) -> tuple[list[str], list[float], float]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[agent.user_id]}"
        claimed, latencies = [], []
        go.wait()
        while True:
            started = time.monotonic()
            response = session.post(base_url + "/api/v1/cases/take-next", json={}, timeout=60)
            latencies.append(time.monotonic() - started)
            if response.status_code == 204:
                return claimed, latencies[:-1], time.monotonic()
            if response.status_code != 200:
                raise RuntimeError(f"take-next answered {response.status_code}: {response.text[:300]}")
            claimed.append(response.json()["id"])

    return None, run


def worker_process(mode: str, options: dict, agents: list[Principal], ready, go, results, release) -> None:
    """One process with its agents as threads; reports (claims, latencies, finish time) per agent,
    then keeps its connections open until ``release``, so the parent can read their backends' CPU."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    local_go = threading.Event()
    opened: list = []
    if mode == "usecase":
        setup, run = agent_usecase(options["url"], local_go, pool_size=len(agents))
    elif mode == "floor":
        setup, run = agent_floor(options["url"], options["queue_ids"], local_go, opened)
    elif mode == "floor_writes":
        setup, run = agent_floor_writes(options["url"], options["queue_ids"], local_go, opened)
    elif mode == "bare":
        setup, run = agent_bare(options["base_url"], options["queue_ids"], local_go)
    else:
        setup, run = agent_http(options["base_url"], options["tokens"], local_go)
    if setup:
        setup()
    outcome: list = [None] * len(agents)

    def thread(index: int) -> None:
        try:
            outcome[index] = run(agents[index])
        except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the run
            outcome[index] = error

    threads = [threading.Thread(target=thread, args=(index,)) for index in range(len(agents))]
    for item in threads:
        item.start()
    while len(opened) < len(agents) and mode in ("floor", "floor_writes") \
            and not any(out is not None for out in outcome):
        time.sleep(0.01)  # every floor agent connected (or one failed) before the start
    ready.put(os.getpid())
    go.wait()
    cpu = time.process_time()
    local_go.set()
    for item in threads:
        item.join()
    results.put((time.process_time() - cpu, [(str(agent.user_id), out if not isinstance(out, Exception) else repr(out))
                                             for agent, out in zip(agents, outcome)]))
    release.wait(timeout=120)
    for conn in opened:
        conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_children() -> dict[int, list[int]]:
    """Each running process's children, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (gunicorn's master and its workers)."""
    children = process_children()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def sample_cpu(options: dict) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the bench database's backends and (http) of the cases API's processes."""
    with closing(psycopg.connect(options["admin_url"], autocommit=True)) as conn:
        backends = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                   (options["database"],))]
    groups = {"postgres": backends}
    if options.get("server_pid"):
        groups["api"] = descendants(options["server_pid"])
    return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}


def run_phase(mode: str, options: dict, agents: list[Principal], processes: int) -> dict:
    context = multiprocessing.get_context("fork")
    ready, results, go, release = context.Queue(), context.Queue(), context.Event(), context.Event()
    groups = [agents[index::processes] for index in range(processes)]
    children = [context.Process(target=worker_process, args=(mode, options, group, ready, go, results, release))
                for group in groups if group]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=120)
    time.sleep(0.2)  # let every thread reach its wait
    before = sample_cpu(options)
    started = time.monotonic()
    go.set()
    per_agent, client_cpu = {}, 0.0
    try:
        for _ in children:
            cpu, outcomes = results.get(timeout=900)
            client_cpu += cpu
            for agent_id, out in outcomes:
                if isinstance(out, str):
                    raise RuntimeError(f"agent {agent_id} failed in {mode}: {out}")
                per_agent[agent_id] = out
        after = sample_cpu(options)  # every agent done, every connection still open
    finally:
        release.set()
    for child in children:
        child.join(timeout=60)
    used = {name: sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
            for name, pids in after.items()}
    finished = max(out[2] for out in per_agent.values())
    claims = [case_id for out in per_agent.values() for case_id in out[0]]
    latencies = sorted(latency for out in per_agent.values() for latency in out[1])
    return {"seconds": finished - started, "claims": claims, "latencies": latencies, "client_cpu": client_cpu,
            "postgres_cpu": used["postgres"], "api_cpu": used.get("api"),
            "per_agent": {agent_id: len(out[0]) for agent_id, out in per_agent.items()}}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def verify(url: str, claims: list[str], *, check_timeline: bool) -> dict:
    """Double assignments (a case claimed twice, or taken twice in the timeline) and lost cases
    (never claimed, or still waiting / unowned in the database)."""
    counts = Counter(claims)
    with closing(psycopg.connect(url)) as conn:
        all_ids = {str(row[0]) for row in conn.execute("SELECT id FROM cases")}
        unowned = conn.execute("SELECT count(*) FROM cases WHERE owner_id IS NULL").fetchone()[0]
        doubles_in_db = 0
        if check_timeline:
            doubles_in_db = conn.execute(
                "SELECT count(*) FROM (SELECT case_id FROM case_timeline WHERE action = 'taken' "
                "GROUP BY case_id HAVING count(*) > 1) AS twice").fetchone()[0]
            taken_events = conn.execute(
                "SELECT count(*) FROM outbox WHERE routing_key = 'case.assigned.v1'").fetchone()[0]
        else:
            taken_events = None
    return {"double": sum(1 for times in counts.values() if times > 1) + doubles_in_db,
            "lost": len(all_ids - set(counts)) + unowned, "events": taken_events}


# -- HTTP mode: the cases API under gunicorn --------------------------------------------------------
def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _served(what: str, command: list[str], env: dict, port: int, log_path: Path):
    """A gunicorn server started with ``command`` and answering /healthz on ``port``: its pid."""
    import requests

    log = open(log_path, "wb")
    proc = subprocess.Popen(command, cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@contextmanager
def cases_api(url: str, workdir: Path, *, workers: int, threads: int, port: int):
    from gateway.auth.keys import ensure_key_pair

    private, public = workdir / "gateway.pem", workdir / "gateway.pub"
    ensure_key_pair(private, public)
    port = port or _free_port()
    env = dict(os.environ, CAREDESK_CASES_DATABASE_URL=url, CAREDESK_JWT_PUBLIC_KEY_FILE=str(public),
               CAREDESK_DATA_DIR=str(workdir), CAREDESK_BROKER_URL="memory://", CAREDESK_LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "caredesk.cli", "serve", "cases", "--port", str(port),
               "--workers", str(workers), "--threads", str(threads)]
    with _served("the cases API", command, env, port, workdir / "gunicorn.log") as pid:
        yield f"http://127.0.0.1:{port}", private, pid


@contextmanager
def bare_stack(url: str, workdir: Path, *, workers: int, threads: int, env: dict | None = None):
    """bench/bare_stack.py (Flask with nothing of Caredesk) under gunicorn as a component is served,
    writing to ``url`` (its take-next runs :func:`claim_with_writes`): its base URL and pid."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--threads", str(threads), "--worker-class", "gthread", "--graceful-timeout", "10",
               "--chdir", str(ROOT / "bench"), "bare_stack:app"]
    env = dict(os.environ, **(env or {}), BARE_STACK_DATABASE_URL=url)
    with _served("the bare stack", command, env, port, workdir / "bare-stack.log") as pid:
        yield f"http://127.0.0.1:{port}", pid


# -- the run ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--queues", type=int, default=4)
    parser.add_argument("--agents", type=int, default=32)
    parser.add_argument("--processes", type=int, default=8, help="agent processes (threads = agents / processes)")
    parser.add_argument("--mode", choices=["usecase", "http"], default="usecase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (http mode)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (http mode)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CAREDESK_BENCH_PORT_BASE", "0")),
                        help="the cases API's port in http mode (0: a free one)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CAREDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--prefix", default="bench",
                        help="name prefix of the throwaway database (a shared server: your own, e.g. h4)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    load_before = os.getloadavg()
    print(f"{args.cases} cases in {args.queues} queues, {args.agents} agents in {args.processes} processes, "
          f"mode {args.mode}, {os.cpu_count()} cores, load average {load_before[0]:.2f}", flush=True)
    name = f"{args.prefix}_take_next_{uuid.uuid4().hex[:10]}"
    with throwaway_database(args.postgres_url, name) as url, tempfile.TemporaryDirectory() as workdir:
        migrations.upgrade(MIGRATIONS, url)
        t = time.monotonic()
        queue_ids = seed(url, cases=args.cases, queues=args.queues)
        print(f"seeded in {time.monotonic() - t:.1f} s", flush=True)
        codes = sorted(queue_ids)
        measured = {"admin_url": args.postgres_url, "database": name}
        agents = [Principal(user_id=uuid.uuid4(), username=f"agent{index}", level=4, branch_id=None,
                            department_id=None, queues=frozenset(queues))
                  for index, queues in enumerate(memberships(args.agents, codes))]

        if args.mode == "http":
            from gateway.auth.tokens import TokenIssuer

            with cases_api(url, Path(workdir), workers=args.workers, threads=args.threads, port=args.port) \
                    as (base, private, server_pid):
                issuer = TokenIssuer.from_file(private, lifetime_seconds=3600)
                tokens = {agent.user_id: issuer.issue(agent)[0] for agent in agents}
                ours = run_phase("http", {"base_url": base, "tokens": tokens, "server_pid": server_pid, **measured},
                                 agents, args.processes)
        else:
            ours = run_phase("usecase", {"url": url, **measured}, agents, args.processes)
        ours_check = verify(url, ours["claims"], check_timeline=True)
        print(f"ours:  {len(ours['claims'])} claims in {ours['seconds']:.1f} s", flush=True)

        reset(url)
        floor = run_phase("floor", {"url": url, "queue_ids": queue_ids, **measured}, agents, args.processes)
        floor_check = verify(url, floor["claims"], check_timeline=False)
        print(f"floor: {len(floor['claims'])} claims in {floor['seconds']:.1f} s", flush=True)

        reset(url)
        writes = run_phase("floor_writes", {"url": url, "queue_ids": queue_ids, **measured}, agents, args.processes)
        writes_check = verify(url, writes["claims"], check_timeline=False)
        print(f"floor with the same writes: {len(writes['claims'])} claims in {writes['seconds']:.1f} s", flush=True)
        phases = {"ours": (ours, ours_check), "floor": (floor, floor_check), "floor+writes": (writes, writes_check)}

        if args.mode == "http":
            reset(url)
            with bare_stack(url, Path(workdir), workers=args.workers, threads=args.threads) as (base, server_pid):
                bare = run_phase("bare", {"base_url": base, "queue_ids": queue_ids, "server_pid": server_pid,
                                          **measured}, agents, args.processes)
            phases["bare stack"] = (bare, verify(url, bare["claims"], check_timeline=False))
            print(f"bare stack: {len(bare['claims'])} claims in {bare['seconds']:.1f} s", flush=True)

    rate = {key: len(phase["claims"]) / phase["seconds"] for key, (phase, _) in phases.items()}
    ratio = rate["ours"] / rate["floor"]
    busiest, idlest = max(ours["per_agent"].values()), min(ours["per_agent"].values())

    def row(label: str, values) -> None:
        print(f"{label:34}" + "".join(f"{value:>14}" for value in values))

    print()
    row("", list(phases))
    row("claims/s", [f"{rate[key]:.0f}" for key in phases])
    for label, q in (("take-next latency p50 (ms)", 0.50), ("take-next latency p95 (ms)", 0.95),
                     ("take-next latency p99 (ms)", 0.99)):
        row(label, [f"{percentile(phase['latencies'], q) * 1000:.1f}" for phase, _ in phases.values()])
    row("agent-process CPU per claim (ms)",
        [f"{phase['client_cpu'] / len(phase['claims']) * 1000:.2f}" for phase, _ in phases.values()])
    if ours["api_cpu"] is not None:
        row("API process CPU per claim (ms)", [f"{phase['api_cpu'] / len(phase['claims']) * 1000:.2f}"
                                               if phase["api_cpu"] is not None else "-" for phase, _ in phases.values()])
    row("PostgreSQL CPU per claim (ms)",
        [f"{phase['postgres_cpu'] / len(phase['claims']) * 1000:.2f}" for phase, _ in phases.values()])
    row("double assignments", [check["double"] for _, check in phases.values()])
    row("lost cases", [check["lost"] for _, check in phases.values()])
    row("case.assigned.v1 events", [check["events"] if check["events"] is not None else "-"
                                    for _, check in phases.values()])
    row("claims per agent (min-max)", [f"{idlest}-{busiest}"])
    bare_figures = (f"bare stack/floor = {rate['bare stack'] / rate['floor']:.2f}, ours/bare stack = "
                    f"{rate['ours'] / rate['bare stack']:.2f}; " if "bare stack" in rate else "")
    print(f"\nratio ours/floor = {ratio:.2f} ({'meets' if ratio >= GOAL else 'below'} the {GOAL} goal); "
          f"ours/floor+writes = {rate['ours'] / rate['floor+writes']:.2f}; {bare_figures}"
          f"p95 take-next {percentile(ours['latencies'], 0.95) * 1000:.1f} ms; "
          f"{time.monotonic() - began:.0f} s in all, database {name} dropped; "
          f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    failed = any(check["double"] or check["lost"] for _, check in phases.values()) \
        or any(check["events"] not in (None, args.cases) for _, check in phases.values())
    if failed:
        print("FAIL: a case was given twice, lost, or not announced (see the rows above).")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
