"""Customer actions, one function each."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.customers.errors import CustomerCodeTaken
from services.customers.models import Customer
from services.kit.auth import Principal
from services.kit.uow import UnitOfWork


def create_customer(uow: UnitOfWork, *, principal: Principal, data: dict) -> Customer:
    """A new customer in the creator's branch and department. Emits customer.created.v1."""
    if uow.session.scalar(select(Customer.id).where(Customer.code == data["code"])):
        raise CustomerCodeTaken(f"A customer with code '{data['code']}' exists.")
    customer = Customer(
        id=uuid.uuid4(), branch_id=principal.branch_id, department_id=principal.department_id,
        created_by=principal.user_id, **data,
    )
    uow.session.add(customer)
    uow.session.flush()
    customer.record_event("customer.created.v1", customer.snapshot())
    uow.commit()
    return customer
