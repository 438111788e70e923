"""A line's actions on its customer's card. The line keeps its own rules (lines/models.py); the card,
the aggregate whose one version (ETag) the line shares, checks who may edit it, records each changed
field in its history and bumps its version (Customer._record, _apply and _touched, the card's
bookkeeping within the customers package)."""
from __future__ import annotations

from services.customers.lines.models import Line
from services.customers.models import HIDDEN, Customer, FieldErrors
from services.kit.auth import Principal
from services.kit.db import utcnow


def add_line(customer: Customer, data: dict, *, principal: Principal) -> tuple[Line, list[str]]:
    """A new subscriber line on the card, its number in E.164 for the customer's country."""
    customer.ensure_editable_by(principal)
    errors = FieldErrors()
    number = errors.phone(("number",), data["number"], customer.country)
    errors.raise_if_any()
    line = Line.open(data, number=number, by=principal.user_id, at=utcnow())
    for key in Line.FIELDS:
        value = getattr(line, key)
        if value not in (None, ""):
            customer._record("line", line.id, key, None, value, principal.user_id)
    if line.has_pin:
        customer._record("line", line.id, "pin", None, HIDDEN, principal.user_id)
    customer.lines.append(line)
    return line, customer._touched(["line.created"])


def change_line(customer: Customer, line: Line, data: dict, *, principal: Principal) -> list[str]:
    """Status (with the date it last changed), SIM, plan (kept in the plan history) and the rest."""
    customer.ensure_editable_by(principal)
    values = line.changes_for(data, by=principal.user_id, at=utcnow())
    return customer._touched(customer._apply("line", line, values, principal.user_id))


def set_line_pin(customer: Customer, line: Line, pin: str, *, principal: Principal) -> list[str]:
    """The history says the PIN changed, never what it is; a lock the new PIN lifts is recorded."""
    customer.ensure_editable_by(principal)
    had_pin = line.has_pin
    lifted = line.set_pin(pin)
    customer._record("line", line.id, "pin", HIDDEN if had_pin else None, HIDDEN, principal.user_id)
    if lifted is not None:
        customer._record("line", line.id, "pin_locked_until", lifted, None, principal.user_id)
    return customer._touched(["line.pin"])


def check_line_pin(customer: Customer, line: Line, pin: str, *, principal: Principal, max_attempts: int,
                   lock_minutes: int) -> bool:
    """Whether ``pin`` is the line's; a lock the check sets enters the card's history."""
    locked_before = line.pin_locked_until
    valid = line.check_pin(pin, now=utcnow(), max_attempts=max_attempts, lock_minutes=lock_minutes)
    if line.pin_locked_until != locked_before:
        customer._record("line", line.id, "pin_locked_until", None, line.pin_locked_until, principal.user_id)
    return valid
