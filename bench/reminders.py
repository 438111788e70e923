"""Payment reminders end to end against their floor: N customers with an invoice due in 3 days and
active reminder settings, the daily job, and every reminder sent to a local aiosmtpd.

Run: ``.venv/bin/python bench/reminders.py [--customers 100000] [--processes 2] [--threads 4]
[--repeat 3] [--prefix bench]`` (real PostgreSQL; ``CAREDESK_TEST_POSTGRES_URL`` chooses another
server). Each round makes its own database (``<prefix>_reminders_<hex>``) and drops it at the end,
even when it fails; with ``--repeat`` the medians of the rounds are printed last.

One run:
  1. seed   - N customers' addresses, an open invoice each (due in 3 days: the 7-days-before
              reminder is due) and active settings, bulk-inserted (not measured).
  2. ours   - the job (``send_due_reminders``: claims, rendering in each customer's language,
              delivery rows, batches of 500) handing each committed batch, in parts of 100, to
              ``--processes`` x ``--threads`` senders as it goes, each running the step of the
              Celery batch task (``send_deliveries``: one claim per part, SMTP with each Message-ID
              over one connection per sender mailbox, one record per message), no rate limit.
              Timed from the job's start to the last message recorded. The broker hop of Celery
              (one task message per 100 deliveries) is not in this figure.
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
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from statistics import median
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
def _sender(url: str, port: int, data_dir: str, mail_key: str, batches, threads: int, ready, done) -> None:
    """One worker process: ``threads`` threads each take a batch the job handed over and run the
    Celery batch task's step on it (``send_deliveries``)."""
    from services.notifications.deliveries.use_cases import send_deliveries
    from services.notifications.runtime import build_runtime

    settings = load_settings("notifications", database_url=url, data_dir=Path(data_dir), broker_url="memory://",
                             public_key_file=Path(data_dir) / "none.pem")
    # no rate limit (the floor has none); the claim as in production
    settings.extra.update(smtp_host="127.0.0.1", smtp_port=port, rate_email="0", mail_account_key=mail_key)
    runtime = build_runtime(settings, database=Database(url, Base.metadata, pool_size=threads + 2))
    outcomes = Counter()
    lock = threading.Lock()

    def work():
        local = Counter()
        while (batch := batches.get()) is not None:
            local.update(outcome.status for outcome in send_deliveries(
                runtime.database, runtime.channels, batch, policy=runtime.policy, pace=runtime.pace).values())
        with lock:
            outcomes.update(local)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    ready.put(True)
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    runtime.database.dispose()
    done.put(dict(outcomes))


def ours(url: str, port: int, workdir: Path, *, processes: int, threads: int) -> tuple[float, float, list, Counter]:
    """The job hands each committed batch to the senders at once, as it does to the Celery batch task,
    so claiming and sending overlap; timed from the job's start to the last message recorded."""
    from sqlalchemy import select

    from services.notifications.deliveries.models import Delivery
    from services.notifications.reminders.job import send_due_reminders

    from cryptography.fernet import Fernet

    batches, ready, done = multiprocessing.Queue(), multiprocessing.Queue(), multiprocessing.Queue()
    mail_key = Fernet.generate_key().decode()  # one for all senders (each making its own file would race)
    senders = [multiprocessing.Process(target=_sender,
                                       args=(url, port, str(workdir), mail_key, batches, threads, ready, done))
               for _ in range(processes)]
    for sender in senders:
        sender.start()
    for _ in senders:
        ready.get(timeout=120)
    database = Database(url, Base.metadata)
    started = time.perf_counter()
    report = send_due_reminders(database, enqueue=batches.put)
    job_seconds = time.perf_counter() - started
    for _ in range(processes * threads):
        batches.put(None)
    outcomes = Counter()
    for _ in senders:
        outcomes.update(done.get())
    total = time.perf_counter() - started
    for sender in senders:
        sender.join()
    with database.session() as session:
        ids = session.scalars(select(Delivery.id)).all()
    database.dispose()
    print(f"  job: {report.as_dict()} in {job_seconds:.1f} s; sends: {dict(outcomes)}")
    return total, job_seconds, [f"<{i}@caredesk>" for i in ids], outcomes


# -- floor -----------------------------------------------------------------------------------------
def floor(url: str, port: int, count: int) -> float:
    from services.notifications.deliveries.channels import OutgoingMessage, SmtpAccount, email_bytes

    account = SmtpAccount(host="127.0.0.1", port=port, security="none", username="", password="",
                          sender="cobros@caredesk.test")
    with closing(psycopg.connect(url)) as connection:
        subject, text, html = connection.execute(
            "SELECT subject, body_text, body_html FROM deliveries LIMIT 1").fetchone()
    messages = [email_bytes(OutgoingMessage(str(n), f"<floor-{n}@caredesk>", "email", f"k{n}@example.test", subject,
                                            text, html), account) for n in range(count)]
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
    parser.add_argument("--repeat", type=int, default=1, help="rounds (each on a fresh database); medians printed")
    parser.add_argument("--prefix", default="bench",
                        help="name prefix of the throwaway database (a shared server: your own, e.g. h1)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    print(f"{args.customers} customers with an invoice due in 3 days; senders: {args.processes} processes x "
          f"{args.threads} threads; {args.repeat} round(s)")
    rounds = [one_round(args, number) for number in range(1, args.repeat + 1)]
    if args.repeat > 1:
        print(f"median of {args.repeat} rounds: ours {median(r['rate'] for r in rounds):,.0f} messages/s, "
              f"floor {median(r['floor_rate'] for r in rounds):,.0f} messages/s, "
              f"ratio {median(r['ratio'] for r in rounds):.2f} (goal >= {GOAL}); "
              f"sent twice {sum(r['twice'] for r in rounds)}, missing {sum(r['missing'] for r in rounds)} in all")
    print(f"run took {time.monotonic() - began:.0f} s")
    return 0 if all(r["twice"] == 0 and r["missing"] == 0 and r["count"] == args.customers for r in rounds) else 1


def one_round(args, number: int) -> dict:
    print(f"round {number}: load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder, \
            throwaway_database(args.postgres_url, f"{args.prefix}_reminders_{uuid.uuid4().hex[:8]}") as url:
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
    print(f"  ours : {count} reminders in {seconds:.1f} s = {rate:,.0f} messages/s (the job alone {job_seconds:.1f} s)")
    print(f"  floor: {floor_got} messages in {floor_seconds:.1f} s = {floor_rate:,.0f} messages/s "
          f"(smtplib, one connection)")
    print(f"  ratio: {ratio:.2f} (goal >= {GOAL}); sent twice: {twice}; missing: {missing}")
    return {"count": count, "rate": rate, "floor_rate": floor_rate, "ratio": ratio, "twice": twice,
            "missing": missing, "job_seconds": job_seconds}


if __name__ == "__main__":
    sys.exit(main())
