"""Read side of the delivery log: level 1 sees every delivery, everyone else their own."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY, Principal
from services.notifications.deliveries.models import Delivery

USER = "user"


def visible_deliveries(principal: Principal):
    query = select(Delivery)
    if principal.level != COMPANY:
        query = query.where(Delivery.recipient_kind == USER, Delivery.recipient == str(principal.user_id))
    return query


def list_deliveries(session: Session, *, principal: Principal, status: str | None = None,
                    channel: str | None = None, event_type: str | None = None, event_id: uuid.UUID | None = None,
                    recipient: str | None = None, template: str | None = None, language: str | None = None,
                    provider_message_id: str | None = None, date_from: date | None = None,
                    date_to: date | None = None, tz: str = "UTC", page: int = 1, per_page: int = 50) -> dict:
    """The delivery log, newest first: by status, channel, event (type or id), recipient (the user id or
    customer code it was meant for, or the address it went to, any case), template, language, the
    provider's message id, and the days it was recorded (``from``/``to`` inclusive, whole days in ``tz``)."""
    query = visible_deliveries(principal)
    for column, value in ((Delivery.status, status), (Delivery.channel, channel), (Delivery.event_type, event_type),
                          (Delivery.event_id, event_id), (Delivery.template, template),
                          (Delivery.language, language), (Delivery.provider_message_id, provider_message_id)):
        if value is not None:
            query = query.where(column == value)
    if recipient is not None:
        query = query.where(or_(Delivery.recipient == recipient, func.lower(Delivery.address) == recipient.lower()))
    zone = ZoneInfo(tz)
    if date_from is not None:
        query = query.where(Delivery.created_at >= datetime.combine(date_from, time.min, zone))
    if date_to is not None:
        query = query.where(Delivery.created_at < datetime.combine(date_to + timedelta(days=1), time.min, zone))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Delivery.created_at.desc(), Delivery.id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}
