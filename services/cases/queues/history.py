"""Queue history for supervisors: periodic snapshots and figures computed from the timeline.

Celery beat runs :func:`take_snapshots` every ``CAREDESK_QUEUE_SNAPSHOT_MINUTES`` minutes
(default 15; ``services/cases/tasks.py``) under the job's lease, so several beats do not
double-run it. Each run records, per queue, the slot it falls in (now floored to the interval):
depth per state, the oldest and median age of waiting cases and the SLA breaches still open.
A second run in the same slot (a retried task, a late beat) leaves the slot's row as it is.

:func:`queue_history` reads the snapshots of a period and adds what the timeline tells: cases
accepted and closed per hour, SLA attainment per priority, and the survey answers of the period.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.cases import clock
from services.cases.models import Case, Queue, TimelineEntry, acceptance_decided_at, resolution_decided_at
from services.cases.queues.models import PRIORITIES, QueueSnapshot
from services.cases.queues.queries import queue_statistics
from services.cases.surveys import satisfaction
from services.kit.db import Database, new_id

log = logging.getLogger("caredesk.cases.history")

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def snapshot_minutes() -> int:
    """The snapshot interval in minutes (``CAREDESK_QUEUE_SNAPSHOT_MINUTES``, 1-1440, default 15)."""
    value = int(os.environ.get("CAREDESK_QUEUE_SNAPSHOT_MINUTES", "15"))
    if not 1 <= value <= 1440:
        raise ValueError("CAREDESK_QUEUE_SNAPSHOT_MINUTES must be 1-1440")
    return value


def slot_of(at: datetime, minutes: int) -> datetime:
    step = timedelta(minutes=minutes)
    return EPOCH + ((at - EPOCH) // step) * step


def take_snapshots(database: Database, *, now: datetime | None = None, minutes: int | None = None) -> int:
    """Record one snapshot per queue for the slot ``now`` falls in; returns how many rows were new."""
    now = now or clock.now()
    slot = slot_of(now, minutes or snapshot_minutes())
    insert = pg_insert if database.is_postgresql else sqlite_insert
    created = 0
    with database.session() as session:
        for queue in session.scalars(select(Queue).order_by(Queue.code)).all():
            figures = queue_statistics(session, queue, now=now, hours=1)
            row = dict(id=new_id(), queue_id=queue.id, slot=slot, taken_at=now,
                       waiting=figures["depth"], assigned=figures["assigned"], in_work=figures["in_work"],
                       returned=figures["returned"], oldest_age_seconds=figures["oldest_age_seconds"],
                       median_age_seconds=figures["median_age_seconds"], breached_open=figures["breached_open"])
            inserted = session.execute(insert(QueueSnapshot.__table__).values(**row)
                                       .on_conflict_do_nothing(index_elements=["queue_id", "slot"])
                                       .returning(QueueSnapshot.__table__.c.id)).all()
            created += len(inserted)
        session.commit()
    if created:
        log.info("queue snapshots taken", extra={"slot": slot.isoformat(), "snapshots": created})
    return created


def _hour(at: datetime) -> datetime:
    return at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _per_hour(session: Session, queue: Queue, start: datetime, end: datetime) -> list[dict]:
    rows = session.execute(select(TimelineEntry.action, TimelineEntry.at).where(
        TimelineEntry.queue_id == queue.id, TimelineEntry.action.in_(["accepted", "closed"]),
        TimelineEntry.at >= start, TimelineEntry.at < end)).all()
    hours: dict[datetime, dict] = {}
    at = _hour(start)
    while at < end:
        hours[at] = {"hour": at, "accepted": 0, "closed": 0}
        at += timedelta(hours=1)
    for action, at in rows:
        hours[_hour(at)][action] += 1
    return list(hours.values())


def _attainment(session: Session, queue: Queue, start: datetime, end: datetime) -> list[dict]:
    result = []
    for kind, decided_at in (("acceptance", acceptance_decided_at()), ("resolution", resolution_decided_at())):
        met_column = getattr(Case, f"{kind}_met")
        rows = session.execute(select(Case.priority, met_column, func.count()).where(
            Case.queue_id == queue.id, met_column.is_not(None), decided_at >= start, decided_at < end)
            .group_by(Case.priority, met_column)).all()
        counts: dict[str, dict[bool, int]] = {}
        for priority, met, count in rows:
            counts.setdefault(priority, {})[bool(met)] = count
        for priority in PRIORITIES:
            met = counts.get(priority, {}).get(True, 0)
            decided = met + counts.get(priority, {}).get(False, 0)
            result.append({"target": kind, "priority": priority, "decided": decided, "met": met,
                           "rate": round(met / decided, 4) if decided else None})
    return result


def queue_history(session: Session, queue: Queue, *, start: datetime, end: datetime) -> dict:
    """Snapshots in [start, end), accepted/closed per hour, SLA attainment per priority and the
    survey answers given in the period."""
    snapshots = session.scalars(select(QueueSnapshot).where(
        QueueSnapshot.queue_id == queue.id, QueueSnapshot.slot >= start, QueueSnapshot.slot < end)
        .order_by(QueueSnapshot.slot)).all()
    return {"queue": queue, "start": start, "end": end, "snapshots": snapshots,
            "per_hour": _per_hour(session, queue, start, end),
            "sla_attainment": _attainment(session, queue, start, end),
            "satisfaction": satisfaction(session, queue.id, since=start, until=end)}
