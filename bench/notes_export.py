"""The notes report's .xlsx export at 500,000 notes: our API against its floor, on the real PostgreSQL.

Run: ``.venv/bin/python bench/notes_export.py`` (a few minutes on 2 cores; ``CAREDESK_TEST_POSTGRES_URL``
chooses another server). Options: ``--notes N`` (default 500,000), ``--small N`` (the first export,
default 100,000), ``--port`` (default 8500).

What one run does:
  1. load   a throwaway database (``caredesk_bench_<hex>``) migrated with the service's migrations:
            200 authors in the directory replica (10 branches, 40 departments), 10,000 customers
            and N notes (INSERT … SELECT generate_series, one a minute back), then ANALYZE.
  2. ours   ``caredesk serve customers`` (gunicorn, gthread, as deployed) in a child process;
            GET /api/v1/customers/notes-report.xlsx as a level 1 user, first filtered to the
            newest ``--small`` notes, then all N; time from the request to the last byte, time to
            the first byte, and the gunicorn worker's peak RSS (VmHWM) after each export.
  3. floor  the same SQL (``queries.report_query`` rendered for psycopg) through a psycopg
            server-side cursor (itersize 2,000), written with XlsxWriter in constant_memory mode
            (the same library's constant-memory path), into a temporary file; no HTTP.
Goals: ratio ours/floor in rows/s >= 0.7; API peak RSS < 150 MB and flat between the two exports.
"""
from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
import uuid
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gateway.auth.keys import ensure_key_pair  # noqa: E402
from gateway.auth.tokens import TokenIssuer  # noqa: E402
from search import serve, throwaway_database  # noqa: E402
from services.customers import MIGRATIONS  # noqa: E402
from services.customers.notes.export import HEADERS  # noqa: E402
from services.customers.notes.queries import ReportFilters, report_query  # noqa: E402
from services.kit import migrations  # noqa: E402
from services.kit.auth import Principal  # noqa: E402

RATIO_GOAL, RSS_GOAL_MB = 0.7, 150
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BRANCHES = [uuid.UUID(int=0xB000 + n) for n in range(10)]
DEPARTMENTS = [uuid.UUID(int=0xD000 + n) for n in range(40)]


def load(url: str, notes: int) -> float:
    started = time.perf_counter()
    with closing(psycopg.connect(url, autocommit=True)) as db:
        db.execute(
            "INSERT INTO directory_users (id, username, full_name, level, branch_id, department_id, permissions, "
            "queues, is_active, directory_version, updated_at) "
            "SELECT gen_random_uuid(), 'agent' || n, 'Agente Número ' || n, 4, (%s::uuid[])[1 + n %% 10], "
            "(%s::uuid[])[1 + n %% 40], '[]', '[]', true, 1, now() FROM generate_series(1, 200) AS n",
            (BRANCHES, DEPARTMENTS))
        db.execute(
            "INSERT INTO customers (id, code, kind, name, search_name, status, region, address, description, "
            "campaigns, branch_id, department_id, version, created_at, updated_at) "
            "SELECT gen_random_uuid(), 'N-' || n, 'person', 'Cliente Pérez ' || n, ' cliente perez ' || n || ' ', "
            "'active', '', '', '', '[]', (%s::uuid[])[1 + n %% 10], (%s::uuid[])[1 + n %% 40], 1, now(), now() "
            "FROM generate_series(1, 10000) AS n", (BRANCHES, DEPARTMENTS))
        db.execute(
            "INSERT INTO notes (id, customer_id, text, location, next_treatment, author_id, written_branch_id, "
            "written_department_id, created_at, version) "
            "SELECT gen_random_uuid(), c.ids[1 + n %% 10000], "
            "'Llamó al cliente: enviar de nuevo la cotización y llamar en 2 meses (' || n || ')', 'Oficina', "
            "'Llamar en 2 meses', u.ids[1 + n %% 200], NULL, %s, now() - make_interval(mins => n), 1 "
            "FROM generate_series(1, %s) AS n, (SELECT array_agg(id) AS ids FROM customers) AS c, "
            "(SELECT array_agg(id) AS ids FROM directory_users) AS u", (DEPARTMENTS[0], notes))
        db.execute("ANALYZE")
    return time.perf_counter() - started


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def api_export(port: int, token: str, params: dict) -> tuple[float, float, int]:
    """(seconds to the last byte, seconds to the first byte, bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", "/api/v1/customers/notes-report.xlsx?" + urlencode(params),
                       headers={"Authorization": f"Bearer {token}", "Accept-Language": "es"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"export -> {response.status}: {response.read()[:300]!r}")
    first = None
    size = 0
    while chunk := response.read(64 * 1024):
        first = first if first is not None else time.perf_counter() - started
        size += len(chunk)
    connection.close()
    return time.perf_counter() - started, first or 0.0, size


def floor_export(url: str, principal: Principal, filters: ReportFilters) -> tuple[float, int]:
    """The report's SQL through a psycopg server-side cursor into XlsxWriter's constant_memory mode."""
    from sqlalchemy.dialects.postgresql.psycopg import dialect

    compiled = report_query(principal, filters).compile(dialect=dialect())
    sql, params = compiled.string, compiled.params
    started = time.perf_counter()
    rows = 0
    with closing(psycopg.connect(url)) as db, tempfile.TemporaryFile() as out:
        workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        sheet = workbook.add_worksheet("Notas")
        sheet.write_row(0, 0, HEADERS["es"], workbook.add_format({"bold": True}))
        dated = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        with db.cursor(name="floor") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql, params)
            for rows, (_id, _customer, code, name, created_at, author_id, author_name, branch, department, text,
                       location, treatment, _version) in enumerate(cursor, start=1):
                sheet.write_datetime(rows, 0, created_at.replace(tzinfo=None), dated)
                sheet.write_row(rows, 1, (code, name, str(branch), str(department), author_name or str(author_id),
                                          text, location, treatment))
        workbook.close()
    return time.perf_counter() - started, rows


def count(url: str, principal: Principal, filters: ReportFilters) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.dialects.postgresql.psycopg import dialect

    compiled = select(func.count()).select_from(report_query(principal, filters).subquery()).compile(dialect=dialect())
    with closing(psycopg.connect(url)) as db:
        return db.execute(compiled.string, compiled.params).fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=500_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8500)
    args = parser.parse_args()
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL
    principal = Principal(user_id=uuid.uuid4(), username="bench.company", level=1, branch_id=BRANCHES[0],
                          department_id=DEPARTMENTS[0])
    # the newest --small notes are the last --small minutes: whole days from that day on
    small_from = date.today() - timedelta(minutes=args.small) // timedelta(days=1) * timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="bench-notes-") as tmp, \
            throwaway_database(admin_url, keep=False) as url:
        folder = Path(tmp)
        private, public = folder / "gateway.pem", folder / "gateway.pub"
        ensure_key_pair(private, public)
        token = TokenIssuer.from_file(private, lifetime_seconds=3600).issue(principal)[0]
        migrations.upgrade(MIGRATIONS, url)
        print(f"loading {args.notes:,} notes …", flush=True)
        print(f"loaded in {load(url, args.notes):.1f} s")
        print(f"machine load average (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} cores")
        runs = [("small", ReportFilters(date_from=small_from), {"from": small_from.isoformat()}),
                ("all", ReportFilters(), {})]
        results = []
        with serve(url, folder, public, args.port) as master:
            worker = worker_pid(master.pid)
            print(f"API worker RSS before exporting: peak {peak_rss_mb(worker):.0f} MB")
            for label, filters, params in runs:
                rows = count(url, principal, filters)
                seconds, first_byte, size = api_export(args.port, token, params)
                rss = peak_rss_mb(worker)
                floor_seconds, floor_rows = floor_export(url, principal, filters)
                assert floor_rows == rows, (floor_rows, rows)
                results.append((label, rows, seconds, first_byte, size, rss, floor_seconds))
        print(f"{'export':<8}{'rows':>9}{'API rows/s':>12}{'1st byte':>10}{'MB':>7}{'floor rows/s':>14}"
              f"{'ratio':>7}{'API peak RSS':>14}")
        for label, rows, seconds, first_byte, size, rss, floor_seconds in results:
            print(f"{label:<8}{rows:>9,}{rows / seconds:>12,.0f}{first_byte:>9.2f}s{size / 2**20:>7.1f}"
                  f"{rows / floor_seconds:>14,.0f}{floor_seconds / seconds:>7.2f}{rss:>11.0f} MB")
        ratio = results[-1][6] / results[-1][2]
        growth = results[-1][5] - results[0][5]
        ok = ratio >= RATIO_GOAL and results[-1][5] < RSS_GOAL_MB
        print(f"ratio at {results[-1][1]:,} rows: {ratio:.2f} (goal >= {RATIO_GOAL}); API peak RSS "
              f"{results[-1][5]:.0f} MB (goal < {RSS_GOAL_MB}), +{growth:.1f} MB from {results[0][1]:,} to "
              f"{results[-1][1]:,} rows: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
