"""Reactions of the notifications service to other services' events."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.kit.directory_replica import user_replicator
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.notifications.deliveries.models import EMAIL
from services.notifications.deliveries.use_cases import record_delivery
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
    _record(uow, envelope, recipients, subject, body)


def _record(uow: UnitOfWork, envelope: Envelope, recipients: list[tuple[str, str]], subject: str, body: str) -> None:
    """One in-app notice per distinct recipient, and an e-mail to each user with an address; the
    unique keys refuse a second one for the event."""
    recipients = list(dict.fromkeys(recipients))
    uow.session.add_all([
        Notification(id=uuid.uuid4(), event_id=envelope.id, event_type=envelope.type, channel=IN_APP,
                     recipient_kind=kind, recipient=recipient, subject=subject, body=body)
        for kind, recipient in recipients
    ])
    users = [uuid.UUID(recipient) for kind, recipient in recipients if kind == USER]
    addresses = uow.session.execute(select(directory_users.c.id, directory_users.c.email).where(
        directory_users.c.id.in_(users), directory_users.c.email.is_not(None))).all() if users else []
    for user_id, email in addresses:
        record_delivery(uow.session, event_id=envelope.id, event_type=envelope.type, channel=EMAIL,
                        recipient_kind=USER, recipient=str(user_id), address=email, template=envelope.type,
                        language="en", subject=subject, body_text=body)


def _sla_kind(case: dict) -> str:
    return "acceptance" if case.get("kind") == "acceptance" else "resolution"


# event type -> (who is told, subject, body) for the people of a case (SPEC: case notifications)
CASE_NOTICES = {
    "case.accepted": (lambda c: [c["initiator_id"]],
                      lambda c: f"Case {c['number']} was accepted",
                      lambda c: f"{c['subject']} — now worked by the {c['queue']['name']} queue."),
    "case.rejected": (lambda c: [c["initiator_id"]],
                      lambda c: f"Case {c['number']} was returned to you",
                      lambda c: f"{c['subject']} — reason: {c.get('reason', '')}. Correct it and dispatch again."),
    "case.closed": (lambda c: [c["initiator_id"]],
                    lambda c: f"Case {c['number']} was closed",
                    lambda c: f"{c['subject']} — resolution: {c.get('resolution', '')}"),
    "case.assigned": (lambda c: [c.get("assignee_id")] if c.get("how") == "supervisor" else [],
                      lambda c: f"Case {c['number']} was assigned to you",
                      lambda c: f"{c['subject']} — customer {c['customer']['code']} {c['customer']['name']}"),
    "case.task_assigned": (lambda c: [c["task"].get("assignee_id")],
                           lambda c: f"New task in case {c['number']}: {c['task']['title']}",
                           lambda c: f"Due {c['task'].get('due_at') or 'without a date'}."),
    "case.sla_warned": (lambda c: [c.get("owner_id"), c["queue"].get("supervisor_id")],
                        lambda c: f"Case {c['number']} is close to its {_sla_kind(c)} target",
                        lambda c: f"{c['subject']} — due {c.get('due_at')}."),
    "case.sla_breached": (lambda c: [c.get("owner_id"), c["queue"].get("supervisor_id")],
                          lambda c: f"Case {c['number']} missed its {_sla_kind(c)} target",
                          lambda c: f"{c['subject']} — was due {c.get('due_at')}."),
    "case.escalated": (lambda c: [c.get("supervisor_id")],
                       lambda c: f"Case {c['number']} was escalated to you",
                       lambda c: f"{c['subject']} — {c.get('reason', 'SLA breached')}."),
}


def notify_case_participants(uow: UnitOfWork, envelope: Envelope) -> None:
    """Tell the initiator, owner, assignee or supervisor what happened to a case (in-app inbox)."""
    who, subject, body = CASE_NOTICES[envelope.type]
    case = envelope.data
    recipients = [(USER, str(user_id)) for user_id in who(case) if user_id]
    if recipients:
        _record(uow, envelope, recipients, subject(case), body(case))


HANDLERS = [
    EventHandler(name="notify_queue_members", events=["case.dispatched.v1"], handle=notify_queue_members),
    EventHandler(name="notify_case_participants", events=[f"{event}.v1" for event in CASE_NOTICES],
                 handle=notify_case_participants),
    user_replicator(directory_users),
]
