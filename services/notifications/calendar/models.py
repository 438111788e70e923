"""The follow-ups read model (fed by followup.* events) and the calendar feeds' tokens."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint, Uuid, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, utcnow
from services.notifications.base import Base

SCHEDULED, CANCELLED = "scheduled", "cancelled"
USER_FEED, DEPARTMENT_FEED = "user", "department"


class Followup(Base):
    """A scheduled follow-up as its newest event says (``sequence`` grows with each change)."""

    __tablename__ = "followups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_code: Mapped[str] = mapped_column(String(40))
    interaction_number: Mapped[str] = mapped_column(String(40))
    organiser_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    time_zone: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    participant_ids: Mapped[list] = mapped_column(JSON, default=list)
    copy_ids: Mapped[list] = mapped_column(JSON, default=list)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=SCHEDULED)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CalendarFeed(Base):
    """A user's or a department's feed: the token's SHA-256 finds it, the sealed token shows its
    URL again to whoever may read it; regenerating replaces both (the old URL stops working)."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("kind", "owner_id", name="uq_calendar_feeds_kind_owner"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
