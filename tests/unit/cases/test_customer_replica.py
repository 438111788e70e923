"""The cases service's customer replica keeps the routing facts the customer events carry: the
region and each line's status (the live line when a deactivated one once had the same number)."""
from __future__ import annotations

import uuid

from services.cases.handlers import replicate_customer
from services.cases.models import CustomerReadModel
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork

LINE = "+79161234567"


def _customer_event(customer_id: uuid.UUID, version: int, **data) -> Envelope:
    snapshot = {"id": str(customer_id), "code": "C-9", "name": "Olga Petrova", "kind": "person", "status": "active",
                "country": "RU", "language": "ru", "branch_id": None, "department_id": None, "salesperson_id": None,
                "preferred_sales_agent_id": None, "collections_agent_id": None, "created_by": None,
                "region": "Moscow", "lines": [], "version": version} | data
    return Envelope(type="customer.updated", version=1, producer="customers", data=snapshot,
                    correlation_id=str(uuid.uuid4()))


def _apply(app, envelope: Envelope) -> None:
    database = app.extensions["caredesk"].database
    with database.session() as session:
        replicate_customer(UnitOfWork.joined(database, session, producer="cases"), envelope)
        session.commit()


def _replica(app, customer_id: uuid.UUID) -> CustomerReadModel:
    with app.extensions["caredesk"].database.session() as session:
        return session.get(CustomerReadModel, customer_id)


def test_region_and_line_statuses_from_the_customer_event_reach_the_replica(app):
    customer_id = uuid.uuid4()
    _apply(app, _customer_event(customer_id, 1, region="Kazan", lines=[
        {"id": str(uuid.uuid4()), "number": LINE, "status": "deactivated"},
        {"id": str(uuid.uuid4()), "number": LINE, "status": "blocked"},
        {"id": str(uuid.uuid4()), "number": "+79031234567", "status": "active"}]))
    replica = _replica(app, customer_id)
    assert replica.region == "Kazan"
    assert replica.line_status(LINE) == "blocked"  # the live one, not the deactivated line of the same number
    assert replica.line_status("+79031234567") == "active"
    assert replica.line_status("+70000000000") is None and replica.line_status(None) is None


def test_an_unknown_region_is_none_and_an_older_event_changes_nothing(app):
    customer_id = uuid.uuid4()
    _apply(app, _customer_event(customer_id, 2, region=None, lines=[
        {"id": str(uuid.uuid4()), "number": LINE, "status": "active"}]))
    _apply(app, _customer_event(customer_id, 1, region="Sochi", lines=[]))
    replica = _replica(app, customer_id)
    assert (replica.region, replica.line_status(LINE), replica.source_version) == (None, "active", 2)


def test_only_a_deactivated_line_still_answers_with_its_status(app):
    customer_id = uuid.uuid4()
    _apply(app, _customer_event(customer_id, 1, lines=[{"id": str(uuid.uuid4()), "number": LINE,
                                                        "status": "deactivated"}]))
    assert _replica(app, customer_id).line_status(LINE) == "deactivated"
