"""Offer endpoints under /api/v1/customers/<customer_id>/offers (seed 004's "target marketing")."""
from __future__ import annotations

import uuid

from marshmallow import RAISE

from services.customers.api import install_id_converter
from services.customers.offers import queries, use_cases
from services.customers.offers.schemas import OfferCreateSchema, OfferPageSchema, OfferQuerySchema, OfferSchema, OfferUpdateSchema
from services.customers.repository import get_customer
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, with_etag
from services.kit.input import Blueprint

blp = Blueprint("offers", __name__, url_prefix="/api/v1/customers",
                description="Offers made to a customer (target marketing)")
install_id_converter(blp)


def _offer(customer_id: uuid.UUID, offer, status: int = 200):
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return with_etag(queries.offer_dict(offer, customer), offer.version, status)


@blp.post("/<id:customer_id>/offers")
@blp.arguments(OfferCreateSchema, example={"campaign": "Black Friday 2026", "product": "POSTPAID-40GB at half price for 6 months",
                                              "offered_on": "2026-11-27", "channel": "phone"})
@blp.response(201, OfferSchema)
def record_offer(data, customer_id: uuid.UUID):
    """Record an offer made to the customer: campaign, product, date, channel and outcome (pending by default)."""
    offer = use_cases.record_offer(new_uow(), principal=current_principal(), customer_id=customer_id, data=data)
    return _offer(customer_id, offer, 201)


@blp.get("/<id:customer_id>/offers")
@blp.arguments(OfferQuerySchema, location="query", unknown=RAISE)
@blp.response(200, OfferPageSchema)
def list_offers(args, customer_id: uuid.UUID):
    """The offers made to the customer, newest first, each beside the card's flag for its campaign."""
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id, card=False)
        return queries.list_offers(session, customer, **args)


@blp.patch("/<id:customer_id>/offers/<id:offer_id>")
@blp.arguments(OfferUpdateSchema, example={"outcome": "accepted", "note": "Accepted; starts with the next invoice."})
@blp.response(200, OfferSchema)
def change_offer(data, customer_id: uuid.UUID, offer_id: uuid.UUID):
    """The outcome learnt later, or a note (If-Match: the offer's ETag); each change enters the card's history."""
    offer = use_cases.change_offer(new_uow(), principal=current_principal(), customer_id=customer_id,
                                   offer_id=offer_id, expected_version=expected_version(), data=data)
    return _offer(customer_id, offer)
