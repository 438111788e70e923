"""Request and response shapes of the delivery log."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.kit.schemas import PageQuerySchema, page_of
from services.notifications.deliveries.models import CHANNELS, STATUSES


class DeliverySchema(Schema):
    id = fields.UUID()
    event_id = fields.UUID()
    event_type = fields.String()
    channel = fields.String()
    recipient_kind = fields.String(metadata={"description": "user (a directory user) or customer"})
    recipient = fields.String(metadata={"description": "The user's id or the customer's code"})
    address = fields.String(metadata={"description": "Where it went: an e-mail address or an E.164 number"})
    template = fields.String()
    language = fields.String()
    subject = fields.String()
    status = fields.String(metadata={"description": "pending, sending, sent, delivered or failed"})
    attempts = fields.Integer()
    provider_message_id = fields.String(allow_none=True, metadata={
        "description": "The provider's id of the message (the SMTP Message-ID, or the SMS/WhatsApp provider's id)"})
    provider_answer = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime()


DeliveryPageSchema = page_of(DeliverySchema, "DeliveryPageSchema")


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Use an IANA time zone such as America/Bogota or Europe/Moscow.") from None


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    event_type = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                               metadata={"description": "Such as case.closed or followup.changed"})
    event_id = fields.UUID(load_default=None)
    recipient = fields.String(load_default=None, validate=validate.Length(min=1, max=254), metadata={
        "description": "The user id or customer code it was meant for, or the address it went to (any case)"})
    template = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    language = fields.String(load_default=None, validate=validate.OneOf(("es", "en", "ru", "vi")))
    provider_message_id = fields.String(load_default=None, validate=validate.Length(min=1, max=300))
    date_from = fields.Date(data_key="from", load_default=None,
                            metadata={"description": "Recorded on or after this day (in tz)"})
    date_to = fields.Date(data_key="to", load_default=None,
                          metadata={"description": "Recorded on or before this day (in tz)"})
    tz = fields.String(load_default="UTC", validate=_zone)

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("'to' is before 'from'.", "to")
