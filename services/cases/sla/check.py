"""The periodic SLA check: warnings and breaches of acceptance and resolution targets.

Each case carries its warning and due instants (computed in business time when it is
dispatched or reopened), so the check is a few indexed timestamp comparisons. It takes cases in
batches with ``FOR UPDATE SKIP LOCKED`` (several checkers may run; a case being changed by a
request is left for the next round) and marks each one once per target and stage, in the same
transaction as the events:

  warning  case.sla_warned.v1                          (owner and supervisor are told)
  breach   case.sla_breached.v1 + case.escalated.v1    (the queue's supervisor is told)

A paused clock (Open-Reject, Closed) is never checked; acceptance is checked while the case
waits in Open Dispatch, resolution while it is Open or Open Dispatch.

Celery beat runs :func:`check_sla` every minute (``services/cases/tasks.py``), under a lease so
several beats do not double-run it.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from services.cases import clock
from services.cases.models import OPEN, OPEN_DISPATCH, SLA_KINDS, Case
from services.kit.db import Database
from services.kit.uow import UnitOfWork

log = logging.getLogger("caredesk.cases.sla")

STAGES = ("breach", "warning")  # breaches first: a case past both instants is only breached


def _pending(kind: str, stage: str, now: datetime) -> list:
    column = lambda name: getattr(Case, f"{kind}_{name}")  # noqa: E731 - a column of this target
    conditions = [Case.sla_paused_at.is_(None), column("met").is_(None), column("breached_at").is_(None)]
    if kind == "acceptance":
        conditions.append(Case.status == OPEN_DISPATCH)
    else:
        conditions.append(Case.status.in_([OPEN, OPEN_DISPATCH]))
    if stage == "breach":
        conditions.append(column("due_at") <= now)
    else:
        conditions += [column("warning_at") <= now, column("warned_at").is_(None), column("due_at") > now]
    return conditions


def _sweep(database: Database, kind: str, stage: str, *, now: datetime, batch_size: int) -> int:
    marked = 0
    while True:
        with UnitOfWork(database, producer="cases") as uow:
            order = getattr(Case, f"{kind}_due_at")
            cases = uow.session.scalars(
                select(Case).where(*_pending(kind, stage, now)).order_by(order, Case.id).limit(batch_size)
                .with_for_update(of=Case, skip_locked=True)).all()
            for case in cases:
                case.mark_sla(kind, stage, at=now)
            uow.commit()
        marked += len(cases)
        if len(cases) < batch_size:
            return marked


def check_sla(database: Database, *, now: datetime | None = None, batch_size: int = 200) -> dict[str, int]:
    """Mark every case whose warning or due instant has passed; returns how many per target and
    stage (e.g. ``{"acceptance_breach": 2, ...}``). Emits case.sla_warned.v1,
    case.sla_breached.v1 and case.escalated.v1."""
    now = now or clock.now()
    counts = {f"{kind}_{stage}": _sweep(database, kind, stage, now=now, batch_size=batch_size)
              for kind in SLA_KINDS for stage in STAGES}
    if any(counts.values()):
        log.info("SLA check marked cases", extra={"counts": counts})
    return counts
