"""Routing rules on region and line status, fed by the customer events over the real RabbitMQ:
customers are registered and their lines changed in the customers service (PostgreSQL), the
events go through its outbox, the relay and RabbitMQ to the cases service's replicate_customer,
and a case of a routed type lands in the queue the customer's region or line status calls for."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from services.cases import create_app
from services.cases.models import CustomerReadModel
from services.customers.lines.schemas import LineCreateSchema
from services.customers.lines.use_cases import add_line, change_line
from services.customers.use_cases import create_customer
from services.kit.messaging.consumer import ConsumerWorker
from services.kit.messaging.relay import OutboxRelay
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal
from tests.integration.conftest import wait_until
from tests.integration.kit.conftest import running
from tests.unit.cases.conftest import Api, make_people, setup_queue

pytestmark = pytest.mark.integration

EDITOR = frozenset({"edit_customers"})  # SPEC: master data needs the permission
MOSCOW_LINE, KAZAN_LINE, SOCHI_LINE = "+79161234567", "+79031234567", "+79261234567"


def _register(customers, people, *, code: str, region: str, line: str, block_line: bool = False):
    """A customer registered by the front office, its line added (and blocked) by the branch's
    manager: one unit of work per action, as the API does it."""
    front = dataclasses.replace(people.initiator, permissions=EDITOR)
    manager = make_principal(username="maria.manager", level=2, branch_id=front.branch_id,
                             department_id=front.department_id, permissions=EDITOR)

    def uow(principal) -> UnitOfWork:
        return UnitOfWork(customers.database, producer="customers", actor=str(principal.user_id))

    customer = create_customer(uow(front), principal=front, data={
        "code": code, "kind": "person", "name": f"Customer {code}", "country": "RU", "region": region})
    customer, added = add_line(uow(manager), principal=manager, customer_id=customer.id,
                               expected_version=customer.version,
                               data=LineCreateSchema().load({"number": line, "tariff_plan": "Basic"}))
    if block_line:
        customer, _ = change_line(uow(manager), principal=manager, customer_id=customer.id, line_id=added.id,
                                  expected_version=customer.version, data={"status": "blocked"})
    return customer


def test_cases_route_on_region_and_line_status_sent_by_the_customer_events(customers, cases, key_pair,
                                                                            token_issuer):
    cases.declare_topology()
    people = make_people("delivery")
    front = people.initiator
    moscow = _register(customers, people, code="R-MOSCOW", region="Moscow", line=MOSCOW_LINE)
    kazan = _register(customers, people, code="R-KAZAN", region="Kazan", line=KAZAN_LINE, block_line=True)
    sochi = _register(customers, people, code="R-SOCHI", region="Sochi", line=SOCHI_LINE)

    assert OutboxRelay(customers.database, customers.settings).relay_once() == 10  # 3 created, 4 updated, 3 customer.addresses.v1

    def replica() -> dict:
        with cases.database.session() as session:
            return {row.code: (row.region, row.line_status(number), row.source_version)
                    for row, number in ((row, {"R-MOSCOW": MOSCOW_LINE, "R-KAZAN": KAZAN_LINE,
                                               "R-SOCHI": SOCHI_LINE}[row.code])
                                        for row in session.scalars(select(CustomerReadModel).where(
                                            CustomerReadModel.code.like("R-%"))))}

    expected = {"R-MOSCOW": ("Moscow", "active", moscow.version), "R-KAZAN": ("Kazan", "blocked", kazan.version),
                "R-SOCHI": ("Sochi", "active", sochi.version)}
    with running(ConsumerWorker(cases.database, cases.settings, cases.component.handlers)):
        wait_until(lambda: replica() == expected, timeout=60,
                   what="the customers' regions and line statuses to reach the cases service")

    app = create_app(dataclasses.replace(cases.settings, public_key_file=key_pair[1]))
    api = Api(app, token_issuer)
    setup_queue(api, people)
    admin = people.admin
    for code in ("moscow", "blocked-lines"):
        api.ok(api.post("/queues", as_=admin, json={"code": code, "name": code.title()}), 201)
    sim = api.ok(api.post("/case-types", as_=admin, json={
        "code": "sim-delivery", "name": "SIM delivery", "queue": "delivery"}), 201)
    rules = f"/case-types/{sim['id']}/routing-rules"
    api.ok(api.post(rules, as_=admin, json={"line_status": "blocked", "queue": "blocked-lines"}), 201)
    api.ok(api.post(rules, as_=admin, json={"region": "moscow", "queue": "moscow"}), 201)

    def queue_of(customer, line: str) -> str:
        case = api.ok(api.post("/cases", as_=front, json={
            "customer_id": str(customer.id), "type": "sim-delivery", "line": line, "subject": "SIM"}), 201)
        return case["queue"]["code"]

    assert queue_of(moscow, MOSCOW_LINE) == "moscow"           # by region
    assert queue_of(kazan, KAZAN_LINE) == "blocked-lines"      # by the line's status
    assert queue_of(sochi, SOCHI_LINE) == "delivery"           # no rule holds: the type's queue
    app.extensions["caredesk"].database.dispose()
