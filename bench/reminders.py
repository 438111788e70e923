"""Payment reminders end to end against their floor: N customers with an invoice due in 3 days and
active reminder settings, the daily job, and every reminder sent to a local aiosmtpd.

Run: ``.venv/bin/python bench/reminders.py [--customers 100000] [--processes 2] [--threads 4]``
(real PostgreSQL; ``CAREDESK_TEST_POSTGRES_URL`` chooses another server). The run makes its own
database (``bench_reminders_<hex>``) and drops it at the end, even when it fails.

One run:
  1. seed   - N customers' addresses, an open invoice each (due in 3 days: the 7-days-before
              reminder is due) and active settings, bulk-inserted (not measured).
  2. ours   - the job (``send_due_reminders``: claims, rendering in each customer's language,
              delivery rows, batches of 500), then every delivery through the send step the Celery
              task runs (``send_delivery``: claim, SMTP with its Message-ID, record), by
              ``--processes`` x ``--threads`` senders, each thread on one SMTP connection. The
              broker hop of Celery (one task message per delivery) is not in this figure.
  3. floor  - the same number of messages (prebuilt, same size) sent with plain smtplib over one
              connection: the transport alone.
The SMTP server (aiosmtpd) runs in its own process and writes each Message-ID it accepts; printed:
messages/s of both, the ratio ours/floor (goal >= 0.5), sent-twice and missing (both must be 0;
the exit status is 1 otherwise), and how long the job itself took.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import closing, contextmanager
from datetime import timedelta
from email import policy as email_policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.kit import migrations  # noqa: E402
from services.kit.db import Database, utcnow  # noqa: E402
from services.kit.settings import load_settings  # noqa: E402
from services.notifications import MIGRATIONS  # noqa: E402
from services.notifications.models import Base  # noqa: E402

GOAL = 0.5
LANGUAGES = ("es", "en", "ru", "vi")


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the SMTP server, in its own process -----------------------------------------------------------
def _catcher(port: int, path: str, ready) -> None:
    import asyncio
    import re

    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID:\s*(\S+)", re.M | re.I)
    out = open(path, "ab", buffering=0)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            found = message_id.search(envelope.original_content or envelope.content)
            out.write((found.group(1) if found else b"-") + b"\n")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        asyncio.run(asyncio.sleep(10 ** 6))
    finally:
        controller.stop()


@contextmanager
def smtp_server(workdir: Path, name: str):
    port, path = free_port(), workdir / f"{name}.ids"
    path.write_bytes(b"")
    ready = multiprocessing.Event()
    process = multiprocessing.Process(target=_catcher, args=(port, str(path), ready), daemon=True)
    process.start()
    ready.wait(30)
    try:
        yield port, path
    finally:
        process.terminate()
        process.join(10)


def received(path: Path) -> Counter:
    return Counter(line for line in path.read_text().splitlines() if line)


# -- seed ------------------------------------------------------------------------------------------
def seed(url: str, customers: int) -> None:
    from services.notifications.reminders.models import DEFAULT_AFTER, DEFAULT_BEFORE

    due = utcnow().date() + timedelta(days=3)
    with closing(psycopg.connect(url)) as connection, connection.cursor() as cursor:
        ids = [uuid.uuid4() for _ in range(customers)]
        with cursor.copy("COPY customer_addresses (customer_id, customer_code, name, language, email, contacts, "
                         "version, updated_at) FROM STDIN") as copy:
            for n, customer in enumerate(ids):
                copy.write_row((customer, f"K-{n}", f"Cliente {n}", LANGUAGES[n % 4], f"k{n}@example.test", "[]",
                                1, utcnow()))
        with cursor.copy("COPY receivables (id, customer_id, customer_code, invoice_number, due_date, amount, "
                         "paid_amount, outstanding, currency, is_open, version, updated_at) FROM STDIN") as copy:
            for n, customer in enumerate(ids):
                copy.write_row((uuid.uuid4(), customer, f"K-{n}", f"F-{n}", due, "1250.50", "0", "1250.50", "USD",
                                True, 1, utcnow()))
        with cursor.copy("COPY reminder_settings (customer_id, active, subject, send_to_contacts, contact_ids, "
                         "concept_id, after_due_active, after_due_concept_id, reminder_body, after_due_body, "
                         "version, updated_at) FROM STDIN") as copy:
            for customer in ids:
                copy.write_row((customer, True, "", False, "[]", DEFAULT_BEFORE, True, DEFAULT_AFTER, "", "", 1,
                                utcnow()))
        connection.commit()
        cursor.execute("ANALYZE")


# -- ours ------------------------------------------------------------------------------------------
def _sender(url: str, port: int, data_dir: str, delivery_ids: list, threads: int, done) -> None:
    from services.notifications.deliveries.use_cases import send_delivery
    from services.notifications.runtime import build_runtime

    settings = load_settings("notifications", database_url=url, data_dir=Path(data_dir), broker_url="memory://",
                             public_key_file=Path(data_dir) / "none.pem")
    settings.extra.update(smtp_host="127.0.0.1", smtp_port=port, claim_seconds=600)
    runtime = build_runtime(settings, database=Database(url, Base.metadata, pool_size=threads + 2))
    outcomes = Counter()
    lock = threading.Lock()

    def work(part):
        local = Counter(send_delivery(runtime.database, runtime.channels, delivery_id, policy=runtime.policy).status
                        for delivery_id in part)
        with lock:
            outcomes.update(local)

    workers = [threading.Thread(target=work, args=(delivery_ids[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.put(dict(outcomes))


def ours(url: str, port: int, workdir: Path, *, processes: int, threads: int) -> tuple[float, float, list, Counter]:
    from sqlalchemy import select

    from services.notifications.deliveries.models import Delivery
    from services.notifications.reminders.job import send_due_reminders

    database = Database(url, Base.metadata)
    started = time.perf_counter()
    report = send_due_reminders(database)
    job_seconds = time.perf_counter() - started
    with database.session() as session:
        ids = session.scalars(select(Delivery.id)).all()
    database.dispose()
    done = multiprocessing.Queue()
    senders = [multiprocessing.Process(target=_sender, args=(url, port, str(workdir), ids[p::processes], threads, done))
               for p in range(processes)]
    for sender in senders:
        sender.start()
    outcomes = Counter()
    for _ in senders:
        outcomes.update(done.get())
    for sender in senders:
        sender.join()
    total = time.perf_counter() - started
    print(f"  job: {report.as_dict()} in {job_seconds:.1f} s; sends: {dict(outcomes)}")
    return total, job_seconds, [f"<{i}@caredesk>" for i in ids], outcomes


# -- floor -----------------------------------------------------------------------------------------
def floor(url: str, port: int, count: int) -> float:
    from services.notifications.deliveries.channels import OutgoingMessage, SmtpAccount, build_email

    account = SmtpAccount(host="127.0.0.1", port=port, security="none", username="", password="",
                          sender="cobros@caredesk.test")
    with closing(psycopg.connect(url)) as connection:
        subject, body = connection.execute("SELECT subject, body_text FROM deliveries LIMIT 1").fetchone()
    messages = [build_email(OutgoingMessage(str(n), f"<floor-{n}@caredesk>", "email", f"k{n}@example.test", subject,
                                            body), account).as_bytes(policy=email_policy.SMTP) for n in range(count)]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n, message in enumerate(messages):
            smtp.sendmail(account.sender, [f"k{n}@example.test"], message)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2, help="sender processes")
    parser.add_argument("--threads", type=int, default=4, help="sender threads per process (one SMTP connection each)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CAREDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args(argv)
    import tempfile

    began = time.monotonic()
    print(f"{args.customers} customers with an invoice due in 3 days; senders: {args.processes} processes x "
          f"{args.threads} threads")
    with tempfile.TemporaryDirectory() as folder, \
            throwaway_database(args.postgres_url, f"bench_reminders_{uuid.uuid4().hex[:8]}") as url:
        workdir = Path(folder)
        migrations.upgrade(MIGRATIONS, url)
        seeding = time.monotonic()
        seed(url, args.customers)
        print(f"  seeded in {time.monotonic() - seeding:.1f} s")
        with smtp_server(workdir, "ours") as (port, path):
            seconds, job_seconds, expected, outcomes = ours(url, port, workdir, processes=args.processes,
                                                            threads=args.threads)
            time.sleep(0.5)  # the server's last writes
            got = received(path)
        count = len(expected)
        with smtp_server(workdir, "floor") as (port, path):
            floor_seconds = floor(url, port, count)
            time.sleep(0.5)
            floor_got = sum(received(path).values())
    twice = sum(n - 1 for n in got.values() if n > 1)
    missing = len(set(expected) - set(got))
    rate, floor_rate = count / seconds, count / floor_seconds
    ratio = rate / floor_rate
    print(f"ours : {count} reminders in {seconds:.1f} s = {rate:,.0f} messages/s (the job alone {job_seconds:.1f} s)")
    print(f"floor: {floor_got} messages in {floor_seconds:.1f} s = {floor_rate:,.0f} messages/s (smtplib, one connection)")
    print(f"ratio: {ratio:.2f} (goal >= {GOAL}); sent twice: {twice}; missing: {missing}; "
          f"run took {time.monotonic() - began:.0f} s")
    return 0 if twice == 0 and missing == 0 and count == args.customers else 1


if __name__ == "__main__":
    sys.exit(main())
