"""Preferred sales agents of the customers a caller reaches, with their counts."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.customers.models import PROSPECT_CODE, Customer, directory_users
from services.customers.repository import visible_customers
from services.kit.auth import Principal


def preferred_sales_agents(session: Session, *, principal: Principal) -> list[dict]:
    """Each preferred sales agent of the customers the caller reaches, with how many they hold."""
    users = directory_users
    rows = session.execute(
        select(Customer.preferred_sales_agent_id, users.c.full_name, func.count(Customer.id).label("customers"))
        .outerjoin(users, users.c.id == Customer.preferred_sales_agent_id)
        .where(Customer.preferred_sales_agent_id.is_not(None), Customer.code != PROSPECT_CODE,
               visible_customers(principal))
        .group_by(Customer.preferred_sales_agent_id, users.c.full_name)
        .order_by(func.count(Customer.id).desc(), Customer.preferred_sales_agent_id)).all()
    return [{"agent_id": row[0], "name": row[1], "customers": row.customers} for row in rows]
