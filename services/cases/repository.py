"""Loading cases and queues within the caller's reach: out of scope reads as not found."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.cases.errors import CaseNotFound, QueueNotFound
from services.cases.models import Case, Queue
from services.kit.auth import Principal, scope_filter


def visible_cases(principal: Principal):
    return scope_filter(principal, branch_column=Case.branch_id, department_column=Case.department_id,
                        owner_columns=[Case.initiator_id, Case.owner_id])


def get_case(session: Session, *, principal: Principal, case_id: uuid.UUID, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id, visible_cases(principal))
    if for_update:
        query = query.with_for_update(of=Case)
    case = session.scalar(query)
    if case is None:
        raise CaseNotFound(f"No case {case_id}.")
    return case


def get_queue_by_code(session: Session, code: str) -> Queue:
    queue = session.scalar(select(Queue).where(Queue.code == code))
    if queue is None:
        raise QueueNotFound(f"No queue '{code}'.")
    return queue
