"""Tables of payment reminders: concepts, per-customer settings, the read models of receivables,
addresses and consents, the claim of each (invoice, concept) and every user's own mailbox."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import UtcDateTime, new_id, utcnow
from services.notifications.base import Base

BEFORE_DUE, AFTER_DUE = "before_due", "after_due"
CONCEPT_KINDS = (BEFORE_DUE, AFTER_DUE)
PAYMENT_REMINDERS = "payment_reminders"  # the consent kind (CONTRACTS.md)
# the two concepts the migration seeds (seed 001): 7 days before and 7 days after the due date
DEFAULT_BEFORE = uuid.UUID("7d0c0c0e-0000-4000-8000-000000000007")
DEFAULT_AFTER = uuid.UUID("7d0c0c0e-0000-4000-8000-000000000107")


class ReminderConcept(Base):
    """A kind of reminder: ``days`` before the due date (a reminder) or after it (a notice)."""

    __tablename__ = "reminder_concepts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    description: Mapped[str] = mapped_column(String(200))
    days: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReminderSettings(Base):
    """One customer's reminders: on or off, subject, to its chosen contacts too, the concepts and
    the two bodies (Jinja2, rendered in the sandbox; empty = the shipped template)."""

    __tablename__ = "reminder_settings"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    send_to_contacts: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_ids: Mapped[list] = mapped_column(JSON, default=list)
    concept_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    after_due_active: Mapped[bool] = mapped_column(Boolean, default=False)
    after_due_concept_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    reminder_body: Mapped[str] = mapped_column(Text, default="")
    after_due_body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Receivable(Base):
    """Read model of receivable.recorded.v1 / receivable.settled.v1 (older versions dropped)."""

    __tablename__ = "receivables"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    customer_code: Mapped[str] = mapped_column(String(40))
    invoice_number: Mapped[str] = mapped_column(String(60))
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[str] = mapped_column(String(32))
    paid_amount: Mapped[str] = mapped_column(String(32), default="0")
    outstanding: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    collections_agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CustomerAddresses(Base):
    """Read model of customer.addresses.v1: where a customer and its contacts are reached."""

    __tablename__ = "customer_addresses"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    contacts: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Consent(Base):
    """Read model of consent.recorded.v1: the latest word of a customer ("" as ``subject``) or one
    of its contacts (the contact id) on one kind of message."""

    __tablename__ = "consents"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subject: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReminderSent(Base):
    """The claim of one reminder: (invoice, concept) is unique, inserted in the transaction that
    records its deliveries, so a second run (or a concurrent one) finds it taken. ``id`` is the
    ``event_id`` of its deliveries."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("receivable_id", "concept_id", name="uq_reminders_sent_invoice_concept"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    receivable_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    concept_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    invoice_number: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    recipients: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MailAccount(Base):
    """A user's own outgoing mailbox ("My account"); the password is Fernet-encrypted."""

    __tablename__ = "mail_accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(10))
    username: Mapped[str] = mapped_column(String(254), default="")
    password_encrypted: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(254))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    check_result: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
