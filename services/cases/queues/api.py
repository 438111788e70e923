"""Queues, calendars, SLA targets, members and statistics under /api/v1/queues."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from services.cases import clock
from services.cases.queues import history, queries, use_cases
from services.cases.queues.models import Calendar, Queue
from services.cases.queues.schemas import (
    CalendarCreateSchema, CalendarFieldsSchema, CalendarPageSchema, CalendarSchema, MemberPageSchema, QueueChangeSchema,
    QueueCreateSchema, HistoryQuerySchema, QueueDetailSchema, QueueHistoryPageSchema, QueueHistorySchema, QueuePageSchema, QueueSchema,
    QueueStatisticsPageSchema, QueueStatisticsSchema, SlaPoliciesSchema, StatisticsQuerySchema,
)
from services.cases.errors import QueueNotFound
from services.kit.problems import InvalidFields
from services.cases.repository import get_calendar, get_queue, queue_members
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, install_id_converter, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema, page_from_list, page_from_query

queues = Blueprint("queues", __name__, url_prefix="/api/v1/queues",
                   description="Department queues, their calendars, SLA targets, members and statistics")
install_id_converter(queues)


def _detail(session, queue: Queue) -> dict:
    fields = ("id", "code", "name", "department_id", "supervisor_id", "calendar_id", "claim_minutes", "version")
    return {name: getattr(queue, name) for name in fields} | {
        "sla_policies": list(queue.sla_policies), "members": queue_members(session, queue)}


@queues.post("")
@queues.arguments(QueueCreateSchema, example={"code": "billing", "name": "Billing", "claim_minutes": 30})
@queues.response(201, QueueSchema)
def create_queue(data):
    """Create a queue (permission manage_queues)."""
    queue = use_cases.create_queue(new_uow(), principal=current_principal(), data=data)
    return with_etag(queue, queue.version, 201)


@queues.get("")
@queues.arguments(PageQuerySchema, location="query")
@queues.response(200, QueuePageSchema)
def list_queues(args):
    """Every queue, by code."""
    with service_context().database.session() as session:
        return page_from_query(session, select(Queue).order_by(Queue.code), **args)


@queues.get("/statistics")
@queues.arguments(StatisticsQuerySchema, location="query")
@queues.response(200, QueueStatisticsPageSchema)
def list_statistics(args):
    """Statistics of every queue the caller is a member or supervisor of (all, for administrators), by code;
    only the page's queues are computed."""
    with service_context().database.session() as session:
        now = clock.now()
        return page_from_list(queries.watched_queues(session, current_principal()), page=args["page"],
                              per_page=args["per_page"], item=lambda queue: queries.watched_statistics(
                                  session, queue, now=now, hours=args["hours"]))


@queues.get("/history")
@queues.arguments(HistoryQuerySchema, location="query")
@queues.response(200, QueueHistoryPageSchema)
def list_history(args):
    """History of every queue the caller is a member or supervisor of (all, for administrators), by code:
    snapshots, accepted and closed per hour, SLA attainment per priority; only the page's queues are computed."""
    start, end = _period(args)
    with service_context().database.session() as session:
        return page_from_list(queries.watched_queues(session, current_principal()), page=args["page"],
                              per_page=args["per_page"], item=lambda queue: history.queue_history(
                                  session, queue, start=start, end=end))


def _period(args) -> tuple:
    end = args["end"] or clock.now()
    start = args["start"] or end - timedelta(hours=24)
    if start >= end:
        raise InvalidFields({"from": ["'from' must be before 'to' (default: now)."]})
    return start, end


@queues.post("/calendars")
@queues.arguments(CalendarCreateSchema, example={"code": "bogota-office", "name": "Bogotá office hours", "time_zone": "America/Bogota",
                                                    "working_days": [0, 1, 2, 3, 4],
                                                    "hours": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
                                                    "holidays": ["2026-12-08", "2026-12-25"]})
@queues.response(201, CalendarSchema)
def create_calendar(data):
    """Create a business calendar (permission manage_queues)."""
    calendar = use_cases.create_calendar(new_uow(), principal=current_principal(), data=data)
    return with_etag(calendar, calendar.version, 201)


@queues.get("/calendars")
@queues.arguments(PageQuerySchema, location="query")
@queues.response(200, CalendarPageSchema)
def list_calendars(args):
    """Every working-hours calendar, by code."""
    with service_context().database.session() as session:
        return page_from_query(session, select(Calendar).order_by(Calendar.code), **args)


@queues.get("/calendars/<id:calendar_id>")
@queues.response(200, CalendarSchema)
def get_calendar_view(calendar_id: uuid.UUID):
    """One working-hours calendar with its hours and holidays; the ETag is its version."""
    with service_context().database.session() as session:
        calendar = get_calendar(session, calendar_id)
    return with_etag(calendar, calendar.version)


@queues.patch("/calendars/<id:calendar_id>")
@queues.arguments(CalendarFieldsSchema, example={"holidays": ["2026-12-08", "2026-12-25", "2027-01-01"]})
@queues.response(200, CalendarSchema)
def change_calendar(data, calendar_id: uuid.UUID):
    """Change a calendar (If-Match; permission manage_queues)."""
    version = expected_version()
    calendar = use_cases.change_calendar(new_uow(), principal=current_principal(), calendar_id=calendar_id,
                                         expected_version=version, data=data)
    return with_etag(calendar, calendar.version)


@queues.get("/<id:queue_id>")
@queues.response(200, QueueDetailSchema)
def get_queue_view(queue_id: uuid.UUID):
    """A queue with its SLA targets and its members (from the directory)."""
    with service_context().database.session() as session:
        queue = get_queue(session, queue_id)
        return with_etag(_detail(session, queue), queue.version)


@queues.patch("/<id:queue_id>")
@queues.arguments(QueueChangeSchema, example={"name": "Billing claims", "claim_minutes": 45})
@queues.response(200, QueueSchema)
def change_queue(data, queue_id: uuid.UUID):
    """Change name, department, supervisor or calendar (If-Match; permission manage_queues)."""
    version = expected_version()
    queue = use_cases.change_queue(new_uow(), principal=current_principal(), queue_id=queue_id,
                                   expected_version=version, data=data)
    return with_etag(queue, queue.version)


@queues.get("/<id:queue_id>/members")
@queues.arguments(PageQuerySchema, location="query")
@queues.response(200, MemberPageSchema)
def list_members(args, queue_id: uuid.UUID):
    """The queue's members (agents who take its cases)."""
    with service_context().database.session() as session:
        return page_from_list(queue_members(session, get_queue(session, queue_id)), **args)


@queues.get("/<id:queue_id>/sla")
@queues.response(200, SlaPoliciesSchema)
def get_sla(queue_id: uuid.UUID):
    """The queue's SLA policies: per priority, the times to accept and to close; the ETag is the
    queue's version (what PUT needs as If-Match)."""
    with service_context().database.session() as session:
        queue = get_queue(session, queue_id)
        return with_etag({"policies": list(queue.sla_policies)}, queue.version)


@queues.put("/<id:queue_id>/sla")
@queues.arguments(SlaPoliciesSchema, example={"policies": [
    {"priority": "urgent", "acceptance_minutes": 15, "resolution_minutes": 240, "warning_percent": 80},
    {"priority": "normal", "acceptance_minutes": 120, "resolution_minutes": 2880, "warning_percent": 80}]})
@queues.response(200, SlaPoliciesSchema)
def set_sla(data, queue_id: uuid.UUID):
    """Replace the targets per priority (If-Match: the queue's ETag; permission manage_queues). The
    queue's version moves on: its new ETag comes back."""
    version = expected_version()
    queue = use_cases.set_sla_policies(new_uow(), principal=current_principal(), queue_id=queue_id,
                                       policies=data["policies"], expected_version=version)
    return with_etag({"policies": list(queue.sla_policies)}, queue.version)


@queues.get("/<id:queue_id>/statistics")
@queues.arguments(StatisticsQuerySchema, location="query")
@queues.response(200, QueueStatisticsSchema)
def get_statistics(args, queue_id: uuid.UUID):
    """Depth, oldest and median age, accepted and closed per hour, SLA attainment, survey scores and
    who holds the queue's cases.

    A queue the caller may not watch is answered like a missing one (404), as its history is."""
    principal = current_principal()
    with service_context().database.session() as session:
        queue = get_queue(session, queue_id)
        queries.require_statistics(principal, queue)
        return queries.watched_statistics(session, queue, now=clock.now(), hours=args["hours"])


@queues.get("/<id:queue_id>/history")
@queues.arguments(HistoryQuerySchema, location="query")
@queues.response(200, QueueHistorySchema)
def get_history(args, queue_id: uuid.UUID):
    """Snapshots of depth and ages, accepted and closed per hour, SLA attainment per priority over
    ``from``-``to``. A queue the caller may not watch is answered like a missing one (404)."""
    start, end = _period(args)
    principal = current_principal()
    with service_context().database.session() as session:
        queue = get_queue(session, queue_id)
        queries.require_statistics(principal, queue)
        return history.queue_history(session, queue, start=start, end=end)
