"""Claims that expire: a case taken from its queue (or assigned by the supervisor) and not accepted
within the queue's ``claim_minutes`` goes back to the queue, so that no work is stranded on an
agent whose session died. A plain function run periodically (``services/cases/tasks.py``); like
the SLA check it takes cases in batches with ``FOR UPDATE SKIP LOCKED``, so a case being accepted
right now is left alone and several runners never release one twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from services.cases import clock
from services.cases.models import OPEN_DISPATCH, Case
from services.cases.queues.models import Queue
from services.kit.db import Database
from services.kit.uow import UnitOfWork

log = logging.getLogger("caredesk.cases.claims")


def _release_batch(database: Database, queue_id, cutoff: datetime, now: datetime, batch_size: int) -> int:
    with UnitOfWork(database, producer="cases") as uow:
        cases = uow.session.scalars(
            select(Case).where(Case.queue_id == queue_id, Case.status == OPEN_DISPATCH, Case.owner_id.is_not(None),
                               Case.assigned_at <= cutoff)
            .order_by(Case.assigned_at, Case.id).limit(batch_size).with_for_update(of=Case, skip_locked=True)).all()
        for case in cases:
            case.release_claim(at=now)
        uow.commit()
    return len(cases)


def expire_claims(database: Database, *, now: datetime | None = None, batch_size: int = 200) -> int:
    """Release every claim older than its queue's claim time; returns how many.
    Emits case.claim_expired.v1 (and a timeline line) for each."""
    now = now or clock.now()
    with database.session() as session:
        queues = session.execute(select(Queue.id, Queue.claim_minutes).where(Queue.claim_minutes.is_not(None))).all()
    released = 0
    for queue_id, minutes in queues:
        cutoff = now - timedelta(minutes=minutes)
        while (count := _release_batch(database, queue_id, cutoff, now, batch_size)):
            released += count
            if count < batch_size:
                break
    if released:
        log.info("claims expired", extra={"released": released})
    return released
