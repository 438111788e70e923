"""The console's pages against the API calls under them: the customer card, the queue page and the
personal folder, at a million customers and 100,000 cases on PostgreSQL.

Run: ``.venv/bin/python bench/console.py`` (real PostgreSQL; ``CAREDESK_TEST_POSTGRES_URL`` chooses
another server). Options: ``--customers N`` (default 1,000,000), ``--cases N`` (default 100,000),
``--requests N`` per page (default 200). Each run makes two throwaway databases (customers, cases)
and drops them at the end, even when it fails.

What one run does:
  1. load     ``caredesk init`` migrates every component (customers and cases on the throwaway
              PostgreSQL databases; gateway and notifications on SQLite in a temp folder) and
              creates the administrator; bench/search.py's loader COPYs the customers with their
              search keys, bench/take_next.py's seeder the cases (dispatched over four queues, every
              priority), and a tenth of the cases get the administrator as initiator so the folder
              has pages to show.
  2. serve    the four components under gunicorn (``caredesk serve``), as deployed; no workers,
              nothing is written.
  3. measure  one client signed into the console (a session cookie, as a browser) and the same
              user's token: for each request, the page through the gateway, then the API calls that
              page makes, sent straight to the services one after the other (what the page costs
              without the console or the gateway). Card: the parts of the gateway's composed card
              (the customer, its open cases, financial summary, consents and latest offers, which
              the page gets in one call), its notes, attachments and attachment types, the
              interaction panel's catalogues (reasons, points of contact; a dial link per line and
              contact phone, which the loaded customers do not have), the unread count. Queue page: the queue statistics, the unread count. Folder: the folder's first
              page, the unread count.
Printed: p50/p95 in ms of each page and of its API calls, and their ratio. The goal: a page costs at
most 1.5x the API calls under it, and its p95 stays under 100 ms.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search as customers_bench  # noqa: E402
import take_next as cases_bench  # noqa: E402

GOAL_RATIO, GOAL_P95_MS = 1.5, 100.0
ADMIN_PASSWORD = "bench-admin-password"
COMPONENT_PORTS = {"gateway": 0, "customers": 1, "cases": 2, "notifications": 3}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextmanager
def system(env: dict, folder: Path, base_port: int):
    """The four components under gunicorn; returns once each answers /healthz."""
    processes = []
    try:
        for name, offset in COMPONENT_PORTS.items():
            log = open(folder / f"{name}.log", "wb")
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "caredesk.cli", "serve", name, "--port", str(base_port + offset)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        for offset in COMPONENT_PORTS.values():
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{base_port + offset}/healthz", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a component did not start; see the logs in {folder}")
                time.sleep(0.3)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def console_session(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(base + "/signin").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(base + "/signin", allow_redirects=False, data={
        "csrf_token": csrf, "username": "admin", "password": ADMIN_PASSWORD, "tz": "America/Bogota", "lang": "es"})
    assert answer.status_code == 302, answer.text
    return browser


def measure(browser, api, pages: dict, requests_per_page: int) -> dict:
    """Page and API calls alternate on every request, so neither warms the cache for the other."""
    figures = {}
    for name, (page_path, api_paths) in pages.items():
        page_times, api_times = [], []
        for index in range(requests_per_page + 10):
            path, calls = page_path(index), api_paths(index)
            started = time.perf_counter()
            answer = browser.get(path)
            page_ms = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, (path, answer.status_code)
            started = time.perf_counter()
            for call in calls:
                assert api.get(call).status_code == 200, call
            api_ms = (time.perf_counter() - started) * 1000
            if index >= 10:  # the first ten warm the connections and caches
                page_times.append(page_ms)
                api_times.append(api_ms)
        figures[name] = {"page_p50": statistics.median(page_times), "page_p95": percentile(page_times, 95),
                         "api_p50": statistics.median(api_times), "api_p95": percentile(api_times, 95)}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=0, help="the gateway's port, the services' the next three "
                                                              "(default: a random one from 21000-40000)")
    parser.add_argument("--database-prefix", default="caredesk_bench", help="of the two throwaway databases' names")
    args = parser.parse_args()
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL", customers_bench.DEFAULT_ADMIN_URL)
    base_port = args.port or random.randint(21000, 40000)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caredesk-bench-console-")))
        customers_url = stack.enter_context(customers_bench.throwaway_database(admin_url, keep=False,
                                                                               prefix=args.database_prefix))
        cases_url = stack.enter_context(cases_bench.throwaway_database(
            admin_url, f"{args.database_prefix}_{uuid.uuid4().hex[:10]}"))
        env = dict(os.environ, CAREDESK_DATA_DIR=str(folder), CAREDESK_ADMIN_PASSWORD=ADMIN_PASSWORD,
                   CAREDESK_CUSTOMERS_DATABASE_URL=customers_url, CAREDESK_CASES_DATABASE_URL=cases_url,
                   CAREDESK_LOG_LEVEL="WARNING", **{f"CAREDESK_GATEWAY_{name.upper()}_URL": f"http://127.0.0.1:{base_port + offset}"
                                                  for name, offset in COMPONENT_PORTS.items() if name != "gateway"})
        subprocess.run([sys.executable, "-m", "caredesk.cli", "init"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        started = time.perf_counter()
        customers_bench.load(customers_url, args.customers, seed=7)
        queue_ids = cases_bench.seed(cases_url, cases=args.cases, queues=4)
        print(f"loaded {args.customers:,} customers and {args.cases:,} cases in {time.perf_counter() - started:.0f} s")
        with closing(psycopg.connect(customers_url)) as conn:
            card_ids = [str(row[0]) for row in conn.execute(
                "SELECT id FROM customers TABLESAMPLE SYSTEM (1) LIMIT %s", (args.requests + 10,))]
        stack.enter_context(system(env, folder, base_port))
        base = f"http://127.0.0.1:{base_port}"
        browser = console_session(base)
        token = requests.post(base + "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD},
                              timeout=30).json()
        with closing(psycopg.connect(cases_url, autocommit=True)) as conn:
            conn.execute("UPDATE cases SET initiator_id = %s WHERE right(number, 1) = '0'", (token["user"]["id"],))
            conn.execute("VACUUM ANALYZE cases")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token['access_token']}"

        def service(name: str, path: str) -> str:
            return f"http://127.0.0.1:{base_port + COMPONENT_PORTS[name]}/api/v1/{path}"

        inbox = service("notifications", "notifications/unread")  # the header's count, on every page

        def card_calls(customer_id: str) -> list[str]:
            open_cases = "&".join(f"status={state}" for state in ("open", "open_dispatch", "open_reject"))
            return [service("customers", f"customers/{customer_id}"),
                    service("cases", f"cases?customer_id={customer_id}&{open_cases}&sort=priority&per_page=20"),
                    service("customers", f"customers/{customer_id}/financial-summary"),
                    service("customers", f"customers/{customer_id}/consents?per_page=200"),
                    service("customers", f"customers/{customer_id}/offers?per_page=5"),
                    service("customers", f"customers/{customer_id}/notes?per_page=10"),
                    service("customers", f"customers/{customer_id}/attachments?per_page=20"),
                    service("customers", "customers/attachment-types?per_page=200"),
                    service("customers", "customers/interaction-reasons?per_page=200"),
                    service("customers", "customers/contact-points?per_page=200"), inbox]
        pages = {
            "card": (lambda i: f"{base}/customers/{card_ids[i % len(card_ids)]}", lambda i: card_calls(card_ids[i % len(card_ids)])),
            "queues": (lambda i: f"{base}/queues", lambda i: [service("cases", "queues/statistics?per_page=200"), inbox]),
            "folder": (lambda i: f"{base}/folder?box=created",
                       lambda i: [service("cases", "cases/folder?box=created&sort=priority&page=1&per_page=25"),
                                  inbox]),
        }
        figures = measure(browser, api, pages, args.requests)
    print(f"{len(queue_ids)} queues; {args.requests} requests per page; times in ms")
    print(f"{'page':8} {'page p50':>9} {'page p95':>9} {'API p50':>8} {'API p95':>8} {'ratio p50':>10} {'ratio p95':>10}")
    met = True
    for name, row in figures.items():
        ratio50, ratio95 = row["page_p50"] / row["api_p50"], row["page_p95"] / row["api_p95"]
        met &= ratio95 <= GOAL_RATIO and row["page_p95"] < GOAL_P95_MS
        print(f"{name:8} {row['page_p50']:9.1f} {row['page_p95']:9.1f} {row['api_p50']:8.1f} {row['api_p95']:8.1f}"
              f" {ratio50:10.2f} {ratio95:10.2f}")
    print(f"goal (ratio <= {GOAL_RATIO}, page p95 < {GOAL_P95_MS:.0f} ms): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
