"""Reactions of the cases service to other services' events."""
from __future__ import annotations

import uuid

from services.cases.models import CustomerReadModel, directory_users
from services.cases.base import revoked_tokens
from services.cases.surveys import HANDLERS as survey_answers
from services.kit.contracts import Reads, fields
from services.kit.directory_replica import token_revoker, user_replicator
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork


class CustomerLineReads(Reads):
    number = fields.String(required=True)
    status = fields.String(required=True)


class CustomerReads(Reads):
    """What replicate_customer reads of customer.created/updated: who reaches the customer and the
    routing facts (region, each line's number and status)."""

    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    branch_id = fields.UUID(allow_none=True)
    department_id = fields.UUID(allow_none=True)
    salesperson_id = fields.UUID(allow_none=True)
    created_by = fields.UUID(allow_none=True)
    # optional only for events published before the customers service sent them
    region = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(CustomerLineReads))


def replicate_customer(uow: UnitOfWork, envelope: Envelope) -> None:
    """Keep the customer read model current; an event older than what we hold changes nothing.
    Region and lines (number, status) feed the routing rules (CaseType.route)."""
    data = envelope.data
    customer = uow.session.get(CustomerReadModel, uuid.UUID(data["id"]))
    if customer is None:
        customer = CustomerReadModel(id=uuid.UUID(data["id"]), source_version=0)
        uow.session.add(customer)
    if data["version"] <= customer.source_version:
        return
    customer.code = data["code"]
    customer.name = data["name"]
    # an event from before the customers service sent the routing facts keeps what we hold
    if "region" in data:
        customer.region = data["region"] or None
    if "lines" in data:
        customer.lines = [{"number": line["number"], "status": line["status"]} for line in data["lines"]]
    customer.branch_id = uuid.UUID(data["branch_id"]) if data.get("branch_id") else None
    customer.department_id = uuid.UUID(data["department_id"]) if data.get("department_id") else None
    customer.salesperson_id = uuid.UUID(data["salesperson_id"]) if data.get("salesperson_id") else None
    customer.created_by = uuid.UUID(data["created_by"]) if data.get("created_by") else None
    customer.source_version = data["version"]
    customer.updated_at = envelope.occurred_at


HANDLERS = [
    EventHandler(name="replicate_customer", events=["customer.created.v1", "customer.updated.v1"],
                 handle=replicate_customer, reads=CustomerReads),
    *survey_answers,
    user_replicator(directory_users),
    token_revoker(revoked_tokens),
]
