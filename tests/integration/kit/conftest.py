"""The customers service producing and the cases service consuming, on the real servers: helpers
to create customers, read the cases side, and make ``replicate_customer`` fail on chosen codes."""
from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from services.cases.models import CustomerReadModel
from services.customers.use_cases import create_customer
from services.kit.messaging.consumer import ConsumerWorker
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal

PROSPECT_CODE = "0"  # in the cases read model from its first migration


def create_customers(customers, codes: list[str], *, pause: float = 0.0) -> None:
    """One ``create_customer`` per code, each its own unit of work (change + outbox row, one commit)."""
    principal = make_principal(username="ana.front", permissions=frozenset({"edit_customers"}))
    for code in codes:
        uow = UnitOfWork(customers.database, producer="customers", actor=str(principal.user_id))
        create_customer(uow, principal=principal, data={"code": code, "kind": "person", "name": f"Customer {code}"})
        if pause:
            time.sleep(pause)  # pacing the producer, not waiting for an outcome


def read_model_codes(cases) -> list[str]:
    with cases.database.session() as session:
        codes = session.scalars(select(CustomerReadModel.code).where(CustomerReadModel.code != PROSPECT_CODE))
        return sorted(codes)


# what replicate_customer is bound to (a creation also writes customer.addresses.v1, for notifications)
REPLICATED = ("customer.created.v1", "customer.updated.v1")


def outbox_event_ids(service, routing_keys: tuple[str, ...] = REPLICATED) -> set:
    outbox = service.database.outbox
    with service.database.session() as session:
        return set(session.scalars(select(outbox.c.event_id).where(outbox.c.routing_key.in_(routing_keys))))


def inbox_event_ids(service, handler: str) -> list:
    inbox = service.database.inbox
    with service.database.session() as session:
        return list(session.scalars(select(inbox.c.event_id).where(inbox.c.handler == handler)))


def assert_applied_exactly_once(customers, cases, codes: list[str]) -> None:
    """Each produced event applied once: the read model has each customer, the inbox each event."""
    assert read_model_codes(cases) == sorted(codes), "every customer in the read model, once"
    inbox = inbox_event_ids(cases, "replicate_customer")
    assert len(inbox) == len(set(inbox)) == len(codes), "one inbox row per event"
    assert set(inbox) == outbox_event_ids(customers), "the inbox holds exactly the produced events"
    assert customers.unsent_outbox() == 0, "every outbox row is marked sent"


class CountingConsumer(ConsumerWorker):
    """A consumer counting the outcomes of the deliveries it settled (done, duplicate, dead…)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes: Counter[str] = Counter()

    def process(self, deliveries) -> None:
        super().process(deliveries)
        self.outcomes.update(delivery.outcome for delivery in deliveries)


@contextmanager
def running(worker: ConsumerWorker):
    """``worker.run`` in a thread for the duration of the block."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="consumer", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the consumer did not stop"


POISON_TRIGGER = """
CREATE TABLE poisoned_codes (code text PRIMARY KEY);
CREATE FUNCTION refuse_poisoned_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM poisoned_codes WHERE code = NEW.code) THEN
        RAISE EXCEPTION 'customer % is poisoned', NEW.code;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_poisoned_customer BEFORE INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION refuse_poisoned_customer();
"""


class Poison:
    """Makes the real ``replicate_customer`` fail for chosen customer codes, from inside the cases
    database (so it holds for consumers in other processes too), until cured."""

    def __init__(self, cases) -> None:
        self.engine = cases.database.engine
        with self.engine.begin() as conn:
            conn.execute(text(POISON_TRIGGER))

    def add(self, *codes: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO poisoned_codes (code) VALUES (:code)"), [{"code": c} for c in codes])

    def cure(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM poisoned_codes"))


@pytest.fixture
def poison(cases) -> Poison:
    return Poison(cases)
