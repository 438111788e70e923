"""The notifications service's own database: every message with its status, directory users."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, new_metadata, utcnow
from services.kit.directory_replica import define_users_replica

IN_APP = "in_app"
QUEUE, USER = "queue", "user"


class Base(DeclarativeBase):
    metadata = new_metadata()


directory_users = define_users_replica(Base.metadata)


class Notification(Base):
    """One message to one recipient about one event; the unique key makes a second send impossible."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_id", "channel", "recipient_kind", "recipient",
                                       name="uq_notifications_once_per_event_recipient"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="recorded")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
