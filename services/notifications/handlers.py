"""Reactions of the notifications service to other services' events."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.kit.contracts import Reads, fields
from services.kit.directory_replica import queue_members, token_revoker, user_replicator
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.notifications.deliveries.models import EMAIL
from services.notifications.deliveries.use_cases import record_delivery
from services.notifications.base import revoked_tokens
from services.notifications.calendar.handlers import HANDLERS as followup_invitations
from services.notifications.reminders.readmodels import HANDLERS as reminder_read_models
from services.notifications.surveys.handlers import HANDLERS as satisfaction_surveys
from services.notifications.models import IN_APP, QUEUE, USER, Notification, directory_users
from services.notifications.templates.use_cases import default_language, language_of_user, render_message, wants_email


# What the handlers and the shipped templates (templates/defaults.py) read of a case event. A
# template an administrator edits may read more of the case snapshot; the edit is checked against
# templates.defaults.SAMPLES, not against these.
class _QueueReads(Reads):
    code = fields.String(required=True)
    name = fields.String(required=True)
    supervisor_id = fields.UUID(allow_none=True)


class _CustomerReads(Reads):
    code = fields.String(required=True)
    name = fields.String(required=True)


class _TaskReads(Reads):
    title = fields.String(required=True)
    assignee_id = fields.UUID(required=True, allow_none=True)
    due_at = fields.DateTime(required=True, allow_none=True)


class CaseReads(Reads):
    """Every case notice names the case by number and subject."""

    number = fields.String(required=True)
    subject = fields.String(required=True)


def _case_reads(name: str, **extra) -> type[Reads]:
    return type(name, (CaseReads,), extra)


def _people(**roles) -> dict:
    return {role: fields.UUID(required=True, allow_none=allow_none) for role, allow_none in roles.items()}


_SLA = dict(kind=fields.String(required=True), due_at=fields.DateTime(required=True),
            queue=fields.Nested(_QueueReads, required=True), **_people(owner_id=True))
CASE_READS = {
    "case.dispatched.v1": _case_reads("DispatchedReads", priority=fields.String(required=True),
                                      queue=fields.Nested(_QueueReads, required=True),
                                      customer=fields.Nested(_CustomerReads, required=True)),
    "case.accepted.v1": _case_reads("AcceptedReads", queue=fields.Nested(_QueueReads, required=True),
                                    **_people(initiator_id=False)),
    "case.rejected.v1": _case_reads("RejectedReads", reason=fields.String(required=True),
                                    **_people(initiator_id=False)),
    "case.closed.v1": _case_reads("ClosedReads", resolution=fields.String(required=True),
                                  **_people(initiator_id=False)),
    "case.assigned.v1": _case_reads("AssignedReads", how=fields.String(), assignee_id=fields.UUID(allow_none=True),
                                    customer=fields.Nested(_CustomerReads, required=True)),
    "case.task_assigned.v1": _case_reads("TaskAssignedReads", task=fields.Nested(_TaskReads, required=True)),
    "case.sla_warned.v1": _case_reads("SlaWarnedReads", **_SLA),
    "case.sla_breached.v1": _case_reads("SlaBreachedReads", **_SLA),
    "case.escalated.v1": _case_reads("EscalatedReads", kind=fields.String(required=True),
                                     reason=fields.String(required=True), supervisor_id=fields.UUID(allow_none=True)),
}


def notify_queue_members(uow: UnitOfWork, envelope: Envelope) -> None:
    """case.dispatched: one in-app notice for the queue and one in each active member's inbox (and
    mail, unless they switched it off), each in the member's language."""
    case = envelope.data
    queue_code = case["queue"]["code"]
    members = [row.id for row in queue_members(uow.session, directory_users, queue_code)]
    _notify(uow, envelope, case, users=members, queue=queue_code)


# event type -> who among a case's people is told (SPEC: case notifications); the texts are the
# templates of the same name (templates/defaults.py)
CASE_RECIPIENTS = {
    "case.accepted": lambda c: [c["initiator_id"]],
    "case.rejected": lambda c: [c["initiator_id"]],
    "case.closed": lambda c: [c["initiator_id"]],
    "case.assigned": lambda c: [c.get("assignee_id")] if c.get("how") == "supervisor" else [],
    "case.task_assigned": lambda c: [c["task"].get("assignee_id")],
    "case.sla_warned": lambda c: [c.get("owner_id"), c["queue"].get("supervisor_id")],
    "case.sla_breached": lambda c: [c.get("owner_id"), c["queue"].get("supervisor_id")],
    "case.escalated": lambda c: [c.get("supervisor_id")],
}


def notify_case_participants(uow: UnitOfWork, envelope: Envelope) -> None:
    """Tell the initiator, owner, assignee or supervisor what happened to a case: in-app always,
    by e-mail unless they switched it off, in their language."""
    case = envelope.data
    users = [uuid.UUID(str(user_id)) for user_id in CASE_RECIPIENTS[envelope.type](case) if user_id]
    if users:
        _notify(uow, envelope, case, users=users)


def _notify(uow: UnitOfWork, envelope: Envelope, case: dict, *, users: list, queue: str | None = None) -> None:
    """One in-app notice per recipient (and the queue's), one e-mail per user with an address who
    wants it; the unique keys refuse a second one for the same event."""
    session = uow.session
    company_language = default_language(session)
    notices = []
    if queue:
        message = render_message(session, envelope.type, "in_app", company_language, {"case": case, "recipient": {}})
        notices.append((QUEUE, queue, message))
    directory = {row.id: row for row in session.execute(
        select(directory_users.c.id, directory_users.c.full_name, directory_users.c.email)
        .where(directory_users.c.id.in_(users)))}
    for user_id in dict.fromkeys(users):
        person = directory.get(user_id)
        language = language_of_user(session, user_id, fallback=company_language)
        context = {"case": case, "recipient": {"name": person.full_name if person else ""}}
        message = render_message(session, envelope.type, "in_app", language, context)
        notices.append((USER, str(user_id), message))
        if person is not None and person.email and wants_email(session, user_id):
            record_delivery(session, event_id=envelope.id, event_type=envelope.type, channel=EMAIL,
                            recipient_kind=USER, recipient=str(user_id), address=person.email,
                            template=envelope.type, language=language, subject=message.subject,
                            body_text=message.body_text, body_html=message.body_html)
    session.add_all([
        Notification(id=uuid.uuid4(), event_id=envelope.id, event_type=envelope.type, channel=IN_APP,
                     recipient_kind=kind, recipient=recipient, subject=message.subject, body=message.body_text)
        for kind, recipient, message in notices
    ])


HANDLERS = [
    EventHandler(name="notify_queue_members", events=["case.dispatched.v1"], handle=notify_queue_members,
                 reads=CASE_READS["case.dispatched.v1"]),
    EventHandler(name="notify_case_participants", events=[f"{event}.v1" for event in CASE_RECIPIENTS],
                 handle=notify_case_participants, reads=CASE_READS),
    *reminder_read_models,
    *followup_invitations,
    *satisfaction_surveys,
    user_replicator(directory_users),
    token_revoker(revoked_tokens),
]
