"""Department queues, their business calendars and their SLA targets per priority."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.cases.base import Base
from services.cases.sla.calendar import ALWAYS, BusinessCalendar, format_hhmm, parse_hhmm
from services.cases.sla.targets import NO_TARGETS, SlaTargets
from services.kit.db import UtcDateTime, new_id, utcnow
from services.kit.uow import RecordsEvents

PRIORITIES = ("low", "normal", "high", "urgent")
# Place in the take-next order: urgent first (0), low last (3); ascending so one plain index serves.
PRIORITY_RANK = {name: len(PRIORITIES) - 1 - index for index, name in enumerate(PRIORITIES)}


class Calendar(Base):
    """Working days and hours, holidays and time zone that SLA targets are counted in."""

    __tablename__ = "calendars"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    working_days: Mapped[list] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    hours: Mapped[list] = mapped_column(JSON, default=lambda: [["09:00", "18:00"]])
    holidays: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    def business_calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone, working_days=frozenset(self.working_days),
            hours=tuple((parse_hhmm(start), parse_hhmm(end)) for start, end in self.hours),
            holidays=frozenset(date.fromisoformat(day) for day in self.holidays),
        )

    @staticmethod
    def normalised_hours(hours: list[tuple[str, str]]) -> list[list[str]]:
        return [[format_hhmm(parse_hhmm(start)), format_hhmm(parse_hhmm(end))] for start, end in hours]


class Queue(RecordsEvents, Base):
    """A department queue (Delivery, Billing…). Its members are the directory users whose queues
    name its code; its supervisor assigns work and receives escalations."""

    __tablename__ = "queues"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calendars.id"))
    # a case taken (or assigned) and not accepted within this many minutes goes back to the queue,
    # so no work is stranded on an agent who left; None: claims never expire
    claim_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    calendar: Mapped[Calendar | None] = relationship()
    sla_policies: Mapped[list["SlaPolicy"]] = relationship(
        back_populates="queue", cascade="all, delete-orphan",
        order_by="SlaPolicy.priority_rank")

    __mapper_args__ = {"version_id_col": version}

    def snapshot(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "department_id": self.department_id,
                "supervisor_id": self.supervisor_id, "calendar_id": self.calendar_id,
                "claim_minutes": self.claim_minutes}

    def business_calendar(self) -> BusinessCalendar:
        """The queue's calendar, or round the clock when it has none."""
        return self.calendar.business_calendar() if self.calendar else ALWAYS

    def sla_targets(self, priority: str) -> SlaTargets:
        for policy in self.sla_policies:
            if policy.priority == priority:
                return policy.targets()
        return NO_TARGETS

    def change(self, *, data: dict) -> None:
        """Apply an administrator's edit; emits queue.updated.v1 with what changed."""
        changed = {key: value for key, value in data.items() if getattr(self, key) != value}
        for key, value in changed.items():
            setattr(self, key, value)
        if changed:
            self.record_event("queue.updated.v1", self.snapshot() | {"changed": sorted(changed)})

    def replace_sla_policies(self, policies: list[dict]) -> None:
        """The targets per priority, as a whole (a priority left out has no target)."""
        by_priority = {policy.priority: policy for policy in self.sla_policies}
        wanted = {item["priority"]: item for item in policies}
        for priority, policy in by_priority.items():
            if priority not in wanted:
                self.sla_policies.remove(policy)
        for priority, item in wanted.items():
            policy = by_priority.get(priority)
            if policy is None:
                policy = SlaPolicy(id=uuid.uuid4(), priority=priority, priority_rank=PRIORITY_RANK[priority])
                self.sla_policies.append(policy)
            policy.acceptance_minutes = item["acceptance_minutes"]
            policy.resolution_minutes = item["resolution_minutes"]
            policy.warning_percent = item["warning_percent"]
        self.record_event("queue.updated.v1", self.snapshot() | {"changed": ["sla_policies"]})


class SlaPolicy(Base):
    """Targets of one queue and priority, in business minutes of the queue's calendar."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("queue_id", "priority", name="uq_sla_policies_queue_id_priority"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id"), index=True)
    priority: Mapped[str] = mapped_column(String(10))
    priority_rank: Mapped[int] = mapped_column(Integer)
    acceptance_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)

    queue: Mapped[Queue] = relationship(back_populates="sla_policies")

    def targets(self) -> SlaTargets:
        return SlaTargets(
            acceptance_seconds=None if self.acceptance_minutes is None else self.acceptance_minutes * 60,
            resolution_seconds=None if self.resolution_minutes is None else self.resolution_minutes * 60,
            warning_percent=self.warning_percent,
        )


class QueueSnapshot(Base):
    """What one queue looked like at the start of one snapshot slot (services/cases/queues/history.py).
    One row per queue and slot: a second run in the same slot changes nothing."""

    __tablename__ = "queue_snapshots"
    __table_args__ = (UniqueConstraint("queue_id", "slot", name="uq_queue_snapshots_queue_id_slot"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id"), index=True)
    slot: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime())
    waiting: Mapped[int] = mapped_column(Integer)        # open_dispatch, nobody holds it
    assigned: Mapped[int] = mapped_column(Integer)       # open_dispatch, held but not accepted
    in_work: Mapped[int] = mapped_column(Integer)        # open
    returned: Mapped[int] = mapped_column(Integer)       # open_reject
    oldest_age_seconds: Mapped[float | None] = mapped_column(Float)
    median_age_seconds: Mapped[float | None] = mapped_column(Float)
    breached_open: Mapped[int] = mapped_column(Integer)
