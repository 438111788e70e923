"""SLA targets of a queue and priority, and the instants they give a case.

A case's clock starts at its first dispatch and counts business time of its queue's calendar,
except while it waits on the initiator (Open-Reject) or is closed: those stretches are added up
in business seconds as ``paused_seconds``. Every instant is therefore
``add_business_seconds(started_at, target + paused_seconds)`` and is stored on the case, so the
periodic check compares timestamps and needs no calendar arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.cases.sla.calendar import BusinessCalendar

DEFAULT_WARNING_PERCENT = 80


@dataclass(frozen=True)
class SlaTargets:
    """Business seconds allowed until acceptance and until resolution (None: no target)."""

    acceptance_seconds: int | None = None
    resolution_seconds: int | None = None
    warning_percent: int = DEFAULT_WARNING_PERCENT


NO_TARGETS = SlaTargets()


@dataclass(frozen=True)
class SlaInstants:
    acceptance_warning_at: datetime | None
    acceptance_due_at: datetime | None
    resolution_warning_at: datetime | None
    resolution_due_at: datetime | None


def compute_instants(calendar: BusinessCalendar, *, started_at: datetime, paused_seconds: float,
                     targets: SlaTargets) -> SlaInstants:
    """Warning and due instants of both targets, shifted by the business time spent paused."""

    def at(seconds: float | None) -> datetime | None:
        if seconds is None:
            return None
        return calendar.add_business_seconds(started_at, seconds + paused_seconds)

    def warning(seconds: int | None) -> float | None:
        return None if seconds is None else seconds * targets.warning_percent / 100

    return SlaInstants(
        acceptance_warning_at=at(warning(targets.acceptance_seconds)),
        acceptance_due_at=at(targets.acceptance_seconds),
        resolution_warning_at=at(warning(targets.resolution_seconds)),
        resolution_due_at=at(targets.resolution_seconds),
    )
