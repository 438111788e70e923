"""`caredesk`: set up, run and operate the components (both run modes, same code paths)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from caredesk import health as liveness
from caredesk.components import COMPONENTS, SERVICES, TASK_SERVICES
from services.kit.db import Database
from services.kit.logging import configure_logging

DEFAULT_ADMIN = ("admin", "caredesk-admin")


def _stop_on_signals() -> threading.Event:
    # Each look of a loop at its stop flag is also its heartbeat for `caredesk health`.
    stop = liveness.HeartbeatEvent()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def init(_args=None) -> None:
    """Keys, every database migrated, the broker topology declared, the first administrator."""
    from gateway.auth.keys import ensure_key_pair
    from gateway.directory.bootstrap import ensure_first_admin
    from gateway.settings import load_gateway_settings
    from services.kit import migrations
    from services.kit.messaging.topology import connect, declare

    gateway_settings = load_gateway_settings()
    ensure_key_pair(gateway_settings.private_key_file, gateway_settings.service.public_key_file)
    for component in COMPONENTS.values():
        settings = component.settings()
        migrations.upgrade(component.migrations, settings.database_url)
        with connect(settings) as connection:
            declare(connection, settings, component.handlers)
    database = Database(gateway_settings.service.database_url, COMPONENTS["gateway"].metadata)
    username = os.environ.get("CAREDESK_ADMIN_USERNAME", DEFAULT_ADMIN[0])
    password = os.environ.get("CAREDESK_ADMIN_PASSWORD", DEFAULT_ADMIN[1])
    if ensure_first_admin(database, username=username, password=password):
        print(f"created the first administrator '{username}'")
    database.dispose()


def serve(args) -> None:
    component = COMPONENTS[args.component]
    port = args.port or component.default_port
    probe_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    liveness.mark("api", url=f"http://{probe_host}:{port}/healthz")
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", "--bind", f"{args.host}:{port}", "--workers", str(args.workers),
        "--threads", str(args.threads), "--worker-class", "gthread",
        "--graceful-timeout", "10", component.wsgi_target,
    ])


def _relay(name: str):
    from services.kit.messaging.relay import OutboxRelay

    component = COMPONENTS[name]
    settings = component.settings()
    return OutboxRelay(Database(settings.database_url, component.metadata), settings)


def _consumer(name: str):
    from services.kit.messaging.consumer import ConsumerWorker

    component = COMPONENTS[name]
    settings = component.settings()
    return ConsumerWorker(Database(settings.database_url, component.metadata), settings, component.handlers)


def relay(args) -> None:
    configure_logging(f"{args.component}-relay")
    liveness.mark("relay")
    _relay(args.component).run(_stop_on_signals())


def consume(args) -> None:
    configure_logging(f"{args.component}-consumer")
    liveness.mark("consumer")
    _consumer(args.component).run(_stop_on_signals())


def tasks(args) -> None:
    """A Celery worker for the services' task queues (sending, periodic jobs)."""
    from caredesk.celery_app import create_celery
    from services.kit.tasks import task_queue

    configure_logging("tasks")
    liveness.mark("tasks")
    app = create_celery()
    settings = COMPONENTS[args.services[0]].settings()
    queues = ",".join(task_queue(settings, name) for name in args.services)
    app.worker_main(["worker", "-Q", queues, "--pool", "threads", "--concurrency", str(args.concurrency),
                     "--hostname", f"{'+'.join(args.services)}@%h", "--loglevel", "INFO", "--without-gossip",
                     "--without-mingle"])


def beat(_args) -> None:
    """The scheduler of every periodic job of the system (a second beat does no harm: leases)."""
    from caredesk.celery_app import create_celery
    from services.kit.settings import data_dir

    configure_logging("beat")
    liveness.mark("beat")
    app = create_celery()
    # Only the last run of each entry is kept there; losing it costs at most one early run.
    schedule = Path(os.environ.get("CAREDESK_BEAT_SCHEDULE_FILE") or data_dir() / "beat" / "schedule")
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app.start(["beat", "--schedule", str(schedule), "--scheduler", "caredesk.celery_app:HeartbeatScheduler",
               "--loglevel", "INFO"])


def wait_migrated(args) -> None:
    """Wait until each database named in the environment is at its component's migration head (or
    past it: a newer release migrated, expand/contract keeps this one working). Kubernetes runs it
    as every pod's init container, so a release's pods start only after the init Job migrated."""
    import time

    from services.kit.migrations import pending_heads

    names = args.components or [name for name in COMPONENTS
                                if os.environ.get(f"CAREDESK_{name.upper()}_DATABASE_URL")]
    deadline = time.monotonic() + args.timeout
    for name in names:
        component = COMPONENTS[name]
        while True:
            try:
                pending = pending_heads(component.migrations, component.settings().database_url)
            except Exception as exc:  # noqa: BLE001 - database not reachable yet: keep waiting
                pending = [f"({type(exc).__name__}: {exc})"]
            if not pending:
                print(f"{name}: migrated", flush=True)
                break
            if time.monotonic() > deadline:
                print(f"{name}: still waiting for {', '.join(pending)} after {args.timeout:.0f}s", flush=True)
                sys.exit(1)
            time.sleep(2)


def health(args) -> None:
    """Exit 0 if this container's process is alive (an API answers /healthz, a loop has turned)."""
    healthy, why = liveness.check(max_age=args.max_age, timeout=args.timeout)
    print(why)
    sys.exit(0 if healthy else 1)


def catcher(args) -> None:
    """The embedded mode's local mail server and SMS/WhatsApp provider (keeps what it gets)."""
    from services.kit.settings import data_dir
    from services.notifications.catcher import run_catcher

    configure_logging("catcher")
    run_catcher(data_dir(), smtp_port=args.smtp_port, http_port=args.http_port, stop=_stop_on_signals())


def worker(args) -> None:
    """Relay and consumers of one component in one process (the embedded mode's way)."""
    configure_logging(f"{args.component}-worker")
    runners = [_relay(args.component).run]
    if COMPONENTS[args.component].handlers:
        runners.append(_consumer(args.component).run)
    _run_threads(runners)


def _run_threads(runners: list) -> None:
    stop = _stop_on_signals()
    threads = [threading.Thread(target=runner, args=(stop,), daemon=True) for runner in runners]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        stop.wait(1)
    for thread in threads:
        thread.join(timeout=15)


def dead_letters(args) -> None:
    from services.kit.messaging import dead_letters as dlq

    component = COMPONENTS[args.component]
    settings = component.settings()
    if args.action == "list":
        for letter in dlq.list_dead_letters(settings, args.queue):
            print(json.dumps(letter.summary(), ensure_ascii=False, default=str))
    elif args.action == "show":
        letter = dlq.find_dead_letter(settings, args.queue, args.message_id)
        print(json.dumps(letter.details(), ensure_ascii=False, indent=2, default=str))  # x-death holds times
    else:
        count = dlq.replay_dead_letters(settings, args.queue, message_id=args.message_id)
        print(f"replayed {count} message(s) to {args.queue}")


def asyncapi(_args) -> None:
    from caredesk.asyncapi import render

    sys.stdout.write(render())


def openapi(_args) -> None:
    from caredesk.openapi import render

    sys.stdout.write(render())


def import_billing(args) -> None:
    from services.customers.finance.csv_import import run

    sys.exit(run(Path(args.csv), kind=args.kind, partial=args.partial, delimiter=args.delimiter))


def up(args) -> None:
    from caredesk.supervisor import run_system

    init()
    run_system(gateway_port=args.port, demo=not args.no_demo)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="caredesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help="keys, migrations, broker topology, first administrator").set_defaults(func=init)

    p = commands.add_parser("up", help="start the whole system with demo data and print the console URL")
    p.add_argument("--port", type=int, default=int(os.environ.get("CAREDESK_PORT", 8000)))
    p.add_argument("--no-demo", action="store_true", help="do not load demo data")
    p.set_defaults(func=up)

    p = commands.add_parser("serve", help="serve one component's HTTP API under gunicorn")
    p.add_argument("component", choices=list(COMPONENTS))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=serve)

    for name, func, help_text, choices in (
            ("relay", relay, "publish a component's outbox", list(COMPONENTS)),
            ("consume", consume, "run a service's event handlers", SERVICES),
            ("worker", worker, "relay and consumers in one process", list(COMPONENTS))):
        p = commands.add_parser(name, help=help_text)
        p.add_argument("component", choices=choices)
        p.set_defaults(func=func)

    p = commands.add_parser("tasks", help="a Celery worker for services' background tasks and periodic jobs")
    p.add_argument("services", nargs="+", choices=TASK_SERVICES)
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("CAREDESK_TASKS_CONCURRENCY", 8)))
    p.set_defaults(func=tasks)

    commands.add_parser("beat", help="schedule every periodic job of the system (Celery beat)").set_defaults(func=beat)

    p = commands.add_parser("catcher", help="a local mail server and SMS provider keeping what they get (embedded)")
    p.add_argument("--smtp-port", type=int, default=8025)
    p.add_argument("--http-port", type=int, default=8026)
    p.set_defaults(func=catcher)

    p = commands.add_parser("wait-migrated", help="wait until databases are migrated to this release's head "
                                                  "(init containers)")
    p.add_argument("components", nargs="*", choices=[[], *COMPONENTS], default=[],
                   help="default: every component whose CAREDESK_<C>_DATABASE_URL is set")
    p.add_argument("--timeout", type=float, default=900.0)
    p.set_defaults(func=wait_migrated)

    p = commands.add_parser("health", help="exit 0 if this container's process is alive (container health checks)")
    p.add_argument("--max-age", type=float, help="seconds a loop may stay quiet (default: per process kind)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an API's /healthz")
    p.set_defaults(func=health)

    commands.add_parser("asyncapi", help="print the AsyncAPI document of every event").set_defaults(func=asyncapi)
    commands.add_parser("openapi", help="print the merged OpenAPI document of the public API "
                                        "(the gateway serves gateway/openapi.json)").set_defaults(func=openapi)

    p = commands.add_parser("import-billing", help="import billing records (invoices, payments, deposits, block "
                                                   "steps, exchange rates) from a CSV file into the customers service")
    p.add_argument("csv", help="the file; its first line names the columns")
    p.add_argument("--kind", default="invoices",
                   choices=["invoices", "payments", "deposits", "block_steps", "exchange_rates"])
    p.add_argument("--partial", action="store_true", help="import the good rows even when some are bad")
    p.add_argument("--delimiter", default=",", help="the cell separator (default ',')")
    p.set_defaults(func=import_billing)

    p = commands.add_parser("dead-letters", help="list, show or replay dead-lettered messages")
    p.add_argument("action", choices=["list", "show", "replay"])
    p.add_argument("component", choices=SERVICES)
    p.add_argument("queue", help="the handler queue, e.g. cases.replicate_customer")
    p.add_argument("--message-id", help="one message (show needs it; replay takes all without it)")
    p.set_defaults(func=dead_letters)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
