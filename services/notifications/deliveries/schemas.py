"""Request and response shapes of the delivery log."""
from marshmallow import Schema, fields, validate

from services.kit.schemas import page_of
from services.notifications.deliveries.models import CHANNELS, STATUSES


class DeliverySchema(Schema):
    id = fields.UUID()
    event_id = fields.UUID()
    event_type = fields.String()
    channel = fields.String()
    recipient_kind = fields.String()
    recipient = fields.String()
    address = fields.String()
    template = fields.String()
    language = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    provider_message_id = fields.String(allow_none=True)
    provider_answer = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime()


DeliveryPageSchema = page_of(DeliverySchema, "DeliveryPageSchema")


class DeliveryQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    event_type = fields.String(load_default=None, validate=validate.Length(max=100))
    recipient = fields.String(load_default=None, validate=validate.Length(max=254))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
