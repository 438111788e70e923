"""Read side of the financial summary: the card's "Fin. info" (seed 004) from billing's records.

- balance: paid minus invoiced over every invoice (negative when the account owes);
- outstanding: what every open invoice still waits for; debt: the part already past its due date;
- deposits held: deposits not returned;
- ARPU: the mean of the last three invoices (by issue date) in the account's currency (that of its
  latest invoice), and in the reporting currency at the latest rate on or before the day asked for.
All of it Decimal; amounts rounded half up to two places once, at the end.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, func, select
from sqlalchemy.orm import Session

from services.customers.finance.models import BlockStep, Deposit, ExchangeRate, Money, Payment, Receivable
from services.customers.models import Customer

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")
ARPU_INVOICES = 3
LISTED = 50


def _sum(column):
    """The exact sum of a Money column (whole hundredths summed as integers), 0 for none."""
    return func.coalesce(func.sum(column, type_=BigInteger), 0, type_=Money)


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENTS, rounding=ROUND_HALF_UP)


def rate_on(session: Session, *, currency: str, reporting_currency: str, day: date) -> tuple[Decimal | None, date | None]:
    """The latest rate of ``currency`` to the reporting currency on or before ``day`` (1 for itself)."""
    if currency == reporting_currency:
        return Decimal(1), day
    found = session.execute(select(ExchangeRate.rate, ExchangeRate.on_date).where(
        ExchangeRate.reporting_currency == reporting_currency, ExchangeRate.currency == currency,
        ExchangeRate.on_date <= day).order_by(ExchangeRate.on_date.desc()).limit(1)).first()
    return (found[0], found[1]) if found else (None, None)


def _receivable(receivable: Receivable, today: date) -> dict:
    return {"id": receivable.id, "invoice_number": receivable.invoice_number, "issue_date": receivable.issue_date,
            "due_date": receivable.due_date, "amount": receivable.amount, "paid_amount": receivable.paid_amount,
            "outstanding": receivable.outstanding, "currency": receivable.currency,
            "is_overdue": receivable.outstanding > 0 and receivable.due_date < today,
            "settled_on": receivable.settled_on, "version": receivable.version}


def financial_summary(session: Session, customer: Customer, *, reporting_currency: str, today: date) -> dict:
    latest = list(session.scalars(select(Receivable).where(Receivable.customer_id == customer.id).order_by(
        Receivable.issue_date.desc(), Receivable.invoice_number.desc()).limit(LISTED)))
    currency = latest[0].currency if latest else None
    in_currency = (Receivable.customer_id == customer.id) & (Receivable.currency == currency)
    invoiced, paid, outstanding = session.execute(select(
        _sum(Receivable.amount), _sum(Receivable.paid_amount), _sum(Receivable.outstanding)).where(in_currency)).one()
    debt = session.scalar(select(_sum(Receivable.outstanding)).where(
        in_currency, Receivable.outstanding > 0, Receivable.due_date < today))
    open_receivables = session.scalars(select(Receivable).where(
        Receivable.customer_id == customer.id, Receivable.outstanding != 0).order_by(
        Receivable.due_date, Receivable.invoice_number).limit(LISTED))
    deposits = list(session.scalars(select(Deposit).where(Deposit.customer_id == customer.id).order_by(
        Deposit.received_on.desc(), Deposit.reference.desc()).limit(LISTED)))
    held = sum((d.amount for d in deposits if d.returned_on is None and d.currency == currency), ZERO)
    payments = session.scalars(select(Payment).where(Payment.customer_id == customer.id).order_by(
        Payment.paid_on.desc(), Payment.reference.desc()).limit(10))
    steps = session.scalars(select(BlockStep).where(BlockStep.customer_id == customer.id).order_by(
        BlockStep.scheduled_on.desc(), BlockStep.step.desc()).limit(LISTED))

    last_three = [r for r in latest if r.currency == currency][:ARPU_INVOICES]
    arpu = sum((r.amount for r in last_three), ZERO) / len(last_three) if last_three else None
    rate, rate_date = (rate_on(session, currency=currency, reporting_currency=reporting_currency, day=today)
                       if currency else (None, None))

    def reported(value: Decimal | None) -> Decimal | None:
        return None if value is None or rate is None else _round(value * rate)

    return {
        "customer_id": customer.id, "customer_code": customer.code, "currency": currency,
        "balance": _round(paid - invoiced), "debt": _round(debt), "outstanding": _round(outstanding),
        "deposits_held": _round(held),
        "arpu": {"amount": _round(arpu), "currency": currency, "invoices": [r.invoice_number for r in last_three]},
        "reporting": {"currency": reporting_currency, "rate": rate, "rate_date": rate_date,
                      "balance": reported(paid - invoiced), "debt": reported(debt),
                      "deposits": reported(held), "arpu": reported(arpu)},
        "open_receivables": [_receivable(r, today) for r in open_receivables],
        "latest_invoices": [_receivable(r, today) for r in latest[:10]],
        "latest_payments": [{"reference": p.reference, "paid_on": p.paid_on, "amount": p.amount,
                             "currency": p.currency, "invoice_number": p.invoice_number} for p in payments],
        "deposits": [{"reference": d.reference, "received_on": d.received_on, "amount": d.amount,
                      "currency": d.currency, "returned_on": d.returned_on} for d in deposits],
        "block_steps": [{"step": s.step, "action": s.action, "scheduled_on": s.scheduled_on,
                         "applied_on": s.applied_on, "lifted_on": s.lifted_on,
                         "is_in_force": s.applied_on is not None and s.applied_on <= today and s.lifted_on is None}
                        for s in steps],
    }
