"""Bulk change of preferred sales agent, one function per step: propose, confirm."""
from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import func, select

from services.customers.models import PROSPECT_CODE, Customer
from services.customers.repository import visible_customers
from services.customers.sales_agents.errors import SalesAgentChangeNotFound
from services.customers.sales_agents.models import PENDING, SalesAgentChange
from services.customers.use_cases import check_people, database_rules
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.uow import UnitOfWork

BULK_PERMISSION = "bulk_change_sales_agent"
CHUNK_SIZE = 1_000  # customers moved in one transaction of a confirmation


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


def confirm_sales_agent_change(uow: UnitOfWork, *, principal: Principal, change_id: uuid.UUID,
                               chunk_size: int | None = None) -> SalesAgentChange:
    """Move every reachable customer of each old agent to the new one: a history entry and one
    customer.updated.v1 per customer. The customers are walked in id order, ``chunk_size`` a
    transaction, each chunk committing its moves, their events and the change's progress together
    (memory and lock time bounded by the chunk, not the customer count). Confirming a change whose
    confirmation was interrupted resumes after the last committed chunk; no customer moves twice.
    Only whoever proposed it confirms it. Raises Forbidden, SalesAgentChangeNotFound,
    SalesAgentChangeDone, StaleVersion."""
    principal.require(BULK_PERMISSION)
    chunk_size = chunk_size or CHUNK_SIZE
    while True:
        with uow, database_rules():
            change = uow.session.scalar(select(SalesAgentChange).where(
                SalesAgentChange.id == change_id, SalesAgentChange.requested_by == principal.user_id)
                .with_for_update())
            if change is None:
                raise SalesAgentChangeNotFound(f"You proposed no sales agent change {change_id}.")
            change.ensure_pending()
            mapping = change.mapping()
            query = (select(Customer.id, Customer.preferred_sales_agent_id)
                     .where(Customer.preferred_sales_agent_id.in_(list(mapping)),
                            Customer.code != PROSPECT_CODE, visible_customers(principal))
                     .order_by(Customer.id).limit(chunk_size)
                     .with_for_update(of=Customer))  # row locks in id order, a chunk at a time
            if change.resume_after is not None:
                query = query.where(Customer.id > change.resume_after)
            customers = uow.session.execute(query).all()
            moved: Counter[uuid.UUID] = Counter()
            for old_agent, snapshot in Customer.move_preferred_sales_agents(
                    uow.session, mapping, customers, actor=principal.user_id):
                moved[old_agent] += 1
                uow.emit("customer.updated.v1", snapshot | {"changed": ["customer.preferred_sales_agent_id"]})
            finished = len(customers) < chunk_size
            change.chunk_done(moved, customers[-1].id if customers else None, finished=finished)
            uow.commit()
        if finished:
            return change
