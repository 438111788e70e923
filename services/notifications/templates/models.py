"""Administrators' versions of templates, users' choices of language and channels, the company's
default language. A template without an edited row is the shipped one (``defaults.py``)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, utcnow
from services.notifications.base import Base

LANGUAGES = ("es", "en", "ru", "vi")
TEMPLATE_CHANNELS = ("email", "sms")
# in-app notices read the e-mail text; WhatsApp the SMS one
TEMPLATE_CHANNEL_OF = {"email": "email", "in_app": "email", "sms": "sms", "whatsapp": "sms"}


class Template(Base):
    """An edited template; ``version`` counts the edits (If-Match)."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("template", "channel", "language", name="uq_templates_template_channel_language"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    template: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class UserPreferences(Base):
    """How one user wants to be told: the in-app inbox always, e-mail unless switched off."""

    __tablename__ = "user_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class CompanySettings(Base):
    """One row: the language of recipients who chose none (seeded "es" by the migration)."""

    __tablename__ = "company_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    default_language: Mapped[str] = mapped_column(String(5), default="es")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
