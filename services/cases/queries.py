"""Read side of cases: search over all cases (closed ones included), the personal folder, the
timeline, comments and tasks. Every query is cut by the caller's reach (repository.visible_cases)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from services.cases.models import (
    CLOSED, OPEN_DISPATCH, OPEN_REJECT, Case, CaseComment, CaseTask, CaseType, Queue, TimelineEntry, directory_users,
)
from services.cases.repository import get_case, visible_cases
from services.kit.auth import Principal
from services.kit.schemas import page_from_query
from services.kit.text import matches

ORDERINGS = {
    "priority": [Case.priority_rank, Case.created_at, Case.id],
    "-priority": [Case.priority_rank.desc(), Case.created_at.desc(), Case.id],
    "age": [Case.created_at, Case.id],
    "-age": [Case.created_at.desc(), Case.id],
    "number": [Case.number],
    "-number": [Case.number.desc()],
}


def _page(session: Session, query, *, sort: str, page: int, per_page: int) -> dict:
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Case.id).subquery()))
    rows = session.scalars(query.order_by(*ORDERINGS[sort]).offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}


def search_cases(session: Session, *, principal: Principal, sort: str, page: int, per_page: int,
                 **filters) -> dict:
    """Cases in any status by number, customer, line, type, queue, status, owner, initiator, priority,
    missed SLA target, text and date ranges; every filter given must hold."""
    return _page(session, searched(select(Case), principal=principal, **filters), sort=sort, page=page,
                 per_page=per_page)


def searched(query, *, principal: Principal, **filters):
    """``query`` cut to the caller's reach and to every search filter given."""
    query = query.where(visible_cases(principal))
    if "number" in filters:
        query = query.where(Case.number == filters["number"])
    if "customer_id" in filters:
        query = query.where(Case.customer_id == filters["customer_id"])
    if "customer_code" in filters:
        query = query.where(Case.customer_code == filters["customer_code"])
    if "line" in filters:
        query = query.where(Case.line_number == filters["line"])
    if "type" in filters:
        query = query.where(Case.case_type_id.in_(select(CaseType.id).where(CaseType.code == filters["type"])))
    if "queue" in filters:
        query = query.where(Case.queue_id.in_(select(Queue.id).where(Queue.code == filters["queue"])))
    if filters.get("status"):
        query = query.where(Case.status.in_(filters["status"]))
    if "owner_id" in filters:
        query = query.where(Case.owner_id == filters["owner_id"])
    if "initiator_id" in filters:
        query = query.where(Case.initiator_id == filters["initiator_id"])
    if filters.get("priority"):
        query = query.where(Case.priority.in_(filters["priority"]))
    if "breached" in filters:
        missed = or_(Case.acceptance_met.is_(False), Case.resolution_met.is_(False))
        query = query.where(missed if filters["breached"] else ~missed)
    if "q" in filters:
        query = query.where(matches(Case.search_text, filters["q"]))
    for column, name in ((Case.created_at, "created"), (Case.dispatched_at, "dispatched"), (Case.closed_at, "closed")):
        if f"{name}_from" in filters:
            query = query.where(column >= filters[f"{name}_from"])
        if f"{name}_to" in filters:
            query = query.where(column < filters[f"{name}_to"])
    return query


def stream_search(connection, *, principal: Principal, sort: str, **filters):
    """The whole search (no paging) as rows for the export, read through a server-side cursor: the
    case with its type's and queue's names and its owner's name from the directory replica."""
    owner = directory_users.alias("owner")
    query = searched(select(
        Case.number, Case.created_at, Case.subject, Case.customer_code, Case.customer_name, Case.line_number,
        CaseType.name.label("type_name"), Queue.name.label("queue_name"), Case.priority, Case.status,
        Case.is_cancelled, owner.c.full_name.label("owner_name"), Case.dispatched_at, Case.closed_at,
        or_(Case.acceptance_met.is_(False), Case.resolution_met.is_(False)).label("breached"),
    ).select_from(Case).outerjoin(Queue, Queue.id == Case.queue_id).outerjoin(CaseType, CaseType.id == Case.case_type_id)
        .outerjoin(owner, owner.c.id == Case.owner_id), principal=principal, **filters)
    return connection.execution_options(stream_results=True, yield_per=500).execute(
        query.order_by(*ORDERINGS[sort]))


def folder_condition(box: str, user_id: uuid.UUID):
    """The personal folder (seed 004): closed cases are never in it."""
    return {
        "owned": [Case.owner_id == user_id, Case.status != CLOSED],
        "created": [Case.initiator_id == user_id, Case.status != CLOSED],
        "returned": [Case.initiator_id == user_id, Case.status == OPEN_REJECT],
        "waiting": [Case.initiator_id == user_id, Case.status == OPEN_DISPATCH],
    }[box]


def list_folder(session: Session, *, principal: Principal, box: str, sort: str, page: int, per_page: int) -> dict:
    """One box of the caller's folder, paged and sorted, with the size of every box."""
    query = select(Case).where(*folder_condition(box, principal.user_id))
    result = _page(session, query, sort=sort, page=page, per_page=per_page)
    counts = {name: session.scalar(select(func.count()).select_from(Case).where(
        *folder_condition(name, principal.user_id))) for name in ("owned", "created", "returned", "waiting")}
    return result | {"box": box, "counts": counts}


def case_timeline(session: Session, *, principal: Principal, case_id: uuid.UUID, page: int, per_page: int) -> dict:
    """One page of the case's timeline, oldest first."""
    case = get_case(session, principal=principal, case_id=case_id)
    return page_from_query(session, select(TimelineEntry).where(TimelineEntry.case_id == case.id)
                           .order_by(TimelineEntry.at, TimelineEntry.id), page=page, per_page=per_page)


def case_comments(session: Session, *, principal: Principal, case_id: uuid.UUID, page: int, per_page: int) -> dict:
    """One page of the case's comments, oldest first."""
    case = get_case(session, principal=principal, case_id=case_id)
    return page_from_query(session, select(CaseComment).where(CaseComment.case_id == case.id)
                           .order_by(CaseComment.created_at, CaseComment.id), page=page, per_page=per_page)


def case_tasks(session: Session, *, principal: Principal, case_id: uuid.UUID, page: int, per_page: int) -> dict:
    """One page of the case's tasks, oldest first."""
    case = get_case(session, principal=principal, case_id=case_id)
    return page_from_query(session, select(CaseTask).where(CaseTask.case_id == case.id)
                           .options(selectinload(CaseTask.blocked_by))
                           .order_by(CaseTask.created_at, CaseTask.id), page=page, per_page=per_page)
