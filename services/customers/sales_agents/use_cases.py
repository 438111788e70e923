"""Bulk change of preferred sales agent, one function per step: propose, confirm."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from services.customers.models import PROSPECT_CODE, Customer
from services.customers.repository import visible_customers
from services.customers.sales_agents.errors import SalesAgentChangeNotFound
from services.customers.sales_agents.models import PENDING, SalesAgentChange
from services.customers.use_cases import check_people, database_rules
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.uow import UnitOfWork

BULK_PERMISSION = "bulk_change_sales_agent"


def propose_sales_agent_change(uow: UnitOfWork, *, principal: Principal, moves: list[dict]) -> SalesAgentChange:
    """Record a mapping old agent -> new agent with how many reachable customers each would move.
    Needs the permission bulk_change_sales_agent (Forbidden)."""
    principal.require(BULK_PERMISSION)
    with uow:
        for index, move in enumerate(moves):
            check_people(uow, principal, {f"moves.{index}.to_agent_id": move["to_agent_id"]})
        counts = dict(uow.session.execute(
            select(Customer.preferred_sales_agent_id, func.count())
            .where(Customer.preferred_sales_agent_id.in_([m["from_agent_id"] for m in moves]),
                   Customer.code != PROSPECT_CODE, visible_customers(principal))
            .group_by(Customer.preferred_sales_agent_id)).all())
        change = SalesAgentChange(
            id=uuid.uuid4(), requested_by=principal.user_id, status=PENDING, created_at=utcnow(),
            moves=[{"from_agent_id": str(m["from_agent_id"]), "to_agent_id": str(m["to_agent_id"]),
                    "customers": counts.get(m["from_agent_id"], 0)} for m in moves])
        uow.session.add(change)
        uow.commit()
    return change


def confirm_sales_agent_change(uow: UnitOfWork, *, principal: Principal, change_id: uuid.UUID) -> SalesAgentChange:
    """Move every reachable customer of each old agent to the new one in one transaction: a history
    entry and one customer.updated.v1 per customer. Only whoever proposed it confirms it. Raises
    Forbidden, SalesAgentChangeNotFound, SalesAgentChangeDone, StaleVersion."""
    principal.require(BULK_PERMISSION)
    with uow, database_rules():
        change = uow.session.scalar(select(SalesAgentChange).where(
            SalesAgentChange.id == change_id, SalesAgentChange.requested_by == principal.user_id).with_for_update())
        if change is None:
            raise SalesAgentChangeNotFound(f"You proposed no sales agent change {change_id}.")
        change.ensure_pending()
        mapping = change.mapping()
        # Row locks in id order: a concurrent edit of one of these customers waits or makes this fail whole.
        customers = uow.session.scalars(
            select(Customer).where(Customer.preferred_sales_agent_id.in_(list(mapping)),
                                   Customer.code != PROSPECT_CODE, visible_customers(principal))
            .order_by(Customer.id).with_for_update(of=Customer)
            .options(selectinload(Customer.lines))).all()  # the events carry each customer's lines
        moved: dict[uuid.UUID, int] = {}
        touched = []
        for customer in customers:
            old = customer.preferred_sales_agent_id
            if customer.change_preferred_sales_agent(mapping[old], actor=principal.user_id):
                moved[old] = moved.get(old, 0) + 1
                touched.append(customer)
        uow.session.flush()  # the new versions go into the events
        for customer in touched:
            customer.record_event("customer.updated.v1",
                                  customer.snapshot() | {"changed": ["customer.preferred_sales_agent_id"]})
        change.confirmed(moved)
        uow.commit()
    return change
