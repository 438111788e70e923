"""Request and response shapes of the customers API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.customers.models import CUSTOMER_KINDS


class CustomerCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$", error="Use 1-40 letters, digits or '-'."))
    kind = fields.String(required=True, validate=validate.OneOf(CUSTOMER_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    salesperson_id = fields.UUID(load_default=None, allow_none=True)


class CustomerSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    kind = fields.String()
    name = fields.String()
    status = fields.String()
    description = fields.String()
    branch_id = fields.UUID(allow_none=True)
    department_id = fields.UUID(allow_none=True)
    salesperson_id = fields.UUID(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()


class CustomerListQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
