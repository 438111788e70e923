"""Subscriber line actions, one function each; a line changes through its customer, whose version
(ETag) it shares, so each follows the customer's steps (reach, edit rule, If-Match, history, event)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.customers.errors import LineNumberTaken, SimSerialTaken
from services.customers.lines import card
from services.customers.lines.models import LINE_DEACTIVATED, Line
from services.customers.models import Customer
from services.customers.repository import get_customer, get_line
from services.customers.use_cases import card_to_change, database_rules, finish
from services.kit.auth import Principal
from services.kit.uow import UnitOfWork


def add_line(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, expected_version: int,
             data: dict) -> tuple[Customer, Line]:
    """A subscriber line; its number and SIM may not be on another live line. Emits customer.updated.v1.
    Raises LineNumberTaken, SimSerialTaken."""
    # the live number and SIM are unique keys of the database: one on another live line fails the
    # INSERT, answered as the same 409 (naming the value) a SELECT before it would give
    taken: dict = {}
    with uow, database_rules(taken):
        customer = card_to_change(uow, principal, customer_id, expected_version)
        line, changed = card.add_line(customer, data, principal=principal)
        taken |= {LineNumberTaken: f"{line.number} belongs to another live line; deactivate that line first.",
                  SimSerialTaken: f"The SIM {line.iccid} is on another live line."}
        finish(uow, customer, changed)
    return customer, line


def change_line(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, line_id: uuid.UUID,
                expected_version: int, data: dict) -> tuple[Customer, Line]:
    """Status (and the date it changed), SIM, tariff plan (into the plan history), service data.
    Emits customer.updated.v1. Raises LineDeactivated, SimSerialTaken."""
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        line = get_line(customer, line_id)
        changed = card.change_line(customer, line, data, principal=principal)
        if "line.iccid" in changed:
            _ensure_line_free(uow, line)
        finish(uow, customer, changed)
    return customer, line


def set_line_pin(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, line_id: uuid.UUID,
                 expected_version: int, pin: str) -> tuple[Customer, Line]:
    """Set or replace the line's PIN (kept as an argon2 hash). Emits customer.updated.v1."""
    with uow, database_rules():
        customer = card_to_change(uow, principal, customer_id, expected_version)
        line = get_line(customer, line_id)
        finish(uow, customer, card.set_line_pin(customer, line, pin, principal=principal))
    return customer, line


def verify_line_pin(uow: UnitOfWork, *, principal: Principal, customer_id: uuid.UUID, line_id: uuid.UUID,
                    pin: str, max_attempts: int = 5, lock_minutes: int = 15) -> tuple[bool, Line]:
    """Whether a caller's PIN is the line's; anyone who reads the card may ask. ``max_attempts`` wrong
    PINs in a row lock the check for ``lock_minutes`` (audited in the card's history). Raises
    LinePinNotSet, LinePinLocked."""
    with uow:
        # the customer's row serialises concurrent guesses, so none escapes the count
        customer = get_customer(uow.session, principal=principal, customer_id=customer_id, for_update=True)
        line = get_line(customer, line_id)
        try:
            valid = card.check_line_pin(customer, line, pin, principal=principal, max_attempts=max_attempts,
                                        lock_minutes=lock_minutes)
        finally:
            uow.commit()  # a refused check still counts
        return valid, line


def _ensure_line_free(uow: UnitOfWork, line: Line) -> None:
    live = Line.status != LINE_DEACTIVATED
    if uow.session.scalar(select(Line.id).where(Line.number == line.number, live, Line.id != line.id)):
        raise LineNumberTaken(f"{line.number} belongs to another live line; deactivate that line first.")
    if line.iccid and uow.session.scalar(select(Line.id).where(Line.iccid == line.iccid, live, Line.id != line.id)):
        raise SimSerialTaken(f"The SIM {line.iccid} is on another live line.")
