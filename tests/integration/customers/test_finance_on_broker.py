"""Billing import on PostgreSQL with the real RabbitMQ: the CSV command streams invoices in batches,
a second run changes nothing, and receivable.recorded.v1 / receivable.settled.v1 reach the broker
in the shape agreed with the notifications service (CONTRACTS.md)."""
from __future__ import annotations

import io
import json
import uuid
from datetime import date, timedelta

import pytest
from kombu import Queue
from sqlalchemy import select, update

from services.customers.finance.csv_import import run
from services.customers.finance.models import Receivable
from services.customers.models import Customer
from services.kit.messaging.relay import OutboxRelay
from services.kit.messaging.topology import connect, events_exchange
from tests.integration.kit.conftest import create_customers

pytestmark = pytest.mark.integration

TODAY = date.today()
HEADER = "invoice_number,customer_code,issue_date,due_date,amount,currency,paid_amount\n"


def _drain(settings, queue: Queue) -> list[dict]:
    found = []
    with connect(settings) as connection:
        bound = queue(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            found.append(json.loads(message.body))
    return found


def test_receivable_events_reach_the_broker_in_the_agreed_shape(customers, tmp_path):
    create_customers(customers, ["R-1"])
    agent = uuid.uuid4()
    with customers.database.session() as session:
        session.execute(update(Customer).where(Customer.code == "R-1").values(collections_agent_id=agent))
        customer_id = session.scalar(select(Customer.id).where(Customer.code == "R-1"))
        session.commit()
    queue = Queue("test.receivables", exchange=events_exchange(customers.settings), routing_key="receivable.#",
                  durable=False, auto_delete=False)
    with connect(customers.settings) as connection:
        queue(connection.default_channel).declare()
    relay = OutboxRelay(customers.database, customers.settings)
    relay.relay_once()
    _drain(customers.settings, queue)

    issued, due = (TODAY - timedelta(days=20)).isoformat(), (TODAY + timedelta(days=10)).isoformat()
    path = tmp_path / "invoices.csv"
    path.write_text(HEADER + "".join(f"R-{n},r-1,{issued},{due},{n}00.10,RUB,0\n" for n in range(1, 13)) +
                    f"BAD,R-1,{issued},{due},1.999,RUB,0\n", encoding="utf-8")
    settings = customers.settings
    err = io.StringIO()
    assert run(path, kind="invoices", partial=False, settings=settings, out=io.StringIO(), err=err) == 1
    assert ":14: amount:" in err.getvalue()
    assert customers.count(Receivable.__table__) == 0, "one bad row: nothing imported"
    assert run(path, kind="invoices", partial=True, settings=settings, out=io.StringIO(), err=io.StringIO()) == 2
    assert customers.count(Receivable.__table__) == 12
    out = io.StringIO()
    assert run(path, kind="invoices", partial=True, settings=settings, out=out, err=io.StringIO()) == 2
    assert json.loads(out.getvalue())["unchanged"] == 12
    paid = tmp_path / "paid.csv"
    paid.write_text(HEADER + f"R-1,R-1,{issued},{due},100.10,RUB,100.10\n", encoding="utf-8")
    assert run(paid, kind="invoices", partial=False, settings=settings, out=io.StringIO(), err=io.StringIO()) == 0

    assert relay.relay_once() == 14
    envelopes = _drain(customers.settings, queue)
    assert [(e["type"], e["version"]) for e in envelopes] == [("receivable.recorded", 1)] * 13 + [
        ("receivable.settled", 1)]
    created = next(e["data"] for e in envelopes if e["data"]["invoice_number"] == "R-2")
    receivable_id = created.pop("id")
    assert uuid.UUID(receivable_id)
    assert created == {"customer_id": str(customer_id), "customer_code": "R-1", "invoice_number": "R-2",
                       "issue_date": issued, "due_date": due, "previous_due_date": None, "amount": "200.10",
                       "paid_amount": "0.00", "outstanding": "200.10", "currency": "RUB", "change": "created",
                       "collections_agent_id": str(agent), "version": 1}
    payment, settled = envelopes[-2]["data"], envelopes[-1]["data"]
    assert (payment["change"], payment["outstanding"], payment["version"]) == ("payment", "0.00", 2)
    assert settled == {"id": payment["id"], "customer_id": str(customer_id), "customer_code": "R-1",
                       "invoice_number": "R-1", "currency": "RUB", "amount": "100.10",
                       "settled_on": TODAY.isoformat(), "version": 2}
