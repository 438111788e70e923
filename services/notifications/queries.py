"""Read side of notifications: a user's inbox and their queues' notices."""
from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY, Principal
from services.notifications.models import QUEUE, USER, Notification


def list_notifications(session: Session, *, principal: Principal, queue: str | None, limit: int) -> list:
    """Your own inbox and the queues you are a member of; level 1 may read any queue's notices."""
    mine = and_(Notification.recipient_kind == USER, Notification.recipient == str(principal.user_id))
    queue_scope = (Notification.recipient_kind == QUEUE if principal.level == COMPANY
                   else and_(Notification.recipient_kind == QUEUE, Notification.recipient.in_(principal.queues)))
    query = select(Notification).where(or_(mine, queue_scope))
    if queue:
        query = query.where(Notification.recipient_kind == QUEUE, Notification.recipient == queue)
    return session.scalars(query.order_by(Notification.created_at.desc()).limit(limit)).all()
