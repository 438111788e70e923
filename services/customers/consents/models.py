"""The consent-kind catalogue and the consents recorded on a customer or one of its contacts.

A consent is never changed: giving or withdrawing it records a new row (date, channel, who), so the
rows are its history and the latest row per (customer, contact, kind) is the one in force. With no
row, ``payment_reminders`` and ``surveys`` (contractual service messages) count as given and
``marketing`` (and any kind the catalogue marks so) as not given (CONTRACTS.md).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.customers.base import Base
from services.kit.db import UtcDateTime, new_id, utcnow

CHANNELS = ("phone", "office", "email", "web", "letter")
LANGUAGES = ("es", "en", "ru", "vi")


class ConsentKind(Base):
    """A kind of communication or contract clause a customer may agree to; ``names`` per language."""

    __tablename__ = "consent_kinds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(String(500), default="")
    granted_by_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Consent(Base):
    """One record of a consent given (``granted``) or withdrawn, by whom, when and how."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_customer_id_recorded_at", "customer_id", "recorded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(ForeignKey("consent_kinds.code"))
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    recorded_by: Mapped[uuid.UUID] = mapped_column(Uuid)
