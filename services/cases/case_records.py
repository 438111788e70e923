"""What accumulates inside a case: its timeline, its comments and its tasks (rows that belong to
one case and change only through it, see models.Case)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.cases.base import Base
from services.kit.db import UtcDateTime, new_id, utcnow


class TimelineEntry(Base):
    """One line of a case's timeline: what happened, who did it (None: the system), when."""

    __tablename__ = "case_timeline"
    __table_args__ = (Index("ix_case_timeline_queue_id_action_at", "queue_id", "action", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(40))
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str | None] = mapped_column(String(20))
    queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class CaseComment(Base):
    __tablename__ = "case_comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CaseTask(Base):
    """A task inside a case; it cannot be done before the task that blocks it."""

    __tablename__ = "case_tasks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    is_done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    done_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    blocked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_tasks.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    blocked_by: Mapped["CaseTask | None"] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}

    def snapshot(self) -> dict:
        return {"id": self.id, "title": self.title, "assignee_id": self.assignee_id, "due_at": self.due_at,
                "is_done": self.is_done, "blocked_by_id": self.blocked_by_id}

    def would_cycle(self, blocker: "CaseTask | None") -> bool:
        """True when ``blocker`` is this task or is (transitively) blocked by it."""
        seen = set()
        while blocker is not None and blocker.id not in seen:
            if blocker.id == self.id:
                return True
            seen.add(blocker.id)
            blocker = blocker.blocked_by
        return False
