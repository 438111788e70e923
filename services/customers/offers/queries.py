"""Read side of offers: the card's offer history, newest first."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.customers.models import Customer, directory_users
from services.customers.offers.models import Offer


def offer_dict(offer: Offer, customer: Customer, offered_by_name: str | None = None) -> dict:
    roles = {c["campaign"]: c["role"] for c in customer.campaigns or []}
    return {"id": offer.id, "customer_id": offer.customer_id, "campaign": offer.campaign, "product": offer.product,
            "offered_on": offer.offered_on, "channel": offer.channel, "outcome": offer.outcome, "note": offer.note,
            "offered_by": offer.offered_by, "offered_by_name": offered_by_name,
            "campaign_role": roles.get(offer.campaign), "version": offer.version, "created_at": offer.created_at}


ACTIVE_OUTCOMES = ("pending",)  # made, the customer's answer not known yet: what the agent follows up
CARD_OFFERS = 20


def active_offers(session: Session, customer: Customer) -> list[dict]:
    """The card's active offers: made and still awaiting the customer's answer, newest first (the
    full history is GET …/offers)."""
    rows = session.execute(
        select(Offer, directory_users.c.full_name).outerjoin(directory_users, directory_users.c.id == Offer.offered_by)
        .where(Offer.customer_id == customer.id, Offer.outcome.in_(ACTIVE_OUTCOMES))
        .order_by(Offer.offered_on.desc(), Offer.created_at.desc()).limit(CARD_OFFERS))
    return [offer_dict(offer, customer, name) for offer, name in rows]


def list_offers(session: Session, customer: Customer, *, campaign: str | None = None, outcome: str | None = None,
                page: int = 1, per_page: int = 50) -> dict:
    where = [Offer.customer_id == customer.id]
    if campaign:
        where.append(Offer.campaign == campaign)
    if outcome:
        where.append(Offer.outcome == outcome)
    total = session.scalar(select(func.count()).select_from(Offer).where(*where))
    rows = session.execute(
        select(Offer, directory_users.c.full_name).outerjoin(directory_users, directory_users.c.id == Offer.offered_by)
        .where(*where).order_by(Offer.offered_on.desc(), Offer.created_at.desc())
        .limit(per_page).offset((page - 1) * per_page))
    return {"total": total, "page": page, "per_page": per_page,
            "items": [offer_dict(offer, customer, name) for offer, name in rows]}
