"""Request and response shapes of payment reminders and "My account"'s mailbox."""
from marshmallow import Schema, fields, validate

from services.kit.input import MULTILINE
from services.kit.schemas import page_of
from services.notifications.reminders.models import CONCEPT_KINDS

TEXT = validate.Length(max=20000)
SECURITY = ("none", "starttls", "tls")


class ConceptSchema(Schema):
    id = fields.UUID(dump_only=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))
    days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    kind = fields.String(required=True, validate=validate.OneOf(CONCEPT_KINDS),
                         metadata={"description": "before_due: a reminder; after_due: a notice once overdue"})
    version = fields.Integer(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class ReminderSettingsSchema(Schema):
    customer_id = fields.UUID(dump_only=True)
    active = fields.Boolean(load_default=True)
    subject = fields.String(load_default="", validate=validate.Length(max=1000),
                            metadata={"description": "Jinja2; empty = the shipped subject in the recipient's language"})
    send_to_contacts = fields.Boolean(load_default=False)
    contact_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=200),
                              metadata={"description": "the contacts who get it too (empty: every contact with an e-mail)"})
    concept_id = fields.UUID(load_default=None, allow_none=True)
    after_due_active = fields.Boolean(load_default=False)
    after_due_concept_id = fields.UUID(load_default=None, allow_none=True)
    reminder_body = fields.String(load_default="", validate=TEXT, metadata=MULTILINE | {
        "description": "Jinja2 with invoice.number, invoice.amount, invoice.outstanding, invoice.currency, "
                       "invoice.due_date, invoice.issue_date, customer.name, recipient.name; empty = shipped"})
    after_due_body = fields.String(load_default="", validate=TEXT, metadata=MULTILINE)
    version = fields.Integer(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class RunRequestSchema(Schema):
    date = fields.Date(load_default=None, allow_none=True, metadata={"description": "the day to run for (default today)"})


class RunReportSchema(Schema):
    due = fields.Integer()
    claimed = fields.Integer()
    taken_before = fields.Integer()
    deliveries = fields.Integer()
    without_address = fields.Integer()
    consent_withdrawn = fields.Integer()
    batches = fields.Integer()


class MailboxSchema(Schema):
    """The password is written, never read back (``has_password`` says whether one is kept)."""

    host = fields.String(required=True, validate=validate.Length(min=1, max=253))
    port = fields.Integer(required=True, validate=validate.Range(min=1, max=65535))
    security = fields.String(load_default="starttls", validate=validate.OneOf(SECURITY))
    username = fields.String(load_default="", validate=validate.Length(max=254))
    password = fields.String(load_only=True, load_default=None, allow_none=True, validate=validate.Length(max=1000),
                             metadata={"description": "omit to keep the stored one"})
    sender = fields.Email(required=True, validate=validate.Length(max=254))
    sender_name = fields.String(load_default="", validate=validate.Length(max=200))
    has_password = fields.Boolean(dump_only=True)
    version = fields.Integer(dump_only=True)
    checked_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    check_result = fields.String(dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class MailboxTestSchema(Schema):
    ok = fields.Boolean()
    to = fields.String()
    answer = fields.String()


ConceptPageSchema = page_of(ConceptSchema, "ConceptPage")
