"""Billing data of a customer as billing reports it: invoices (receivables), payments, deposits,
financial-block steps, and the daily exchange rates to the reporting currency.

Amounts are Decimals with two places, stored as whole hundredths (exact on both backends, summed
exactly in SQL); rates are stored as decimal text. A receivable carries a version that grows with
each change, so a consumer of its events drops an older one.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from services.customers.base import Base
from services.kit.db import UtcDateTime, new_id, utcnow

CENT = Decimal("0.01")
CHANGE_CREATED, CHANGE_DUE_DATE, CHANGE_AMOUNT, CHANGE_PAYMENT = (
    "created", "due_date_changed", "amount_changed", "payment")


class Money(TypeDecorator):
    """A Decimal amount with two places, kept as a whole number of hundredths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_exact())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-2)


class DecimalText(TypeDecorator):
    """An exact Decimal of any precision (an exchange rate), kept as text."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else format(Decimal(value), "f")

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class Receivable(Base):
    """An invoice (seed 001's receivables): what the customer owes and by when."""

    __tablename__ = "receivables"
    __table_args__ = (Index("ix_receivables_customer_id_issue_date", "customer_id", "issue_date"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    invoice_number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    paid_amount: Mapped[Decimal] = mapped_column(Money)
    outstanding: Mapped[Decimal] = mapped_column(Money)
    settled_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("issue_date", "due_date", "amount", "paid_amount")

    @staticmethod
    def first_report(row: dict, *, customer_id: uuid.UUID, today: date) -> dict:
        """The column values of an invoice billing reports for the first time (version 1; settled
        today if nothing is owed), for a set-based INSERT of many."""
        outstanding = row["amount"] - row["paid_amount"]
        now = utcnow()
        return {"id": uuid.uuid4(), "invoice_number": row["invoice_number"], "customer_id": customer_id,
                "issue_date": row["issue_date"], "due_date": row["due_date"], "amount": row["amount"],
                "currency": row["currency"], "paid_amount": row["paid_amount"], "outstanding": outstanding,
                "settled_on": today if outstanding == 0 else None, "version": 1, "created_at": now,
                "updated_at": now}

    def apply(self, row: dict, *, today: date) -> tuple[str | None, date | None]:
        """Billing's current word on this invoice. Returns the change to announce (None: nothing
        changed) and the previous due date when it moved. The due date outranks the amount, which
        outranks a payment: one event per import of a row, carrying the whole new state."""
        previous_due = self.due_date
        changed = {key for key in self.FIELDS if getattr(self, key) != row[key]}
        if not changed:
            return None, None
        for key in changed:
            setattr(self, key, row[key])
        self.outstanding = self.amount - self.paid_amount
        self.settled_on = (self.settled_on or today) if self.outstanding == 0 else None
        self.version += 1
        self.updated_at = utcnow()
        if "due_date" in changed:
            return CHANGE_DUE_DATE, previous_due
        if "amount" in changed or "issue_date" in changed:
            return CHANGE_AMOUNT, None
        return CHANGE_PAYMENT, None


class Payment(Base):
    """A payment billing received (its reference is billing's); invoices carry their own paid amount."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_customer_id_paid_on", "customer_id", "paid_on"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("paid_on", "amount", "currency", "invoice_number")


class Deposit(Base):
    """A deposit (advance or guarantee) the customer left; held until ``returned_on``."""

    __tablename__ = "deposits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    returned_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("received_on", "amount", "currency", "returned_on")


class BlockStep(Base):
    """A step of the financial block for non-payment (1 warning, 2 partial block, 3 full block …):
    when it is scheduled, when it was applied and when it was lifted."""

    __tablename__ = "financial_block_steps"
    __table_args__ = (UniqueConstraint("customer_id", "step", "scheduled_on",
                                       name="uq_financial_block_steps_customer_step_day"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(100))
    scheduled_on: Mapped[date] = mapped_column(Date)
    applied_on: Mapped[date | None] = mapped_column(Date)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("action", "applied_on", "lifted_on")


class ExchangeRate(Base):
    """Units of the reporting currency one unit of ``currency`` was worth on ``on_date``."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("reporting_currency", "currency", "on_date",
                                       name="uq_exchange_rates_reporting_currency_day"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    on_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    reporting_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(DecimalText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    FIELDS = ("rate",)
