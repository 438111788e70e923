"""The daily reminder job: every open invoice of a customer with active settings whose reminder
(before the due date) or after-due notice is due today gets one e-mail to the customer and its
chosen contacts, from the collections agent's mailbox (the administrator's when there is none).

Never twice for the same invoice and concept: a batch first inserts the claim rows
``reminders_sent (receivable_id, concept_id)`` (unique) with ``ON CONFLICT DO NOTHING RETURNING``,
and records deliveries only for the claims it got, in the same transaction. A concurrent run
waits on the unique index and gets nothing back for the rows the first one took; a run killed
mid-batch rolls back that batch, and the next run does it. Each batch's e-mails then leave through
one deliveries' Celery task (claimed together, sent over one connection per sender mailbox with
stable Message-IDs, each recorded at once: docs/notifications.md).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.kit.db import Database, utcnow
from services.notifications.deliveries.models import EMAIL, PENDING, Delivery
from services.notifications.reminders.mailboxes import administrator_with_mailbox
from services.notifications.reminders.models import (
    AFTER_DUE, BEFORE_DUE, PAYMENT_REMINDERS, Consent, CustomerAddresses, Receivable, ReminderConcept,
    ReminderSent, ReminderSettings,
)
from services.notifications.templates.rendering import render
from services.notifications.templates.use_cases import default_language, texts_of

log = logging.getLogger("caredesk.notifications.reminders")

NAMESPACE = uuid.UUID("5e3b8f52-3f0c-4f43-9d43-2a1c1d1b7a11")
TEMPLATE = {BEFORE_DUE: "payment.reminder", AFTER_DUE: "payment.overdue"}
REMINDER_EVENT_TYPES = frozenset(TEMPLATE.values())
CUSTOMER, CONTACT = "customer", "contact"


def reminder_id(receivable_id: uuid.UUID, concept_id: uuid.UUID) -> uuid.UUID:
    """The same for the same invoice and concept in every run: the deliveries' ``event_id``."""
    return uuid.uuid5(NAMESPACE, f"{receivable_id}/{concept_id}")


@dataclass
class RunReport:
    due: int = 0
    claimed: int = 0
    taken_before: int = 0
    deliveries: int = 0
    without_address: int = 0
    consent_withdrawn: int = 0
    batches: int = 0
    enqueued: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in
                ("due", "claimed", "taken_before", "deliveries", "without_address", "consent_withdrawn", "batches")}


def due_pairs(session: Session, today: date) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """(receivable, concept, kind) of every reminder due today, in a stable order."""
    concepts = {concept.id: concept for concept in session.scalars(select(ReminderConcept))}
    if not concepts:
        return []
    horizon = today + timedelta(days=max([c.days for c in concepts.values() if c.kind == BEFORE_DUE] or [0]))
    rows = session.execute(
        select(Receivable.id, Receivable.due_date, ReminderSettings.concept_id, ReminderSettings.after_due_active,
               ReminderSettings.after_due_concept_id)
        .join(ReminderSettings, ReminderSettings.customer_id == Receivable.customer_id)
        .where(ReminderSettings.active.is_(True), Receivable.is_open.is_(True), Receivable.due_date <= horizon)
        .order_by(Receivable.id)).all()
    due = []
    for receivable_id, due_date, concept_id, after_due_active, after_due_concept_id in rows:
        before = concepts.get(concept_id)
        if before is not None and before.kind == BEFORE_DUE \
                and due_date - timedelta(days=before.days) <= today <= due_date:
            due.append((receivable_id, before.id, BEFORE_DUE))
        after = concepts.get(after_due_concept_id) if after_due_active else None
        if after is not None and after.kind == AFTER_DUE and today >= due_date + timedelta(days=after.days):
            due.append((receivable_id, after.id, AFTER_DUE))
    return due


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _withdrawn(session: Session, customer_ids: set) -> set[tuple[uuid.UUID, str]]:
    return {(row.customer_id, row.subject) for row in session.execute(
        select(Consent.customer_id, Consent.subject).where(
            Consent.customer_id.in_(customer_ids), Consent.kind == PAYMENT_REMINDERS, Consent.granted.is_(False)))}


def _recipients(addresses: CustomerAddresses, settings: ReminderSettings, withdrawn: set) -> tuple[list, int]:
    """(kind, id, address, language, name) of whoever gets it, and how many consent kept out."""
    people, refused = [], 0
    if addresses.email:
        if (addresses.customer_id, "") in withdrawn:
            refused += 1
        else:
            people.append((CUSTOMER, str(addresses.customer_id), addresses.email, addresses.language, addresses.name))
    if settings.send_to_contacts:
        chosen = {str(contact_id) for contact_id in settings.contact_ids or []}
        seen = set()
        for contact in addresses.contacts or []:
            if not contact.get("email") or (chosen and contact["id"] not in chosen) or contact["id"] in seen:
                continue
            seen.add(contact["id"])
            if (addresses.customer_id, contact["id"]) in withdrawn:
                refused += 1
                continue
            people.append((CONTACT, contact["id"], contact["email"], contact.get("language") or addresses.language,
                           contact.get("name") or addresses.name))
    return people, refused


def invoice_context(receivable: Receivable) -> dict:
    return {"number": receivable.invoice_number, "amount": receivable.amount, "paid_amount": receivable.paid_amount,
            "outstanding": receivable.outstanding, "currency": receivable.currency,
            "issue_date": receivable.issue_date.isoformat() if receivable.issue_date else "",
            "due_date": receivable.due_date.isoformat()}


class _Texts:
    """Shipped or edited texts per template and language, read once per run."""

    def __init__(self, session: Session) -> None:
        self.session, self.cache = session, {}

    def of(self, template: str, language: str) -> dict:
        key = (template, language)
        if key not in self.cache:
            self.cache[key] = texts_of(self.session, template, "email", language)
        return self.cache[key]


def send_due_reminders(database: Database, *, today: date | None = None, batch_size: int = 500,
                       send_batch_size: int = 100, enqueue: Callable[[list[uuid.UUID]], None] | None = None,
                       after_batch: Callable[[int], None] | None = None) -> RunReport:
    """Claim and record every reminder due ``today``; ``enqueue(delivery_ids)`` hands a batch's new
    deliveries to send tasks of ``send_batch_size`` each as soon as the batch is committed (the
    periodic dispatch would otherwise, one task each). Smaller send tasks than claim batches let
    several workers share a batch, so the last one does not leave alone. A run killed between the
    commit and the enqueue leaves them to that dispatch."""
    today = today or utcnow().date()
    report = RunReport()
    with database.session() as session:
        pairs = due_pairs(session, today)
        administrator = administrator_with_mailbox(session)
        company_language = default_language(session)
    report.due = len(pairs)
    for start in range(0, len(pairs), batch_size):
        with database.session() as session, session.begin():
            new = _run_batch(session, pairs[start:start + batch_size], report, administrator=administrator,
                             company_language=company_language, now=utcnow())
        report.batches += 1
        if enqueue is not None and new:
            for first in range(0, len(new), send_batch_size):
                enqueue(new[first:first + send_batch_size])
            with database.engine.begin() as connection:
                connection.execute(update(Delivery.__table__).where(Delivery.__table__.c.id.in_(new))
                                   .values(enqueued_at=utcnow()))
        if after_batch is not None:
            after_batch(report.batches)
    log.info("payment reminders for %s: %s", today, report.as_dict())
    return report


def _run_batch(session: Session, pairs: list, report: RunReport, *, administrator, company_language: str,
               now) -> list[uuid.UUID]:
    receivable_ids = {receivable_id for receivable_id, _, _ in pairs}
    taken = {(row.receivable_id, row.concept_id) for row in session.execute(
        select(ReminderSent.receivable_id, ReminderSent.concept_id).where(ReminderSent.receivable_id.in_(receivable_ids)))}
    receivables = {row.id: row for row in session.scalars(select(Receivable).where(Receivable.id.in_(receivable_ids)))}
    customer_ids = {row.customer_id for row in receivables.values()}
    settings = {row.customer_id: row for row in session.scalars(
        select(ReminderSettings).where(ReminderSettings.customer_id.in_(customer_ids)))}
    addresses = {row.customer_id: row for row in session.scalars(
        select(CustomerAddresses).where(CustomerAddresses.customer_id.in_(customer_ids)))}
    concepts = {row.id: row for row in session.scalars(select(ReminderConcept))}
    withdrawn = _withdrawn(session, customer_ids)

    claims, plans = [], {}
    for receivable_id, concept_id, kind in pairs:
        if (receivable_id, concept_id) in taken:
            report.taken_before += 1
            continue
        receivable = receivables[receivable_id]
        customer = addresses.get(receivable.customer_id)
        if customer is None:  # its addresses have not arrived yet: the next run tries again
            report.without_address += 1
            continue
        people, refused = _recipients(customer, settings[receivable.customer_id], withdrawn)
        if not people and not refused:
            report.without_address += 1
            continue
        report.consent_withdrawn += refused
        agent = receivable.collections_agent_id
        sender = agent if agent is not None else administrator
        claim_id = reminder_id(receivable_id, concept_id)
        claims.append({"id": claim_id, "receivable_id": receivable_id, "concept_id": concept_id,
                       "customer_id": receivable.customer_id, "invoice_number": receivable.invoice_number,
                       "kind": kind, "sender_user_id": sender, "agent_id": agent, "recipients": len(people),
                       "note": None if people else "consent withdrawn", "created_at": now})
        plans[claim_id] = (receivable, concepts[concept_id], kind, people, sender)
    if not claims:
        return []
    table = ReminderSent.__table__
    # No conflict target: a claim's id derives from its invoice and concept, so a run racing this one
    # may collide on the primary key as well as on (receivable, concept); either means "taken".
    got = {row[0] for row in session.execute(
        _insert(session)(table).on_conflict_do_nothing().returning(table.c.id), claims)}
    report.claimed += len(got)
    report.taken_before += len(claims) - len(got)

    texts = _Texts(session)
    deliveries = []
    for claim_id in got:
        receivable, concept, kind, people, sender = plans[claim_id]
        customer_settings = settings[receivable.customer_id]
        template = TEMPLATE[kind]
        body = customer_settings.reminder_body if kind == BEFORE_DUE else customer_settings.after_due_body
        invoice = invoice_context(receivable)
        for recipient_kind, recipient, address, language, name in people:
            language = language or company_language
            shipped = texts.of(template, language)
            message = render({"subject": customer_settings.subject or shipped["subject"],
                              "body_text": body or shipped["body_text"],
                              "body_html": None if body else shipped.get("body_html")},
                             {"invoice": invoice, "customer": {"code": receivable.customer_code, "name": name},
                              "recipient": {"name": name},
                              "concept": {"description": concept.description, "days": concept.days}})
            deliveries.append({
                "id": uuid.uuid4(), "event_id": claim_id, "event_type": template, "channel": EMAIL,
                "recipient_kind": recipient_kind, "recipient": recipient, "address": address,
                "sender_account_id": sender, "template": template, "language": language,
                "subject": message.subject, "body_text": message.body_text, "body_html": message.body_html,
                "calendar": None, "status": PENDING, "attempts": 0, "next_attempt_at": now,
                "created_at": now, "updated_at": now})
    if not deliveries:
        return []
    table = Delivery.__table__
    # Every row belongs to a claim this transaction just took, so none can be there already: no
    # RETURNING is needed, and without it the driver sends the rows as one pipelined, prepared
    # INSERT instead of a multi-row statement it must parse anew (a third of the job's time).
    # The conflict clause stays as the unique key's guard.
    session.execute(_insert(session)(table).on_conflict_do_nothing(
        index_elements=[table.c.event_id, table.c.channel, table.c.recipient_kind, table.c.recipient]), deliveries)
    report.deliveries += len(deliveries)
    return [row["id"] for row in deliveries]
