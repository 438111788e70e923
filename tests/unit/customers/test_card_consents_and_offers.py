"""GET /api/v1/customers/{id} shows the consents in force (per kind, for the customer and each
contact, by record or by default), the active offers (awaiting the customer's answer) and the
answers to its cases' satisfaction surveys (survey.answered.v1), so the card needs no extra calls;
the consent kinds are named in the caller's Accept-Language."""
from __future__ import annotations

import uuid

from tests.unit.customers.conftest import if_match


def test_the_card_shows_the_consents_in_force_and_the_active_offers(client, admin, make_customer):
    card = make_customer(name="Iván Petrov", contacts=[{"name": "Olga"}])
    url = f"/api/v1/customers/{card['id']}"
    olga = card["contacts"][0]["id"]
    for body in ({"kind": "marketing", "granted": True, "channel": "phone"},
                 {"kind": "marketing", "granted": False, "channel": "email"},
                 {"kind": "surveys", "granted": False, "channel": "office", "contact_id": olga}):
        assert client.post(f"{url}/consents", headers=admin[1], json=body).status_code == 201
    offers = [client.post(f"{url}/offers", headers=admin[1], json=body).get_json() for body in (
        {"campaign": "Family plan", "offered_on": "2026-11-02", "channel": "phone"},
        {"campaign": "Roaming pack", "offered_on": "2026-11-20", "channel": "sms"},
        {"campaign": "Fibre 1 Gb", "offered_on": "2026-11-25", "channel": "phone", "outcome": "declined"})]
    accepted = client.patch(f"{url}/offers/{offers[0]['id']}", headers=if_match(admin[1], offers[0]["version"]),
                            json={"outcome": "accepted"})
    assert accepted.status_code == 200

    response = client.get(url, headers=admin[1] | {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert response.status_code == 200 and response.headers["ETag"] == f'"{card["version"]}"'
    shown = response.get_json()
    consents = {(c["contact_id"], c["kind"]): c for c in shown["consents"]}
    assert {kind for contact, kind in consents if contact is None} == {"marketing", "payment_reminders", "surveys"}
    own = consents[(None, "marketing")]
    assert (own["granted"], own["by_default"], own["channel"], own["kind_name"]) == (False, False, "email", "Маркетинг")
    assert (consents[(None, "payment_reminders")]["granted"], consents[(None, "payment_reminders")]["by_default"]) \
        == (True, True)
    assert consents[(olga, "surveys")]["granted"] is False and consents[(olga, "surveys")]["contact_name"] == "Olga"
    assert consents[(None, "surveys")]["granted"] is True
    assert [(o["campaign"], o["outcome"]) for o in shown["active_offers"]] == [("Roaming pack", "pending")]
    assert shown["active_offers"][0]["offered_by"] == str(admin[0].user_id)

    english = client.get(url, headers=admin[1]).get_json()
    assert {c["kind_name"] for c in english["consents"] if c["kind"] == "marketing"} == {"Marketing"}


def test_a_new_card_shows_the_defaults_and_no_offers(client, admin, make_customer):
    created = client.post("/api/v1/customers", headers=admin[1],
                          json={"code": "CO-NEW", "kind": "person", "name": "Nueva", "country": "CO"})
    assert created.status_code == 201
    card = created.get_json()
    assert card["active_offers"] == []
    assert {(c["kind"], c["granted"], c["by_default"]) for c in card["consents"]} == {
        ("marketing", False, True), ("payment_reminders", True, True), ("surveys", True, True)}


def answered(customer_id: str, case_number: str, score: int, comment: str | None, minutes_ago: int):
    from datetime import datetime, timedelta, timezone

    from services.kit.messaging.envelope import Envelope
    return Envelope(type="survey.answered", version=1, producer="notifications", correlation_id="t", data={
        "survey_id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "case_number": case_number,
        "customer_id": customer_id, "score": score, "comment": comment,
        "answered_at": (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat()})


def test_the_card_shows_the_answers_to_its_cases_surveys(client, admin, make_customer, app):
    from services.customers.handlers import HANDLERS
    from services.kit.uow import UnitOfWork

    [keep] = [handler for handler in HANDLERS if handler.name == "keep_survey_answers"]
    card, other = make_customer(name="Iván Petrov"), make_customer(name="Otra")
    envelopes = [answered(card["id"], "2026-000010", 2, "Tardaron mucho", 30),
                 answered(card["id"], "2026-000011", 5, None, 5),
                 answered(other["id"], "2026-000012", 1, "Nunca vinieron", 1)]
    database = app.extensions["caredesk"].database
    for envelope in envelopes + envelopes[:1]:  # a repeated event changes nothing
        with UnitOfWork(database, producer="customers") as uow:
            keep.handle(uow, envelope)
            uow.commit()
    shown = client.get(f"/api/v1/customers/{card['id']}", headers=admin[1]).get_json()
    assert shown["satisfaction"]["answers"] == 2 and shown["satisfaction"]["average"] == 3.5
    assert [(a["case_number"], a["score"], a["comment"]) for a in shown["satisfaction"]["latest"]] == [
        ("2026-000011", 5, None), ("2026-000010", 2, "Tardaron mucho")]
    empty = client.get(f"/api/v1/customers/{make_customer()['id']}", headers=admin[1]).get_json()
    assert empty["satisfaction"] == {"answers": 0, "average": None, "latest": []}
