"""Customers endpoints under /api/v1/customers.

Unknown fields are refused everywhere, in query strings too. Reads answer with an ``ETag`` (the
card's version); every write needs ``If-Match`` with it: 428 without, 412 when stale. Writes on a
phone, contact, line or flash change the card, so they answer with the card's new ``ETag`` too.
"""
from __future__ import annotations

import uuid

from flask import current_app, jsonify, request
from marshmallow import RAISE
from sqlalchemy.orm import Session

from services.customers import queries, use_cases
from services.customers.consents.models import LANGUAGES as CONSENT_LANGUAGES
from services.customers.consents.queries import consent_states
from services.customers.interactions.queries import latest_interactions
from services.customers.models import Customer
from services.customers.offers.queries import active_offers
from services.customers.repository import get_customer
from services.customers.schemas import (
    CallerQuerySchema, ContactCreateSchema, ContactSchema, ContactUpdateSchema, CustomerCardSchema,
    CustomerCreateSchema, CustomerListQuerySchema, CustomerPageSchema, CustomerUpdateSchema, FlashCreateSchema,
    FlashPageSchema, FlashQuerySchema, FlashSchema, HistoryPageSchema, HistoryQuerySchema, OtherPhoneCreateSchema,
    OtherPhoneSchema, OtherPhoneUpdateSchema, SearchPageSchema, SearchQuerySchema,
)
from services.customers.settings import CustomersSettings
from services.customers.surveys import card_satisfaction
from services.kit.app import (
    current_principal, new_uow, read_back, service_context, single_statement_connection, single_statement_read,
)
from services.kit.http import expected_version, install_id_converter, no_content, with_etag
from services.kit.input import Blueprint
from services.kit.schemas import page_links

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers (accounts)")


install_id_converter(blp)


def _regions() -> tuple[str, ...]:
    return current_app.extensions.get("customers", CustomersSettings()).phone_regions


def _session() -> Session:
    return service_context().database.session()


def _written_card(customer: Customer, *, status: int = 200, new: bool = False):
    """The card as just written, from the writer's own objects (its master data, phones, contacts
    and lines are what the transaction committed; nothing of them is read again); what the card
    shows besides (flashes, the summary) is read, except for a ``new`` card, which has none yet."""
    with _session() as session:
        session.add(customer)  # detached after the commit: lazy loads (if any) run in this session
        try:
            return with_etag(_card_with_summary(session, customer, new=new), customer.version, status)
        finally:
            session.expunge(customer)


# The parts of the card a customer gets only after it exists: a card just created has none.
NEW_CARD_SATISFACTION = {"answers": 0, "average": None, "latest": []}


def _card_with_summary(session: Session, customer: Customer, *, new: bool = False) -> dict:
    """The card, its summary of the latest interactions (seed 004's lower part of the card), the
    consents in force (the customer's and each contact's, per kind; kinds named in the caller's
    Accept-Language), the active offers and the answers to its cases' satisfaction surveys, so the
    card needs no further calls. ``new``: the card was created by this request, so it has no
    flashes, interactions, consent records, offers or survey answers to read (only the consent
    kinds' defaults)."""
    language = request.accept_languages.best_match(CONSENT_LANGUAGES) or "en"
    if new:
        return queries.card(session, customer, flashes=[]) | {
            "latest_interactions": [],
            "consents": consent_states(session, customer, language=language, recorded=[])["items"],
            "active_offers": [], "satisfaction": dict(NEW_CARD_SATISFACTION, latest=[])}
    return queries.card(session, customer) | {
        "latest_interactions": latest_interactions(session, principal=current_principal(), customer=customer),
        "consents": consent_states(session, customer, language=language)["items"],
        "active_offers": active_offers(session, customer),
        "satisfaction": card_satisfaction(session, customer.id)}


def changed(body, customer: Customer, status: int = 200):
    return with_etag(body, customer.version, status)


# -- customers --------------------------------------------------------------------------------
@blp.post("")
@blp.arguments(CustomerCreateSchema, example={
    "code": "C-100234", "kind": "person", "name": "José Pérez", "country": "CO", "tax_number": "1020304050",
    "language": "es", "region": "Antioquia", "address": "Calle 10 # 43-12, Medellín", "phone": "6044441234",
    "phone2": "3001234567", "email": "jose.perez@example.com"})
@blp.response(201, CustomerCardSchema)
def create_customer(data):
    """Create a customer in your branch and department (phones normalised to E.164 with its country)."""
    customer = use_cases.create_customer(new_uow(), principal=current_principal(), data=data)
    written = {column.key: getattr(customer, column.key) for column in Customer.__table__.columns}
    return read_back(lambda: _written_card(customer, status=201, new=True),
                     written=lambda: with_etag(written, customer.version, 201))


@blp.get("")
@blp.arguments(CustomerListQuerySchema, location="query", unknown=RAISE)
@blp.response(200, CustomerPageSchema)
def list_customers(args):
    """Customers you reach, by code; with ``q``, the search results."""
    with _session() as session:
        return queries.list_customers(session, principal=current_principal(), regions=_regions(), **args)


@blp.get("/search")
@blp.arguments(SearchQuerySchema, location="query", unknown=RAISE)
@blp.response(200, SearchPageSchema)
@single_statement_read
def search_customers(args):
    """Find customers by code, line number, tax number, any phone (any format), e-mail or name
    (case, accents and partial words ignored), ranked and paged, within your access level."""
    # The front office's hottest call: one read-only statement, on PostgreSQL on an autocommit
    # connection (no BEGIN/ROLLBACK round trips; SQLite keeps the kit's own transaction handling)
    # sharing its round trip with the token check, answered as built: SearchPageSchema documents
    # the same shape.
    with single_statement_connection() as connection:
        found = queries.search_customers(connection, principal=current_principal(), regions=_regions(), **args)
    return jsonify(found | {"links": page_links(page=found["page"], per_page=found["per_page"], total=found["total"])})


@blp.get("/caller")
@blp.arguments(CallerQuerySchema, location="query", unknown=RAISE)
@blp.response(200, CustomerCardSchema)
@blp.alt_response(404, description="No card you reach has this number")
@blp.alt_response(409, description="Several cards have it (listed under matches)")
def caller_card(args):
    """The one card a caller number belongs to (for telephony): its live line, its phones, a contact's."""
    with _session() as session:
        customer_id = queries.find_caller(session, principal=current_principal(), number=args["number"],
                                          regions=_regions())
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return with_etag(_card_with_summary(session, customer), customer.version)


@blp.get("/<id:customer_id>")
@blp.response(200, CustomerCardSchema)
def get_customer_card(customer_id: uuid.UUID):
    """The card: active flashes first, master data, other phones, contacts, lines, the latest
    interactions, the consents in force, the active offers and the survey answers. ETag = version."""
    with _session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return with_etag(_card_with_summary(session, customer), customer.version)


@blp.patch("/<id:customer_id>")
@blp.arguments(CustomerUpdateSchema, example={"address": "Carrera 70 # 52-20, Medellín", "phone2": "+57 300 765 4321"})
@blp.response(200, CustomerCardSchema)
def update_customer(data, customer_id: uuid.UUID):
    """Change master data (If-Match required). The code and, once set, the tax number never change."""
    customer = use_cases.update_customer(new_uow(), principal=current_principal(), customer_id=customer_id,
                                         expected_version=expected_version(), data=data)
    return _written_card(customer)


@blp.get("/<id:customer_id>/history")
@blp.arguments(HistoryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, HistoryPageSchema)
def customer_history(args, customer_id: uuid.UUID):
    """Every change of the card (customer, phones, contacts, lines, flashes): who, when, old, new;
    for this week (default), this month, or ``from``..``to`` (whole days in ``tz``), newest first."""
    start, end = queries.history_window(period=args["period"], date_from=args["date_from"],
                                        date_to=args["date_to"], tz=args["tz"])
    with _session() as session:
        get_customer(session, principal=current_principal(), customer_id=customer_id)
        return queries.customer_history(session, customer_id=customer_id, start=start, end=end,
                                        page=args["page"], per_page=args["per_page"])


# -- flashes ----------------------------------------------------------------------------------
@blp.get("/<id:customer_id>/flashes")
@blp.arguments(FlashQuerySchema, location="query", unknown=RAISE)
@blp.response(200, FlashPageSchema)
def list_flashes(args, customer_id: uuid.UUID):
    """Flashes of the customer and its lines: active first; expired ones stay here as history."""
    with _session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return queries.list_flashes(session, customer=customer, **args)


@blp.post("/<id:customer_id>/flashes")
@blp.arguments(FlashCreateSchema, example={"text": "Disputes the October invoice: transfer to billing.", "ends_at": "2026-12-31T23:00:00Z"})
@blp.response(201, FlashSchema)
def add_flash(data, customer_id: uuid.UUID):
    """Urgent information on the customer, or on one line (``line_id``), shown until ``ends_at``."""
    customer, flash = use_cases.add_flash(new_uow(), principal=current_principal(), customer_id=customer_id,
                                          expected_version=expected_version(), data=data)
    body = {"id": flash.id, "text": flash.text, "line_id": flash.line_id, "author_id": flash.author_id,
            "created_at": flash.created_at, "ends_at": flash.ends_at, "is_active": True,
            "line_number": next((line.number for line in customer.lines if line.id == flash.line_id), None)}
    return changed(body, customer, 201)


# -- other phones -----------------------------------------------------------------------------
@blp.post("/<id:customer_id>/phones")
@blp.arguments(OtherPhoneCreateSchema, example={"label": "Office", "number": "6044441234"})
@blp.response(201, OtherPhoneSchema)
def add_phone(data, customer_id: uuid.UUID):
    """Add a labelled further number (no limit)."""
    customer, phone = use_cases.add_phone(new_uow(), principal=current_principal(), customer_id=customer_id,
                                          expected_version=expected_version(), data=data)
    return changed(phone, customer, 201)


@blp.patch("/<id:customer_id>/phones/<id:phone_id>")
@blp.arguments(OtherPhoneUpdateSchema, example={"label": "Home", "number": "+57 604 444 1234"})
@blp.response(200, OtherPhoneSchema)
def change_phone(data, customer_id: uuid.UUID, phone_id: uuid.UUID):
    """Change one of the card's other phones (If-Match with the card's version)."""
    customer, phone = use_cases.change_phone(new_uow(), principal=current_principal(), customer_id=customer_id,
                                             phone_id=phone_id, expected_version=expected_version(), data=data)
    return changed(phone, customer)


@blp.delete("/<id:customer_id>/phones/<id:phone_id>")
@blp.response(204)
def remove_phone(customer_id: uuid.UUID, phone_id: uuid.UUID):
    """Remove one of the card's other phones (If-Match with the card's version)."""
    customer = use_cases.remove_phone(new_uow(), principal=current_principal(), customer_id=customer_id,
                                      phone_id=phone_id, expected_version=expected_version())
    return no_content(customer.version)


# -- contacts ---------------------------------------------------------------------------------
@blp.post("/<id:customer_id>/contacts")
@blp.arguments(ContactCreateSchema, example={"name": "María López", "role": "Accounts payable", "email": "maria.lopez@example.com",
                                                "receives_notices": True, "language": "es"})
@blp.response(201, ContactSchema)
def add_contact(data, customer_id: uuid.UUID):
    """Add a person the customer authorises (name, role, phones, e-mail, receives notices)."""
    customer, contact = use_cases.add_contact(new_uow(), principal=current_principal(), customer_id=customer_id,
                                              expected_version=expected_version(), data=data)
    return changed(contact, customer, 201)


@blp.patch("/<id:customer_id>/contacts/<id:contact_id>")
@blp.arguments(ContactUpdateSchema, example={"role": "Finance manager", "phones": ["3001234567"], "receives_notices": True})
@blp.response(200, ContactSchema)
def change_contact(data, customer_id: uuid.UUID, contact_id: uuid.UUID):
    """Change a contact person of the card (If-Match with the card's version)."""
    customer, contact = use_cases.change_contact(new_uow(), principal=current_principal(), customer_id=customer_id,
                                                 contact_id=contact_id, expected_version=expected_version(),
                                                 data=data)
    return changed(contact, customer)


@blp.delete("/<id:customer_id>/contacts/<id:contact_id>")
@blp.response(204)
def remove_contact(customer_id: uuid.UUID, contact_id: uuid.UUID):
    """Remove a contact person of the card (If-Match with the card's version)."""
    customer = use_cases.remove_contact(new_uow(), principal=current_principal(), customer_id=customer_id,
                                        contact_id=contact_id, expected_version=expected_version())
    return no_content(customer.version)
