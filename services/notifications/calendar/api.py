"""Calendar feeds: every user's private feed and their department's team feed, each at a URL with a
revocable token, read without login by calendar applications (seed 003)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import Response
from marshmallow import Schema, fields
from sqlalchemy import select

from services.kit.app import current_principal, service_context
from services.kit.auth import DEPARTMENT
from services.kit.db import utcnow
from services.kit.input import Blueprint
from services.kit.problems import Forbidden, NotFound
from services.notifications.base import directory_users
from services.notifications.calendar.handlers import people_of
from services.notifications.calendar.ics import feed
from services.notifications.calendar.models import DEPARTMENT_FEED, USER_FEED, CalendarFeed, Followup
from services.notifications.reminders.mailboxes import Vault, fernet_key
from services.notifications.reminders.models import Receivable
from services.notifications.settings import NotificationsSettings

calendar = Blueprint("calendar", __name__, url_prefix="/api/v1/notifications/calendar",
                     description="Calendar feeds (iCalendar) of users and departments")
FEED_PATH = "/api/v1/notifications/calendar/feed/{token}.ics"
PAST_DAYS = 90  # how far back a feed lists follow-ups and due dates


class FeedSchema(Schema):
    kind = fields.String()
    owner_id = fields.UUID()
    path = fields.String(metadata={"description": "relative to the gateway; no login needed, keep it private"})
    url = fields.String()
    created_at = fields.AwareDateTime()


def _options() -> tuple[NotificationsSettings, Vault]:
    settings = service_context().settings
    options = NotificationsSettings.load(settings)
    return options, Vault(fernet_key(options.mail_account_key, settings.data_dir))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _view(row: CalendarFeed, token: str, options: NotificationsSettings) -> dict:
    path = FEED_PATH.format(token=token)
    return {"kind": row.kind, "owner_id": row.owner_id, "path": path,
            "url": options.public_url.rstrip("/") + path, "created_at": row.created_at}


def _feed(kind: str, owner_id: uuid.UUID, *, regenerate: bool, create: bool = True) -> dict:
    options, vault = _options()
    with service_context().database.session() as session, session.begin():
        row = session.scalar(select(CalendarFeed).where(CalendarFeed.kind == kind, CalendarFeed.owner_id == owner_id)
                             .with_for_update())
        if row is not None and not regenerate:
            return _view(row, vault.open(row.token_sealed), options)
        if row is None and not create:
            raise NotFound("No calendar feed yet: POST to this address makes one.")
        token = secrets.token_urlsafe(32)
        if row is None:
            row = CalendarFeed(id=uuid.uuid4(), kind=kind, owner_id=owner_id)
            session.add(row)
        row.token_hash, row.token_sealed, row.created_at = _hash(token), vault.seal(token), utcnow()
        session.flush()
        return _view(row, token, options)


def _my_department() -> uuid.UUID:
    principal = current_principal()
    if principal.department_id is None:
        raise NotFound("You belong to no department.")
    return principal.department_id


@calendar.get("/feeds/me")
@calendar.response(200, FeedSchema)
@calendar.alt_response(404, description="No feed yet: POST to this address makes one")
def my_feed():
    """My private feed's URL: my follow-ups as organiser, participant or copy (404 until made)."""
    return _feed(USER_FEED, current_principal().user_id, regenerate=False, create=False)


@calendar.post("/feeds/me")
@calendar.response(200, FeedSchema)
def make_my_feed():
    """My private feed's URL, made now if I had none."""
    return _feed(USER_FEED, current_principal().user_id, regenerate=False)


@calendar.post("/feeds/me/regenerate")
@calendar.response(200, FeedSchema)
def regenerate_my_feed():
    """A new URL for my feed; the old one stops working at once."""
    return _feed(USER_FEED, current_principal().user_id, regenerate=True)


@calendar.get("/feeds/department")
@calendar.response(200, FeedSchema)
@calendar.alt_response(404, description="No feed yet, or you belong to no department")
def department_feed():
    """My department's team feed: its members' follow-ups and the payment due dates of the
    customers whose collections agent is one of them (seed 003). 404 until made."""
    return _feed(DEPARTMENT_FEED, _my_department(), regenerate=False, create=False)


@calendar.post("/feeds/department")
@calendar.response(200, FeedSchema)
@calendar.alt_response(404, description="You belong to no department")
def make_department_feed():
    """My department's team feed's URL, made now if it had none."""
    return _feed(DEPARTMENT_FEED, _my_department(), regenerate=False)


@calendar.post("/feeds/department/regenerate")
@calendar.response(200, FeedSchema)
@calendar.alt_response(404, description="You belong to no department")
def regenerate_department_feed():
    """A new URL for my department's feed (levels 1-3: not a level 4 user alone)."""
    if current_principal().level > DEPARTMENT:
        raise Forbidden("Levels 1 to 3 regenerate their department's feed.")
    return _feed(DEPARTMENT_FEED, _my_department(), regenerate=True)


def _involving(user_ids: set[str]):
    """Follow-ups where one of ``user_ids`` organises, takes part or is in copy (JSON lists are
    matched in Python: portable between SQLite and PostgreSQL, and a feed is small)."""
    return lambda followup: (str(followup.organiser_id) in user_ids
                             or user_ids & {str(u) for u in followup.participant_ids or []}
                             or user_ids & {str(u) for u in followup.copy_ids or []})


@calendar.get("/feed/<string:token>.ics")
@calendar.doc(responses={"200": {"description": "The feed (iCalendar)",
                                 "content": {"text/calendar": {"schema": {"type": "string"}}}}})
def read_feed(token: str):
    """The feed itself (text/calendar), for calendar applications: no login, the token is the key."""
    with service_context().database.session() as session:
        row = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
        if row is None:
            raise NotFound("No such calendar feed (the link may have been regenerated).")
        since = utcnow() - timedelta(days=PAST_DAYS)
        if row.kind == USER_FEED:
            members = {str(row.owner_id)}
            name = session.scalar(select(directory_users.c.full_name).where(directory_users.c.id == row.owner_id))
        else:
            members = {str(user_id) for user_id in session.scalars(
                select(directory_users.c.id).where(directory_users.c.department_id == row.owner_id,
                                                   directory_users.c.is_active.is_(True)))}
            name = "Equipo / Team"
        involved = _involving(members)
        followups = [f for f in session.scalars(select(Followup).where(Followup.starts_at >= since)
                                                .order_by(Followup.starts_at)) if involved(f)]
        due_dates = []
        if row.kind == DEPARTMENT_FEED and members:
            due_dates = [(f"receivable-{r.id}@caredesk", r.due_date,
                          f"Vence {r.invoice_number} · {r.customer_code} · {r.outstanding} {r.currency}")
                         for r in session.scalars(select(Receivable).where(
                             Receivable.is_open.is_(True), Receivable.due_date >= since.date(),
                             Receivable.collections_agent_id.in_([uuid.UUID(m) for m in members]))
                             .order_by(Receivable.due_date))]
        people = people_of(session, {u for f in followups for u in
                                     [f.organiser_id, *(f.participant_ids or []), *(f.copy_ids or [])]})
        body = feed(f"Caredesk · {name or ''}".strip(" ·"), followups, people, due_dates)
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300",
                                                             "Content-Disposition": "inline; filename=caredesk.ics"})
