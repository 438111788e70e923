"""Bulk change of preferred sales agent under /api/v1/customers (permission bulk_change_sales_agent)."""
from __future__ import annotations

import uuid

from services.customers.sales_agents import queries, use_cases
from services.customers.sales_agents.schemas import (
    SalesAgentChangeCreateSchema, SalesAgentChangeSchema, SalesAgentPageSchema,
)
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import install_id_converter
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema

blp = Blueprint("sales_agents", __name__, url_prefix="/api/v1/customers",
                description="Bulk change of preferred sales agent")
install_id_converter(blp)


@blp.get("/sales-agents")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, SalesAgentPageSchema)
def list_sales_agents(args):
    """Preferred sales agents of the customers you reach, with their counts (most customers first)."""
    principal = current_principal()
    principal.require(use_cases.BULK_PERMISSION)
    with service_context().database.session() as session:
        return queries.preferred_sales_agents(session, principal=principal, **args)


@blp.post("/sales-agent-changes")
@blp.arguments(SalesAgentChangeCreateSchema, example={"moves": [{"from_agent_id": "8d0c3a6e-2b1f-4c7d-9e5a-6f4b3c2d1e0a",
                                                                   "to_agent_id": "3f9e1d2c-7a6b-4b5c-8d9e-0a1b2c3d4e5f"}]})
@blp.response(201, SalesAgentChangeSchema)
def propose_sales_agent_change(data):
    """Propose moves old agent -> new agent; the answer counts the customers each would move."""
    return use_cases.propose_sales_agent_change(new_uow(), principal=current_principal(), moves=data["moves"])


@blp.post("/sales-agent-changes/<id:change_id>/confirm")
@blp.response(200, SalesAgentChangeSchema)
def confirm_sales_agent_change(change_id: uuid.UUID):
    """Move the customers, each with its history entry and event, a chunk per transaction.

    A confirmation interrupted part-way leaves the change "confirming" with the customers moved so
    far; confirming it again resumes after the last committed chunk."""
    return use_cases.confirm_sales_agent_change(new_uow(), principal=current_principal(), change_id=change_id)
