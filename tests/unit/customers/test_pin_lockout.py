"""A line's PIN check is limited: after CAREDESK_CUSTOMERS_PIN_MAX_ATTEMPTS wrong PINs in a row the
check is locked for CAREDESK_CUSTOMERS_PIN_LOCK_MINUTES (429 with Retry-After, even for the right
PIN); the lock and its expiry show on the line and in the card's history; setting a new PIN lifts it."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import update

from services.customers.lines.models import Line
from services.kit.db import utcnow
from tests.unit.customers.conftest import if_match


def test_five_wrong_pins_lock_the_check_for_a_while_visibly_and_audited(client, admin, app, make_customer):
    app.extensions["customers"] = dataclasses.replace(app.extensions["customers"], pin_max_attempts=5,
                                                      pin_lock_minutes=20)
    customer = make_customer(country="RU")
    line = client.post(f"/api/v1/customers/{customer['id']}/lines", headers=if_match(admin[1], customer["version"]),
                       json={"number": "+7 916 123 45 67", "tariff_plan": "Smart", "pin": "2468"})
    assert line.status_code == 201, line.get_json()
    base = f"/api/v1/customers/{customer['id']}/lines/{line.get_json()['id']}"

    def verify(pin: str):
        return client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": pin})

    assert verify("1111").get_json() == {"valid": False, "attempts_left": 4, "locked_until": None}
    assert verify("2468").get_json() == {"valid": True, "attempts_left": 5, "locked_until": None}, \
        "a right PIN starts the count again"
    for left in (4, 3, 2, 1):
        assert verify("0000").get_json()["attempts_left"] == left
    locking = verify("0000").get_json()
    assert (locking["valid"], locking["attempts_left"]) == (False, 0) and locking["locked_until"]

    locked = verify("2468")
    assert locked.status_code == 429
    assert locked.get_json()["type"].endswith("/line-pin-locked")
    assert locked.get_json()["locked_until"] == locking["locked_until"]
    assert 19 * 60 <= int(locked.headers["Retry-After"]) <= 20 * 60

    shown = client.get(base, headers=admin[1]).get_json()
    assert shown["pin_locked_until"] == locking["locked_until"]
    history = client.get(f"/api/v1/customers/{customer['id']}/history", headers=admin[1]).get_json()["items"]
    assert [(item["field"], item["new_value"] is not None) for item in history
            if item.get("field") == "pin_locked_until"] == [("pin_locked_until", True)]

    # the lock ends on its own …
    with app.extensions["caredesk"].database.session() as session:
        session.execute(update(Line).values(pin_locked_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert verify("2468").get_json()["valid"] is True
    assert client.get(base, headers=admin[1]).get_json()["pin_locked_until"] is None


def test_setting_a_new_pin_lifts_the_lock(client, admin, app, make_customer):
    app.extensions["customers"] = dataclasses.replace(app.extensions["customers"], pin_max_attempts=2)
    customer = make_customer(country="RU")
    line = client.post(f"/api/v1/customers/{customer['id']}/lines", headers=if_match(admin[1], customer["version"]),
                       json={"number": "+7 916 765 43 21", "tariff_plan": "Smart", "pin": "2468"})
    base = f"/api/v1/customers/{customer['id']}/lines/{line.get_json()['id']}"
    for _ in range(2):
        client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": "0000"})
    assert client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": "2468"}).status_code == 429
    version = line.headers["ETag"].strip('"')
    assert client.put(f"{base}/pin", headers=if_match(admin[1], version), json={"pin": "1357"}).status_code == 204
    assert client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": "1357"}).get_json()["valid"] is True
    history = client.get(f"/api/v1/customers/{customer['id']}/history", headers=admin[1]).get_json()["items"]
    lock_entries = [(item["old_value"] is not None, item["new_value"]) for item in history
                    if item.get("field") == "pin_locked_until"]
    assert lock_entries[0] == (True, None), "the lift is in the history too"
