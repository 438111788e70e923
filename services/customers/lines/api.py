"""Subscriber line endpoints under /api/v1/customers/<customer_id>/lines; each write changes the card
and answers with its new ETag."""
from __future__ import annotations

import uuid

from flask import current_app

from services.customers.api import changed
from services.customers.lines import use_cases as line_use_cases
from services.customers.lines.queries import line_dict
from services.customers.lines.schemas import (
    LineCreateSchema, LineSchema, LineUpdateSchema, PinSchema, PinVerificationSchema,
)
from services.customers.repository import get_customer, get_line
from services.customers.settings import CustomersSettings
from services.kit.app import current_principal, new_uow, service_context
from services.kit.http import expected_version, install_id_converter, no_content, with_etag
from services.kit.input import Blueprint

blp = Blueprint("lines", __name__, url_prefix="/api/v1/customers", description="Subscriber lines of a customer")
install_id_converter(blp)


@blp.post("/<id:customer_id>/lines")
@blp.arguments(LineCreateSchema, example={"number": "3001234567", "tariff_plan": "POSTPAID-20GB", "service_type": "voice",
                                             "status": "active", "activated_on": "2026-01-15"})
@blp.response(201, LineSchema)
def add_line(data, customer_id: uuid.UUID):
    """Add a subscriber line: number (E.164), status, service, SIM (ICCID), tariff plan, PIN, billing group."""
    customer, line = line_use_cases.add_line(new_uow(), principal=current_principal(), customer_id=customer_id,
                                             expected_version=expected_version(), data=data)
    return changed(line_dict(line), customer, 201)


@blp.get("/<id:customer_id>/lines/<id:line_id>")
@blp.response(200, LineSchema)
def get_line_view(customer_id: uuid.UUID, line_id: uuid.UUID):
    """One line (service number) of the card with its tariff plan and state; the ETag is the card's version."""
    with service_context().database.session() as session:
        customer = get_customer(session, principal=current_principal(), customer_id=customer_id)
        return with_etag(line_dict(get_line(customer, line_id)), customer.version)


@blp.patch("/<id:customer_id>/lines/<id:line_id>")
@blp.arguments(LineUpdateSchema, example={"tariff_plan": "POSTPAID-40GB", "tariff_effective_on": "2026-12-01",
                                            "iccid": "8957001000123456784"})
@blp.response(200, LineSchema)
def change_line(data, customer_id: uuid.UUID, line_id: uuid.UUID):
    """Change status (its date is kept), SIM, tariff plan (into its history) or service data."""
    customer, line = line_use_cases.change_line(new_uow(), principal=current_principal(), customer_id=customer_id,
                                                line_id=line_id, expected_version=expected_version(), data=data)
    return changed(line_dict(line), customer)


@blp.put("/<id:customer_id>/lines/<id:line_id>/pin")
@blp.arguments(PinSchema, example={"pin": "4821"})
@blp.response(204)
def set_line_pin(data, customer_id: uuid.UUID, line_id: uuid.UUID):
    """Set the line's PIN (stored as an argon2 hash, never shown)."""
    customer, _line = line_use_cases.set_line_pin(new_uow(), principal=current_principal(),
                                                  customer_id=customer_id, line_id=line_id,
                                                  expected_version=expected_version(), pin=data["pin"])
    return no_content(customer.version)


@blp.post("/<id:customer_id>/lines/<id:line_id>/pin/verify")
@blp.arguments(PinSchema, example={"pin": "4821"})
@blp.response(200, PinVerificationSchema)
@blp.alt_response(429, description="Too many wrong PINs for this line: wait Retry-After")
def verify_line_pin(data, customer_id: uuid.UUID, line_id: uuid.UUID):
    """Whether the PIN a caller gives is the line's (seed 004: consulting on this number only). Too many
    wrong PINs in a row lock the check for a while (429 with Retry-After; the lock shows on the line)."""
    settings = current_app.extensions.get("customers", CustomersSettings())
    valid, line = line_use_cases.verify_line_pin(new_uow(), principal=current_principal(), customer_id=customer_id,
                                                 line_id=line_id, pin=data["pin"], max_attempts=settings.pin_max_attempts,
                                                 lock_minutes=settings.pin_lock_minutes)
    locked_until = line.pin_lock_in_force()
    return {"valid": valid, "locked_until": locked_until,
            "attempts_left": 0 if locked_until else settings.pin_max_attempts - line.pin_failed_attempts}
