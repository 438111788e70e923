"""GET /api/v1/customer-cards/{id} and ?caller=<number>: the customer card in one call."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import Response, current_app, g, json, request
from marshmallow import RAISE, Schema, fields, validate

from gateway.cards.compose import Answer, CardComposer, forwarded_headers
from services.kit.http import install_id_converter
from services.kit.input import Blueprint
from services.kit.problems import InvalidFields, problem_response

blp = Blueprint("customer_cards", __name__, url_prefix="/api/v1/customer-cards",
                description="The customer card in one call, composed from every service")
install_id_converter(blp)

UNAVAILABLE_EXAMPLE = {"unavailable": True, "service": "cases", "reason": "unreachable", "status": 503,
                       "detail": "The cases service is not reachable; nothing was changed. Try again."}


class UnavailablePartSchema(Schema):
    """What a part holds when its service gave no usable answer; the rest of the card is still there."""

    unavailable = fields.Boolean(required=True, metadata={"example": True})
    service = fields.String(required=True, metadata={"description": "customers, cases or notifications"})
    reason = fields.String(required=True, validate=validate.OneOf(
        ("unreachable", "timeout", "refused", "forbidden", "not-found", "error")),
        metadata={"description": "unreachable (503: refused or no connection), timeout (504: no answer within "
                                 "the card's read timeout), forbidden (your token's scopes do not reach the "
                                 "service), refused, not-found or error (the service's own answer)"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status this part stands for"})
    detail = fields.String(required=True)


def _part(description: str) -> fields.Raw:
    return fields.Raw(metadata={"description": description + " Or, when its service did not answer, an "
                                "UnavailablePart.", "anyOf": [{"type": "object"}, {
                                    "$ref": "#/components/schemas/UnavailablePart"}]})


class ComposedCardSchema(Schema):
    """The customer card: what the front office sees when a card opens, within your access level."""

    id = fields.UUID(required=True)
    flashes = fields.List(fields.Dict(), metadata={
        "description": "The active flashes of the customer and its lines, first in the card, newest first."})
    lines = fields.List(fields.Dict(), metadata={"description": "Subscriber lines (as GET /customers/{id} shows them)."})
    contacts = fields.List(fields.Dict(), metadata={"description": "Contacts authorised by the customer."})
    latest_interactions = fields.List(fields.Dict(), metadata={"description": "The latest five interactions."})
    customer = fields.Dict(required=True, metadata={
        "description": "Master data as GET /customers/{id} answers it (its version is the ETag to send as "
                       "If-Match when changing the customer)."})
    open_cases = _part("The customer's cases not closed (a page of the cases search, highest priority first, "
                       "at most 20; total counts them all).")
    financial_summary = _part("Balance, debt, open receivables, ARPU (GET /customers/{id}/financial-summary).")
    consents = _part("Consents in force of the customer and its contacts (a page of up to 200; total counts them all).")
    offers = _part("The five latest offers made to the customer (a page; total counts them all).")
    unavailable_parts = fields.List(fields.String(), metadata={
        "description": "The parts marked unavailable in this answer (empty when the card is whole)."})


class CallerQuerySchema(Schema):
    caller = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata={
        "description": "The caller's number in any format (+57 300 123 4567, 0300-1234567, 3001234567)."})


def _composer() -> CardComposer:
    app = current_app
    composer = app.extensions.get("caredesk.card_composer")
    if composer is None:
        policies = app.extensions["caredesk.route_policies"]
        composer = CardComposer(service_urls=app.extensions["caredesk.service_urls"],
                                http=app.extensions["caredesk.http"], timeouts=policies.card_parts,
                                pool=ThreadPoolExecutor(max_workers=32, thread_name_prefix="card-part"))
        app.extensions["caredesk.card_composer"] = composer
    return composer


def _answer(customer: Answer, card: dict | None, *, caller: bool = False) -> Response:
    if card is not None:
        response = Response(json.dumps(card, sort_keys=False), status=200, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response
    if customer.failure is not None:  # without the customer there is no card to show
        return customer.failure.response(current_app.extensions["caredesk.route_policies"].retry_after_seconds)
    body = customer.body if isinstance(customer.body, dict) else {}
    if caller and customer.status == 422:
        raise InvalidFields({"caller": [message for messages in (body.get("errors") or {}).values()
                                        for message in (messages if isinstance(messages, list) else [messages])]
                             or ["Not a phone number."]})
    extra = {key: value for key, value in body.items()
             if key not in ("type", "title", "status", "detail", "instance", "correlation_id")}
    type_ = str(body.get("type", "error")).rsplit("/", 1)[-1]
    return problem_response(status=customer.status, title=body.get("title", "Error"), type_=type_,
                            detail=body.get("detail"), **extra)


CUSTOMERS_DOWN = ("The customers service does not answer (Retry-After): without the customer there is no card. "
                  "Any other service that is down leaves its part marked unavailable.")


@blp.get("/<id:customer_id>")
@blp.response(200, ComposedCardSchema)
@blp.alt_response(404, description="No such customer, or one you may not see (the same answer)")
@blp.alt_response(503, description=CUSTOMERS_DOWN)
@blp.alt_response(504, description="The customers service did not answer within the card's read timeout")
def customer_card(customer_id: uuid.UUID):
    """The customer card in one call: the customer, its active flashes first, lines, contacts, the latest
    interactions, open cases, the financial summary, consents and the latest offers. The services are
    asked at once with your token, so every part is within your access level; a part whose service is
    down or slow (CAREDESK_GATEWAY_CARD_TIMEOUTS, connect:read seconds, default 2:5) is marked
    ``{"unavailable": true, ...}`` and listed in ``unavailable_parts`` instead of failing the card."""
    customer, card = _composer().by_id(str(customer_id), forwarded_headers(request.headers.get, g.correlation_id))
    return _answer(customer, card)


@blp.get("")
@blp.arguments(CallerQuerySchema, location="query", unknown=RAISE)
@blp.response(200, ComposedCardSchema)
@blp.alt_response(404, description="No card you may see has this number")
@blp.alt_response(409, description="Several cards have this number (listed under matches): search and choose one")
@blp.alt_response(503, description=CUSTOMERS_DOWN)
@blp.alt_response(504, description="The customers service did not answer within the card's read timeout")
def customer_card_by_caller(args):
    """The card of the one customer a caller number belongs to (telephony): its live line, its phones
    or a contact's, typed in any format. The same card as by id."""
    customer, card = _composer().by_caller(args["caller"], forwarded_headers(request.headers.get, g.correlation_id))
    return _answer(customer, card, caller=True)


def document(spec) -> None:
    """The unavailable-part marker, named in the card's schema."""
    if "UnavailablePart" not in spec.components.schemas:
        spec.components.schema("UnavailablePart", schema=UnavailablePartSchema)
