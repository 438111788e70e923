"""Preferred sales agents of the customers a caller reaches, with their counts."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.customers.models import PROSPECT_CODE, Customer, directory_users
from services.customers.repository import visible_customers
from services.kit.auth import Principal
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query


def preferred_sales_agents(session: Session, *, principal: Principal, page: int = 1,
                           per_page: int = DEFAULT_PER_PAGE) -> dict:
    """Each preferred sales agent of the customers the caller reaches, with how many they hold."""
    users = directory_users
    return page_from_query(session,
        select(Customer.preferred_sales_agent_id, users.c.full_name, func.count(Customer.id).label("customers"))
        .outerjoin(users, users.c.id == Customer.preferred_sales_agent_id)
        .where(Customer.preferred_sales_agent_id.is_not(None), Customer.code != PROSPECT_CODE,
               visible_customers(principal))
        .group_by(Customer.preferred_sales_agent_id, users.c.full_name)
        .order_by(func.count(Customer.id).desc(), Customer.preferred_sales_agent_id),
        page=page, per_page=per_page, scalars=False,
        item=lambda row: {"agent_id": row[0], "name": row[1], "customers": row.customers})
