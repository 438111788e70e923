"""The cases service's customer replica keeps the routing facts the customer events carry: the
region and each line's status (the live line when a deactivated one once had the same number)."""
from __future__ import annotations

import uuid

from services.cases.handlers import replicate_customer, replicate_customers
from services.cases.models import CustomerReadModel
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from tests.unit.cases.conftest import build_app

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


def _apply_batch(app, envelopes: list[Envelope]) -> None:
    database = app.extensions["caredesk"].database
    with database.session() as session:
        replicate_customers(UnitOfWork.joined(database, session, producer="cases"), envelopes)
        session.commit()


def _state(replica: CustomerReadModel) -> tuple:
    return (replica.code, replica.name, replica.region, replica.lines, replica.source_version)


def test_a_batch_in_one_go_leaves_the_replica_as_the_same_events_one_by_one(app, tmp_path, key_pair):
    """Out of order, repeated, for several customers, one event from before the routing facts: the
    set-based path (the consumer's batch) and the event-by-event path end alike."""
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    line = [{"id": str(uuid.uuid4()), "number": LINE, "status": "active"}]
    legacy = _customer_event(second, 3, name="Legacy")
    del legacy.data["region"], legacy.data["lines"]
    events = [
        _customer_event(first, 1, region="Kazan"),
        _customer_event(second, 2, region="Omsk", lines=line),
        _customer_event(first, 3, region="Perm", name="Olga P."),
        _customer_event(first, 2, region="Sochi"),        # older than what the batch already holds
        legacy,                                           # keeps Omsk and the line
        _customer_event(third, 1, region=None),
        _customer_event(second, 3, region="Tver"),        # as old as the stored one: changes nothing
    ]
    (tmp_path / "one-by-one").mkdir()
    other = build_app(tmp_path / "one-by-one", key_pair)
    _apply_batch(app, events)
    for envelope in events:
        _apply(other, envelope)
    for customer_id in (first, second, third):
        assert _state(_replica(app, customer_id)) == _state(_replica(other, customer_id))
    assert _state(_replica(app, first)) == ("C-9", "Olga P.", "Perm", [], 3)
    assert _state(_replica(app, second)) == ("C-9", "Legacy", "Omsk", [{"number": LINE, "status": "active"}], 3)
