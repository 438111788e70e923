"""A subscriber line's own rules, on objects in memory: how it opens, what an edit changes (status
date, plan history), its PIN and the PIN check's lock; and what its card records of each."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.customers.errors import LineDeactivated, LinePinLocked
from services.customers.lines import card
from services.customers.lines.models import LINE_DEACTIVATED, Line
from services.customers.models import Customer
from tests.conftest import make_principal

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
AGENT = uuid.uuid4()


def open_line(**data) -> Line:
    return Line.open({"tariff_plan": "Basic"} | data, number="+79161234567", by=AGENT, at=AT)


def test_a_line_opens_active_with_its_first_plan_in_the_history():
    line = open_line(pin="1234")
    assert (line.status, line.activated_on, line.tariff_effective_on) == ("active", AT.date(), AT.date())
    assert [(plan.tariff_plan, plan.effective_on) for plan in line.tariff_history] == [("Basic", AT.date())]
    assert line.has_pin and line.pin_hash != "1234" and line.verify_pin("1234")


def test_an_edit_dates_a_status_change_and_keeps_the_plan_history():
    line = open_line()
    later = AT + timedelta(days=30)
    values = line.changes_for({"status": "blocked", "tariff_plan": "Unlimited", "billing_group": ""}, by=AGENT,
                              at=later)
    assert values == {"status": "blocked", "tariff_plan": "Unlimited", "tariff_effective_on": later.date()}
    assert line.status_changed_at == later
    assert [plan.tariff_plan for plan in line.tariff_history] == ["Basic", "Unlimited"]


def test_a_deactivated_line_keeps_its_data():
    line = open_line()
    line.status = LINE_DEACTIVATED
    with pytest.raises(LineDeactivated):
        line.changes_for({"tariff_plan": "Unlimited"}, by=AGENT, at=AT)
    with pytest.raises(LineDeactivated):
        line.set_pin("0000")


def test_wrong_pins_in_a_row_lock_the_check_and_a_new_pin_lifts_the_lock():
    line = open_line(pin="1234")
    assert not line.check_pin("0000", now=AT, max_attempts=2, lock_minutes=15)
    assert line.check_pin("1234", now=AT, max_attempts=2, lock_minutes=15)  # a right PIN starts the count again
    for _ in range(2):
        assert not line.check_pin("0000", now=AT, max_attempts=2, lock_minutes=15)
    assert line.pin_locked_until == AT + timedelta(minutes=15)
    with pytest.raises(LinePinLocked):
        line.check_pin("1234", now=AT + timedelta(minutes=5), max_attempts=2, lock_minutes=15)
    assert line.check_pin("1234", now=AT + timedelta(minutes=16), max_attempts=2, lock_minutes=15)
    line.pin_locked_until = AT + timedelta(hours=1)
    assert line.set_pin("5678") == AT + timedelta(hours=1) and line.pin_locked_until is None


def test_the_card_records_a_new_line_and_hides_its_pin():
    admin = make_principal(level=1, permissions=frozenset({"edit_customers"}))
    customer = Customer(id=uuid.uuid4(), code="C-7", name="Дмитрий", country="RU", kind="person", status="active",
                        lines=[])
    recorded = []
    customer._record = lambda entity, entity_id, field, old, new, actor: recorded.append((field, old, new))
    line, changed = card.add_line(customer, {"number": "8 916 123-45-67", "tariff_plan": "Basic", "pin": "9090"},
                                  principal=admin)
    assert changed == ["line.created"] and customer.lines == [line] and line.number == "+79161234567"
    assert ("pin", None, "[hidden]") in recorded and ("tariff_plan", None, "Basic") in recorded
    assert not any("9090" in str(new) for _, _, new in recorded)
