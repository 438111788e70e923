"""Read side of the delivery log: level 1 sees every delivery, everyone else their own."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.kit.auth import COMPANY, Principal
from services.notifications.deliveries.models import Delivery

USER = "user"


def visible_deliveries(principal: Principal):
    query = select(Delivery)
    if principal.level != COMPANY:
        query = query.where(Delivery.recipient_kind == USER, Delivery.recipient == str(principal.user_id))
    return query


def list_deliveries(session: Session, *, principal: Principal, status: str | None, channel: str | None,
                    event_type: str | None, recipient: str | None, page: int, per_page: int) -> dict:
    query = visible_deliveries(principal)
    for column, value in ((Delivery.status, status), (Delivery.channel, channel),
                          (Delivery.event_type, event_type), (Delivery.recipient, recipient)):
        if value is not None:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Delivery.created_at.desc(), Delivery.id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": rows, "total": total, "page": page, "per_page": per_page}
