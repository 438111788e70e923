"""Reactions of the cases service to other services' events."""
from __future__ import annotations

import uuid

from services.cases.models import CustomerReadModel, directory_users
from services.cases.base import revoked_tokens
from services.kit.directory_replica import token_revoker, user_replicator
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork


def replicate_customer(uow: UnitOfWork, envelope: Envelope) -> None:
    """Keep the customer read model current; an event older than what we hold changes nothing.
    Region and lines (number, status) are kept when the event carries them: routing rules match them."""
    data = envelope.data
    customer = uow.session.get(CustomerReadModel, uuid.UUID(data["id"]))
    if customer is None:
        customer = CustomerReadModel(id=uuid.UUID(data["id"]), source_version=0)
        uow.session.add(customer)
    if data["version"] <= customer.source_version:
        return
    customer.code = data["code"]
    customer.name = data["name"]
    # routing facts, once the customers service sends them (absent keys keep what we hold)
    if "region" in data:
        customer.region = data["region"]
    if "lines" in data:
        customer.lines = [{"number": line.get("number"), "status": line.get("status")}
                          for line in data["lines"] or []]
    customer.branch_id = uuid.UUID(data["branch_id"]) if data.get("branch_id") else None
    customer.department_id = uuid.UUID(data["department_id"]) if data.get("department_id") else None
    customer.salesperson_id = uuid.UUID(data["salesperson_id"]) if data.get("salesperson_id") else None
    customer.created_by = uuid.UUID(data["created_by"]) if data.get("created_by") else None
    customer.source_version = data["version"]
    customer.updated_at = envelope.occurred_at


HANDLERS = [
    EventHandler(name="replicate_customer", events=["customer.created.v1", "customer.updated.v1"],
                 handle=replicate_customer),
    user_replicator(directory_users),
    token_revoker(revoked_tokens),
]
