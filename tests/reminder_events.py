"""Envelopes of the customers service's receivable, consent and address events exactly as
CONTRACTS.md describes them, for the notifications tests to publish themselves."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from services.kit.messaging.envelope import Envelope


def _envelope(name: str, data: dict) -> Envelope:
    return Envelope(type=name, version=1, producer="customers", correlation_id="test", data=data)


def addresses(customer_id, *, code="C-1", name="Linh", language="vi", email="linh@example.com", mobile=None,
              contacts=(), version=1) -> Envelope:
    return _envelope("customer.addresses", {
        "customer_id": str(customer_id), "customer_code": code, "name": name, "language": language, "email": email,
        "mobile": mobile, "contacts": [dict(contact) for contact in contacts], "version": version})


def contact(name="Mai", email="mai@example.com", language=None, mobile=None) -> dict:
    return {"id": str(uuid.uuid4()), "name": name, "email": email, "mobile": mobile, "language": language}


def receivable(customer_id, *, due: date, receivable_id=None, invoice="F-1", code="C-1", amount="1250.50",
               outstanding=None, agent=None, version=1, change="created") -> Envelope:
    return _envelope("receivable.recorded", {
        "id": str(receivable_id or uuid.uuid4()), "customer_id": str(customer_id), "customer_code": code,
        "invoice_number": invoice, "issue_date": "2026-10-01", "due_date": due.isoformat(),
        "previous_due_date": None, "amount": amount, "paid_amount": "0.00",
        "outstanding": outstanding if outstanding is not None else amount, "currency": "USD", "change": change,
        "collections_agent_id": str(agent) if agent else None, "version": version})


def settled(event: Envelope, *, version: int) -> Envelope:
    data = event.data
    return _envelope("receivable.settled", {
        "id": data["id"], "customer_id": data["customer_id"], "customer_code": data["customer_code"],
        "invoice_number": data["invoice_number"], "currency": data["currency"], "amount": data["amount"],
        "settled_on": "2026-11-20", "version": version})


def consent(customer_id, *, granted: bool, kind="payment_reminders", contact_id=None, at=None) -> Envelope:
    return _envelope("consent.recorded", {
        "id": str(uuid.uuid4()), "customer_id": str(customer_id), "customer_code": "C-1",
        "contact_id": str(contact_id) if contact_id else None, "kind": kind, "channel": "phone", "granted": granted,
        "recorded_at": (at or datetime.now(timezone.utc)).isoformat(), "recorded_by": str(uuid.uuid4())})
