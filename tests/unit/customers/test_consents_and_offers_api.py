"""Consents and offers through the API on SQLite: the seeded consent catalogue with names in four
languages, consents of the customer and of a contact given and withdrawn with their history and
consent.recorded.v1, the defaults of CONTRACTS.md, references resolved on the card; offers listed
on the card beside the campaign flags, their outcome learnt later."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_B, DEPT_A, if_match

CONSENT_EVENT = {"id", "customer_id", "customer_code", "contact_id", "kind", "channel", "granted", "recorded_at",
                 "recorded_by"}


@pytest.fixture
def card(make_customer):
    return make_customer(contacts=[{"name": "Olga Petrova", "email": "olga@example.com"}],
                         campaigns=[{"campaign": "Family plan", "role": "candidate"}])


def states(client, headers, customer_id, **query) -> dict:
    response = client.get(f"/api/v1/customers/{customer_id}/consents", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return {(item["contact_id"], item["kind"]): item for item in response.get_json()["items"]}


def test_the_catalogue_is_seeded_with_names_in_four_languages(client, admin):
    kinds = {k["code"]: k for k in client.get("/api/v1/customers/consent-kinds", headers=admin[1]).get_json()["items"]}
    assert set(kinds) >= {"payment_reminders", "surveys", "marketing"}
    for kind in ("payment_reminders", "surveys", "marketing"):
        assert set(kinds[kind]["names"]) == {"es", "en", "ru", "vi"}
    assert (kinds["payment_reminders"]["granted_by_default"], kinds["surveys"]["granted_by_default"],
            kinds["marketing"]["granted_by_default"]) == (True, True, False)


def test_the_kinds_are_named_in_the_accept_language_unless_a_language_is_asked_for(client, admin, card):
    """What the gateway's composed card relies on: it forwards the caller's Accept-Language only."""
    assert states(client, admin[1] | {"Accept-Language": "vi-VN,vi;q=0.9"}, card["id"])[(None, "marketing")][
        "kind_name"] == "Tiếp thị"
    assert states(client, admin[1] | {"Accept-Language": "ru"}, card["id"])[(None, "marketing")]["kind_name"] == "Маркетинг"
    assert states(client, admin[1] | {"Accept-Language": "ru"}, card["id"], language="en")[(None, "marketing")][
        "kind_name"] == "Marketing"
    assert states(client, admin[1] | {"Accept-Language": "de"}, card["id"])[(None, "marketing")]["kind_name"] == "Marketing"


def test_defaults_then_given_and_withdrawn_with_history_and_events(client, admin, card, outbox):
    contact_id = card["contacts"][0]["id"]
    before = states(client, admin[1], card["id"], language="ru")
    assert len(before) == 6  # three kinds for the customer and for its one contact
    assert (before[(None, "payment_reminders")]["granted"], before[(None, "surveys")]["granted"],
            before[(None, "marketing")]["granted"]) == (True, True, False)
    assert all(item["by_default"] for item in before.values())
    assert before[(None, "marketing")]["kind_name"] == "Маркетинг"

    url = f"/api/v1/customers/{card['id']}/consents"
    given = client.post(url, headers=admin[1], json={"kind": "marketing", "granted": True, "channel": "phone"})
    assert given.status_code == 201, given.get_json()
    withdrawn = client.post(url, headers=admin[1], json={"kind": "marketing", "granted": False, "channel": "email",
                                                         "note": "Asked on the phone to stop offers"})
    contact = client.post(url, headers=admin[1], json={"kind": "surveys", "granted": False, "channel": "office",
                                                       "contact_id": contact_id})
    assert withdrawn.status_code == contact.status_code == 201
    assert contact.get_json()["contact_name"] == "Olga Petrova"

    after = states(client, admin[1], card["id"])
    assert (after[(None, "marketing")]["granted"], after[(None, "marketing")]["by_default"],
            after[(None, "marketing")]["channel"]) == (False, False, "email")
    assert after[(contact_id, "surveys")]["granted"] is False
    assert after[(None, "surveys")]["granted"] is True, "the contact's withdrawal is its own"

    history = client.get(f"{url}/history", headers=admin[1], query_string={"kind": "marketing"}).get_json()
    assert history["total"] == 2
    assert [(item["granted"], item["channel"]) for item in history["items"]] == [(False, "email"), (True, "phone")]
    assert history["items"][0]["recorded_by"] == str(admin[0].user_id)

    events = [data for key, data in outbox() if key == "consent.recorded.v1"]
    assert len(events) == 3 and all(set(event) == CONSENT_EVENT for event in events)
    assert events[1] | {"id": None, "recorded_at": None} == {
        "id": None, "customer_id": card["id"], "customer_code": card["code"], "contact_id": None, "kind": "marketing",
        "channel": "email", "granted": False, "recorded_at": None, "recorded_by": str(admin[0].user_id)}
    assert events[2]["contact_id"] == contact_id


def test_a_consent_names_a_kind_and_a_contact_of_this_card(client, admin, card, make_customer, outbox):
    other = make_customer(contacts=[{"name": "Someone Else"}])
    response = client.post(f"/api/v1/customers/{card['id']}/consents", headers=admin[1], json={
        "kind": "newsletter", "granted": True, "channel": "web", "contact_id": other["contacts"][0]["id"]})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"kind", "contact_id"}
    bad_channel = client.post(f"/api/v1/customers/{card['id']}/consents", headers=admin[1],
                              json={"kind": "marketing", "granted": True, "channel": "pigeon"})
    assert set(bad_channel.get_json()["errors"]) == {"channel"}
    assert [key for key, _data in outbox() if key == "consent.recorded.v1"] == []


def test_consents_follow_the_card_s_reach(client, card, headers_for):
    outsider = make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_A)
    assert client.get(f"/api/v1/customers/{card['id']}/consents", headers=headers_for(outsider)).status_code == 404
    response = client.post(f"/api/v1/customers/{card['id']}/consents", headers=headers_for(outsider),
                           json={"kind": "marketing", "granted": True, "channel": "web"})
    assert response.status_code == 404


def test_level_1_administers_the_consent_kinds(client, admin, headers_for):
    created = client.post("/api/v1/customers/consent-kinds", headers=admin[1], json={
        "code": "data_sharing", "names": {"en": "Data sharing", "es": "Compartir datos"}})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["version"] == 1
    change = {"is_retired": True, "names": {"ru": "Передача данных"}}
    path = "/api/v1/customers/consent-kinds/data_sharing"
    assert client.patch(path, headers=admin[1], json=change).status_code == 428
    assert client.patch(path, headers=admin[1] | {"If-Match": '"7"'}, json=change).status_code == 412
    retired = client.patch(path, headers=admin[1] | {"If-Match": '"1"'}, json=change)
    assert retired.get_json()["is_retired"] is True and retired.get_json()["names"]["ru"] == "Передача данных"
    assert retired.headers["ETag"] == '"2"' and retired.get_json()["version"] == 2
    agent = make_principal(level=3)
    assert client.post("/api/v1/customers/consent-kinds", headers=headers_for(agent),
                       json={"code": "x_y"}).status_code == 403
    assert client.patch("/api/v1/customers/consent-kinds/nope", headers=admin[1] | {"If-Match": '"1"'},
                        json={}).status_code == 404


# -- offers -----------------------------------------------------------------------------------
def test_offers_are_listed_on_the_card_beside_the_campaign_flags(client, admin, card):
    url = f"/api/v1/customers/{card['id']}/offers"
    first = client.post(url, headers=admin[1], json={"campaign": "Family plan", "product": "4 lines for 3",
                                                     "offered_on": "2026-11-02", "channel": "phone"})
    second = client.post(url, headers=admin[1], json={"campaign": "Roaming pack", "offered_on": "2026-11-20",
                                                      "channel": "sms", "outcome": "declined"})
    assert first.status_code == second.status_code == 201, first.get_json()
    assert (first.get_json()["outcome"], first.get_json()["campaign_role"]) == ("pending", "candidate")

    stale = client.patch(f"{url}/{first.get_json()['id']}", headers=if_match(admin[1], 7), json={"outcome": "accepted"})
    assert stale.status_code == 412
    accepted = client.patch(f"{url}/{first.get_json()['id']}", headers=if_match(admin[1], first.get_json()["version"]),
                            json={"outcome": "accepted", "note": "Signs on Friday"})
    assert accepted.status_code == 200 and accepted.get_json()["outcome"] == "accepted"

    listed = client.get(url, headers=admin[1]).get_json()
    assert [(o["campaign"], o["outcome"]) for o in listed["items"]] == [("Roaming pack", "declined"),
                                                                      ("Family plan", "accepted")]
    assert client.get(url, headers=admin[1], query_string={"outcome": "declined"}).get_json()["total"] == 1
    history = client.get(f"/api/v1/customers/{card['id']}/history", headers=admin[1],
                         query_string={"period": "month"}).get_json()
    assert any(item.get("entity") == "offer" and item.get("field") == "outcome" and item.get("new_value") == "accepted"
               for item in history["items"])


def test_an_offer_needs_its_fields_and_the_card_in_reach(client, admin, card, headers_for):
    url = f"/api/v1/customers/{card['id']}/offers"
    refused = client.post(url, headers=admin[1], json={"campaign": "", "channel": "fax"})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"campaign", "channel"}
    outsider = make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_A)
    assert client.get(url, headers=headers_for(outsider)).status_code == 404
    assert client.patch(f"{url}/{uuid.uuid4()}", headers=if_match(admin[1], 1), json={}).status_code == 404
