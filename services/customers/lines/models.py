"""Subscriber lines (CTN) of a customer, with their tariff plan history; part of the customer's card,
changed only through the customer (services.customers.models.Customer), whose version they share."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Date, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.customers.base import Base
from services.customers.errors import LinePinNotSet
from services.kit.db import UtcDateTime, new_id, utcnow

LINE_ACTIVE, LINE_BLOCKED, LINE_DEACTIVATED = "active", "blocked", "deactivated"
LINE_STATUSES = (LINE_ACTIVE, LINE_BLOCKED, LINE_DEACTIVATED)
SERVICE_TYPES = ("voice", "data")

pin_hasher = PasswordHasher()


class TariffPlanChange(Base):
    """One tariff plan a line had, from the date it took effect (seed 004's "История ТП")."""

    __tablename__ = "line_tariff_plans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    tariff_plan: Mapped[str] = mapped_column(String(80))
    effective_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Line(Base):
    """A subscriber line (CTN) of the customer. Its number belongs to one live line at a time."""

    __tablename__ = "lines"
    __table_args__ = (
        Index("uq_lines_live_number", "number", unique=True,
              postgresql_where=text("status <> 'deactivated'"), sqlite_where=text("status <> 'deactivated'")),
        Index("uq_lines_live_iccid", "iccid", unique=True,
              postgresql_where=text("status <> 'deactivated' AND iccid IS NOT NULL"),
              sqlite_where=text("status <> 'deactivated' AND iccid IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default=LINE_ACTIVE)
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    service_type: Mapped[str] = mapped_column(String(10), default="voice")
    network_standard: Mapped[str] = mapped_column(String(20), default="")
    iccid: Mapped[str | None] = mapped_column(String(20))
    activated_on: Mapped[date] = mapped_column(Date)
    tariff_plan: Mapped[str] = mapped_column(String(80))
    tariff_effective_on: Mapped[date] = mapped_column(Date)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # wrong PINs in a row, and until when the check is locked after too many (CustomersSettings)
    pin_failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    billing_group: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    tariff_history: Mapped[list[TariffPlanChange]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: (TariffPlanChange.effective_on.desc(),
                                                        TariffPlanChange.recorded_at.desc()))

    FIELDS = ("number", "status", "service_type", "network_standard", "iccid", "activated_on", "tariff_plan",
              "tariff_effective_on", "billing_group")

    @property
    def is_live(self) -> bool:
        return self.status != LINE_DEACTIVATED

    @property
    def has_pin(self) -> bool:
        return self.pin_hash is not None

    def pin_lock_in_force(self, now: datetime | None = None) -> datetime | None:
        """Until when the PIN check is locked, if it is now."""
        locked_until = self.pin_locked_until
        return locked_until if locked_until is not None and locked_until > (now or utcnow()) else None

    def verify_pin(self, pin: str) -> bool:
        """Seed 004: a caller asking about this number proves it with the line's own password."""
        if self.pin_hash is None:
            raise LinePinNotSet("Set a PIN on the line before verifying callers with it.")
        try:
            return pin_hasher.verify(self.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False
