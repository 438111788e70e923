"""Loading customers within the caller's reach: out of scope reads as not found."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.customers.errors import CustomerNotFound
from services.customers.models import PROSPECT_CODE, Customer
from services.kit.auth import Principal, scope_filter


def visible_customers(principal: Principal):
    """Access levels in the query; everyone reaches the prospect "0" to log unknown callers."""
    return or_(Customer.code == PROSPECT_CODE,
               scope_filter(principal, branch_column=Customer.branch_id,
                            department_column=Customer.department_id,
                            owner_columns=[Customer.salesperson_id, Customer.created_by]))


def get_customer(session: Session, *, principal: Principal, customer_id: uuid.UUID) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.id == customer_id, visible_customers(principal)))
    if customer is None:
        raise CustomerNotFound(f"No customer {customer_id}.")
    return customer
