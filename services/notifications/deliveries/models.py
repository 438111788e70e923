"""A delivery row: recorded with the event's inbox row, claimed before the send, marked after it.

States:
  pending   waiting for a send (first try, or a retry at ``next_attempt_at``)
  sending   claimed by a worker until ``claimed_until``; the send is under way
  sent      the provider accepted it (``provider_message_id``, ``provider_answer``)
  delivered the provider's receipt says it reached the handset (SMS/WhatsApp)
  failed    out of attempts, or refused for good; an administrator may retry it
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, utcnow
from services.notifications.base import Base

EMAIL, SMS, WHATSAPP = "email", "sms", "whatsapp"
CHANNELS = (EMAIL, SMS, WHATSAPP)
PENDING, SENDING, SENT, DELIVERED, FAILED = "pending", "sending", "sent", "delivered", "failed"
STATUSES = (PENDING, SENDING, SENT, DELIVERED, FAILED)


class Delivery(Base):
    """One message to one address about one event; the unique key refuses a second one."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", "recipient_kind", "recipient",
                         name="uq_deliveries_once_per_event_recipient_channel"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_created_at", "created_at"),
        Index("ix_deliveries_provider_message_id", "provider_message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(254))
    sender_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    template: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    calendar: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    provider_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    @property
    def message_id(self) -> str:
        """The same on every try, so a mailbox that saw the first copy drops a resent one."""
        return f"<{self.id}@caredesk>"
