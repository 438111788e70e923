"""Administering queues, their calendars and SLA targets (permission manage_queues)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.cases.errors import CalendarCodeTaken, QueueCodeTaken
from services.cases.queues.models import Calendar, Queue
from services.cases.repository import get_administered_queue, get_calendar, user_named_in
from services.kit.auth import BRANCH, COMPANY, Principal
from services.kit.db import bump_version
from services.kit.problems import InvalidFields, ensure_version
from services.kit.uow import UnitOfWork

MANAGE_QUEUES = "manage_queues"


def _check_references(uow: UnitOfWork, principal: Principal, data: dict) -> None:
    """Department, supervisor and calendar named in the body, resolved within the caller's reach:
    a department-level administrator keeps queues in their own department."""
    if data.get("department_id") and principal.level not in (COMPANY, BRANCH) \
            and data["department_id"] != principal.department_id:
        raise InvalidFields({"department_id": ["No such department."]})
    if data.get("supervisor_id"):
        user_named_in(uow.session, principal, data["supervisor_id"], field="supervisor_id")
    if data.get("calendar_id") and uow.session.get(Calendar, data["calendar_id"]) is None:
        raise InvalidFields({"calendar_id": ["No such calendar."]})


def create_queue(uow: UnitOfWork, *, principal: Principal, data: dict) -> Queue:
    """A department queue with its supervisor and calendar. Emits queue.created.v1."""
    with uow:
        principal.require(MANAGE_QUEUES)
        if uow.session.scalar(select(Queue.id).where(Queue.code == data["code"])):
            raise QueueCodeTaken(f"A queue with code '{data['code']}' exists.")
        if principal.level not in (COMPANY, BRANCH) and not data.get("department_id"):
            data = data | {"department_id": principal.department_id}
        _check_references(uow, principal, data)
        queue = Queue(id=uuid.uuid4(), **data)
        uow.session.add(queue)
        queue.record_event("queue.created.v1", queue.snapshot())
        uow.commit()
        return queue


def change_queue(uow: UnitOfWork, *, principal: Principal, queue_id: uuid.UUID, expected_version: int,
                 data: dict) -> Queue:
    """Rename a queue or change its department, supervisor or calendar. Emits queue.updated.v1."""
    with uow:
        principal.require(MANAGE_QUEUES)
        queue = get_administered_queue(uow.session, principal=principal, queue_id=queue_id)
        ensure_version(queue.version, expected_version, what=f"Queue {queue.code}")
        _check_references(uow, principal, data)
        queue.change(data=data)
        uow.commit()
        return queue


def set_sla_policies(uow: UnitOfWork, *, principal: Principal, queue_id: uuid.UUID, policies: list[dict],
                     expected_version: int | None = None) -> Queue:
    """Replace the queue's acceptance and resolution targets per priority, as a whole (a PUT is
    idempotent), from the queue's version the caller read (412 when stale); the queue's version
    moves on. Cases dispatched or reopened from now on use them. Emits queue.updated.v1."""
    with uow:
        principal.require(MANAGE_QUEUES)
        queue = get_administered_queue(uow.session, principal=principal, queue_id=queue_id)
        ensure_version(queue.version, expected_version, what=f"Queue {queue.code}")
        queue.replace_sla_policies(policies)
        bump_version(queue)
        uow.commit()
        return queue


def create_calendar(uow: UnitOfWork, *, principal: Principal, data: dict) -> Calendar:
    """A business calendar (working days and hours, holidays, time zone) for SLA targets."""
    with uow:
        principal.require(MANAGE_QUEUES)
        if uow.session.scalar(select(Calendar.id).where(Calendar.code == data["code"])):
            raise CalendarCodeTaken(f"A calendar with code '{data['code']}' exists.")
        calendar = Calendar(id=uuid.uuid4(), **data)
        uow.session.add(calendar)
        uow.commit()
        return calendar


def change_calendar(uow: UnitOfWork, *, principal: Principal, calendar_id: uuid.UUID, expected_version: int,
                    data: dict) -> Calendar:
    """Change a calendar; due times already on cases stay until their next dispatch or reopen."""
    with uow:
        principal.require(MANAGE_QUEUES)
        calendar = get_calendar(uow.session, calendar_id)
        ensure_version(calendar.version, expected_version, what=f"Calendar {calendar.code}")
        for key, value in data.items():
            setattr(calendar, key, value)
        uow.commit()
        return calendar
