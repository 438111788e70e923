"""Case types (the queue a case routes to, its default priority, its form) and routing rules."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.cases.base import Base
from services.cases.case_types.forms import missing_fields
from services.cases.queues.models import Queue
from services.kit.db import UtcDateTime, new_id, utcnow
from services.kit.uow import RecordsEvents

# What a routing rule may look at; a condition left empty matches anything. Region and line status
# come from the customer read model when the customers service sends them.
ROUTING_FACTS = ("region", "priority", "line_status")


class CaseType(RecordsEvents, Base):
    """What a front-office agent picks when creating a case: "SIM delivery by courier" and so on."""

    __tablename__ = "case_types"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id"), index=True)
    default_priority: Mapped[str] = mapped_column(String(10), default="normal")
    form: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    queue: Mapped[Queue] = relationship(lazy="joined")
    routing_rules: Mapped[list["RoutingRule"]] = relationship(
        back_populates="case_type", cascade="all, delete-orphan", order_by="RoutingRule.position",
        foreign_keys="RoutingRule.case_type_id")

    __mapper_args__ = {"version_id_col": version}

    def snapshot(self) -> dict:
        return {"id": self.id, "code": self.code, "name": self.name, "default_priority": self.default_priority,
                "queue": {"id": self.queue.id, "code": self.queue.code}, "is_active": self.is_active,
                "form": self.form}

    def missing_fields(self, values: dict) -> list[dict]:
        return missing_fields(self.form, values)

    def route(self, facts: dict) -> Queue:
        """The queue for a case of this type: the first rule whose conditions all hold, else the
        type's own queue. ``facts`` holds region, priority and line_status (any may be None)."""
        for rule in self.routing_rules:
            if rule.matches(facts):
                return rule.queue
        return self.queue


class RoutingRule(Base):
    """Refines a case type's queue: e.g. priority "urgent" in region "Moscow" goes to Delivery-Express."""

    __tablename__ = "routing_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_types.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str | None] = mapped_column(String(10))
    line_status: Mapped[str | None] = mapped_column(String(20))
    queue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queues.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    case_type: Mapped[CaseType] = relationship(back_populates="routing_rules", foreign_keys=[case_type_id])
    queue: Mapped[Queue] = relationship(lazy="joined")

    def conditions(self) -> dict:
        return {fact: getattr(self, fact) for fact in ROUTING_FACTS if getattr(self, fact) is not None}

    def matches(self, facts: dict) -> bool:
        return all(_same(facts.get(fact), wanted) for fact, wanted in self.conditions().items())


def _same(actual, wanted: str) -> bool:
    return actual is not None and str(actual).casefold() == wanted.casefold()
