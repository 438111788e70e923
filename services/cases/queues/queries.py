"""Read side of queues: statistics for supervisors (depth, ages, throughput, SLA attainment, who
holds what)."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.cases.errors import QueueNotFound
from services.cases.models import (
    CLOSED, OPEN, OPEN_DISPATCH, OPEN_REJECT, Case, Queue, TimelineEntry, directory_users, waiting_condition,
)
from services.cases.repository import queue_members
from services.cases.surveys import satisfaction
from services.kit.auth import COMPANY, Principal


def may_see_statistics(principal: Principal, queue: Queue) -> bool:
    return (queue.code in principal.queues or queue.supervisor_id == principal.user_id
            or "manage_queues" in principal.permissions or principal.level == COMPANY)


def require_statistics(principal: Principal, queue: Queue) -> None:
    """A queue whose figures the caller may not watch is answered like a missing one (404), as its
    history is: the same rule for every read of a queue's figures."""
    if not may_see_statistics(principal, queue):
        raise QueueNotFound(f"No queue {queue.id}.")


def _attainment(session: Session, queue: Queue, *, met_column, decided_at, since: datetime) -> dict:
    rows = session.execute(select(met_column, func.count()).where(
        Case.queue_id == queue.id, met_column.is_not(None), decided_at >= since).group_by(met_column)).all()
    counts = {bool(met): count for met, count in rows}
    decided = sum(counts.values())
    met = counts.get(True, 0)
    return {"decided": decided, "met": met, "rate": round(met / decided, 4) if decided else None}


def queue_statistics(session: Session, queue: Queue, *, now: datetime, hours: int) -> dict:
    """Depth and ages of what waits now; accepted and closed per hour and SLA attainment over the
    last ``hours`` (a target is decided when the case is accepted or closed, or when it breaches)."""
    since = now - timedelta(hours=hours)
    waiting = session.scalars(select(Case.dispatched_at).where(Case.queue_id == queue.id, waiting_condition())).all()
    ages = sorted(max((now - at).total_seconds(), 0.0) for at in waiting)
    by_status = dict(session.execute(
        select(Case.status, func.count()).where(
            Case.queue_id == queue.id, Case.status.in_([OPEN, OPEN_DISPATCH, OPEN_REJECT]),
            or_(Case.status != OPEN, Case.dispatched_at.is_not(None)))
        .group_by(Case.status)).all())
    actions = dict(session.execute(
        select(TimelineEntry.action, func.count()).where(
            TimelineEntry.queue_id == queue.id, TimelineEntry.action.in_(["accepted", "closed"]),
            TimelineEntry.at >= since)
        .group_by(TimelineEntry.action)).all())
    breached_open = session.scalar(select(func.count()).select_from(Case).where(
        Case.queue_id == queue.id, Case.status != CLOSED,
        or_(Case.acceptance_met.is_(False), Case.resolution_met.is_(False))))
    return {
        "queue": queue,
        "depth": len(ages),
        "assigned": by_status.get(OPEN_DISPATCH, 0) - len(ages),
        "in_work": by_status.get(OPEN, 0),
        "returned": by_status.get(OPEN_REJECT, 0),
        "oldest_age_seconds": ages[-1] if ages else None,
        "median_age_seconds": statistics.median(ages) if ages else None,
        "window_hours": hours,
        "accepted_per_hour": round(actions.get("accepted", 0) / hours, 3),
        "closed_per_hour": round(actions.get("closed", 0) / hours, 3),
        "acceptance_sla": _attainment(session, queue, met_column=Case.acceptance_met, since=since,
                                      decided_at=func.coalesce(Case.acceptance_breached_at, Case.first_accepted_at)),
        "resolution_sla": _attainment(session, queue, met_column=Case.resolution_met, since=since,
                                      decided_at=func.coalesce(Case.resolution_breached_at, Case.closed_at)),
        "breached_open": breached_open,
        "satisfaction": satisfaction(session, queue.id, since=since),
        "as_of": now,
    }


def queue_holders(session: Session, queue: Queue) -> list[dict]:
    """Who holds the queue's dispatched cases now: every active member (holding nothing, too) and
    anyone else still holding one, with the cases assigned but not accepted, in work, and of those
    the ones that missed a target; by name."""
    missed = or_(Case.acceptance_met.is_(False), Case.resolution_met.is_(False))
    rows = session.execute(
        select(Case.owner_id, Case.status, func.count(), func.count().filter(missed))
        .where(Case.queue_id == queue.id, Case.owner_id.is_not(None), Case.dispatched_at.is_not(None),
               or_(Case.status == OPEN_DISPATCH, and_(Case.status == OPEN, Case.owner_id != Case.initiator_id)))
        .group_by(Case.owner_id, Case.status)).all()
    held: dict = {}
    for owner_id, status, count, breached in rows:
        counts = held.setdefault(owner_id, {"assigned": 0, "in_work": 0, "breached": 0})
        counts["assigned" if status == OPEN_DISPATCH else "in_work"] += count
        counts["breached"] += breached
    members = {member.id: member.full_name for member in queue_members(session, queue)}
    names = dict(members)
    others = set(held) - set(members)
    if others:
        names |= dict(session.execute(select(directory_users.c.id, directory_users.c.full_name)
                                      .where(directory_users.c.id.in_(others))).all())
    holders = [{"user": {"id": user_id, "full_name": names.get(user_id), "is_member": user_id in members}}
               | held.get(user_id, {"assigned": 0, "in_work": 0, "breached": 0})
               for user_id in members.keys() | held.keys()]
    return sorted(holders, key=lambda row: (row["user"]["full_name"] or "", str(row["user"]["id"])))


def watched_statistics(session: Session, queue: Queue, *, now: datetime, hours: int) -> dict:
    """A queue's statistics as a supervisor reads them: the figures and who holds what."""
    return queue_statistics(session, queue, now=now, hours=hours) | {"holders": queue_holders(session, queue)}


def statistics_for(session: Session, principal: Principal, *, now: datetime, hours: int) -> list[dict]:
    """Statistics of every queue the caller may watch, by code."""
    queues = session.scalars(select(Queue).order_by(Queue.code)).all()
    return [watched_statistics(session, queue, now=now, hours=hours)
            for queue in queues if may_see_statistics(principal, queue)]

