"""The outbox relay alone: a backlog of committed events published by ``caredesk relay`` against its floor.

Run: ``.venv/bin/python bench/relay.py [--events 50000] [--repeat 2] [--prefix relay]`` (real PostgreSQL
and RabbitMQ: ``CAREDESK_TEST_POSTGRES_URL`` / ``CAREDESK_TEST_RABBITMQ_URL``), or ``--embedded`` for the
embedded mode (SQLite outbox, the embedded broker's SQLite file, no servers). Databases and vhosts are
named ``<prefix>_<hex>`` (``--prefix`` or ``CAREDESK_BENCH_DB_PREFIX``) and dropped at the end.

One round:
  1. backlog  a migrated customers database and a throwaway vhost; one durable quorum queue bound to
              every event on the events exchange (``--unroutable``: none, so every event comes back and
              is parked, as for an event nobody consumes yet). ``--events`` envelopes shaped like the
              billing import's ``receivable.recorded.v1`` written to the outbox by the unit of work's
              own ``write_outbox`` (the same JSON), in one transaction.
  2. ours     ``caredesk relay customers`` as its own process, started before the backlog is committed
              (its imports and connections are not timed); timed from the commit to the moment no row is
              unsent; the relay process's CPU (utime + stime from /proc) over the same span.
  3. floor    PostgreSQL/RabbitMQ: the same rows (a copy of the table) in batches of the relay's size in
              this process: raw psycopg ``SELECT … FOR UPDATE SKIP LOCKED`` of the envelope as text, raw
              kombu ``Producer.publish`` of those bytes (persistent, mandatory) to the same exchange on a
              confirm-mode channel, one confirm wait per batch, ``UPDATE … sent_at`` of the batch's
              positions, ``COMMIT``; its CPU is this process's ``process_time``.
              Embedded: the same rows, SELECT/UPDATE with sqlite3, every batch's messages written to the
              embedded broker's message table in one transaction (what the embedded broker has to do).
Ours and the floor alternate which goes first from round to round. Printed per round and as medians:
events/s, CPU ms per event (and the RabbitMQ server's beside it), ratio ours/floor, the load average at
the start of each round.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, closing
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from kombu import Connection, Exchange, Producer, Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from events import rabbitmq_server_pids, throwaway_vhost  # noqa: E402
from search import throwaway_database  # noqa: E402
from take_next import cpu_seconds  # noqa: E402
from services.customers import MIGRATIONS  # noqa: E402
from services.customers.models import Base  # noqa: E402
from services.kit import migrations  # noqa: E402
from services.kit.db import Database  # noqa: E402
from services.kit.messaging.envelope import Envelope  # noqa: E402
from services.kit.messaging.topology import events_exchange, unroutable_queue  # noqa: E402
from services.kit.settings import load_settings  # noqa: E402
from services.kit.uow import write_outbox  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
BENCH_QUEUE = "bench.relay.all"


def envelopes(count: int) -> list[Envelope]:
    """Envelopes of the billing import's main event, with the import's correlation id."""
    correlation = str(uuid.uuid4())
    customers = [(uuid.uuid4(), f"B-{i:07d}") for i in range(1000)]
    issued = date(2026, 11, 1)
    result = []
    for i in range(count):
        customer_id, code = random.choice(customers)
        amount = Decimal(random.randint(1000, 500000)) / 100
        result.append(Envelope(type="receivable.recorded", version=1, producer="customers",
                               correlation_id=correlation, actor=str(uuid.uuid4()), data={
                                   "id": str(uuid.uuid4()), "customer_id": str(customer_id),
                                   "customer_code": code, "invoice_number": f"F-2026-{i:08d}",
                                   "issue_date": issued.isoformat(),
                                   "due_date": (issued + timedelta(days=30)).isoformat(),
                                   "previous_due_date": None, "amount": str(amount), "paid_amount": "0.00",
                                   "outstanding": str(amount), "currency": "EUR", "change": "created",
                                   "collections_agent_id": str(uuid.uuid4()), "version": 1}))
    return result


def write_backlog(database: Database, count: int) -> None:
    """``count`` outbox rows in one transaction, through the unit of work's own writer."""
    with database.session() as session, session.begin():
        items = envelopes(count)
        for start in range(0, count, 5000):
            write_outbox(session, database.outbox, items[start:start + 5000])


EMBEDDED = "--embedded" in sys.argv


def broker_cpu() -> float:
    """CPU seconds of the RabbitMQ server so far (none in the embedded mode: the broker is the relay)."""
    return 0.0 if EMBEDDED else sum(cpu_seconds(pid) for pid in rabbitmq_server_pids())


def unsent(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").scalar()


def run_ours(database: Database, env: dict, workdir: Path, events: int, profile: Path | None) -> dict:
    """Start the relay, let it connect on a few warm-up events, then commit the backlog and time it."""
    write_backlog(database, 200)
    wrap = ["-m", "cProfile", "-o", str(profile)] if profile else []
    log = open(workdir / "relay.log", "wb")
    relay = subprocess.Popen([sys.executable, *wrap, "-m", "caredesk.cli", "relay", "customers"], cwd=ROOT,
                             env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while unsent(database):
            if relay.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the relay did not start: {(workdir / 'relay.log').read_text()[-2000:]}")
            time.sleep(0.05)
        cpu0, broker0 = cpu_seconds(relay.pid), broker_cpu()
        write_backlog(database, events)
        started = time.perf_counter()  # the backlog is committed: the relay may take it from here
        deadline = started + 1800
        while unsent(database):
            if relay.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the relay stopped: {(workdir / 'relay.log').read_text()[-2000:]}")
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        cpu, broker = cpu_seconds(relay.pid) - cpu0, broker_cpu() - broker0
    finally:
        relay.terminate()
        try:
            relay.wait(timeout=30)
        except subprocess.TimeoutExpired:
            relay.kill()
            relay.wait(timeout=10)
        log.close()
    pauses = (workdir / "relay.log").read_text(errors="replace").count("relay paused")
    return {"rate": events / elapsed, "seconds": elapsed, "cpu_ms": 1000 * cpu / events,
            "broker_cpu_ms": 1000 * broker / events, "pauses": pauses}


# -- floors ---------------------------------------------------------------------------------------------
def copy_for_floor(url: str) -> None:
    """The backlog's rows, unsent, in a table of the outbox's shape (the same envelope bytes)."""
    with closing(psycopg.connect(url, autocommit=True)) as db:
        db.execute("DROP TABLE IF EXISTS outbox_floor")
        db.execute("CREATE TABLE outbox_floor (LIKE outbox INCLUDING ALL)")
        db.execute("INSERT INTO outbox_floor SELECT position, event_id, routing_key, envelope, created_at, NULL "
                   "FROM outbox")
        db.execute("ANALYZE outbox_floor")


def run_floor_postgres(url: str, amqp_url: str, exchange: Exchange, batch: int, events: int,
                       unroutable: Queue) -> dict:
    """(An event that comes back unroutable is published again, as it came back, to ``unroutable``
    through the default exchange before the batch is marked sent, as the relay parks it.)"""
    select = ("SELECT position, event_id, routing_key, envelope::text FROM outbox_floor WHERE sent_at IS NULL "
              "ORDER BY position LIMIT %s FOR UPDATE SKIP LOCKED")
    with closing(psycopg.connect(url)) as db, Connection(amqp_url) as broker:
        channel = broker.channel()
        channel.confirm_select()
        outstanding: set[int] = set()
        nacked: list[int] = []

        def settle(tag: int, multiple: bool) -> None:
            nonlocal outstanding
            outstanding = {t for t in outstanding if t > tag} if multiple else outstanding - {tag}

        channel.events["basic_ack"].add(settle)
        channel.events["basic_nack"].add(lambda tag, multiple: (nacked.append(tag), settle(tag, multiple)))
        returned = []
        channel.events["basic_return"].add(lambda _exc, _exchange, _key, message: returned.append(message))
        unroutable(channel).declare()
        producer = Producer(channel, exchange=exchange)
        next_tag, sent = 1, 0
        started, cpu0, broker0 = time.perf_counter(), time.process_time(), broker_cpu()
        while True:
            rows = db.execute(select, (batch,)).fetchall()
            if not rows:
                db.rollback()
                break
            for position, event_id, routing_key, body in rows:
                producer.publish(body.encode(), routing_key=routing_key, content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2, message_id=str(event_id),
                                 mandatory=True, retry=False)
                outstanding.add(next_tag)
                next_tag += 1
            while outstanding:
                broker.drain_events(timeout=30)
            for message in returned:
                producer.publish(message.body, exchange="", routing_key=unroutable.name, retry=False,
                                 content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                 message_id=message.properties.get("message_id"))
                outstanding.add(next_tag)
                next_tag += 1
            returned.clear()
            while outstanding:
                broker.drain_events(timeout=30)
            db.execute("UPDATE outbox_floor SET sent_at = now() WHERE position = ANY(%s)", ([r[0] for r in rows],))
            db.commit()
            sent += len(rows)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
        broker = broker_cpu() - broker0
    if nacked or sent < events:
        raise RuntimeError(f"floor: {len(nacked)} nacked, {sent} of {events} sent")
    return {"rate": sent / elapsed, "seconds": elapsed, "cpu_ms": 1000 * cpu / sent, "broker_cpu_ms": 1000 * broker / sent}


def run_floor_embedded(outbox_file: Path, broker_file: Path, batch: int, events: int) -> dict:
    """What the embedded mode cannot do with less: per batch, the rows read and marked in the outbox file
    and the messages (kombu's payload shape, the envelope as body) written to the broker file in one
    transaction."""
    db = sqlite3.connect(outbox_file, isolation_level=None)
    broker = sqlite3.connect(broker_file, isolation_level=None)
    broker.execute("PRAGMA synchronous=NORMAL")
    sent = 0
    started, cpu0 = time.perf_counter(), time.process_time()
    while True:
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute("SELECT position, event_id, routing_key, envelope FROM outbox_floor "
                          "WHERE sent_at IS NULL ORDER BY position LIMIT ?", (batch,)).fetchall()
        if not rows:
            db.execute("ROLLBACK")
            break
        payloads = [(BENCH_QUEUE, json.dumps({
            "body": body, "content-encoding": "utf-8", "content-type": "application/json", "headers": {},
            "properties": {"delivery_mode": 2, "message_id": str(event_id), "delivery_info": {
                "exchange": "caredesk.events", "routing_key": routing_key}, "priority": 0,
                "body_encoding": "base64", "delivery_tag": str(uuid.uuid4())}})) for _, event_id, routing_key, body in rows]
        broker.execute("BEGIN IMMEDIATE")
        broker.executemany("INSERT INTO messages (queue, payload, not_before) VALUES (?, ?, 0)", payloads)
        broker.execute("COMMIT")
        db.executemany("UPDATE outbox_floor SET sent_at = CURRENT_TIMESTAMP WHERE position = ?",
                       [(row[0],) for row in rows])
        db.execute("COMMIT")
        sent += len(rows)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
    db.close()
    broker.close()
    if sent < events:
        raise RuntimeError(f"floor: {sent} of {events} sent")
    return {"rate": sent / elapsed, "seconds": elapsed, "cpu_ms": 1000 * cpu / sent, "broker_cpu_ms": 0.0}


# -- one round ------------------------------------------------------------------------------------------
def declare_topology(settings, *, routed: bool) -> Exchange:
    from services.kit.messaging.topology import connect

    exchange = events_exchange(settings)
    with connect(settings) as connection:
        channel = connection.default_channel
        exchange(channel).declare()
        if routed:
            arguments = {} if settings.is_embedded_broker else {"x-queue-type": "quorum"}
            Queue(BENCH_QUEUE, exchange=exchange, routing_key="#", durable=True,
                  queue_arguments=arguments)(channel).declare()
    return exchange


def purge(settings) -> None:
    from services.kit.messaging.topology import connect

    with connect(settings) as connection:
        channel = connection.default_channel
        for name in (BENCH_QUEUE, unroutable_queue(settings).name):
            try:
                channel.queue_purge(name)
            except Exception:  # noqa: BLE001 - not declared in this round
                channel = connection.channel()


def round_(args, number: int, admin_url: str, amqp_url: str) -> dict:
    load = os.getloadavg()[0]
    out: dict = {"load": load}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-relay-")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
        env.update(CAREDESK_DATA_DIR=str(tmp), PYTHONUNBUFFERED="1")
        if args.embedded:
            url = f"sqlite:///{tmp / 'customers.sqlite3'}"
            broker_url = "embedded://"
        else:
            url = stack.enter_context(throwaway_database(admin_url, keep=False, prefix=args.prefix))
            broker_url = stack.enter_context(throwaway_vhost(amqp_url, f"{args.prefix}_{uuid.uuid4().hex[:8]}"))
        env.update(CAREDESK_CUSTOMERS_DATABASE_URL=url, CAREDESK_BROKER_URL=broker_url)
        migrations.upgrade(MIGRATIONS, url)
        settings = load_settings("customers", data_dir=tmp, database_url=url, broker_url=broker_url)
        exchange = declare_topology(settings, routed=not args.unroutable)
        database = Database(url, Base.metadata)
        stack.callback(database.dispose)
        batch = settings.relay_batch_size

        def ours() -> None:
            profile = args.profile / f"relay-{number}.prof" if args.profile else None
            out["ours"] = run_ours(database, env, tmp, args.events, profile)

        def floor() -> None:
            if args.embedded:
                with database.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS outbox_floor")
                    conn.exec_driver_sql("CREATE TABLE outbox_floor AS SELECT * FROM outbox")
                    conn.exec_driver_sql("UPDATE outbox_floor SET sent_at = NULL")
                    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_outbox_floor_position ON outbox_floor (position)")
                    conn.exec_driver_sql("CREATE INDEX ix_outbox_floor_unsent ON outbox_floor (position) "
                                         "WHERE sent_at IS NULL")
                out["floor"] = run_floor_embedded(tmp / "customers.sqlite3", settings.broker_file, batch,
                                                  args.events + 200)
            else:
                copy_for_floor(url)
                out["floor"] = run_floor_postgres(url, broker_url, exchange, batch, args.events + 200,
                                                  unroutable_queue(settings))

        if number % 2:  # alternate which runs first: the machine's load drifts
            ours()
            purge(settings)
            floor()
        else:
            # the floor needs the backlog's rows: write them once without a relay running
            write_backlog(database, args.events + 200)
            floor()
            purge(settings)
            with database.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM outbox")
            ours()
        purge(settings)
    out["ratio"] = out["ours"]["rate"] / out["floor"]["rate"]
    print(f"[{number}] load {load:.1f}: ours {out['ours']['rate']:,.0f} events/s "
          f"({out['ours']['cpu_ms']:.3f} CPU ms/event, broker {out['ours']['broker_cpu_ms']:.3f}; "
          f"{out['ours']['seconds']:.1f} s, pauses {out['ours']['pauses']}); "
          f"floor {out['floor']['rate']:,.0f} events/s ({out['floor']['cpu_ms']:.3f} CPU ms/event, "
          f"broker {out['floor']['broker_cpu_ms']:.3f}); "
          f"ratio {out['ratio']:.2f}", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--embedded", action="store_true", help="SQLite and the embedded broker")
    parser.add_argument("--unroutable", action="store_true", help="no queue bound: every event is parked")
    parser.add_argument("--prefix", default=os.environ.get("CAREDESK_BENCH_DB_PREFIX", "caredesk_bench"))
    parser.add_argument("--profile", type=Path, help="cProfile files of the relay here (slows it down)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL
    amqp_url = os.environ.get("CAREDESK_TEST_RABBITMQ_URL") or DEFAULT_AMQP_URL
    mode = "embedded" if args.embedded else "PostgreSQL + RabbitMQ"
    print(f"{args.events:,} events per round, {mode}, {'unroutable' if args.unroutable else 'routed'}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores", flush=True)
    rounds = [round_(args, number, admin_url, amqp_url) for number in range(1, args.repeat + 1)]
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=1))

    def med(get) -> float:
        return statistics.median(get(r) for r in rounds)
    print(f"medians of {len(rounds)} rounds (load average at the start {med(lambda r: r['load']):.1f}): "
          f"ours {med(lambda r: r['ours']['rate']):,.0f} events/s, {med(lambda r: r['ours']['cpu_ms']):.3f} CPU ms/event "
          f"(broker {med(lambda r: r['ours']['broker_cpu_ms']):.3f}); "
          f"floor {med(lambda r: r['floor']['rate']):,.0f} events/s, {med(lambda r: r['floor']['cpu_ms']):.3f} CPU ms/event "
          f"(broker {med(lambda r: r['floor']['broker_cpu_ms']):.3f}); "
          f"ratio {med(lambda r: r['ratio']):.2f}")
    return 0 if all(r["ours"]["pauses"] == 0 for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
