"""Case actions, one function each."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.cases.errors import QueueCodeTaken
from services.cases.models import Case, CaseNumberCounter, CustomerReadModel, Queue
from services.cases.repository import get_case, get_queue_by_code
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.problems import InvalidFields
from services.kit.uow import UnitOfWork


def create_queue(uow: UnitOfWork, *, principal: Principal, data: dict) -> Queue:
    """Needs the permission manage_queues. Emits queue.created.v1."""
    principal.require("manage_queues")
    if uow.session.scalar(select(Queue.id).where(Queue.code == data["code"])):
        raise QueueCodeTaken(f"A queue with code '{data['code']}' exists.")
    queue = Queue(id=uuid.uuid4(), **data)
    uow.session.add(queue)
    queue.record_event("queue.created.v1", queue.snapshot())
    uow.commit()
    return queue


def next_case_number(session: Session, year: int) -> str:
    """``2026-000042``: the counter row stays locked until commit, so numbers never gap or repeat."""
    bump = (update(CaseNumberCounter).where(CaseNumberCounter.year == year)
            .values(last_value=CaseNumberCounter.last_value + 1).returning(CaseNumberCounter.last_value))
    value = session.scalar(bump)
    if value is None:
        try:
            with session.begin_nested():
                session.add(CaseNumberCounter(year=year, last_value=1))
            value = 1
        except IntegrityError:  # another transaction created this year's row first
            value = session.scalar(bump)
    return f"{year}-{value:06d}"


def create_case(uow: UnitOfWork, *, principal: Principal, data: dict) -> Case:
    """Save a new case (Open, owner = initiator) for a known customer. Emits case.created.v1."""
    customer = uow.session.get(CustomerReadModel, data["customer_id"])
    if customer is None:
        raise InvalidFields({"customer_id": ["No such customer (or it has not reached the cases service yet)."]})
    queue = get_queue_by_code(uow.session, data["queue"])
    case = Case(
        id=uuid.uuid4(), number=next_case_number(uow.session, utcnow().year), subject=data["subject"],
        description=data["description"], priority=data["priority"], customer_id=customer.id,
        customer_code=customer.code, customer_name=customer.name, queue=queue, initiator_id=principal.user_id,
        owner_id=principal.user_id, branch_id=principal.branch_id, department_id=principal.department_id,
    )
    uow.session.add(case)
    case.record_event("case.created.v1", case.snapshot())
    uow.commit()
    return case


def dispatch_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID) -> Case:
    """Send the case to its queue (Open Dispatch). Emits case.dispatched.v1."""
    case = get_case(uow.session, principal=principal, case_id=case_id, for_update=True)
    case.dispatch(by=principal.user_id)
    uow.commit()
    return case
