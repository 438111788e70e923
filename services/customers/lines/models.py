"""Subscriber lines (CTN) of a customer, with their tariff plan history; part of the customer's card,
changed only through the customer's card (lines/card.py), whose version they share. A line keeps its
own rules here: how it opens, what an edit changes, its PIN and the PIN check's lock."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Date, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.customers.base import Base
from services.customers.errors import LineDeactivated, LinePinLocked, LinePinNotSet
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

    @classmethod
    def open(cls, data: dict, *, number: str, by: uuid.UUID | None, at: datetime) -> "Line":
        """A new line (active unless told otherwise); its first tariff plan opens the plan history,
        and a PIN is kept only as an argon2 hash."""
        today = at.date()
        line = cls(id=uuid.uuid4(), number=number, status=data.get("status", LINE_ACTIVE), status_changed_at=at,
                   service_type=data.get("service_type", "voice"), network_standard=data.get("network_standard", ""),
                   iccid=data.get("iccid"), activated_on=data.get("activated_on") or today,
                   tariff_plan=data["tariff_plan"], tariff_effective_on=data.get("tariff_effective_on") or today,
                   billing_group=data.get("billing_group", ""))
        line.tariff_history.append(TariffPlanChange(tariff_plan=line.tariff_plan, effective_on=line.tariff_effective_on,
                                                    recorded_by=by, recorded_at=at))
        if data.get("pin"):
            line.pin_hash = pin_hasher.hash(data["pin"])
        return line

    @property
    def is_live(self) -> bool:
        return self.status != LINE_DEACTIVATED

    def ensure_live(self) -> None:
        if not self.is_live:
            raise LineDeactivated("A deactivated line keeps its data; give the number a new line instead.")

    def changes_for(self, data: dict, *, by: uuid.UUID | None, at: datetime) -> dict:
        """The values an edit changes, for the card to apply and record: a status change dates
        itself, and a new plan (or effective date) enters the plan history. Raises LineDeactivated."""
        self.ensure_live()
        values = {key: value for key, value in data.items() if value != getattr(self, key)}
        if "status" in values:
            self.status_changed_at = at
        if "tariff_plan" in values or "tariff_effective_on" in data:
            plan = values.get("tariff_plan", self.tariff_plan)
            effective_on = data.get("tariff_effective_on") or at.date()
            values["tariff_effective_on"] = effective_on
            if plan != self.tariff_plan or effective_on != self.tariff_effective_on:
                self.tariff_history.append(TariffPlanChange(tariff_plan=plan, effective_on=effective_on,
                                                            recorded_by=by, recorded_at=at))
        return values

    def set_pin(self, pin: str) -> datetime | None:
        """Set or replace the PIN (an argon2 hash); the count of wrong PINs starts again and a lock
        is lifted. Returns the lock lifted, if there was one. Raises LineDeactivated."""
        self.ensure_live()
        lifted = self.pin_locked_until
        self.pin_hash = pin_hasher.hash(pin)
        self.pin_failed_attempts = 0
        self.pin_locked_until = None
        return lifted

    def check_pin(self, pin: str, *, now: datetime, max_attempts: int, lock_minutes: int) -> bool:
        """Seed 004's caller check, limited: ``max_attempts`` wrong PINs in a row lock the check for
        ``lock_minutes`` (LinePinLocked, even for the right PIN). Raises LinePinNotSet, LinePinLocked."""
        locked_until = self.pin_lock_in_force(now)
        if locked_until is not None:
            raise LinePinLocked(f"Too many wrong PINs: the PIN check of this line is locked until "
                                f"{locked_until.isoformat()}.",
                                retry_after=int((locked_until - now).total_seconds()) + 1, locked_until=locked_until)
        valid = self.verify_pin(pin)
        if valid:
            self.pin_failed_attempts = 0
        else:
            self.pin_failed_attempts = (self.pin_failed_attempts or 0) + 1
            if self.pin_failed_attempts >= max_attempts:
                self.pin_locked_until = now + timedelta(minutes=lock_minutes)
                self.pin_failed_attempts = 0
        return valid

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
