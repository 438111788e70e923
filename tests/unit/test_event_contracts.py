"""Consumers against producers: every handler declares what it reads of each event it is bound
to, every such event has a producer, and every field read is sent with a type the reader can use.
The outbox refuses an event its producer did not declare or whose payload breaks the declaration."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from caredesk.components import COMPONENTS
from services.kit.contracts import (
    Event, EventContractBroken, Payload, Reads, catalogue, check_event, declare, fields, json_schema, read_problems,
    validate,
)
from services.kit.uow import UnitOfWork

BINDINGS = [(component.name, handler, event) for component in COMPONENTS.values()
            for handler in component.handlers for event in handler.events]


def _id(binding) -> str:
    component, handler, event = binding
    return f"{component}.{handler.name}<-{event}"


def test_the_components_bind_handlers_at_all():
    assert len(BINDINGS) >= 10


@pytest.mark.parametrize("binding", BINDINGS, ids=_id)
def test_every_bound_event_has_a_producer(binding):
    _component, _handler, event = binding
    assert event in catalogue(), f"{event} is consumed but no events.py declares it"


@pytest.mark.parametrize("binding", BINDINGS, ids=_id)
def test_every_handler_declares_what_it_reads(binding):
    _component, handler, event = binding
    reads = handler.reads_of(event)
    assert reads is not None, f"{handler.name} declares no read schema for {event} (EventHandler(reads=…))"
    assert issubclass(reads, Reads), f"{handler.name}: a read schema is a kit.contracts.Reads (tolerant reader)"
    assert reads().fields, f"{handler.name} reads nothing of {event}?"


@pytest.mark.parametrize("binding", BINDINGS, ids=_id)
def test_every_field_a_consumer_reads_is_sent_by_the_producer(binding):
    _component, handler, event = binding
    producer = catalogue()[event]
    assert read_problems(handler.reads_of(event), producer.payload) == [], \
        f"{handler.name} reads what {producer.producer} does not send in {event}"


def test_every_declared_event_has_a_payload_schema_that_refuses_unknown_fields():
    for name, event in catalogue().items():
        assert issubclass(event.payload, Payload), name
        assert json_schema(event.payload)["properties"], f"{name} declares no fields"
        assert event.problems({"surely_a_typo": 1}).get("surely_a_typo"), name


def test_cases_routing_facts_come_from_the_customer_events():
    """Issue 9's finding: routing rules on region and line status read fields the customer events
    did not send. The cases service's customer replica reads them, and the producer sends them."""
    from services.cases.handlers import CustomerReads

    for event in ("customer.created.v1", "customer.updated.v1"):
        payload = catalogue()[event].payload().fields
        assert {"region", "lines"} <= set(payload), event
        assert {"number", "status"} <= set(payload["lines"].inner.schema.fields)
        assert read_problems(CustomerReads, catalogue()[event].payload) == []


# -- the comparison itself --------------------------------------------------------------------------
class _Line(Payload):
    number = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("active", "blocked")))


class _Sent(Payload):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    note = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    lines = fields.List(fields.Nested(_Line), required=True)
    owner = fields.Nested(_Line, required=True, allow_none=True)


def _reads(**declared) -> type[Reads]:
    return type("ProbeReads", (Reads,), declared)


def test_a_reader_of_exactly_what_is_sent_is_content():
    assert read_problems(_reads(id=fields.UUID(required=True), name=fields.String(required=True),
                                note=fields.String(allow_none=True), version=fields.Float(required=True),
                                anything=fields.Raw(), lines=fields.List(fields.Nested(_reads(status=fields.String())))),
                         _Sent) == ["anything: read but never sent"]


def test_a_field_read_that_the_producer_does_not_send_fails():
    assert read_problems(_reads(region=fields.String()), _Sent) == ["region: read but never sent"]
    assert read_problems(_reads(lines=fields.List(fields.Nested(_reads(region=fields.String())))), _Sent) == [
        "lines[].region: read but never sent"]


def test_a_field_read_with_another_type_fails():
    assert read_problems(_reads(version=fields.String()), _Sent) == ["version: read as string, sent as integer"]
    assert read_problems(_reads(name=fields.UUID()), _Sent) == ["name: read as uuid, sent as any string"]
    assert read_problems(_reads(lines=fields.Nested(_Line)), _Sent) == ["lines: read as object, sent as array"]


def test_reading_an_optional_or_nullable_field_as_always_there_fails():
    assert read_problems(_reads(note=fields.String(required=True, allow_none=True)), _Sent) == [
        "note: read as always present, but the producer may leave it out"]
    assert read_problems(_reads(owner=fields.Nested(_Line, required=True)), _Sent) == [
        "owner: read as never null, but the producer may send null"]


def test_a_reader_that_knows_the_values_must_know_every_value_sent():
    known = _reads(lines=fields.List(fields.Nested(_reads(status=fields.String(validate=validate.OneOf(["active"]))))))
    assert read_problems(known, _Sent) == ["lines[].status: sent values ['blocked'] the reader does not know"]


def test_json_schema_shows_the_payload_shape():
    document = json_schema(_Sent)
    assert document["required"] == ["id", "name", "version", "lines", "owner"]
    assert document["additionalProperties"] is False
    assert document["properties"]["id"] == {"type": "string", "format": "uuid"}
    assert document["properties"]["note"] == {"type": ["string", "null"]}
    assert document["properties"]["lines"]["items"]["properties"]["status"] == {
        "type": "string", "enum": ["active", "blocked"]}
    assert document["properties"]["owner"]["anyOf"][1] == {"type": "null"}


# -- the outbox's guard ------------------------------------------------------------------------------
def test_an_undeclared_event_is_refused():
    with pytest.raises(EventContractBroken, match="customer.archived.v1 is not declared"):
        check_event("customer.archived.v1", {"id": str(uuid.uuid4())}, producer="customers")


def test_an_event_declared_by_another_producer_is_refused():
    with pytest.raises(EventContractBroken, match="declared by gateway, not customers"):
        check_event("branch.created.v1", {"id": str(uuid.uuid4()), "code": "n", "name": "N"}, producer="customers")


def test_a_payload_with_a_typo_a_missing_or_a_mistyped_field_is_refused():
    branch = {"id": str(uuid.uuid4()), "code": "north", "name": "North"}
    check_event("branch.created.v1", branch, producer="gateway")
    with pytest.raises(EventContractBroken, match="nmae"):
        check_event("branch.created.v1", {**branch, "nmae": "North"}, producer="gateway")
    with pytest.raises(EventContractBroken, match="'name'"):
        check_event("branch.created.v1", {"id": branch["id"], "code": "north"}, producer="gateway")
    with pytest.raises(EventContractBroken, match="'id'"):
        check_event("branch.created.v1", {**branch, "id": "north"}, producer="gateway")


def test_a_producer_cannot_declare_another_producers_event():
    with pytest.raises(EventContractBroken, match="declared by both gateway and probe"):
        declare("probe", Event("branch.created.v1", "Not mine.", _Sent))


def test_the_outbox_refuses_a_broken_event_and_writes_nothing(tmp_path):
    from gateway.models import Base, Branch
    from services.kit.db import Database

    database = Database(f"sqlite:///{tmp_path / 'gateway.sqlite3'}", Base.metadata)
    Base.metadata.create_all(database.engine)
    try:
        with pytest.raises(EventContractBroken, match="branch.created.v1 does not match"):
            with UnitOfWork(database, producer="gateway") as uow:
                branch = Branch(code="north", name="North")
                uow.session.add(branch)
                uow.session.flush()
                branch.record_event("branch.created.v1", branch.snapshot() | {"region": "Moscow"})
                uow.commit()
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Branch)) == 0
            assert session.scalar(select(func.count()).select_from(database.outbox)) == 0
    finally:
        database.dispose()
