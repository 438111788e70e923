"""An offer made to a customer in a campaign. Its outcome may be learnt later (pending first); each
change of outcome enters the card's change history."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.customers.base import Base
from services.kit.db import UtcDateTime, new_id, utcnow

CHANNELS = ("phone", "office", "email", "sms", "web", "letter", "whatsapp")
OUTCOMES = ("pending", "accepted", "declined", "not_reached")


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_customer_id_offered_on", "customer_id", "offered_on"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    campaign: Mapped[str] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(200), default="")
    offered_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(String(1000), default="")
    offered_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    FIELDS = ("outcome", "note")
