"""Offer actions: record an offer made to a customer, and learn its outcome later (If-Match)."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from services.customers.errors import ProspectReserved
from services.customers.models import Change, as_text
from services.customers.offers.errors import OfferNotFound
from services.customers.offers.models import Offer
from services.customers.repository import get_customer
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.problems import StaleVersion, ensure_version
from services.kit.uow import UnitOfWork


def _history(uow: UnitOfWork, offer: Offer, field: str, old, new, actor: uuid.UUID) -> None:
    uow.session.add(Change(id=uuid.uuid4(), customer_id=offer.customer_id, entity="offer", entity_id=offer.id,
                           field=field, old_value=as_text(old), new_value=as_text(new), actor_id=actor,
                           changed_at=utcnow()))


def record_offer(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, data: dict) -> Offer:
    """An offer made to a customer the caller reaches (campaign, date, channel, outcome)."""
    with uow:
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id)
        if customer.is_prospect:
            raise ProspectReserved("The prospect customer \"0\" takes no offers; register the caller first.")
        offer = Offer(id=uuid.uuid4(), customer_id=customer.id, campaign=data["campaign"], product=data["product"],
                      offered_on=data["offered_on"] or utcnow().date(), channel=data["channel"],
                      outcome=data["outcome"], note=data["note"], offered_by=principal.user_id, version=1,
                      created_at=utcnow(), updated_at=utcnow())
        uow.session.add(offer)
        for field in ("campaign", "offered_on", "channel", "outcome"):
            _history(uow, offer, field, None, getattr(offer, field), principal.user_id)
        uow.commit()
    return offer


def change_offer(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, offer_id: uuid.UUID,
                 expected_version: int, data: dict) -> Offer:
    """The outcome learnt later, or a note; each change enters the card's history. Raises OfferNotFound,
    StaleVersion."""
    with uow:
        get_customer(uow.session, principal=principal, customer_id=customer_id)
        offer = uow.session.scalar(select(Offer).where(Offer.id == offer_id, Offer.customer_id == customer_id)
                                   .with_for_update())
        if offer is None:
            raise OfferNotFound(f"The customer has no offer {offer_id}.")
        ensure_version(offer.version, expected_version, what="The offer")
        changed = False
        for key in Offer.FIELDS:
            if key in data and data[key] != getattr(offer, key):
                _history(uow, offer, key, getattr(offer, key), data[key], principal.user_id)
                setattr(offer, key, data[key])
                changed = True
        if changed:
            offer.updated_at = utcnow()
        try:
            uow.commit()
        except StaleDataError:
            raise StaleVersion("The offer changed since you read it; read it again.") from None
    return offer
