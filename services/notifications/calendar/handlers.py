"""Follow-ups become invitations (seed 002): followup.scheduled.v1 -> METHOD:REQUEST to the agent
(organiser), the participants and the copies (colleagues, supervisor: NON-PARTICIPANT); a change
-> REQUEST with a higher SEQUENCE (CANCEL to whoever was taken off); a cancel -> METHOD:CANCEL.
Each recipient gets one e-mail per event (deliveries' unique key) in their language, the invitation
as its text/calendar part, and an in-app notice."""
from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from services.kit.contracts import Reads, fields
from services.kit.db import utcnow
from services.kit.messaging.consumer import EventHandler
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from services.notifications.base import directory_users
from services.notifications.calendar.ics import invitation
from services.notifications.calendar.models import CANCELLED, SCHEDULED, Followup
from services.notifications.deliveries.models import EMAIL
from services.notifications.deliveries.use_cases import record_delivery
from services.notifications.models import IN_APP, USER, Notification
from services.notifications.templates.use_cases import default_language, language_of_user, render_message


def _when(followup: Followup) -> str:
    try:
        zone = ZoneInfo(followup.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, followup.time_zone = ZoneInfo("UTC"), "UTC"
    return f"{followup.starts_at.astimezone(zone):%Y-%m-%d %H:%M} ({followup.time_zone})"


def people_of(session, user_ids) -> dict:
    """user id (str) -> (name, e-mail) from the directory replica."""
    ids = {uuid.UUID(str(user_id)) for user_id in user_ids if user_id}
    return {str(row.id): (row.full_name, row.email) for row in session.execute(
        select(directory_users.c.id, directory_users.c.full_name, directory_users.c.email)
        .where(directory_users.c.id.in_(ids)))} if ids else {}


def _apply(session, data: dict, *, sequence: int, status: str) -> Followup | None:
    """The follow-up after this event, or None when the event is older than what is known."""
    followup = session.get(Followup, uuid.UUID(str(data["id"])))
    if followup is not None and followup.sequence >= sequence and not (status == CANCELLED != followup.status):
        return None
    if followup is None:
        followup = Followup(id=uuid.UUID(str(data["id"])))
        session.add(followup)
    followup.customer_id, followup.customer_code = uuid.UUID(str(data["customer_id"])), data["customer_code"]
    followup.interaction_number, followup.organiser_id = str(data["interaction_number"]), \
        uuid.UUID(str(data["organiser_id"]))
    followup.starts_at = datetime.fromisoformat(data["starts_at"])
    followup.ends_at = datetime.fromisoformat(data["ends_at"])
    followup.time_zone, followup.subject, followup.location = data["time_zone"], data["subject"], data.get("location")
    followup.participant_ids = [str(u) for u in data.get("participant_ids") or []]
    followup.copy_ids = [str(u) for u in data.get("copy_ids") or []]
    followup.sequence, followup.status, followup.updated_at = max(sequence, followup.sequence or 0), status, utcnow()
    session.flush()
    return followup


def _send(uow: UnitOfWork, envelope: Envelope, followup: Followup, *, template: str, method: str,
          recipients: list[tuple[str, bool]], people: dict) -> None:
    session = uow.session
    calendar = invitation(followup, people, method=method)
    company_language = default_language(session)
    organiser = people.get(str(followup.organiser_id), ("", None))[0]
    notices = []
    for user_id, in_copy in recipients:
        name, email = people.get(user_id, ("", None))
        language = language_of_user(session, uuid.UUID(user_id), fallback=company_language)
        context = {"followup": {"subject": followup.subject, "when": _when(followup), "location": followup.location,
                                "customer_code": followup.customer_code,
                                "interaction_number": followup.interaction_number, "organiser": organiser},
                   "recipient": {"name": name, "in_copy": in_copy}}
        message = render_message(session, template, "email", language, context)
        if email:
            record_delivery(session, event_id=envelope.id, event_type=envelope.type, channel=EMAIL,
                            recipient_kind=USER, recipient=user_id, address=email, template=template,
                            language=language, subject=message.subject, body_text=message.body_text,
                            body_html=message.body_html, calendar=calendar)
        if user_id != str(followup.organiser_id):
            notices.append(Notification(id=uuid.uuid4(), event_id=envelope.id, event_type=envelope.type,
                                        channel=IN_APP, recipient_kind=USER, recipient=user_id,
                                        subject=message.subject, body=message.body_text))
    session.add_all(notices)


def _recipients(followup: Followup) -> list[tuple[str, bool]]:
    """(user id, in copy) of the organiser, the participants and the copies, each once."""
    seen: dict[str, bool] = {str(followup.organiser_id): False}
    for user_id in followup.participant_ids or []:
        seen.setdefault(str(user_id), False)
    for user_id in followup.copy_ids or []:
        seen.setdefault(str(user_id), True)
    return list(seen.items())


def followup_scheduled(uow: UnitOfWork, envelope: Envelope) -> None:
    """followup.scheduled.v1: an invitation (METHOD:REQUEST, SEQUENCE 0)."""
    followup = _apply(uow.session, envelope.data, sequence=0, status=SCHEDULED)
    if followup is None:
        return
    _send(uow, envelope, followup, template="followup.invitation", method="REQUEST",
          recipients=_recipients(followup), people=people_of(uow.session, [u for u, _ in _recipients(followup)]))


def followup_changed(uow: UnitOfWork, envelope: Envelope) -> None:
    """followup.changed.v1: an update (REQUEST, the event's higher SEQUENCE); whoever was taken off
    the invitation gets a CANCEL."""
    session = uow.session
    before = session.get(Followup, uuid.UUID(str(envelope.data["id"])))
    previous = {user_id for user_id, _ in _recipients(before)} if before is not None else set()
    followup = _apply(session, envelope.data, sequence=int(envelope.data["sequence"]), status=SCHEDULED)
    if followup is None:
        return
    now = _recipients(followup)
    removed = [(user_id, False) for user_id in previous - {user_id for user_id, _ in now}]
    people = people_of(session, [u for u, _ in now] + [u for u, _ in removed])
    _send(uow, envelope, followup, template="followup.changed", method="REQUEST", recipients=now, people=people)
    if removed:
        _send(uow, envelope, followup, template="followup.cancelled", method="CANCEL", recipients=removed,
              people=people)


def followup_cancelled(uow: UnitOfWork, envelope: Envelope) -> None:
    """followup.cancelled.v1: METHOD:CANCEL with the event's SEQUENCE to everyone invited."""
    followup = _apply(uow.session, envelope.data, sequence=int(envelope.data["sequence"]), status=CANCELLED)
    if followup is None:
        return
    _send(uow, envelope, followup, template="followup.cancelled", method="CANCEL", recipients=_recipients(followup),
          people=people_of(uow.session, [u for u, _ in _recipients(followup)]))


class FollowupReads(Reads):
    """What an invitation reads of followup.scheduled.v1."""

    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    customer_code = fields.String(required=True)
    interaction_number = fields.Integer(required=True)
    organiser_id = fields.UUID(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    time_zone = fields.String(required=True)
    subject = fields.String(required=True)
    location = fields.String(required=True, allow_none=True)
    participant_ids = fields.List(fields.UUID(), required=True)
    copy_ids = fields.List(fields.UUID(), required=True)


class FollowupUpdateReads(FollowupReads):
    """What an update or a cancel reads of followup.changed.v1 and followup.cancelled.v1: the
    follow-up as it is now and the invitation's SEQUENCE."""

    sequence = fields.Integer(required=True)


UPDATE_HANDLERS = {"followup.changed": followup_changed, "followup.cancelled": followup_cancelled}


def update_invitations(uow: UnitOfWork, envelope: Envelope) -> None:
    """followup.changed.v1 -> an update (REQUEST, higher SEQUENCE); followup.cancelled.v1 -> a CANCEL."""
    UPDATE_HANDLERS[envelope.type](uow, envelope)


HANDLERS = [
    EventHandler(name="followup_invitations", events=["followup.scheduled.v1"], handle=followup_scheduled,
                 reads=FollowupReads),
    EventHandler(name="followup_updates", events=["followup.changed.v1", "followup.cancelled.v1"],
                 handle=update_invitations, reads=FollowupUpdateReads),
]
