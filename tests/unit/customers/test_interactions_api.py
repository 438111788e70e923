"""Interactions (seeds 002, 003, 004) through the API on SQLite: every field, the prospect "0", saved
open and seen by a colleague, closing needs a reason, not-reached attempts, "new", edits in the
history, the reason tree with scripts, macros and articles, follow-ups, click-to-call."""
from __future__ import annotations

import uuid

import pytest

from services.kit.db import utcnow
from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A, DEPT_B, if_match, iccid

PROSPECT = str(uuid.UUID(int=0))


@pytest.fixture
def catalogue(client, admin):
    """A reason tree Billing > Invoice > Duplicate invoice, with a script, a macro and an article; a
    point of contact, the office "Mayakovskaya"."""
    def post(path, body):
        response = client.post(f"/api/v1/customers/{path}", headers=admin[1], json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    billing = post("interaction-reasons", {"name": "Billing"})
    invoice = post("interaction-reasons", {"name": "Invoice", "parent_id": billing["id"]})
    duplicate = post("interaction-reasons", {"name": "Duplicate invoice", "parent_id": invoice["id"],
                                             "script": "Check the billing group, then resend the invoice."})
    macro = post("interaction-macros", {"reason_id": duplicate["id"], "name": "Resent",
                                        "body": "{customer_name} ({customer_code}) got the invoice again on "
                                                "{line_number}. Agent: {agent_name}."})
    article = post("knowledge-articles", {"reason_id": duplicate["id"], "title": "Reenvío de facturación",
                                          "body": "Cómo reenviar una factura duplicada al cliente."})
    office = post("contact-points", {"name": "Mayakovskaya", "region": "Moscow"})
    return {"billing": billing, "invoice": invoice, "duplicate": duplicate, "macro": macro, "article": article,
            "office": office}


@pytest.fixture
def card(client, admin, make_customer):
    customer = make_customer(name="Iván Petrov")
    response = client.post(f"/api/v1/customers/{customer['id']}/lines", headers=if_match(admin[1], customer["version"]),
                           json={"number": "+79161234567", "tariff_plan": "Smart", "iccid": iccid()})
    assert response.status_code == 201, response.get_json()
    return customer | {"line": response.get_json()}


def interaction(client, headers, customer_id, **body):
    response = client.post(f"/api/v1/customers/{customer_id}/interactions", headers=headers,
                           json={"direction": "inbound", "channel": "office_visit"} | body)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["ETag"]


def test_every_field_of_seed_002_and_004_is_recorded_with_what_the_reason_brings(client, admin, card, catalogue,
                                                                                directory):
    directory(admin[0], branch_id=BRANCH_A, department_id=DEPT_A, name="Ana Front")
    started = utcnow().replace(microsecond=0)
    body, _etag = interaction(
        client, admin[1], card["id"], line_id=card["line"]["id"], contact_point_id=catalogue["office"]["id"],
        contact_person="Olga Petrova (wife)", reason_id=catalogue["duplicate"]["id"], topic="Invoice twice",
        comments="Two invoices for March", inputs="Scan of both invoices", pending_items="Refund",
        solution="Second invoice cancelled", protocol_applied="Billing P-7", started_at=started.isoformat(),
        ended_at=started.replace(minute=(started.minute + 5) % 60).isoformat() if started.minute < 55 else None,
        dialogue_seconds=240, card_opened_at=started.isoformat(), close=True)
    assert body["number"] >= 1 and body["status"] == "closed" and body["customer_reached"] is True
    assert (body["line_number"], body["contact_point_name"], body["agent_name"]) == (
        "+79161234567", "Mayakovskaya", "Ana Front")
    for key, value in {"contact_person": "Olga Petrova (wife)", "topic": "Invoice twice", "inputs": "Scan of both invoices",
                       "pending_items": "Refund", "solution": "Second invoice cancelled",
                       "protocol_applied": "Billing P-7", "dialogue_seconds": 240}.items():
        assert body[key] == value
    assert body["card_open_seconds"] >= 0
    assert body["reason"]["path"] == ["Billing", "Invoice", "Duplicate invoice"]
    assert body["reason"]["script"] == "Check the billing group, then resend the invoice."
    assert body["macros"][0]["text"] == (f"Iván Petrov ({card['code']}) got the invoice again on +79161234567. "
                                         "Agent: Ana Front.")
    assert body["articles"] == [{"id": catalogue["article"]["id"], "title": "Reenvío de facturación", "version": 1}]


def test_saved_without_closing_a_colleague_sees_it_at_once_and_closing_needs_a_reason(client, admin, card, catalogue,
                                                                                     headers_for):
    saved, etag = interaction(client, admin[1], card["id"], comments="Still talking")
    colleague = headers_for(make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_B))
    listed = client.get(f"/api/v1/customers/{card['id']}/interactions", headers=colleague).get_json()
    assert [(i["id"], i["status"], i["comments"]) for i in listed["items"]] == [(saved["id"], "open", "Still talking")]
    summary = client.get(f"/api/v1/customers/{card['id']}", headers=colleague).get_json()["latest_interactions"]
    assert [i["id"] for i in summary] == [saved["id"]]

    url = f"/api/v1/customers/{card['id']}/interactions/{saved['id']}"
    refused = client.post(url + "/close", headers=admin[1] | {"If-Match": etag})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"reason_id"}
    assert client.get(url, headers=admin[1]).get_json()["status"] == "open"

    changed = client.patch(url, headers=admin[1] | {"If-Match": etag}, json={"reason_id": catalogue["duplicate"]["id"]})
    assert changed.status_code == 200
    assert client.patch(url, headers=admin[1] | {"If-Match": etag}, json={"topic": "x"}).status_code == 412
    closed = client.post(url + "/close", headers=admin[1] | {"If-Match": changed.headers["ETag"]})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    again = client.patch(url, headers=admin[1] | {"If-Match": closed.headers["ETag"]}, json={"topic": "late"})
    assert again.status_code == 409

    history = client.get(f"/api/v1/customers/{card['id']}/history", headers=admin[1]).get_json()["items"]
    edits = {(h["field"], h["new_value"]) for h in history if h["entity"] == "interaction"}
    assert {("reason_id", catalogue["duplicate"]["id"]), ("status", "closed")} <= edits


def test_customer_not_reached_keeps_only_the_attempt_and_the_card_does_not_change(client, admin, card):
    before = client.get(f"/api/v1/customers/{card['id']}", headers=admin[1]).get_json()["version"]
    refused = client.post(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1],
                          json={"direction": "outbound", "channel": "phone", "customer_reached": False,
                                "dialled_number": "+79161234567", "comments": "New phone 555", "contact_person": "X"})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"comments", "contact_person"}
    attempt, _ = interaction(client, admin[1], card["id"], direction="outbound", channel="phone",
                             customer_reached=False, dialled_number="+79161234567", line_id=card["line"]["id"])
    assert (attempt["status"], attempt["customer_reached"], attempt["dialled_number"]) == (
        "closed", False, "+79161234567")
    assert attempt["reason"] is None and attempt["comments"] == ""
    after = client.get(f"/api/v1/customers/{card['id']}", headers=admin[1]).get_json()["version"]
    assert after == before
    listed = client.get(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1]).get_json()
    assert listed["total"] == 1


def test_new_closes_the_current_interaction_and_opens_the_next_for_another_contract(client, admin, card, catalogue,
                                                                                   make_customer):
    second_contract = make_customer(name="Iván Petrov (company)")
    current, etag = interaction(client, admin[1], card["id"], topic="First question")
    url = f"/api/v1/customers/{card['id']}/interactions/{current['id']}/next"
    refused = client.post(url, headers=admin[1] | {"If-Match": etag},
                          json={"direction": "inbound", "channel": "office_visit", "customer_id": second_contract["id"]})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"reason_id"}
    assert client.get(f"/api/v1/customers/{second_contract['id']}/interactions",
                      headers=admin[1]).get_json()["total"] == 0

    etag = client.patch(f"/api/v1/customers/{card['id']}/interactions/{current['id']}",
                        headers=admin[1] | {"If-Match": etag},
                        json={"reason_id": catalogue["duplicate"]["id"]}).headers["ETag"]
    pair = client.post(url, headers=admin[1] | {"If-Match": etag},
                       json={"direction": "inbound", "channel": "office_visit", "customer_id": second_contract["id"],
                             "topic": "Second question"})
    assert pair.status_code == 201, pair.get_json()
    closed, opened = pair.get_json()["closed"], pair.get_json()["opened"]
    assert (closed["id"], closed["status"]) == (current["id"], "closed")
    assert (opened["customer_id"], opened["status"], opened["topic"]) == (second_contract["id"], "open",
                                                                          "Second question")
    assert opened["number"] == closed["number"] + 1


def test_prospect_zero_takes_unregistered_callers_seen_by_level(client, headers_for):
    agent = make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_A)
    logged, _ = interaction(client, headers_for(agent), PROSPECT, channel="phone", contact_person="Unknown caller",
                            topic="Tariffs for a new line")
    assert logged["customer_id"] == PROSPECT
    same_department = headers_for(make_principal(level=3, branch_id=BRANCH_B, department_id=DEPT_A))
    other_department = headers_for(make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_B))
    assert client.get(f"/api/v1/customers/{PROSPECT}/interactions", headers=same_department).get_json()["total"] == 1
    assert client.get(f"/api/v1/customers/{PROSPECT}/interactions", headers=other_department).get_json()["total"] == 0
    assert client.get(f"/api/v1/customers/{PROSPECT}/interactions/{logged['id']}",
                      headers=other_department).status_code == 404


def test_references_are_resolved_and_retired_entries_cannot_be_chosen(client, admin, card, catalogue, make_customer):
    other = make_customer()
    other_line = client.post(f"/api/v1/customers/{other['id']}/lines", headers=if_match(admin[1], other["version"]),
                             json={"number": "+79167654321", "tariff_plan": "Smart"}).get_json()
    retire = client.patch(f"/api/v1/customers/interaction-reasons/{catalogue['invoice']['id']}",
                          headers=if_match(admin[1], catalogue["invoice"]["version"]), json={"is_retired": True})
    assert retire.status_code == 200
    response = client.post(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1], json={
        "direction": "sideways", "channel": "phone", "line_id": other_line["id"],
        "reason_id": catalogue["invoice"]["id"], "contact_point_id": str(uuid.uuid4()), "x": 1})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"direction", "x"}  # the schema first
    response = client.post(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1], json={
        "direction": "inbound", "channel": "phone", "line_id": other_line["id"],
        "reason_id": catalogue["invoice"]["id"], "contact_point_id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"line_id", "reason_id", "contact_point_id"}
    assert client.get(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1]).get_json()["total"] == 0
    names = [r["name"] for r in client.get("/api/v1/customers/interaction-reasons",
                                           headers=admin[1]).get_json()["items"] if not r["is_retired"]]
    assert "Invoice" not in names and "Duplicate invoice" in names


def test_a_retired_reason_stays_on_the_interactions_that_chose_it(client, admin, card, catalogue):
    done, _ = interaction(client, admin[1], card["id"], reason_id=catalogue["duplicate"]["id"], close=True)
    client.patch(f"/api/v1/customers/interaction-reasons/{catalogue['duplicate']['id']}",
                 headers=if_match(admin[1], catalogue["duplicate"]["version"]), json={"is_retired": True})
    again = client.get(f"/api/v1/customers/{card['id']}/interactions/{done['id']}", headers=admin[1]).get_json()
    assert again["reason"]["name"] == "Duplicate invoice" and again["reason"]["is_retired"] is True


def test_list_filters_by_period_channel_line_point_of_contact_and_reason_subtree(client, admin, card, catalogue):
    interaction(client, admin[1], card["id"], channel="phone", line_id=card["line"]["id"],
                reason_id=catalogue["duplicate"]["id"])
    interaction(client, admin[1], card["id"], channel="email", contact_point_id=catalogue["office"]["id"])
    interaction(client, admin[1], card["id"], channel="letter", started_at="2020-01-15T10:00:00+00:00")

    def total(**params) -> int:
        response = client.get(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1], query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["total"]

    assert total() == 3
    assert total(channel="email") == 1
    assert total(line_id=card["line"]["id"]) == 1
    assert total(contact_point_id=catalogue["office"]["id"]) == 1
    assert total(reason_id=catalogue["billing"]["id"]) == 1  # Duplicate invoice is under Billing
    assert total(**{"from": "2020-01-01", "to": "2020-01-31"}) == 1
    bad = client.get(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1],
                     query_string={"channel": "pigeon", "from": "yesterday"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"channel", "from"}


def test_knowledge_articles_are_versioned_and_found_without_accents(client, admin, catalogue, headers_for):
    article = catalogue["article"]
    found = client.get("/api/v1/customers/knowledge-articles", headers=admin[1], query_string={"q": "FACTURA reenvio"})
    assert [a["id"] for a in found.get_json()["items"]] == [article["id"]]
    assert client.get("/api/v1/customers/knowledge-articles", headers=admin[1],
                      query_string={"q": "roaming"}).get_json()["total"] == 0
    url = f"/api/v1/customers/knowledge-articles/{article['id']}"
    changed = client.patch(url, headers=admin[1] | {"If-Match": '"1"'}, json={"body": "Nueva versión: usar el portal."})
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    assert client.patch(url, headers=admin[1] | {"If-Match": '"1"'}, json={"title": "x"}).status_code == 412
    assert client.get(url, headers=admin[1], query_string={"version": 1}).get_json()["body"].startswith("Cómo")
    assert client.get(url, headers=admin[1]).get_json()["body"].startswith("Nueva")
    assert client.get("/api/v1/customers/knowledge-articles", headers=admin[1],
                      query_string={"q": "portal"}).get_json()["total"] == 1
    agent = headers_for(make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A))
    refused = client.patch(url, headers=agent | {"If-Match": '"2"'}, json={"title": "mine"})
    assert refused.status_code == 403


def test_macro_placeholders_are_checked(client, admin, catalogue):
    response = client.post("/api/v1/customers/interaction-macros", headers=admin[1],
                           json={"reason_id": str(uuid.uuid4()), "name": "x", "body": "Hello {customer_nmae}"})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"reason_id", "body"}


def test_catalogue_changes_take_if_match_and_retired_macros_are_no_longer_offered(client, admin, card, catalogue):
    reason_url = f"/api/v1/customers/interaction-reasons/{catalogue['duplicate']['id']}"
    assert client.patch(reason_url, headers=admin[1], json={"script": "x"}).status_code == 428
    renamed = client.patch(reason_url, headers=if_match(admin[1], 1), json={"script": "Ask for both invoices."})
    assert renamed.status_code == 200 and renamed.headers["ETag"] == '"2"' and renamed.get_json()["version"] == 2
    stale = client.patch(reason_url, headers=if_match(admin[1], 1), json={"name": "Lost"})
    assert stale.status_code == 412

    macros = client.get("/api/v1/customers/interaction-macros", headers=admin[1],
                        query_string={"reason_id": catalogue["duplicate"]["id"]}).get_json()["items"]
    assert [(m["name"], m["version"], m["is_retired"]) for m in macros] == [("Resent", 1, False)]
    macro_url = f"/api/v1/customers/interaction-macros/{macros[0]['id']}"
    refused = client.patch(macro_url, headers=if_match(admin[1], 1), json={"body": "Dear {customer}", "name": ""})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"name"}
    refused = client.patch(macro_url, headers=if_match(admin[1], 1), json={"body": "Dear {customer}"})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"body"}
    retired = client.patch(macro_url, headers=if_match(admin[1], 1), json={"is_retired": True})
    assert retired.status_code == 200 and retired.headers["ETag"] == '"2"'
    assert client.patch(macro_url, headers=if_match(admin[1], 1), json={"is_retired": False}).status_code == 412
    material = client.get(f"/api/v1/customers/{card['id']}/interaction-reasons/{catalogue['duplicate']['id']}",
                          headers=admin[1]).get_json()
    assert material["macros"] == [] and material["reason"]["script"] == "Ask for both invoices."

    point_url = f"/api/v1/customers/contact-points/{catalogue['office']['id']}"
    assert client.patch(point_url, headers=admin[1], json={"region": "Moscow"}).status_code == 428
    other = client.post("/api/v1/customers/contact-points", headers=admin[1], json={"name": "Hotline"})
    assert other.status_code == 201 and other.headers["ETag"] == '"1"'
    taken = client.patch(point_url, headers=if_match(admin[1], 1), json={"name": "Hotline"})
    assert taken.status_code == 422 and set(taken.get_json()["errors"]) == {"name"}
    moved = client.patch(point_url, headers=if_match(admin[1], 1), json={"region": "Moscow region"})
    assert moved.status_code == 200 and moved.get_json()["version"] == 2


def test_a_reason_moves_anywhere_in_the_tree_but_never_under_itself(client, admin, catalogue):
    url = f"/api/v1/customers/interaction-reasons/{catalogue['invoice']['id']}"
    for parent in (catalogue["invoice"]["id"], catalogue["duplicate"]["id"], str(uuid.uuid4())):
        refused = client.patch(url, headers=if_match(admin[1], 1), json={"parent_id": parent})
        assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"parent_id"}, parent
    moved = client.patch(url, headers=if_match(admin[1], 1), json={"parent_id": None})
    assert moved.status_code == 200 and moved.get_json()["path"] == ["Invoice"]
    reasons = {r["name"]: r for r in client.get("/api/v1/customers/interaction-reasons", headers=admin[1]).get_json()["items"]}
    assert reasons["Duplicate invoice"]["path"] == ["Invoice", "Duplicate invoice"]  # its subtree goes with it
    back = client.patch(url, headers=if_match(admin[1], 2), json={"parent_id": catalogue["billing"]["id"]})
    assert back.status_code == 200 and back.get_json()["path"] == ["Billing", "Invoice"]


def test_only_level_one_lists_and_changes_macros(client, headers_for, catalogue):
    agent = headers_for(make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A))
    assert client.get("/api/v1/customers/interaction-macros", headers=agent).status_code == 403
    macro = catalogue["macro"]
    assert client.patch(f"/api/v1/customers/interaction-macros/{macro['id']}", headers=agent | {"If-Match": '"1"'},
                        json={"name": "mine"}).status_code == 403


def test_follow_up_is_published_for_the_notifications_service(client, admin, card, outbox, directory):
    colleague, supervisor = make_principal(level=3), make_principal(level=2)
    for person in (colleague, supervisor):
        directory(person, branch_id=BRANCH_A, department_id=DEPT_A)
    saved, _ = interaction(client, admin[1], card["id"], channel="phone")
    url = f"/api/v1/customers/{card['id']}/interactions/{saved['id']}/followups"
    bad = client.post(url, headers=admin[1], json={"date": "2026-12-03", "time": "25:00", "time_zone": "Mars/Base",
                                                   "subject": "", "participant_ids": [str(uuid.uuid4())]})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"time", "time_zone", "subject"}
    unknown = client.post(url, headers=admin[1], json={"date": "2026-12-03", "time": "10:30",
                                                       "time_zone": "America/Bogota", "subject": "Training",
                                                       "participant_ids": [str(uuid.uuid4())]})
    assert unknown.status_code == 422 and "participant_ids" in unknown.get_json()["errors"]
    response = client.post(url, headers=admin[1], json={
        "date": "2026-12-03", "time": "10:30", "time_zone": "America/Bogota", "duration_minutes": 45,
        "subject": "Billing training", "location": "Skype", "participant_ids": [str(colleague.user_id)],
        "copy_ids": [str(supervisor.user_id)]})
    assert response.status_code == 201, response.get_json()
    [(key, data)] = [(k, d) for k, d in outbox() if k == "followup.scheduled.v1"]
    assert {k: data[k] for k in ("id", "customer_id", "customer_code", "interaction_id", "organiser_id", "starts_at",
                                 "ends_at", "subject", "location", "participant_ids", "copy_ids")} == {
        "id": response.get_json()["id"], "customer_id": card["id"], "customer_code": card["code"],
        "interaction_id": saved["id"], "organiser_id": str(admin[0].user_id),
        "starts_at": "2026-12-03T15:30:00+00:00", "ends_at": "2026-12-03T16:15:00+00:00",
        "subject": "Billing training", "location": "Skype", "participant_ids": [str(colleague.user_id)],
        "copy_ids": [str(supervisor.user_id)]}
    detail = client.get(f"/api/v1/customers/{card['id']}/interactions/{saved['id']}", headers=admin[1]).get_json()
    assert [f["subject"] for f in detail["followups"]] == ["Billing training"]


def test_click_to_call_gives_a_tel_action_for_a_line_or_a_contact(client, admin, card):
    dial = client.get(f"/api/v1/customers/{card['id']}/lines/{card['line']['id']}/dial", headers=admin[1])
    assert dial.get_json() == {"provider": "tel", "number": "+79161234567", "action": "tel:+79161234567"}
    card_now = client.get(f"/api/v1/customers/{card['id']}", headers=admin[1])
    contact = client.post(f"/api/v1/customers/{card['id']}/contacts",
                          headers=admin[1] | {"If-Match": card_now.headers["ETag"]},
                          json={"name": "Olga", "phones": ["+7 916 000-11-22"]}).get_json()
    dial = client.get(f"/api/v1/customers/{card['id']}/contacts/{contact['id']}/dial/0", headers=admin[1])
    assert dial.get_json()["action"] == "tel:+79160001122"
    assert client.get(f"/api/v1/customers/{card['id']}/contacts/{contact['id']}/dial/1",
                      headers=admin[1]).status_code == 404


def test_only_level_one_administers_the_catalogues(client, headers_for):
    agent = headers_for(make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A))
    for path, body in (("interaction-reasons", {"name": "Mine"}), ("contact-points", {"name": "Mine"}),
                       ("knowledge-articles", {"reason_id": str(uuid.uuid4()), "title": "t", "body": "b"})):
        response = client.post(f"/api/v1/customers/{path}", headers=agent, json=body)
        assert response.status_code == 403, path
