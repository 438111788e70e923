"""The notifications service's own database: in-app notices, deliveries by e-mail/SMS/WhatsApp,
directory users, periodic job leases. Sub-packages' tables are re-exported so ``Base.metadata`` holds all."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, utcnow
from services.notifications.base import Base, directory_users, periodic_leases
from services.notifications.deliveries.models import Delivery
from services.notifications.calendar.models import CalendarFeed, Followup
from services.notifications.surveys.models import Survey, SurveySettings
from services.notifications.reminders.models import (
    Consent, CustomerAddresses, MailAccount, Receivable, ReminderConcept, ReminderSent, ReminderSettings,
)
from services.notifications.templates.models import CompanySettings, Template, UserPreferences

__all__ = ["Base", "directory_users", "periodic_leases", "Notification", "Delivery", "Template", "UserPreferences",
           "CompanySettings", "ReminderConcept", "ReminderSettings", "Receivable", "CustomerAddresses", "Consent",
           "ReminderSent", "MailAccount", "Followup", "CalendarFeed", "Survey",
           "SurveySettings"]

IN_APP = "in_app"
QUEUE, USER = "queue", "user"


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
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
