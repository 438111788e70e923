"""Aggregates built in memory, without a session: ``make_queue(**overrides)``, ``make_case_type``,
``make_customer``, ``open_case``. Enough for the model's rules (cosmicpython's test_product.py)."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone

from services.cases.models import (
    PRIORITY_RANK, Calendar, Case, CaseTask, CaseType, CustomerReadModel, Queue, RoutingRule, SlaPolicy,
)
from services.kit.auth import Principal
from tests.conftest import make_principal

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
_numbers = itertools.count(1)


def make_queue(code: str = "delivery", *, supervisor_id: uuid.UUID | None = None, calendar: Calendar | None = None,
               targets: dict | None = None) -> Queue:
    """``targets``: {priority: (acceptance_minutes, resolution_minutes)}."""
    queue = Queue(id=uuid.uuid4(), code=code, name=code.title(), supervisor_id=supervisor_id or uuid.uuid4(),
                  calendar=calendar, sla_policies=[])
    for priority, (acceptance, resolution) in (targets or {}).items():
        queue.sla_policies.append(SlaPolicy(id=uuid.uuid4(), priority=priority, priority_rank=PRIORITY_RANK[priority],
                                            acceptance_minutes=acceptance, resolution_minutes=resolution,
                                            warning_percent=80))
    return queue


def make_calendar(**overrides) -> Calendar:
    values = dict(id=uuid.uuid4(), code="office", name="Office", time_zone="UTC", working_days=[0, 1, 2, 3, 4],
                  hours=[["09:00", "18:00"]], holidays=[])
    return Calendar(**(values | overrides))


def make_case_type(queue: Queue, *, form: list[dict] | None = None, rules: list[tuple[dict, Queue]] = (),
                   **overrides) -> CaseType:
    """``rules``: (conditions, queue) pairs in the order they are tried."""
    values = dict(id=uuid.uuid4(), code="sim-delivery", name="SIM delivery", default_priority="normal",
                  form=form or [], is_active=True)
    case_type = CaseType(queue=queue, routing_rules=[], **(values | overrides))
    for position, (conditions, target) in enumerate(rules, start=1):
        case_type.routing_rules.append(RoutingRule(id=uuid.uuid4(), position=position * 10, queue=target,
                                                   **conditions))
    return case_type


def make_customer(**overrides) -> CustomerReadModel:
    values = dict(id=uuid.uuid4(), code="C-7", name="Дмитрий Иванов", region="Moscow",
                  lines=[{"number": "+79161234567", "status": "active"}], source_version=1)
    return CustomerReadModel(**(values | overrides))


def next_number(year: int) -> str:
    return f"{year}-{next(_numbers):06d}"


def open_case(*, initiator: Principal | None = None, customer: CustomerReadModel | None = None,
              at: datetime = MONDAY_9, **overrides) -> Case:
    """A draft case; pass ``queue`` or ``case_type`` (default: a fresh queue of its own)."""
    if "queue" not in overrides and "case_type" not in overrides:
        overrides["queue"] = make_queue()
    case = Case.open(principal=initiator or make_principal(level=4), customer=customer or make_customer(),
                     subject="Deliver the SIM card", at=at, numbering=next_number, **overrides)
    case.drain_events()
    return case


def make_task(case: Case, title: str, *, blocked_by: CaseTask | None = None,
              assignee_id: uuid.UUID | None = None) -> CaseTask:
    return CaseTask(id=uuid.uuid4(), case_id=case.id, title=title, blocked_by=blocked_by,
                    blocked_by_id=blocked_by.id if blocked_by else None, assignee_id=assignee_id,
                    created_by=case.initiator_id, created_at=MONDAY_9, is_done=False)
