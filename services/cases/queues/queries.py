"""Read side of queues: statistics for supervisors (depth, ages, throughput, SLA attainment, who
holds what)."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.cases.errors import QueueNotFound
from services.cases.models import (
    OPEN, OPEN_DISPATCH, OPEN_REJECT, Case, Queue, TimelineEntry, acceptance_decided_at, breached_open_condition,
    directory_users, resolution_decided_at, waiting_condition,
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


def _attainment(decided: int, met: int) -> dict:
    return {"decided": decided, "met": met, "rate": round(met / decided, 4) if decided else None}


def _queue_counts(session: Session, queue: Queue, *, since: datetime):
    """Every count of the queue's cases in one statement, each figure a subquery over the rows it is
    about, read from the index made for it (the waiting cases, the cases by state, the open breaches,
    the targets decided since ``since``: when the case was accepted or closed, or when the target
    breached), rather than a pass over every case the queue ever had."""
    def figure(aggregate, *conditions):
        return select(aggregate).where(Case.queue_id == queue.id, *conditions).scalar_subquery()

    def decided(met_column, decided_at, *, met: bool = False):
        conditions = [met_column.is_not(None), decided_at >= since]
        return figure(func.count(), *conditions, met_column.is_(True)) if met else figure(func.count(), *conditions)
    return session.execute(select(
        figure(func.count(), waiting_condition()).label("depth"),
        figure(func.min(Case.dispatched_at), waiting_condition()).label("first_dispatch"),
        figure(func.count(), Case.status == OPEN_DISPATCH).label("open_dispatch"),
        figure(func.count(), Case.status == OPEN, Case.dispatched_at.is_not(None)).label("in_work"),
        figure(func.count(), Case.status == OPEN_REJECT).label("returned"),
        figure(func.count(), breached_open_condition()).label("breached_open"),
        decided(Case.acceptance_met, acceptance_decided_at()).label("acceptance_decided"),
        decided(Case.acceptance_met, acceptance_decided_at(), met=True).label("acceptance_met"),
        decided(Case.resolution_met, resolution_decided_at()).label("resolution_decided"),
        decided(Case.resolution_met, resolution_decided_at(), met=True).label("resolution_met"),
    )).one()


def _median_dispatch(session: Session, queue: Queue, depth: int) -> list[datetime]:
    """The middle one or two dispatch times of the waiting cases, by their offset in dispatch
    order: a queue of tens of thousands of cases is not read into memory for its median."""
    return session.scalars(select(Case.dispatched_at).where(Case.queue_id == queue.id, waiting_condition())
                           .order_by(Case.dispatched_at).offset((depth - 1) // 2).limit(2 - depth % 2)).all()


def queue_statistics(session: Session, queue: Queue, *, now: datetime, hours: int) -> dict:
    """Depth and ages of what waits now; accepted and closed per hour and SLA attainment over the
    last ``hours`` (a target is decided when the case is accepted or closed, or when it breaches)."""
    since = now - timedelta(hours=hours)
    counts = _queue_counts(session, queue, since=since)

    def age(at: datetime) -> float:
        return max((now - at).total_seconds(), 0.0)
    middle = _median_dispatch(session, queue, counts.depth) if counts.depth else []
    actions = dict(session.execute(
        select(TimelineEntry.action, func.count()).where(
            TimelineEntry.queue_id == queue.id, TimelineEntry.action.in_(["accepted", "closed"]),
            TimelineEntry.at >= since)
        .group_by(TimelineEntry.action)).all())
    return {
        "queue": queue,
        "depth": counts.depth,
        "assigned": counts.open_dispatch - counts.depth,
        "in_work": counts.in_work,
        "returned": counts.returned,
        "oldest_age_seconds": age(counts.first_dispatch) if counts.depth else None,
        "median_age_seconds": statistics.fmean(age(at) for at in middle) if middle else None,
        "window_hours": hours,
        "accepted_per_hour": round(actions.get("accepted", 0) / hours, 3),
        "closed_per_hour": round(actions.get("closed", 0) / hours, 3),
        "acceptance_sla": _attainment(counts.acceptance_decided, counts.acceptance_met),
        "resolution_sla": _attainment(counts.resolution_decided, counts.resolution_met),
        "breached_open": counts.breached_open,
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


def watched_queues(session: Session, principal: Principal) -> list[Queue]:
    """Every queue the caller may watch (member, supervisor, or any for administrators), by code."""
    return [queue for queue in session.scalars(select(Queue).order_by(Queue.code)).all()
            if may_see_statistics(principal, queue)]


def statistics_for(session: Session, principal: Principal, *, now: datetime, hours: int) -> list[dict]:
    """Statistics of every queue the caller may watch, by code."""
    return [watched_statistics(session, queue, now=now, hours=hours) for queue in watched_queues(session, principal)]

