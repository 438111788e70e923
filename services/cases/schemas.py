"""Request and response shapes of the cases API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.cases.models import PRIORITIES

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Use 1-40 lower-case letters, digits, '-' or '_'.")


class QueueCreateSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    department_id = fields.UUID(load_default=None, allow_none=True)
    supervisor_id = fields.UUID(load_default=None, allow_none=True)


class QueueSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    department_id = fields.UUID(allow_none=True)
    supervisor_id = fields.UUID(allow_none=True)


class CaseCreateSchema(Schema):
    customer_id = fields.UUID(required=True)
    queue = fields.String(required=True, validate=CODE)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))


class CaseCustomerSchema(Schema):
    id = fields.UUID(attribute="customer_id")
    code = fields.String(attribute="customer_code")
    name = fields.String(attribute="customer_name")


class CaseSchema(Schema):
    id = fields.UUID()
    number = fields.String()
    subject = fields.String()
    description = fields.String()
    priority = fields.String()
    status = fields.String()
    customer = fields.Function(lambda case: CaseCustomerSchema().dump(case))
    queue = fields.Nested(QueueSchema)
    initiator_id = fields.UUID()
    owner_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
    dispatched_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
