"""One read by id, its whole path: CPU per request of each process, straight to the cases service and
through the gateway, with 4 and 16 clients at once.

Run: ``.venv/bin/python bench/api_reads.py`` (real PostgreSQL; ``CAREDESK_TEST_POSTGRES_URL`` chooses
another server). Options: ``--cases N`` (default 20,000), ``--requests N`` per client and path
(default 150), ``--clients 4,16``, ``--rounds N`` (each path's requests are split over N alternating
rounds, so a change in the machine's load hits both paths alike; default 4), ``--profile`` (instead of
measuring: cProfile of 2,000 reads by id through each app in this process, then the top functions),
``--rate-limits off`` (the gateway counts no rate limits: what the counting costs), ``--reader agent``
(read as a level-4 agent who is a member of two of the four queues, the cases of those queues only,
instead of as the administrator: the scope filter with the caller's queues), ``--sample SECONDS``
(instead of measuring: each HTTP path alone for SECONDS with 4 clients while py-spy samples the
workers it passes through, bench/sampling.py; prints the sampled ms per request under each frame of
the cases service's read beside the bare read's, and of the gateway's hop beside the bare hop's).
Each run makes three throwaway databases (gateway, customers, cases) and drops them at the end; ``CAREDESK_BENCH_PORT_BASE``
chooses the 100 ports it may listen on (default 22000-22099).

What one run does:
  1. load     ``caredesk init`` migrates every component and creates the administrator;
              bench/take_next.py's seeder puts N dispatched cases in the cases database.
  2. serve    the gateway and the cases service under gunicorn (``caredesk serve``, one gthread
              worker with 8 threads, as deployed), the gateway with its rate limits on (counted in
              its PostgreSQL database, set high enough never to refuse).
  3. measure  for each client count, in alternating rounds:
              - floor: ``SELECT * FROM cases WHERE id = %s`` over psycopg, one connection per client;
              - direct: ``GET /api/v1/cases/{random id}`` straight to the cases service;
              - bare read: the case's row by id from bench/bare_stack.py (gunicorn, Flask and psycopg
                with nothing of Caredesk): the most any read by id of this stack can reach;
              - bare hop: the same through bench/bare_stack.py's relay (gunicorn, Flask and urllib3
                as the gateway runs them, with nothing of the gateway's own work): what any hop of
                this stack adds;
              - gateway: the same through the gateway.
              Each client keeps its connection alive, with the administrator's token. Before and after
              every round the CPU time (user + system, /proc) of each process is read: the cases
              service (gunicorn master + worker), the gateway (the same), the bare hop and
              PostgreSQL (the backends connected to this run's databases).
Printed, per client count: p50/p95 in ms of each path; the ratio gateway/direct at p50 and p95
(goal: the gateway adds at most 30%, ratio <= 1.3), bare hop/direct (the most any hop of this stack
can reach) and direct/floor; CPU ms per request of each process for each path (goal: the cases
service spends at most 1.5 ms per read by id), and the service's CPU per read against the bare read's.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import socket
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose gateway.py would hide the gateway package
if str(ROOT / "bench") not in sys.path:
    sys.path.append(str(ROOT / "bench"))

import sampling  # noqa: E402
import take_next as cases_bench  # noqa: E402

GOAL_HOP = 1.3
GOAL_SERVICE_CPU_MS = 1.5
WARMUP = 10
ADMIN_PASSWORD = "bench-admin-password"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PORTS = range(int(os.environ.get("CAREDESK_BENCH_PORT_BASE", "22000")),
              int(os.environ.get("CAREDESK_BENCH_PORT_BASE", "22000")) + 100)


def free_ports(count: int) -> list[int]:
    chosen: list[int] = []
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"not enough free ports in {PORTS.start}-{PORTS.stop - 1}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class CpuMeter:
    """CPU seconds of named groups of processes, read before and after a round."""

    def __init__(self, admin_url: str, databases: list[str], servers: dict[str, int]) -> None:
        self.admin_url, self.databases, self.servers = admin_url, databases, servers

    def groups(self) -> dict[str, list[int]]:
        with closing(psycopg.connect(self.admin_url, autocommit=True)) as conn:
            backends = [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (self.databases,))]
        return {**{name: cases_bench.descendants(pid) for name, pid in self.servers.items()}, "postgres": backends}

    def sample(self) -> dict[str, dict[int, float]]:
        return {name: {pid: cases_bench.cpu_seconds(pid) for pid in pids} for name, pids in self.groups().items()}

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        return {name: sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
                for name, pids in after.items()}


def run_clients(clients: int, count: int, one_request) -> list[float]:
    """``one_request(state, index) -> ms`` by every client at once (``state``: the client's own
    session or connection, made by ``one_request.open()``); times after each client's warm-up."""
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)
    errors: list[BaseException] = []

    def client(number: int) -> None:
        try:
            state = one_request.open()
            for index in range(WARMUP):
                one_request(state, number * 1_000_003 + index)
            start.wait()
            mine = [one_request(state, number * 1_000_003 + WARMUP + index) for index in range(count)]
            with lock:
                times.extend(mine)
            one_request.close(state)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return times


RETRIED: list[str] = []


class HttpRead:
    def __init__(self, base: str, token: str, ids: list[str]) -> None:
        self.base, self.token, self.ids = base, token, ids

    def open(self):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        session.trust_env = False
        return session

    def close(self, session) -> None:
        session.close()

    def __call__(self, session, index: int) -> float:
        url = f"{self.base}/cases/{self.ids[random.randrange(len(self.ids))]}"
        started = time.perf_counter()
        try:
            answer = session.get(url, timeout=60)
        except requests.ConnectionError:
            # a kept-alive connection the server closed as we reused it (gunicorn's keep-alive
            # timeout on a starved machine): once more on a fresh one, timed from there, counted
            RETRIED.append(url)
            started = time.perf_counter()
            answer = session.get(url, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url} -> {answer.status_code}: {answer.text[:300]}")
        return elapsed


class SqlRead:
    def __init__(self, url: str, ids: list[str]) -> None:
        self.url, self.ids = url, ids

    def open(self):
        return psycopg.connect(self.url, autocommit=True)

    def close(self, conn) -> None:
        conn.close()

    def __call__(self, conn, index: int) -> float:
        started = time.perf_counter()
        row = conn.execute("SELECT * FROM cases WHERE id = %s", (self.ids[random.randrange(len(self.ids))],)).fetchone()
        elapsed = (time.perf_counter() - started) * 1000
        assert row is not None
        return elapsed


AGENT_QUEUES = ("q0", "q1")


def agent_token(private_key: Path) -> str:
    """A level-4 agent's access token (no permissions, member of AGENT_QUEUES), signed with the
    gateway's key: it reaches the dispatched cases of its queues through the scope filter alone. The
    agent is not in the directory, which the token guard reads as neither disabled nor changed."""
    from gateway.auth.tokens import TokenIssuer
    from services.kit.auth import Principal

    agent = Principal(user_id=uuid.uuid4(), username="bench.agent", level=4, branch_id=uuid.uuid4(),
                      department_id=uuid.uuid4(), queues=frozenset(AGENT_QUEUES), token_id=uuid.uuid4().hex)
    return TokenIssuer.from_file(private_key, lifetime_seconds=3600).issue(agent, token_id=agent.token_id)[0]


def profile_in_process(env: dict, token: str, ids: list[str], gateway_port: int, count: int = 2000) -> None:
    """cProfile of ``count`` reads through each app, called in this process (WSGI, no sockets):
    the cases service, then the gateway forwarding to the cases service it started."""
    os.environ.update(env)
    os.environ["CAREDESK_GATEWAY_CASES_URL"] = f"http://127.0.0.1:{gateway_port}"
    import gateway as gateway_app
    import services.cases as cases_app
    for name, app in (("cases service", cases_app.create_app()), ("gateway (forwarding)", gateway_app.create_app())):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for case_id in ids[:50]:
            answer = client.get(f"/api/v1/cases/{case_id}", headers=headers)
            assert answer.status_code == 200
            answer.close()
        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits
        started = time.process_time()
        profiler.enable()
        for index in range(count):
            answer = client.get(f"/api/v1/cases/{ids[index % len(ids)]}", headers=headers)
            assert answer.status_code == 200, answer.data[:300]
            answer.close()
        profiler.disable()
        cpu = (time.process_time() - started) / count * 1000
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(45)
        print(f"===== {name}: {cpu:.2f} ms CPU per read under cProfile (test client included) =====")
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(30)
        print(out.getvalue())


def sample_paths(paths: dict, workers: dict[str, int], folder: Path, seconds: int, clients: int = 4) -> None:
    """Each HTTP path alone for ``seconds`` with ``clients`` at once while py-spy samples the workers it
    passes through; then the cases service's frames per read beside the bare read's, and the gateway's
    per hop beside the bare hop's."""
    through = {"direct": ("cases",), "bare read": ("bare",), "bare hop": ("bare", "cases"),
               "gateway": ("gateway", "cases")}
    columns: dict[tuple[str, str], tuple[Path, int]] = {}
    for path, processes in through.items():
        run_clients(clients, 25, paths[path])  # warm: pools, caches, the gateway's map of documented paths
        recordings = {process: sampling.Recording(workers[process], seconds, folder / f"{path}.{process}.txt")
                      for process in processes}
        answered = 0
        while all(recording.running for recording in recordings.values()):
            answered += len(run_clients(clients, 25, paths[path])) + clients * WARMUP
        for process, recording in recordings.items():
            columns[(path, process)] = (recording.finish(), answered)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {clients} clients at once, "
          f"each path alone for {seconds} s: " + ", ".join(f"{path} {columns[(path, processes[0])][1]:,} reads"
                                                          for path, processes in through.items()))
    print("\nthe read: the cases service (direct) beside bench/bare_stack.py's bare read")
    sampling.print_table({"service": columns[("direct", "cases")], "bare read": columns[("bare read", "bare")]})
    print("\nthe hop: the gateway beside bench/bare_stack.py's bare relay, each in front of the cases service")
    sampling.print_table({"gateway": columns[("gateway", "gateway")], "bare hop": columns[("bare hop", "bare")]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--clients", default="4,16")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rate-limits", default="1000000/minute",
                        help="the gateway's per-user and per-token limits (default: counted, never refusing; "
                             "'off': not counted, to see what counting costs)")
    parser.add_argument("--reader", choices=("admin", "agent"), default="admin",
                        help="who reads: the administrator (level 1), or a level-4 agent of queues q0 and q1")
    parser.add_argument("--sample", type=int, metavar="SECONDS",
                        help="sample the workers with py-spy, each HTTP path alone for SECONDS, instead of measuring")
    args = parser.parse_args()
    client_counts = [int(value) for value in args.clients.split(",")]
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
    components = ("gateway", "cases")
    ports = dict(zip(components, free_ports(len(components))))
    prefix = os.environ.get("CAREDESK_BENCH_DB_PREFIX", "caredesk_bench")
    names = {name: f"{prefix}_{uuid.uuid4().hex[:10]}" for name in ("gateway", "customers", "cases")}
    results = {}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caredesk-bench-reads-")))
        urls = {name: stack.enter_context(cases_bench.throwaway_database(admin_url, database))
                for name, database in names.items()}
        env = dict(os.environ, CAREDESK_DATA_DIR=str(folder), CAREDESK_ADMIN_PASSWORD=ADMIN_PASSWORD,
                   CAREDESK_CUSTOMERS_DATABASE_URL=urls["customers"], CAREDESK_CASES_DATABASE_URL=urls["cases"],
                   CAREDESK_GATEWAY_DATABASE_URL=urls["gateway"], CAREDESK_LOG_LEVEL="INFO",
                   CAREDESK_GATEWAY_RATE_LIMIT_PER_USER=args.rate_limits,
                   CAREDESK_GATEWAY_RATE_LIMIT_PER_TOKEN=args.rate_limits,
                   CAREDESK_GATEWAY_CASES_URL=f"http://127.0.0.1:{ports['cases']}")
        subprocess.run([sys.executable, "-m", "caredesk.cli", "init"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        cases_bench.seed(urls["cases"], cases=args.cases, queues=4)
        reader_queues = AGENT_QUEUES if args.reader == "agent" else ("q0", "q1", "q2", "q3")
        with closing(psycopg.connect(urls["cases"])) as conn:
            ids = [str(row[0]) for row in conn.execute(
                "SELECT cases.id FROM cases JOIN queues ON queues.id = cases.queue_id WHERE queues.code = ANY(%s)",
                (list(reader_queues),))]
        servers = {}
        processes = []

        def stop_all():
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)

        stack.callback(stop_all)
        for name in components:
            log = open(folder / f"{name}.log", "wb")
            process = subprocess.Popen([sys.executable, "-m", "caredesk.cli", "serve", name, "--port", str(ports[name])],
                                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
            processes.append(process)
            servers[name] = process.pid
        for name in components:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{ports[name]}/healthz", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start; see the logs in {folder}")
                time.sleep(0.3)
        gateway = f"http://127.0.0.1:{ports['gateway']}/api/v1"
        direct = f"http://127.0.0.1:{ports['cases']}/api/v1"
        login = requests.post(gateway + "/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                              timeout=60)
        login.raise_for_status()
        token = login.json()["access_token"]
        if args.reader == "agent":
            token = agent_token(folder / "keys" / "gateway.pem")
        if args.profile:
            profile_in_process(env, token, ids, ports["cases"])
            return 0
        bare_url, servers["bare"] = stack.enter_context(cases_bench.bare_stack(
            urls["cases"], folder, workers=1, threads=8, env={"BARE_STACK_RELAY_TO": f"http://127.0.0.1:{ports['cases']}"}))
        meter = CpuMeter(admin_url, list(names.values()), {name: servers[name] for name in ("gateway", "cases", "bare")})
        paths = {"floor": SqlRead(urls["cases"], ids), "direct": HttpRead(direct, token, ids),
                 "bare read": HttpRead(bare_url, token, ids), "bare hop": HttpRead(f"{bare_url}/relay/api/v1", token, ids),
                 "gateway": HttpRead(gateway, token, ids)}
        if args.sample:
            sample_paths(paths, {name: sampling.worker_of(servers[name]) for name in ("cases", "gateway", "bare")},
                         folder, args.sample)
            return 0
        load_before = os.getloadavg()
        for clients in client_counts:
            per_round = max(1, args.requests // args.rounds)
            times = {name: [] for name in paths}
            cpu = {name: {} for name in paths}
            for _round in range(args.rounds):
                for name, one_request in paths.items():
                    before = meter.sample()
                    times[name].extend(run_clients(clients, per_round, one_request))
                    used = CpuMeter.used(before, meter.sample())
                    for group, seconds in used.items():
                        cpu[name][group] = cpu[name].get(group, 0.0) + seconds
            results[clients] = (times, cpu)
        load_after = os.getloadavg()
    print(f"reader: {args.reader}")
    print(f"{len(ids):,} cases; reads by random id; {args.requests} requests per client and path in {args.rounds} "
          f"alternating rounds; times in ms")
    print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end")
    met = True
    for clients, (times, cpu) in results.items():
        print(f"\n{clients} clients at once")
        groups = ("cases", "gateway", "bare", "postgres")
        print(f"{'path':9} {'p50':>7} {'p95':>7}   CPU ms per request: " + " ".join(f"{group:>8}" for group in groups))
        for name in paths:
            n = len(times[name])
            if name == "floor":  # its own connections come and go with the round: not in the CPU samples
                cpu_columns = " ".join(f"{'-':>8}" for _group in groups)
            else:
                cpu_columns = " ".join(f"{cpu[name].get(group, 0) * 1000 / n:8.2f}" for group in groups)
            print(f"{name:9} {statistics.median(times[name]):7.2f} {percentile(times[name], 95):7.2f}   "
                  f"{'':20}{cpu_columns}")
        g50, g95 = statistics.median(times["gateway"]), percentile(times["gateway"], 95)
        d50, d95 = statistics.median(times["direct"]), percentile(times["direct"], 95)
        b50, b95 = statistics.median(times["bare hop"]), percentile(times["bare hop"], 95)
        f50, f95 = statistics.median(times["floor"]), percentile(times["floor"], 95)
        service_cpu = cpu["direct"].get("cases", 0) * 1000 / len(times["direct"])
        bare_cpu = cpu["bare read"].get("bare", 0) * 1000 / len(times["bare read"])
        print(f"ratio gateway/direct: p50 {g50 / d50:.2f}, p95 {g95 / d95:.2f} (goal <= {GOAL_HOP}); "
              f"bare hop/direct: p50 {b50 / d50:.2f}, p95 {b95 / d95:.2f}; "
              f"direct/floor (SQL): p50 {d50 / f50:.1f}, p95 {d95 / f95:.1f}; "
              f"cases service CPU per read {service_cpu:.2f} ms (goal <= {GOAL_SERVICE_CPU_MS}), "
              f"{service_cpu / bare_cpu:.2f}x the bare read's {bare_cpu:.2f} ms")
        met &= g95 / d95 <= GOAL_HOP and service_cpu <= GOAL_SERVICE_CPU_MS
    print(f"\nrequests sent again after a kept-alive connection was closed under them: {len(RETRIED)}")
    print(f"goals (gateway p95 <= {GOAL_HOP}x direct; <= {GOAL_SERVICE_CPU_MS} ms of service CPU per read): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
