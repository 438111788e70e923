"""Customers endpoints under /api/v1/customers."""
from __future__ import annotations

import uuid

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.customers import queries, use_cases
from services.customers.repository import get_customer as load_customer
from services.customers.schemas import CustomerCreateSchema, CustomerListQuerySchema, CustomerSchema
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import etag_of

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers (accounts)")


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.post("")
@blp.arguments(CustomerCreateSchema)
@blp.response(201, CustomerSchema)
def create_customer(data):
    with new_uow() as uow:
        customer = use_cases.create_customer(uow, principal=current_principal(), data=data)
    return customer, 201, {"ETag": etag_of(customer.version)}


@blp.get("")
@blp.arguments(CustomerListQuerySchema, location="query")
@blp.response(200, CustomerPageSchema)
def list_customers(args):
    with service_context().database.session() as session:
        return queries.list_customers(session, principal=current_principal(), **args)


@blp.get("/<uuid:customer_id>")
@blp.response(200, CustomerSchema)
def get_customer(customer_id: uuid.UUID):
    with service_context().database.session() as session:
        customer = load_customer(session, principal=current_principal(), customer_id=customer_id)
    return customer, 200, {"ETag": etag_of(customer.version)}
