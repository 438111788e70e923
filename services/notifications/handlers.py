"""Reactions of the notifications service to other services' events."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.kit.directory_replica import user_replicator
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.notifications.models import IN_APP, QUEUE, USER, Notification, directory_users


def notify_queue_members(uow: UnitOfWork, envelope: Envelope) -> None:
    """case.dispatched: one in-app notice for the queue and one in each member's inbox."""
    case = envelope.data
    queue_code = case["queue"]["code"]
    subject = f"Case {case['number']} waits in {case['queue']['name']}"
    body = f"{case['subject']} — customer {case['customer']['code']} {case['customer']['name']}"
    members = [row.id for row in uow.session.execute(
        select(directory_users.c.id, directory_users.c.queues).where(directory_users.c.is_active.is_(True)))
        if queue_code in (row.queues or [])]
    recipients = [(QUEUE, queue_code)] + [(USER, str(member)) for member in members]
    uow.session.add_all([
        Notification(id=uuid.uuid4(), event_id=envelope.id, event_type=envelope.type, channel=IN_APP,
                     recipient_kind=kind, recipient=recipient, subject=subject, body=body)
        for kind, recipient in recipients
    ])


HANDLERS = [
    EventHandler(name="notify_queue_members", events=["case.dispatched.v1"], handle=notify_queue_members),
    user_replicator(directory_users),
]
