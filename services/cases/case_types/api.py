"""Case types, their forms and routing rules under /api/v1/case-types."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.cases.case_types import use_cases
from services.cases.case_types.models import CaseType, RoutingRule
from services.cases.case_types.schemas import (
    CaseTypeChangeSchema, CaseTypeCreateSchema, CaseTypePageSchema, CaseTypeSchema, RoutingRuleCreateSchema,
    RoutingRulePageSchema, RoutingRuleSchema,
)
from services.cases.repository import get_case_type
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, install_id_converter, no_content, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema, page_from_list, page_from_query

case_types = Blueprint("case_types", __name__, url_prefix="/api/v1/case-types",
                       description="Case types: target queue, default priority, form, routing rules")
install_id_converter(case_types)


@case_types.post("")
@case_types.arguments(CaseTypeCreateSchema, example={"code": "billing-claim", "name": "Billing claim", "queue": "billing",
                                                          "default_priority": "normal"})
@case_types.response(201, CaseTypeSchema)
def create_case_type(data):
    """Create a case type (permission manage_queues)."""
    case_type = use_cases.create_case_type(new_uow(), principal=current_principal(), data=data)
    return with_etag(case_type, case_type.version, 201)


@case_types.get("")
@case_types.arguments(PageQuerySchema, location="query")
@case_types.response(200, CaseTypePageSchema)
def list_case_types(args):
    """Every case type, by name; the front office picks active ones when creating a case."""
    with service_context().database.session() as session:
        return page_from_query(session, select(CaseType).options(
            selectinload(CaseType.routing_rules).joinedload(RoutingRule.queue)).order_by(CaseType.name, CaseType.id),
            **args)


@case_types.get("/<id:case_type_id>")
@case_types.response(200, CaseTypeSchema)
def get_case_type_view(case_type_id: uuid.UUID):
    """One case type with its form fields and routing rules; the ETag is its version."""
    with service_context().database.session() as session:
        case_type = get_case_type(session, case_type_id)
    return with_etag(case_type, case_type.version)


@case_types.patch("/<id:case_type_id>")
@case_types.arguments(CaseTypeChangeSchema, example={"default_priority": "high", "form": [
    {"name": "invoice_number", "label": "Invoice number", "type": "string", "required": True, "max_length": 40}]})
@case_types.response(200, CaseTypeSchema)
def change_case_type(data, case_type_id: uuid.UUID):
    """Change a case type (If-Match; permission manage_queues)."""
    version = expected_version()
    case_type = use_cases.change_case_type(new_uow(), principal=current_principal(), case_type_id=case_type_id,
                                           expected_version=version, data=data)
    return with_etag(case_type, case_type.version)


@case_types.get("/<id:case_type_id>/routing-rules")
@case_types.arguments(PageQuerySchema, location="query")
@case_types.response(200, RoutingRulePageSchema)
def list_routing_rules(args, case_type_id: uuid.UUID):
    """The case type's routing rules in the order they are tried; the ETag is the case type's
    version (what removing a rule needs as If-Match)."""
    with service_context().database.session() as session:
        case_type = get_case_type(session, case_type_id)
        return with_etag(page_from_list(case_type.routing_rules, **args), case_type.version)


@case_types.post("/<id:case_type_id>/routing-rules")
@case_types.arguments(RoutingRuleCreateSchema, example={"region": "Antioquia", "priority": "urgent", "queue": "billing"})
@case_types.response(201, RoutingRuleSchema)
def add_routing_rule(data, case_type_id: uuid.UUID):
    """Add a routing rule (permission manage_queues); the first matching rule by position wins."""
    return use_cases.add_routing_rule(new_uow(), principal=current_principal(), case_type_id=case_type_id, data=data)


@case_types.delete("/<id:case_type_id>/routing-rules/<id:rule_id>")
@case_types.response(204)
def remove_routing_rule(case_type_id: uuid.UUID, rule_id: uuid.UUID):
    """Remove a routing rule of the case type (If-Match: the case type's ETag; permission
    manage_queues); the answer's ETag is the case type's new version."""
    version = expected_version()
    case_type = use_cases.remove_routing_rule(new_uow(), principal=current_principal(), case_type_id=case_type_id,
                                              rule_id=rule_id, expected_version=version)
    return no_content(case_type.version)
