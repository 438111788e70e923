"""Response shapes of the notifications API."""
from marshmallow import Schema, fields, validate

from services.kit.schemas import PageQuerySchema, page_of


class NotificationSchema(Schema):
    id = fields.UUID()
    event_id = fields.UUID()
    event_type = fields.String()
    channel = fields.String()
    recipient_kind = fields.String()
    recipient = fields.String()
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class NotificationQuerySchema(PageQuerySchema):
    queue = fields.String(load_default=None, validate=validate.Length(max=40))
    unread = fields.Boolean(load_default=False)


class UnreadSchema(Schema):
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer()


class CaughtSchema(Schema):
    kind = fields.String()
    file = fields.String()
    sender = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    text = fields.String()
    has_invitation = fields.Boolean()


class CaughtQuerySchema(PageQuerySchema):
    pass


NotificationPageSchema = page_of(NotificationSchema, "NotificationPage")
CaughtPageSchema = page_of(CaughtSchema, "CaughtPage")
