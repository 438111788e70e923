"""Events the customers service emits (routing key = name), each with its payload schema.

customer.* carry the customer snapshot (models.Customer.snapshot): who may reach the customer
(branch, department, salesperson, creator), its agents, its region and each line's number and
status (the cases service's routing rules match them), and the card's version after the change,
so a consumer drops an older event. No phones, e-mails, tax numbers or PINs travel in events.
"""
from __future__ import annotations

from services.customers.models import CUSTOMER_KINDS, CUSTOMER_STATUSES, LINE_STATUSES
from services.kit.contracts import Event, Payload, declare, fields, validate


class LineSnapshot(Payload):
    """A line of the customer: its number belongs to one live line at a time."""

    id = fields.UUID(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(LINE_STATUSES))


class CustomerSnapshot(Payload):
    """The customer as other services replicate it."""

    id = fields.UUID(required=True)
    code = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CUSTOMER_KINDS))
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CUSTOMER_STATUSES))
    country = fields.String(required=True, allow_none=True)
    language = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True, metadata={"description": "null: not known"})
    branch_id = fields.UUID(required=True, allow_none=True)
    department_id = fields.UUID(required=True, allow_none=True)
    salesperson_id = fields.UUID(required=True, allow_none=True)
    preferred_sales_agent_id = fields.UUID(required=True, allow_none=True)
    collections_agent_id = fields.UUID(required=True, allow_none=True)
    created_by = fields.UUID(required=True, allow_none=True)
    lines = fields.List(fields.Nested(LineSnapshot), required=True,
                        metadata={"description": "every line of the customer, deactivated ones too"})
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class CustomerUpdated(CustomerSnapshot):
    """The customer snapshot after the change, and what changed."""

    changed = fields.List(fields.String(), required=True, metadata={
        "description": "names of the changed fields as entity.field (customer.phone, line.status, "
                       "contact.created…), never their values"})


class FollowupScheduled(Payload):
    """A follow-up of an interaction, in UTC and the zone it was set in; no addresses."""

    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    interaction_id = fields.UUID(required=True)
    interaction_number = fields.Integer(required=True)
    organiser_id = fields.UUID(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    time_zone = fields.String(required=True, metadata={"description": "the IANA zone it was set in"})
    subject = fields.String(required=True)
    location = fields.String(required=True, allow_none=True)
    participant_ids = fields.List(fields.UUID(), required=True, metadata={"description": "directory user ids"})
    copy_ids = fields.List(fields.UUID(), required=True, metadata={"description": "directory user ids"})


class FollowupChanged(FollowupScheduled):
    """The follow-up after it was rescheduled or edited (all of followup.scheduled.v1's fields, as they
    are now) and its invitation's iCalendar SEQUENCE."""

    sequence = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        "description": "iCalendar SEQUENCE: 0 was the first invitation, one more with each change or cancel; "
                       "consumers drop an event whose sequence is not above what they hold"})

class FollowupCancelled(FollowupScheduled):
    """The follow-up as it was when it was cancelled, and its invitation's iCalendar SEQUENCE."""

    sequence = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        "description": "iCalendar SEQUENCE: above every earlier invitation of this follow-up"})


AMOUNT = validate.Regexp(r"^-?[0-9]+\.[0-9]{2}$", error="a decimal string with two places, such as 1234.50")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code")
RECEIVABLE_CHANGES = ("created", "due_date_changed", "amount_changed", "payment")


class ReceivableRecorded(Payload):
    """An invoice as billing last reported it (CONTRACTS.md); amounts are decimal strings."""

    id = fields.UUID(required=True, metadata={"description": "the receivable's id"})
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    invoice_number = fields.String(required=True)
    issue_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    previous_due_date = fields.Date(required=True, allow_none=True,
                                    metadata={"description": "set when the due date changed"})
    amount = fields.String(required=True, validate=AMOUNT)
    paid_amount = fields.String(required=True, validate=AMOUNT)
    outstanding = fields.String(required=True, validate=AMOUNT)
    currency = fields.String(required=True, validate=CURRENCY)
    change = fields.String(required=True, validate=validate.OneOf(RECEIVABLE_CHANGES))
    collections_agent_id = fields.UUID(required=True, allow_none=True,
                                       metadata={"description": "the customer's collections agent at the time"})
    version = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        "description": "grows with each change of this receivable; consumers drop older versions"})


class ReceivableSettled(Payload):
    """An invoice fully paid (outstanding 0)."""

    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    invoice_number = fields.String(required=True)
    currency = fields.String(required=True, validate=CURRENCY)
    amount = fields.String(required=True, validate=AMOUNT)
    settled_on = fields.Date(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


LANGUAGES = ("es", "en", "ru", "vi")
CONSENT_CHANNELS = ("phone", "office", "email", "web", "letter")


class ConsentRecorded(Payload):
    """A consent given (granted) or withdrawn by a customer or one of its contacts (CONTRACTS.md). With no
    consent recorded for a kind, payment_reminders and surveys count as given, marketing as not."""

    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    contact_id = fields.UUID(required=True, allow_none=True, metadata={"description": "null: the customer itself"})
    kind = fields.String(required=True, metadata={
        "description": "a code of the consent catalogue (seeded: payment_reminders, surveys, marketing)"})
    channel = fields.String(required=True, validate=validate.OneOf(CONSENT_CHANNELS),
                            metadata={"description": "how the consent was recorded"})
    granted = fields.Boolean(required=True, metadata={"description": "false: withdrawn"})
    recorded_at = fields.AwareDateTime(required=True)
    recorded_by = fields.UUID(required=True, metadata={"description": "a directory user id"})


class ContactAddress(Payload):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    mobile = fields.String(required=True, allow_none=True, metadata={"description": "E.164"})
    language = fields.String(required=True, allow_none=True, validate=validate.OneOf(LANGUAGES))


class CustomerAddresses(Payload):
    """Where a customer and its contacts can be reached: the only event with addresses, for the
    notifications service alone (reminders, surveys)."""

    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True, allow_none=True, validate=validate.OneOf(LANGUAGES))
    email = fields.String(required=True, allow_none=True)
    mobile = fields.String(required=True, allow_none=True, metadata={
        "description": "E.164: the first mobile among the customer's phones (phone, phone 2, other phones)"})
    contacts = fields.List(fields.Nested(ContactAddress), required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        "description": "the customer's card version"})


class AttachmentAdded(Payload):
    """A file put on a customer account or one of its interactions: what a case needs to carry it by
    reference (its bytes stay in the customers service, downloaded through its API)."""

    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    interaction_id = fields.UUID(required=True, allow_none=True, metadata={"description": "null: on the account"})
    interaction_branch_id = fields.UUID(required=True, allow_none=True, metadata={
        "description": "the interaction's branch, department and agent: on the prospect \"0\" they decide who "
                       "reaches the file"})
    interaction_department_id = fields.UUID(required=True, allow_none=True)
    interaction_agent_id = fields.UUID(required=True, allow_none=True)
    filename = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "the attachment type's name"})
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True)
    uploaded_by = fields.UUID(required=True)
    uploaded_at = fields.AwareDateTime(required=True)


EMITTED = declare(
    "customers",
    Event("customer.created.v1", "A customer was created; data: the customer snapshot.", CustomerSnapshot),
    Event("customer.updated.v1",
          "Something on a customer's card changed (master data, other phones, contacts, lines, flashes, or the "
          "preferred sales agent in a bulk change: one event per customer); data: the customer snapshot after "
          "the change, plus 'changed'.", CustomerUpdated),
    Event("followup.scheduled.v1",
          "An interaction's follow-up was scheduled (seed 002: day and time, copy to colleagues and the "
          "supervisor). No addresses: invitations look them up.", FollowupScheduled),
    Event("followup.changed.v1",
          "A scheduled follow-up was rescheduled or edited (time, zone, subject, location, participants, copies); "
          "data: the follow-up as it is now, with a higher iCalendar 'sequence'.", FollowupChanged),
    Event("followup.cancelled.v1",
          "A scheduled follow-up was cancelled; data: the follow-up as it was, with a higher iCalendar "
          "'sequence'.", FollowupCancelled),
    Event("receivable.recorded.v1",
          "An invoice was created or changed by the billing import (API or caredesk import-billing); one event "
          "per imported row that changed it.", ReceivableRecorded),
    Event("receivable.settled.v1", "An invoice is fully paid (outstanding 0).", ReceivableSettled),
    Event("consent.recorded.v1", "A consent was given or withdrawn (reminders and campaigns respect it).",
          ConsentRecorded),
    Event("customer.addresses.v1",
          "Where a customer and its contacts can be reached; written in the same transaction as the customer's "
          "creation and as any change of its name, e-mail, phones, language or contacts. Consumed only by "
          "notifications.", CustomerAddresses),
    Event("attachment.added.v1",
          "A file was uploaded to a customer account or an interaction; the cases service keeps it so a case can "
          "carry the files of the interaction it was created from.", AttachmentAdded),
)
