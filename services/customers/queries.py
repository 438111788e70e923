"""Read side of customers: lists and search, as plain dicts."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.customers.models import Customer
from services.customers.repository import visible_customers
from services.kit.auth import Principal


def list_customers(session: Session, *, principal: Principal, q: str, page: int, per_page: int) -> dict:
    query = select(Customer).where(visible_customers(principal))
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Customer.name).like(pattern), Customer.code == q))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Customer.code).offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}
