"""A case's SLA clock: a value object held by the case (``Case.sla``, mapped onto its ``sla_*``,
``acceptance_*`` and ``resolution_*`` columns), so the SLA rules live together here instead of in
a dozen methods of the case.

The clock starts at the first dispatch and counts business time of the queue's calendar. It pauses
while the case waits on its initiator (Open-Reject) or is closed, and the paused stretch is added
up in business seconds; every instant is ``started_at + target + paused_seconds`` in business time
(see targets.py). Acceptance is decided when the case is accepted, resolution when it is closed;
the periodic check (check.py) marks warnings and breaches. Each change returns a new clock.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.cases.sla.calendar import BusinessCalendar
from services.cases.sla.targets import DEFAULT_WARNING_PERCENT, SlaTargets, compute_instants

ACCEPTANCE, RESOLUTION = "acceptance", "resolution"
KINDS = (ACCEPTANCE, RESOLUTION)
WARNING, BREACH = "warning", "breach"


@dataclass(frozen=True)
class SlaClock:
    """Field order is the order of the case's columns (models.Case.sla)."""

    started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: float | None = 0.0
    warning_percent: int | None = None
    acceptance_target_seconds: int | None = None
    acceptance_warning_at: datetime | None = None
    acceptance_due_at: datetime | None = None
    acceptance_warned_at: datetime | None = None
    acceptance_breached_at: datetime | None = None
    acceptance_met: bool | None = None
    resolution_target_seconds: int | None = None
    resolution_warning_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_warned_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    resolution_met: bool | None = None

    # -- reading ----------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.started_at is not None and self.paused_at is None

    def due_at(self, kind: str) -> datetime | None:
        return getattr(self, f"{kind}_due_at")

    def targets(self) -> SlaTargets:
        """The targets the clock runs against (kept from the last dispatch)."""
        return SlaTargets(acceptance_seconds=self.acceptance_target_seconds,
                          resolution_seconds=self.resolution_target_seconds,
                          warning_percent=self.warning_percent or DEFAULT_WARNING_PERCENT)

    # -- what the case's actions do to it ---------------------------------------------------------
    def dispatched(self, *, at: datetime, calendar: BusinessCalendar, targets: SlaTargets) -> "SlaClock":
        """Starts at the first dispatch, resumes after a return; the queue's current targets apply."""
        clock = self if self.started_at is not None else replace(self, started_at=at, paused_seconds=0.0)
        return clock._resumed(at, calendar)._retargeted(targets, calendar)

    def accepted(self, *, at: datetime) -> "SlaClock":
        """The first acceptance decides the acceptance target (a breach decided it already)."""
        if self.acceptance_met is None and self.acceptance_due_at is not None:
            return replace(self, acceptance_met=at <= self.acceptance_due_at)
        return self

    def returned(self, *, at: datetime) -> "SlaClock":
        """Waiting on the initiator: the clock pauses."""
        return self._paused(at)

    def closed(self, *, at: datetime) -> "SlaClock":
        """Closing decides the resolution target (a paused clock stopped when the pause began) and
        pauses the clock."""
        clock = self
        if self.resolution_met is None and self.resolution_due_at is not None:
            clock = replace(self, resolution_met=(self.paused_at or at) <= self.resolution_due_at)
        return clock._paused(at)

    def reopened(self, *, at: datetime, calendar: BusinessCalendar) -> "SlaClock":
        """Runs again (the time closed does not count); a resolution met is open again, a breach stays."""
        clock = self
        if self.resolution_met and self.resolution_breached_at is None:
            clock = replace(self, resolution_met=None)
        clock = clock._resumed(at, calendar)
        return clock._retargeted(clock.targets(), calendar)

    def reprioritized(self, *, calendar: BusinessCalendar, targets: SlaTargets) -> "SlaClock":
        """Another priority's targets, counted from the first dispatch; decided targets stay decided."""
        return self._retargeted(targets, calendar)

    def marked(self, kind: str, stage: str, *, at: datetime) -> "SlaClock":
        """The periodic check saw the warning or due instant of ``kind`` pass; a breach decides it."""
        if stage == WARNING:
            return replace(self, **{f"{kind}_warned_at": at})
        return replace(self, **{f"{kind}_breached_at": at, f"{kind}_met": False})

    # -- mechanics --------------------------------------------------------------------------------
    def _paused(self, at: datetime) -> "SlaClock":
        if self.started_at is not None and self.paused_at is None:
            return replace(self, paused_at=at)
        return self

    def _resumed(self, at: datetime, calendar: BusinessCalendar) -> "SlaClock":
        if self.paused_at is None:
            return self
        return replace(self, paused_at=None,
                       paused_seconds=(self.paused_seconds or 0.0) + calendar.business_seconds(self.paused_at, at))

    def _retargeted(self, targets: SlaTargets, calendar: BusinessCalendar) -> "SlaClock":
        if self.started_at is None:
            return self
        instants = compute_instants(calendar, started_at=self.started_at,
                                    paused_seconds=self.paused_seconds or 0.0, targets=targets)
        return replace(self, acceptance_target_seconds=targets.acceptance_seconds,
                       resolution_target_seconds=targets.resolution_seconds,
                       warning_percent=targets.warning_percent, **vars(instants))
