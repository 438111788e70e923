"""The read models reminders (and surveys) work from, fed by the customers service's events
(shapes in CONTRACTS.md / docs/asyncapi.json). Each keeps the newest version: an older or repeated
event changes nothing."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from services.kit.contracts import Reads, fields
from services.kit.db import utcnow
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.notifications.reminders.models import Consent, CustomerAddresses, Receivable


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None


def _is_open(outstanding: str) -> bool:
    try:
        return Decimal(outstanding) > 0
    except (InvalidOperation, TypeError):
        return False


def record_receivable(uow: UnitOfWork, envelope: Envelope) -> None:
    """receivable.recorded.v1: the invoice as it is now (created, due date or amount changed, paid)."""
    data = envelope.data
    session = uow.session
    row = session.get(Receivable, _uuid(data["id"]))
    if row is not None and row.version >= int(data["version"]):
        return
    if row is None:
        row = Receivable(id=_uuid(data["id"]))
        session.add(row)
    row.customer_id, row.customer_code = _uuid(data["customer_id"]), data["customer_code"]
    row.invoice_number, row.issue_date, row.due_date = data["invoice_number"], _date(data.get("issue_date")), \
        _date(data["due_date"])
    row.amount, row.paid_amount = str(data["amount"]), str(data.get("paid_amount") or "0")
    row.outstanding, row.currency = str(data["outstanding"]), data["currency"]
    row.is_open = _is_open(row.outstanding)
    row.collections_agent_id = _uuid(data.get("collections_agent_id"))
    row.version, row.updated_at = int(data["version"]), utcnow()


def settle_receivable(uow: UnitOfWork, envelope: Envelope) -> None:
    """receivable.settled.v1: fully paid, no reminder any more."""
    data = envelope.data
    session = uow.session
    row = session.get(Receivable, _uuid(data["id"]))
    if row is not None and row.version >= int(data["version"]):
        return
    if row is None:
        row = Receivable(id=_uuid(data["id"]), customer_id=_uuid(data["customer_id"]),
                         customer_code=data["customer_code"], invoice_number=data["invoice_number"],
                         due_date=_date(data["settled_on"]), amount=str(data["amount"]), currency=data["currency"])
        session.add(row)
    row.outstanding, row.paid_amount, row.is_open = "0", str(data["amount"]), False
    row.version, row.updated_at = int(data["version"]), utcnow()


def record_consent(uow: UnitOfWork, envelope: Envelope) -> None:
    """consent.recorded.v1: the newest word of the customer or contact on this kind of message."""
    data = envelope.data
    session = uow.session
    key = (_uuid(data["customer_id"]), str(data.get("contact_id") or ""), data["kind"])
    recorded_at = datetime.fromisoformat(data["recorded_at"])
    row = session.get(Consent, key)
    if row is not None and row.recorded_at > recorded_at:
        return
    if row is None:
        row = Consent(customer_id=key[0], subject=key[1], kind=key[2])
        session.add(row)
    row.granted, row.recorded_at = bool(data["granted"]), recorded_at


def record_addresses(uow: UnitOfWork, envelope: Envelope) -> None:
    """customer.addresses.v1: name, language, e-mail, mobile and contacts of a customer."""
    data = envelope.data
    session = uow.session
    row = session.get(CustomerAddresses, _uuid(data["customer_id"]))
    if row is not None and row.version >= int(data["version"]):
        return
    if row is None:
        row = CustomerAddresses(customer_id=_uuid(data["customer_id"]))
        session.add(row)
    row.customer_code, row.name, row.language = data["customer_code"], data["name"], data.get("language")
    row.email, row.mobile = data.get("email"), data.get("mobile")
    row.contacts = [{"id": str(contact["id"]), "name": contact.get("name") or "", "email": contact.get("email"),
                     "mobile": contact.get("mobile"), "language": contact.get("language")}
                    for contact in data.get("contacts") or []]
    row.version, row.updated_at = int(data["version"]), utcnow()


def receivable_changed(uow: UnitOfWork, envelope: Envelope) -> None:
    """An invoice recorded, changed or settled (one consumer: the versions of one invoice stay in order)."""
    (settle_receivable if envelope.type == "receivable.settled" else record_receivable)(uow, envelope)


# What each read model reads of the customers service's events (CONTRACTS.md)
class ReceivableRecordedReads(Reads):
    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    invoice_number = fields.String(required=True)
    issue_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    amount = fields.String(required=True)
    paid_amount = fields.String(required=True)
    outstanding = fields.String(required=True)
    currency = fields.String(required=True)
    collections_agent_id = fields.UUID(required=True, allow_none=True)
    version = fields.Integer(required=True)


class ReceivableSettledReads(Reads):
    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    invoice_number = fields.String(required=True)
    currency = fields.String(required=True)
    amount = fields.String(required=True)
    settled_on = fields.Date(required=True)
    version = fields.Integer(required=True)


class ConsentReads(Reads):
    customer_id = fields.UUID(required=True)
    contact_id = fields.UUID(required=True, allow_none=True)
    kind = fields.String(required=True)
    granted = fields.Boolean(required=True)
    recorded_at = fields.AwareDateTime(required=True)


class _ContactReads(Reads):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    mobile = fields.String(required=True, allow_none=True)
    language = fields.String(required=True, allow_none=True)


class AddressesReads(Reads):
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    mobile = fields.String(required=True, allow_none=True)
    contacts = fields.List(fields.Nested(_ContactReads), required=True)
    version = fields.Integer(required=True)


HANDLERS = [
    EventHandler(name="receivables_read_model", events=["receivable.recorded.v1", "receivable.settled.v1"],
                 handle=receivable_changed, reads={"receivable.recorded.v1": ReceivableRecordedReads,
                                                   "receivable.settled.v1": ReceivableSettledReads}),
    EventHandler(name="consents_read_model", events=["consent.recorded.v1"], handle=record_consent,
                 reads=ConsentReads),
    EventHandler(name="customer_addresses_read_model", events=["customer.addresses.v1"], handle=record_addresses,
                 reads=AddressesReads),
]
