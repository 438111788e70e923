"""Customer changes reach the cases service over the real RabbitMQ: created, then updated, in order,
through the outbox, the relay and the idempotent consumer."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.cases.models import CustomerReadModel
from services.customers.models import Customer
from services.customers.use_cases import update_customer
from services.kit.messaging.consumer import ConsumerWorker
from services.kit.messaging.relay import OutboxRelay
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal
from tests.integration.conftest import wait_until
from tests.integration.kit.conftest import create_customers, running

pytestmark = pytest.mark.integration


def test_created_and_updated_customers_reach_the_cases_read_model(customers, cases):
    cases.declare_topology()
    create_customers(customers, ["E-1", "E-2"])
    admin = make_principal(level=1, permissions=frozenset({"edit_customers"}))
    with customers.database.session() as session:
        first = session.scalar(select(Customer).where(Customer.code == "E-1"))
    update_customer(UnitOfWork(customers.database, producer="customers", actor=str(admin.user_id)),
                    principal=admin, customer_id=first.id, expected_version=first.version,
                    data={"name": "Nguyễn Văn Bình"})
    relay = OutboxRelay(customers.database, customers.settings)
    # two created and one updated, each with the customer's addresses, confirmed by the broker
    assert relay.relay_once() == 6

    def read_model():
        with cases.database.session() as session:
            return {row.code: (row.name, row.source_version) for row in session.scalars(
                select(CustomerReadModel).where(CustomerReadModel.code.in_(["E-1", "E-2"])))}

    with running(ConsumerWorker(cases.database, cases.settings, cases.component.handlers)):
        wait_until(lambda: read_model().get("E-1", ("", 0))[1] == 2 and "E-2" in read_model(), timeout=30,
                   what="both customers and the rename to reach the cases service")
    assert read_model() == {"E-1": ("Nguyễn Văn Bình", 2), "E-2": ("Customer E-2", 1)}
