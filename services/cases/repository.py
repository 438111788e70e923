"""Loading cases, queues, case types and tasks within the caller's reach: out of scope reads as not found.

Who reaches a case (every read and every action goes through :func:`visible_cases`):
- the access level on the initiator's branch and department (1 company, 2 branch, 3 department,
  4 own records) — the front office sees what its people created;
- its initiator and its owner, whatever their level;
- once it has been dispatched, the members and the supervisor of the case's queue, and (levels 2-3)
  the people of the queue's department: a back-office agent works the cases of their queues even
  when the initiator sits in another department or branch.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Integer, String, Uuid, and_, bindparam, false, literal_column, or_, select, true
from sqlalchemy.orm import Session, lazyload, selectinload

from services.cases.errors import (
    CalendarNotFound, CaseNotFound, CaseTypeNotFound, QueueNotFound, RoutingRuleNotFound, TaskNotFound,
)
from services.cases.models import (
    Calendar, Case, CaseTask, CaseType, CustomerAttachmentReadModel, CustomerReadModel, Queue, RoutingRule,
    directory_users, waiting_condition,
)
from services.cases.surveys import CaseSurvey
from services.kit.directory_replica import (
    is_queue_member as is_directory_queue_member, queue_members as directory_queue_members, reachable_users,
)
from services.kit.auth import BRANCH, COMPANY, DEPARTMENT, Principal, scope_filter
from services.kit.problems import InvalidFields

PROSPECT_CODE = "0"


def reachable_queue_ids(principal: Principal, *, queue_codes=None):
    """Ids of the queues whose cases the principal works or supervises (a subquery); ``queue_codes``:
    what stands for the principal's queue codes in the statement (default: the codes themselves)."""
    reach = [Queue.supervisor_id == principal.user_id]
    if principal.queues:
        reach.append(Queue.code.in_(sorted(principal.queues) if queue_codes is None else queue_codes))
    if principal.level in (BRANCH, DEPARTMENT) and principal.department_id is not None:
        reach.append(Queue.department_id == principal.department_id)
    return select(Queue.id).where(or_(*reach))


def visible_cases(principal: Principal, *, queue_codes=None):
    """The WHERE clause of every case read."""
    return or_(
        scope_filter(principal, branch_column=Case.branch_id, department_column=Case.department_id,
                     owner_columns=[Case.initiator_id, Case.owner_id]),
        Case.initiator_id == principal.user_id,
        Case.owner_id == principal.user_id,
        # a draft stays with its initiator until it is dispatched
        and_(Case.dispatched_at.is_not(None), Case.queue_id.in_(reachable_queue_ids(principal, queue_codes=queue_codes))),
    )


@dataclass(frozen=True)
class _BoundReach:
    """A principal's shape (its level, which of its ids it has, how many queues it has) with bind
    parameters in place of its values: a statement built from it serves every principal of that shape."""

    level: int
    user_id: object
    branch_id: object
    department_id: object
    queues: frozenset[str]  # stand-ins, as many as the principal's queues


def _reach_shape(principal: Principal) -> tuple[int, bool, bool, int]:
    return (principal.level, principal.branch_id is not None, principal.department_id is not None,
            len(principal.queues))


def _queue_code_params(prefix: str, count: int) -> list:
    """One bind parameter per queue code: an expanding IN would be written into the SQL text again
    on every execution, where a fixed list keeps the statement's compiled form (a caller's queues
    are few, so the shapes are few)."""
    return [bindparam(f"{prefix}_{index}", type_=String()) for index in range(count)]


def _queue_code_values(prefix: str, codes) -> dict:
    return {f"{prefix}_{index}": code for index, code in enumerate(sorted(codes))}


def _reach_values(principal: Principal) -> dict:
    """The values of the bound reach's parameters for this principal."""
    return {"reach_user": principal.user_id, "reach_branch": principal.branch_id,
            "reach_department": principal.department_id, **_queue_code_values("reach_queue", principal.queues)}


def _visible_to_shape(shape: tuple[int, bool, bool, int]):
    """``visible_cases`` of every principal of this shape, in bind parameters (``_reach_values``)."""
    level, has_branch, has_department, queue_count = shape
    reach = _BoundReach(level=level, user_id=bindparam("reach_user", type_=Uuid()),
                        branch_id=bindparam("reach_branch", type_=Uuid()) if has_branch else None,
                        department_id=bindparam("reach_department", type_=Uuid()) if has_department else None,
                        queues=frozenset(f"reach_queue_{index}" for index in range(queue_count)))
    return visible_cases(reach, queue_codes=_queue_code_params("reach_queue", queue_count))


@lru_cache(maxsize=256)
def _case_statement(shape: tuple[int, bool, bool, int], for_update: bool):
    query = select(Case).where(Case.id == bindparam("case_id", type_=Uuid()), _visible_to_shape(shape))
    if for_update:
        query = query.with_for_update(of=Case)
    return query


def get_case(session: Session, *, principal: Principal, case_id: uuid.UUID, for_update: bool = False) -> Case:
    """A case within the caller's reach (its queue and type joined); CaseNotFound otherwise. The
    statement is built once for every principal of the same shape."""
    case = session.scalar(_case_statement(_reach_shape(principal), for_update),
                          {"case_id": case_id, **_reach_values(principal)})
    if case is None:
        raise CaseNotFound(f"No case {case_id}.")
    return case


@lru_cache(maxsize=256)
def _read_case_statement(shape: tuple[int, bool, bool, int]):
    # The case type's own queue (joined by default) is not in the answer: one entity fewer to join
    # and to load (about a tenth of the ORM's work per read).
    return (select(Case, CaseSurvey).outerjoin(CaseSurvey, CaseSurvey.case_id == Case.id)
            .where(Case.id == bindparam("case_id", type_=Uuid()), _visible_to_shape(shape))
            .options(lazyload(Case.case_type, CaseType.queue)))


def read_case(session: Session, *, principal: Principal, case_id: uuid.UUID) -> tuple[Case, CaseSurvey | None]:
    """A case within reach and its survey answer, in one statement (its queue and type joined, not
    the type's queue), built once for every principal of the same shape: for a view that shows the
    case after its session has closed."""
    row = session.execute(_read_case_statement(_reach_shape(principal)),
                          {"case_id": case_id, **_reach_values(principal)}).first()
    if row is None:
        raise CaseNotFound(f"No case {case_id}.")
    return row[0], row[1]


# Built once per number of queues: a statement object keeps its compiled form and cache key, and
# take-next is the hottest query of the service. LIMIT 1 is written in the statement, not bound:
# psycopg prepares a statement it runs often, and with a bound ``LIMIT $n`` PostgreSQL spent about
# three times the CPU on each claim (bench/README.md, take_next.py). The case type's own queue
# (joined by default) is not read by the rule, the event or the answer.
@lru_cache(maxsize=64)
def _next_waiting_statement(queue_count: int):
    return (select(Case)
            .where(waiting_condition(),
                   Case.queue_id.in_(select(Queue.id).where(Queue.code.in_(_queue_code_params("code", queue_count)))))
            .order_by(Case.priority_rank, Case.dispatched_at, Case.id)
            .limit(literal_column("1", Integer))
            .with_for_update(of=Case, skip_locked=True)
            .options(lazyload(Case.case_type, CaseType.queue)))


def lock_next_waiting_case(session: Session, *, queue_codes: frozenset[str] | set[str]) -> Case | None:
    """The highest-priority, then oldest, case nobody holds in these queues, row-locked.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED``: concurrent callers each lock a different row and
    never wait on one another; a row another transaction has just taken is skipped, and once that
    transaction commits the row no longer matches. On SQLite the engine begins every transaction
    with ``BEGIN IMMEDIATE``, so claims are serialised by the database's single writer lock.
    """
    if not queue_codes:
        return None
    return session.scalar(_next_waiting_statement(len(queue_codes)), _queue_code_values("code", queue_codes))


def get_queue(session: Session, queue_id: uuid.UUID) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise QueueNotFound(f"No queue {queue_id}.")
    return queue


def get_administered_queue(session: Session, *, principal: Principal, queue_id: uuid.UUID) -> Queue:
    queue = session.scalar(select(Queue).where(Queue.id == queue_id, administered_queues(principal)))
    if queue is None:
        raise QueueNotFound(f"No queue {queue_id}.")
    return queue


def queue_named_in(session: Session, code: str, *, field: str = "queue", within=None) -> Queue:
    """The queue a request body names by code (``within``: a reach condition); otherwise a field
    error, the same whether the queue is missing or out of reach."""
    queue = session.scalar(select(Queue).where(Queue.code == code, within if within is not None else true()))
    if queue is None:
        raise InvalidFields({field: ["No such queue."]})
    return queue


def get_calendar(session: Session, calendar_id: uuid.UUID) -> Calendar:
    calendar = session.get(Calendar, calendar_id)
    if calendar is None:
        raise CalendarNotFound(f"No calendar {calendar_id}.")
    return calendar


def get_case_type(session: Session, case_type_id: uuid.UUID) -> CaseType:
    """The case type with its routing rules (views dump them after the session has closed)."""
    case_type = session.get(CaseType, case_type_id,
                            options=[selectinload(CaseType.routing_rules).joinedload(RoutingRule.queue)])
    if case_type is None:
        raise CaseTypeNotFound(f"No case type {case_type_id}.")
    return case_type


def case_type_named_in(session: Session, code: str) -> CaseType:
    """The case type a case names by code; otherwise a field error on ``type``."""
    case_type = session.scalar(select(CaseType).where(CaseType.code == code))
    if case_type is None:
        raise InvalidFields({"type": ["No such case type."]})
    return case_type


def get_routing_rule(session: Session, *, case_type_id: uuid.UUID, rule_id: uuid.UUID) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None or rule.case_type_id != case_type_id:
        raise RoutingRuleNotFound(f"No routing rule {rule_id} in this case type.")
    return rule


def get_task(session: Session, *, case: Case, task_id: uuid.UUID, for_update: bool = False) -> CaseTask:
    query = (select(CaseTask).where(CaseTask.id == task_id, CaseTask.case_id == case.id)
             .options(selectinload(CaseTask.blocked_by)))
    if for_update:
        query = query.with_for_update()
    task = session.scalar(query)
    if task is None:
        raise TaskNotFound(f"No task {task_id} in case {case.number}.")
    return task


def visible_customers(principal: Principal):
    """The customers service's reach rule on its replica: everyone reaches the prospect "0", the
    assigned salesperson their customers, and the access level the rest (level 4: own records)."""
    return or_(CustomerReadModel.code == PROSPECT_CODE,
               CustomerReadModel.salesperson_id == principal.user_id,
               scope_filter(principal, branch_column=CustomerReadModel.branch_id,
                            department_column=CustomerReadModel.department_id,
                            owner_columns=[CustomerReadModel.salesperson_id, CustomerReadModel.created_by]))


def find_customer(session: Session, *, principal: Principal, customer_id: uuid.UUID | None = None,
                  code: str | None = None) -> CustomerReadModel | None:
    """The customer a case names, only if the caller reaches it: missing and out of reach look alike."""
    if customer_id is not None:
        where = CustomerReadModel.id == customer_id
    elif code is not None:
        where = CustomerReadModel.code == code
    else:
        return None
    return session.scalar(select(CustomerReadModel).where(where, visible_customers(principal)))


def attachments_named_in(session: Session, principal: Principal, *, customer_id: uuid.UUID,
                         interaction_id: uuid.UUID | None, attachment_ids: list[uuid.UUID]) -> list[dict]:
    """The files a case body names (``attachment_ids``), as references the case keeps, in the order
    given: each must be on the case's customer's account or on the case's interaction, and reached
    by the caller as the customers service would (the card's reach; on the prospect "0", the
    interaction's branch, department and agent by level). Otherwise a field error per position
    that says the same whether the file is missing, out of reach or someone else's."""
    if not attachment_ids:
        return []
    files = CustomerAttachmentReadModel
    on_case = files.interaction_id.is_(None) if interaction_id is None else or_(
        files.interaction_id.is_(None), files.interaction_id == interaction_id)
    prospect_reach = scope_filter(principal, branch_column=files.interaction_branch_id,
                                  department_column=files.interaction_department_id,
                                  owner_columns=[files.interaction_agent_id])
    found = {row.id: row for row in session.scalars(
        select(files).join(CustomerReadModel, CustomerReadModel.id == files.customer_id).where(
            files.id.in_(attachment_ids), files.customer_id == customer_id, on_case, visible_customers(principal),
            or_(CustomerReadModel.code != PROSPECT_CODE, prospect_reach)))}
    errors = {f"attachment_ids.{position}": ["No such file on the customer's account or on the case's interaction."]
              for position, attachment_id in enumerate(attachment_ids) if attachment_id not in found}
    if errors:
        raise InvalidFields(errors)
    return [found[attachment_id].reference() for attachment_id in attachment_ids]


def administered_queues(principal: Principal):
    """Queues an administrator (manage_queues) may change or route a case type to: all at levels
    1-2 (queues belong to departments, which span branches), those of their own department at
    levels 3-4."""
    if principal.level in (COMPANY, BRANCH):
        return true()
    return Queue.department_id == principal.department_id if principal.department_id else false()


def queue_members(session: Session, queue: Queue) -> list:
    """Active directory users whose queues name this queue (the replica fed by user events)."""
    return directory_queue_members(session, directory_users, queue.code)


def user_named_in(session: Session, principal: Principal, user_id: uuid.UUID, *, field: str,
                  also=None) -> None:
    """A user a request body names must be active and within the caller's reach (or meet ``also``,
    e.g. membership of the case's queue); otherwise a field error that says nothing more."""
    reach = reachable_users(directory_users, principal)
    if also is not None:
        reach = or_(reach, and_(directory_users.c.is_active.is_(True), also))
    if session.scalar(select(directory_users.c.id).where(directory_users.c.id == user_id, reach)) is None:
        raise InvalidFields({field: ["No such user."]})


def is_queue_member(session: Session, queue: Queue, user_id: uuid.UUID) -> bool:
    return is_directory_queue_member(session, directory_users, queue.code, user_id)

