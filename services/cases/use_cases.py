"""Case actions, one function each. Each loads the case within the caller's reach (out of scope:
404), checks the state table for the caller's roles (refused: 409 with the allowed actions) and
commits the change, its timeline line and its event together."""
from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.cases import clock
from services.cases.errors import NotQueueMember, TaskNotFound
from services.cases.models import (
    Case, CaseComment, CaseNumberCounter, CaseTask, CaseType, CustomerReadModel, directory_users,
)
from services.cases.repository import (
    attachments_named_in, case_type_named_in, find_customer, get_case, get_task, is_queue_member, lock_next_waiting_case, queue_members,
    queue_named_in, user_named_in,
)
from services.kit.auth import Principal
from services.kit.problems import InvalidFields, ensure_version
from services.kit.uow import UnitOfWork


def roles_of(case: Case, principal: Principal) -> frozenset[str]:
    return case.roles_of(user_id=principal.user_id, queue_codes=principal.queues, permissions=principal.permissions)


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


def _active_case_type(session: Session, code: str) -> CaseType:
    case_type = case_type_named_in(session, code)
    if not case_type.is_active:
        raise InvalidFields({"type": [f"The case type '{code}' is no longer in use."]})
    return case_type


def create_case(uow: UnitOfWork, *, principal: Principal, data: dict) -> Case:
    """Save a new case (Open, owner = initiator) for a known customer or the prospect "0", opened by
    :meth:`Case.open` (queue chosen or routed by its type, priority, form values; a draft may be
    incomplete), carrying the files it names of the customer's account or its interaction.
    Emits case.created.v1. Raises InvalidFields."""
    with uow:
        session = uow.session
        customer = find_customer(session, principal=principal, customer_id=data.get("customer_id"),
                                 code=data.get("customer_code"))
        if customer is None:
            field = "customer_id" if data.get("customer_id") else "customer_code"
            raise InvalidFields({field: ["No such customer (or it has not reached the cases service yet)."]})
        case = Case.open(
            principal=principal, customer=customer, subject=data["subject"], at=clock.now(),
            # the counter's row stays locked until commit: Case.open draws the number last
            numbering=lambda year: next_case_number(session, year),
            case_type=_active_case_type(session, data["type"]) if data.get("type") else None,
            queue=queue_named_in(session, data["queue"]) if data.get("queue") else None,
            priority=data.get("priority"), line=data.get("line"), description=data.get("description", ""),
            interaction_id=data.get("interaction_id"),
            attachments=attachments_named_in(session, principal, customer_id=customer.id,
                                             interaction_id=data.get("interaction_id"),
                                             attachment_ids=data.get("attachment_ids", [])),
            custom_fields=data.get("custom_fields"))
        session.add(case)
        uow.commit()
        return case


def save_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, expected_version: int,
              data: dict) -> Case:
    """Change subject, description, priority, type, queue, line, interaction, attachments or form
    values (Open or Open-Reject, by the owner); the case merges form values and routes itself again
    unless its queue was chosen by hand (:meth:`Case.save`). The files it carries are checked again
    when they or the interaction change. Emits case.saved.v1. Raises InvalidFields."""
    with uow:
        session = uow.session
        case = get_case(session, principal=principal, case_id=case_id, for_update=True)
        ensure_version(case.version, expected_version, what=f"Case {case.number}")
        roles = roles_of(case, principal)
        case.require("save", roles)
        changes: dict = {}
        for key, attribute in (("subject", "subject"), ("description", "description"), ("line", "line_number"),
                               ("interaction_id", "interaction_id"), ("priority", "priority"),
                               ("custom_fields", "custom_fields")):
            if key in data:
                changes[attribute] = data[key]
        if "attachment_ids" in data or "interaction_id" in data:
            attachment_ids = data.get("attachment_ids", [uuid.UUID(item["id"]) for item in case.attachments or []])
            changes["attachments"] = attachments_named_in(
                session, principal, customer_id=case.customer_id,
                interaction_id=data.get("interaction_id", case.interaction_id), attachment_ids=attachment_ids)
        if "type" in data:
            changes["case_type"] = _active_case_type(session, data["type"]) if data["type"] else None
        if "queue" in data:
            changes["queue"] = queue_named_in(session, data["queue"]) if data["queue"] is not None else None
        case.save(roles=roles, by=principal.user_id, at=clock.now(), changes=changes,
                  customer=session.get(CustomerReadModel, case.customer_id))
        uow.commit()
        return case


def _act_on_case(uow: UnitOfWork, action: str, *, principal: Principal, case_id: uuid.UUID,
                 expected_version: int | None, **details) -> Case:
    """One of the state table's actions on a case the caller reaches: locked, its version checked,
    decided by the model with the caller's roles on the case, committed."""
    with uow:
        case = get_case(uow.session, principal=principal, case_id=case_id, for_update=True)
        ensure_version(case.version, expected_version, what=f"Case {case.number}")
        getattr(case, action)(roles=roles_of(case, principal), by=principal.user_id, at=clock.now(), **details)
        uow.commit()
        return case


def dispatch_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID,
                  expected_version: int | None = None) -> Case:
    """Send the case to its queue (Open Dispatch); refused with the missing required fields
    while the form is incomplete. Starts or resumes the SLA clock. Emits case.dispatched.v1."""
    return _act_on_case(uow, "dispatch", principal=principal, case_id=case_id,
                        expected_version=expected_version)


def cancel_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID,
                expected_version: int | None = None) -> Case:
    """Cancel a draft (never dispatched) created by mistake. Emits case.cancelled.v1."""
    return _act_on_case(uow, "cancel", principal=principal, case_id=case_id,
                        expected_version=expected_version)


def take_next_case(uow: UnitOfWork, *, principal: Principal, queue_code: str | None = None) -> Case | None:
    """Give the agent the highest-priority, then oldest, case waiting in their queues (or in the
    one queue asked for); None when nothing waits. Two agents never get the same case (see
    repository.lock_next_waiting_case). Emits case.assigned.v1 (how: take_next)."""
    with uow:
        codes = set(principal.queues)
        if queue_code is not None:
            if queue_code not in codes:
                raise NotQueueMember(f"You are not a member of the queue '{queue_code}'.")
            codes = {queue_code}
        case = lock_next_waiting_case(uow.session, queue_codes=codes)
        if case is None:
            return None
        case.take(roles=roles_of(case, principal), by=principal.user_id, at=clock.now())
        uow.commit()
        return case


def take_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID,
              expected_version: int | None = None) -> Case:
    """A member of the case's queue takes this one waiting case (not the next by priority). The row
    is locked: of two agents taking it at once the second waits, then finds it taken and is refused
    (409, transition-not-allowed); a non-member is refused the same way. Emits case.assigned.v1
    (how: take)."""
    with uow:
        case = get_case(uow.session, principal=principal, case_id=case_id, for_update=True)
        ensure_version(case.version, expected_version, what=f"Case {case.number}")
        case.take(roles=roles_of(case, principal), by=principal.user_id, at=clock.now(), how="take")
        uow.commit()
        return case


def assign_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, assignee_id: uuid.UUID,
                expected_version: int | None = None) -> Case:
    """The queue's supervisor gives the case to one of the queue's members. Emits case.assigned.v1."""
    with uow:
        case = get_case(uow.session, principal=principal, case_id=case_id, for_update=True)
        ensure_version(case.version, expected_version, what=f"Case {case.number}")
        roles = roles_of(case, principal)
        case.require("assign", roles)
        if not is_queue_member(uow.session, case.queue, assignee_id):
            raise InvalidFields({"assignee_id": [f"Not an active member of the queue '{case.queue.code}'."]})
        case.assign(roles=roles, by=principal.user_id, at=clock.now(), assignee_id=assignee_id)
        uow.commit()
        return case


def change_priority(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, priority: str,
                    expected_version: int | None = None) -> Case:
    """The queue's supervisor changes the priority of a case waiting in the queue or in work; the new
    priority's SLA targets apply. Emits case.saved.v1 (changed: priority) when it changes."""
    return _act_on_case(uow, "change_priority", principal=principal, case_id=case_id,
                        expected_version=expected_version, priority=priority)


def accept_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID,
                expected_version: int | None = None) -> Case:
    """The assigned agent accepts the case (Open, owner = agent). Emits case.accepted.v1."""
    return _act_on_case(uow, "accept", principal=principal, case_id=case_id,
                        expected_version=expected_version)


def reject_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, reason: str,
                expected_version: int | None = None) -> Case:
    """Return the case to its initiator with a reason (Open-Reject; the SLA clock pauses).
    Emits case.rejected.v1."""
    return _act_on_case(uow, "reject", principal=principal, case_id=case_id,
                        expected_version=expected_version, reason=reason)


def close_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, resolution: str,
               expected_version: int | None = None) -> Case:
    """Close the case with a resolution. Emits case.closed.v1."""
    return _act_on_case(uow, "close", principal=principal, case_id=case_id,
                        expected_version=expected_version, resolution=resolution)


def reopen_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, reason: str,
                expected_version: int | None = None) -> Case:
    """Reopen a closed case (not a cancelled draft); its last owner holds it again.
    Emits case.reopened.v1."""
    return _act_on_case(uow, "reopen", principal=principal, case_id=case_id,
                        expected_version=expected_version, reason=reason)


def comment_case(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, body: str) -> CaseComment:
    """Add a comment to a case the caller reaches. Emits case.commented.v1."""
    with uow:
        case = get_case(uow.session, principal=principal, case_id=case_id)
        comment = case.comment(by=principal.user_id, at=clock.now(), body=body)
        uow.commit()
        return comment


# -- tasks --------------------------------------------------------------------------------------
def _case_for_tasks(uow: UnitOfWork, principal: Principal, case_id: uuid.UUID) -> Case:
    case = get_case(uow.session, principal=principal, case_id=case_id, for_update=True)
    case.require_task_access(roles_of(case, principal))
    return case


def _blocker(uow: UnitOfWork, case: Case, blocker_id: uuid.UUID | None) -> CaseTask | None:
    if blocker_id is None:
        return None
    try:
        return get_task(uow.session, case=case, task_id=blocker_id)
    except TaskNotFound:
        raise InvalidFields({"blocked_by_id": ["No such task in this case."]}) from None


def _check_assignee(uow: UnitOfWork, principal: Principal, case: Case, assignee_id: uuid.UUID | None) -> None:
    """A task goes to a user the caller reaches, to the case's initiator or owner, or to a member of its queue."""
    if assignee_id is None:
        return
    people_of_case = {case.initiator_id, case.owner_id} | {row.id for row in queue_members(uow.session, case.queue)}
    user_named_in(uow.session, principal, assignee_id, field="assignee_id",
                  also=directory_users.c.id.in_(people_of_case - {None}))


def add_task(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, data: dict) -> CaseTask:
    """A task inside the case, optionally assigned, due and blocked by another task of the case.
    Emits case.task_assigned.v1 when assigned."""
    with uow:
        case = _case_for_tasks(uow, principal, case_id)
        _check_assignee(uow, principal, case, data.get("assignee_id"))
        task = case.add_task(by=principal.user_id, at=clock.now(), title=data["title"],
                             assignee_id=data.get("assignee_id"), due_at=data.get("due_at"),
                             blocked_by=_blocker(uow, case, data.get("blocked_by_id")))
        uow.commit()
        return task


def change_task(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, task_id: uuid.UUID,
                data: dict, expected_version: int | None = None) -> CaseTask:
    """Change a task's title, assignee, due date or blocker (never into a circle); marking it done
    goes through :func:`complete_task`. Emits case.task_assigned.v1 on a new assignee."""
    with uow:
        case = _case_for_tasks(uow, principal, case_id)
        task = get_task(uow.session, case=case, task_id=task_id, for_update=True)
        ensure_version(task.version, expected_version, what=f"Task '{task.title}'")
        changes = {key: data[key] for key in ("title", "assignee_id", "due_at") if key in data}
        if "assignee_id" in data:
            _check_assignee(uow, principal, case, data["assignee_id"])
        if "blocked_by_id" in data:
            changes["blocked_by"] = _blocker(uow, case, data["blocked_by_id"])
        case.change_task(task, by=principal.user_id, at=clock.now(), changes=changes)
        uow.commit()
        return task


def complete_task(uow: UnitOfWork, *, principal: Principal, case_id: uuid.UUID, task_id: uuid.UUID) -> CaseTask:
    """Mark a task done; refused (409) while its blocker is not done. Emits case.task_completed.v1."""
    with uow:
        case = get_case(uow.session, principal=principal, case_id=case_id, for_update=True)
        task = get_task(uow.session, case=case, task_id=task_id, for_update=True)
        case.complete_task(task, roles=roles_of(case, principal), by=principal.user_id, at=clock.now())
        uow.commit()
        return task
