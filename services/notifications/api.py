"""Notifications endpoints under /api/v1/notifications."""
from __future__ import annotations

import uuid

from sqlalchemy import update

from services.kit.app import current_principal, service_context
from services.kit.auth import COMPANY
from services.kit.db import utcnow
from services.kit.http import install_id_converter
from services.kit.input import Blueprint
from services.kit.problems import Forbidden, NotFound
from services.kit.schemas import page_from_list
from services.notifications import queries
from services.notifications.catcher import caught_files, read_caught
from services.notifications.models import USER, Notification
from services.notifications.schemas import (
    CaughtPageSchema, CaughtQuerySchema, MarkedSchema, NotificationPageSchema, NotificationQuerySchema,
    NotificationSchema, UnreadSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="Notifications")
install_id_converter(blp)


@blp.get("")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """Your notifications, newest first: unread only or of one queue if asked."""
    with service_context().database.session() as session:
        return queries.list_notifications(session, principal=current_principal(), **args)


@blp.get("/unread")
@blp.response(200, UnreadSchema)
def unread_count():
    """How many notices in your own inbox you have not read."""
    with service_context().database.session() as session:
        return {"unread": queries.unread_count(session, principal=current_principal())}


@blp.post("/<id:notification_id>/read")
@blp.response(200, NotificationSchema)
def mark_read(notification_id: uuid.UUID):
    """Mark one notice of your own inbox read (the first time counts)."""
    with service_context().database.session() as session, session.begin():
        notice = queries.find_own_notification(session, principal=current_principal(), notification_id=notification_id)
        if notice is None:
            raise NotFound("No such notice in your inbox.")
        notice.read_at = notice.read_at or utcnow()
        return notice


@blp.post("/read-all")
@blp.response(200, MarkedSchema)
def mark_all_read():
    """Mark every unread notice of your own inbox read."""
    principal = current_principal()
    with service_context().database.session() as session, session.begin():
        marked = session.execute(update(Notification).where(
            Notification.recipient_kind == USER, Notification.recipient == str(principal.user_id),
            Notification.read_at.is_(None)).values(read_at=utcnow()))
        return {"marked": marked.rowcount}


@blp.get("/caught")
@blp.arguments(CaughtQuerySchema, location="query")
@blp.response(200, CaughtPageSchema)
def list_caught_messages(args):
    """What the embedded mode's local mail server and SMS provider kept, newest first
    (administrators; empty when the system sends through real servers)."""
    if current_principal().level != COMPANY:
        raise Forbidden("Only an administrator (level 1) reads the caught messages.")
    # only the page's files are read
    return page_from_list(caught_files(service_context().settings.data_dir), item=read_caught, **args)
