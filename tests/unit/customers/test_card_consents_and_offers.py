"""GET /api/v1/customers/{id} shows the consents in force (per kind, for the customer and each
contact, by record or by default) and the active offers (awaiting the customer's answer), so the
card needs no extra calls; the kinds are named in the caller's Accept-Language."""
from __future__ import annotations

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
