"""The processes of a fault run, started and SIGKILLed by the tests; settings come from the
environment, as for ``caredesk`` itself.

    python -m tests.faults.probe produce <prefix> <count> [<pause seconds>]
        creates customers <prefix>-00000… with the real use case, one commit each
        (``customer.created.v1`` in the customers outbox)
    python -m tests.faults.probe consume [handler|ack <marker file> | die|fail <code>]
        the cases consumer with its real handlers, each also writing one ``fault_effects`` row per
        application in the same transaction (a duplicate effect would show as a second row).
        ``handler``: the first event handled touches the marker and hangs inside the handler;
        ``ack``: the first batch is committed, then the marker is touched and the process hangs
        before acking — so that a test can SIGKILL it exactly there. ``die``: the process SIGKILLs
        itself whenever it handles the customer ``<code>``; ``fail``: the handler raises for it.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, insert

from caredesk.components import COMPONENTS
from services.kit.db import Database, UtcDateTime, utcnow
from services.kit.logging import configure_logging
from services.kit.messaging.consumer import ConsumerWorker, EventHandler

EFFECTS = Table(
    "fault_effects", MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("handler", String(200), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
)


def create_effects_table(database: Database) -> None:
    EFFECTS.metadata.create_all(database.engine)


def _hang(marker: Path) -> None:
    partial = marker.with_suffix(".partial")
    partial.write_text("stalled")
    partial.replace(marker)
    while True:  # until SIGKILL
        time.sleep(60)


def probed(handler: EventHandler, stall_marker: Path | None = None, *, die_on: str | None = None,
           fail_on: str | None = None) -> EventHandler:
    def handle(uow, envelope):
        if envelope.data.get("code") == die_on:
            os.kill(os.getpid(), signal.SIGKILL)
        if envelope.data.get("code") == fail_on:
            raise RuntimeError(f"customer {fail_on} always fails")
        handler.handle(uow, envelope)
        uow.session.execute(insert(EFFECTS).values(event_id=envelope.id, handler=handler.name,
                                                   applied_at=utcnow()))
        if stall_marker is not None:
            _hang(stall_marker)
    return EventHandler(name=handler.name, events=handler.events, handle=handle)


class StallBeforeAck(ConsumerWorker):
    """Commits its first batch, then hangs before the first ack."""

    def __init__(self, *args, marker: Path, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.marker = marker

    def process(self, deliveries) -> None:
        for delivery in deliveries:
            delivery.message.ack = lambda: _hang(self.marker)
        super().process(deliveries)


def consume(mode: str | None = None, argument: str | None = None) -> None:
    configure_logging("cases-consumer")
    component = COMPONENTS["cases"]
    settings = component.settings()
    database = Database(settings.database_url, component.metadata)
    handlers = [probed(handler, Path(argument) if mode == "handler" else None,
                       die_on=argument if mode == "die" else None, fail_on=argument if mode == "fail" else None)
                for handler in component.handlers]
    if mode == "ack":
        worker = StallBeforeAck(database, settings, handlers, marker=Path(argument))
    else:
        worker = ConsumerWorker(database, settings, handlers)
    from caredesk import health
    from caredesk.cli import _stop_on_signals
    health.mark("consumer")  # as `caredesk consume` does
    worker.run(_stop_on_signals())


def produce(prefix: str, count: str, pause: str = "0") -> None:
    from services.customers.use_cases import create_customer
    from services.kit.uow import UnitOfWork
    from tests.conftest import make_principal

    component = COMPONENTS["customers"]
    database = Database(component.settings().database_url, component.metadata)
    principal = make_principal(username="ana.front", permissions=frozenset({"edit_customers"}))
    for n in range(int(count)):
        uow = UnitOfWork(database, producer="customers", actor=str(principal.user_id))
        code = f"{prefix}-{n:05d}"
        create_customer(uow, principal=principal, data={"code": code, "kind": "person", "name": f"Customer {code}"})
        time.sleep(float(pause))


if __name__ == "__main__":
    {"produce": produce, "consume": consume}[sys.argv[1]](*sys.argv[2:])
