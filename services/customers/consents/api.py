"""Consent endpoints under /api/v1/customers: a card's consents (in force and their history) and the
administered consent-kind catalogue."""
from __future__ import annotations

import uuid

from flask import request
from marshmallow import RAISE

from services.customers.api import install_id_converter
from services.customers.consents import queries, use_cases
from services.customers.consents.models import LANGUAGES
from services.customers.consents.schemas import (
    ConsentCreateSchema, ConsentHistoryQuerySchema, ConsentKindCreateSchema, ConsentKindListSchema,
    ConsentKindSchema, ConsentKindUpdateSchema, ConsentPageSchema, ConsentSchema, ConsentStatesSchema,
    LanguageQuerySchema,
)
from services.customers.repository import get_customer
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import PageQuerySchema, page_from_list

blp = Blueprint("consents", __name__, url_prefix="/api/v1/customers",
                description="Consents of a customer and its contacts, and the consent-kind catalogue")
install_id_converter(blp)


@blp.post("/<id:customer_id>/consents")
@blp.arguments(ConsentCreateSchema, example={"kind": "marketing", "granted": False, "channel": "phone",
                                                "note": "Asked not to be offered products by phone."})
@blp.response(201, ConsentSchema)
def record_consent(data, customer_id: uuid.UUID):
    """Record a consent given (``granted: true``) or withdrawn (``false``) by the customer or one of its
    contacts (``contact_id``), with the channel it came through; emits consent.recorded.v1."""
    consent = use_cases.record_consent(new_uow(), principal=current_principal(), customer_id=customer_id, data=data)
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return queries.consent_dict(consent, None, {c.id: c.name for c in customer.contacts})


@blp.get("/<id:customer_id>/consents")
@blp.arguments(LanguageQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ConsentStatesSchema)
def consents_in_force(args, customer_id: uuid.UUID):
    """For the customer and each contact, every current consent kind: given or not, by a record or by
    the kind's default (payment reminders and surveys given, marketing not)."""
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id, card=False)
        language = args.get("language") or request.accept_languages.best_match(LANGUAGES) or "en"
        states = queries.consent_states(session, customer, language=language)["items"]
    return page_from_list(states, page=args["page"], per_page=args["per_page"])


@blp.get("/<id:customer_id>/consents/history")
@blp.arguments(ConsentHistoryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ConsentPageSchema)
def consent_history(args, customer_id: uuid.UUID):
    """Every consent given and withdrawn on the card (who, when, channel), newest first."""
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id, card=False)
        return queries.consent_history(session, customer, **args)


@blp.get("/consent-kinds")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ConsentKindListSchema)
def list_consent_kinds(args):
    """The consent-kind catalogue, retired kinds included, by code."""
    with service_context().database.session() as session:
        return queries.list_kinds(session, **args)


@blp.post("/consent-kinds")
@blp.arguments(ConsentKindCreateSchema, example={"code": "data_sharing", "names": {"es": "Compartir datos", "en": "Data sharing"},
                                                    "description": "Sharing the customer's data with partners.", "granted_by_default": False})
@blp.response(201, ConsentKindSchema)
def add_consent_kind(data):
    """A new consent kind (level 1), named per language."""
    return queries.kind_dict(use_cases.add_consent_kind(new_uow(), principal=current_principal(), data=data))


@blp.patch("/consent-kinds/<code>")
@blp.arguments(ConsentKindUpdateSchema, example={"names": {"ru": "Передача данных", "vi": "Chia sẻ dữ liệu"}})
@blp.response(200, ConsentKindSchema)
def change_consent_kind(data, code: str):
    """Rename, describe, retire or bring back a consent kind (If-Match: its version; level 1)."""
    kind = use_cases.change_consent_kind(new_uow(), principal=current_principal(), code=code, data=data,
                                         expected_version=expected_version())
    return with_etag(queries.kind_dict(kind), kind.version)
