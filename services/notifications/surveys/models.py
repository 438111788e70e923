"""Surveys sent for closed cases, and the company's survey setting."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import UtcDateTime, utcnow
from services.notifications.base import Base

SURVEY_CHANNELS = ("off", "email", "sms")


class Survey(Base):
    """One survey per closed case (the case id is unique: a reopened and closed again case is not
    asked twice); ``score`` and ``comment`` once answered."""

    __tablename__ = "surveys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    case_number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SurveySettings(Base):
    """One row: how surveys go out (off, e-mail or SMS), how many days their link is valid, the
    address links start with (the gateway's, as customers reach it) and the key links are signed
    with (made by the migration; every process reads it here, so no setting has to agree)."""

    __tablename__ = "survey_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), default="email")
    valid_days: Mapped[int] = mapped_column(Integer, default=14)
    link_base: Mapped[str] = mapped_column(String(300), default="http://127.0.0.1:8000")
    signing_key: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
