"""Read side of notifications: a user's inbox (with what is unread) and their queues' notices."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY, Principal
from services.kit.schemas import DEFAULT_PER_PAGE, page_from_query
from services.notifications.models import QUEUE, USER, Notification


def _own(principal: Principal):
    return and_(Notification.recipient_kind == USER, Notification.recipient == str(principal.user_id))


def unread_count(session: Session, *, principal: Principal) -> int:
    """Notices in your own inbox not marked read (a queue's notices are shared, never unread)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        _own(principal), Notification.read_at.is_(None)))


def find_own_notification(session: Session, *, principal: Principal, notification_id) -> Notification | None:
    return session.scalar(select(Notification).where(_own(principal), Notification.id == notification_id))


def list_notifications(session: Session, *, principal: Principal, queue: str | None, page: int = 1,
                       per_page: int = DEFAULT_PER_PAGE, unread: bool = False) -> dict:
    """Your own inbox and the queues you are a member of; level 1 may read any queue's notices."""
    mine = _own(principal)
    queue_scope = (Notification.recipient_kind == QUEUE if principal.level == COMPANY
                   else and_(Notification.recipient_kind == QUEUE, Notification.recipient.in_(principal.queues)))
    query = select(Notification).where(or_(mine, queue_scope))
    if queue:
        query = query.where(Notification.recipient_kind == QUEUE, Notification.recipient == queue)
    if unread:
        query = query.where(_own(principal), Notification.read_at.is_(None))
    return page_from_query(session, query.order_by(Notification.created_at.desc(), Notification.id.desc()),
                           page=page, per_page=per_page)
