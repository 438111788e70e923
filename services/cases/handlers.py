"""Reactions of the cases service to other services' events."""
from __future__ import annotations

import uuid
from datetime import datetime

from services.cases.models import CustomerAttachmentReadModel, CustomerReadModel, directory_users
from services.cases.base import revoked_tokens
from services.cases.surveys import HANDLERS as survey_answers
from services.kit.contracts import Reads, fields
from services.kit.directory_replica import token_revoker, user_replicator
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.upsert import upsert_newer
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


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def customer_row(envelope: Envelope) -> dict:
    """The read model's row for one customer event."""
    data = envelope.data
    row = {"id": uuid.UUID(data["id"]), "code": data["code"], "name": data["name"],
           "branch_id": _uuid(data.get("branch_id")), "department_id": _uuid(data.get("department_id")),
           "salesperson_id": _uuid(data.get("salesperson_id")), "created_by": _uuid(data.get("created_by")),
           "source_version": data["version"], "updated_at": envelope.occurred_at}
    # an event from before the customers service sent the routing facts keeps what we hold
    if "region" in data:
        row["region"] = data["region"] or None
    if "lines" in data:
        row["lines"] = [{"number": line["number"], "status": line["status"]} for line in data["lines"]]
    return row


def replicate_customers(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    """Keep the customer read model current, a batch of events in one statement; an event older
    than what we hold changes nothing. Region and lines (number, status) feed the routing rules
    (CaseType.route)."""
    upsert_newer(uow.session, CustomerReadModel.__table__, [customer_row(envelope) for envelope in envelopes],
                 key="id", version="source_version")


def replicate_customer(uow: UnitOfWork, envelope: Envelope) -> None:
    """One event: the same statement as a batch."""
    replicate_customers(uow, [envelope])


class AttachmentReads(Reads):
    """What replicate_attachment reads of attachment.added: the file's description and who reaches it."""

    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    interaction_id = fields.UUID(required=True, allow_none=True)
    interaction_branch_id = fields.UUID(required=True, allow_none=True)
    interaction_department_id = fields.UUID(required=True, allow_none=True)
    interaction_agent_id = fields.UUID(required=True, allow_none=True)
    filename = fields.String(required=True)
    type = fields.String(required=True)
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.AwareDateTime(required=True)


def replicate_attachment(uow: UnitOfWork, envelope: Envelope) -> None:
    """Keep a file uploaded to a customer account or interaction, so a case created from that
    interaction can name it (an attachment does not change once uploaded: a second copy of the
    event changes nothing)."""
    data = envelope.data
    attachment_id = uuid.UUID(data["id"])
    if uow.session.get(CustomerAttachmentReadModel, attachment_id) is not None:
        return
    uow.session.add(CustomerAttachmentReadModel(
        id=attachment_id, customer_id=uuid.UUID(data["customer_id"]), interaction_id=_uuid(data["interaction_id"]),
        interaction_branch_id=_uuid(data["interaction_branch_id"]),
        interaction_department_id=_uuid(data["interaction_department_id"]),
        interaction_agent_id=_uuid(data["interaction_agent_id"]), filename=data["filename"], type_name=data["type"],
        content_type=data["content_type"], size_bytes=data["size_bytes"], sha256=data["sha256"],
        uploaded_at=datetime.fromisoformat(data["uploaded_at"])))


HANDLERS = [
    EventHandler(name="replicate_customer", events=["customer.created.v1", "customer.updated.v1"],
                 handle=replicate_customer, handle_many=replicate_customers, reads=CustomerReads),
    EventHandler(name="replicate_attachment", events=["attachment.added.v1"], handle=replicate_attachment,
                 reads=AttachmentReads),
    *survey_answers,
    user_replicator(directory_users),
    token_revoker(revoked_tokens),
]
