"""A reminder that could not leave its sender's mailbox (after the retries, or refused for good) is
never dropped in silence: the administrators (level 1) and the collections agent get an in-app
notice in their language, and the delivery stays failed in the log for an administrator's retry."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.kit.auth import COMPANY
from services.kit.db import Database, utcnow
from services.notifications.base import directory_users
from services.notifications.deliveries.models import Delivery
from services.notifications.models import IN_APP, USER, Notification
from services.notifications.reminders.job import REMINDER_EVENT_TYPES, invoice_context
from services.notifications.reminders.models import MailAccount, Receivable, ReminderSent
from services.notifications.templates.use_cases import default_language, language_of_user, render_message

FAILED_NOTICE = "payment.reminder_failed"


def failure_reporter(database: Database):
    def report(delivery: Delivery, error: str) -> None:
        if delivery.event_type in REMINDER_EVENT_TYPES:
            report_failed_reminder(database, delivery, error)
    return report


def report_failed_reminder(database: Database, delivery: Delivery, error: str) -> int:
    """One in-app notice per administrator and the agent for this failure (a second failure of the
    same delivery after a retry gets its own notice: keyed by the delivery and its attempts)."""
    with database.session() as session, session.begin():
        claim = session.get(ReminderSent, delivery.event_id)
        receivable = session.get(Receivable, claim.receivable_id) if claim else None
        people = set(session.scalars(select(directory_users.c.id).where(
            directory_users.c.level == COMPANY, directory_users.c.is_active.is_(True))))
        if claim is not None and claim.agent_id is not None:
            people.add(claim.agent_id)
        sender = session.get(MailAccount, delivery.sender_account_id) if delivery.sender_account_id else None
        context = {"invoice": invoice_context(receivable) if receivable else {"number": ""},
                   "delivery": {"address": delivery.address, "sender": sender.sender if sender else "caredesk",
                                "error": error[:500]}}
        company_language = default_language(session)
        event_id = uuid.uuid5(delivery.id, f"failed/{delivery.attempts}/{delivery.updated_at.isoformat()}")
        rows = []
        for user_id in sorted(people, key=str):
            message = render_message(session, FAILED_NOTICE, IN_APP,
                                     language_of_user(session, user_id, fallback=company_language), context)
            rows.append({"id": uuid.uuid4(), "event_id": event_id, "event_type": FAILED_NOTICE, "channel": IN_APP,
                         "recipient_kind": USER, "recipient": str(user_id), "subject": message.subject,
                         "body": message.body_text, "status": "recorded", "created_at": utcnow()})
        if rows:
            insert = pg_insert if database.is_postgresql else sqlite_insert
            table = Notification.__table__
            session.execute(insert(table).on_conflict_do_nothing(index_elements=[
                table.c.event_id, table.c.channel, table.c.recipient_kind, table.c.recipient]), rows)
        return len(rows)
