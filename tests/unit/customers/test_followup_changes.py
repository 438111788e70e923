"""A scheduled follow-up is rescheduled, edited or cancelled through the API (If-Match, within the
caller's reach): each change enters the card's history and is published as followup.changed.v1 or
followup.cancelled.v1 with a higher iCalendar SEQUENCE, for the notifications service's updates."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A, DEPT_B, if_match

SHAPE = ("id", "customer_id", "customer_code", "interaction_id", "interaction_number", "organiser_id", "starts_at",
         "ends_at", "time_zone", "subject", "location", "participant_ids", "copy_ids")


@pytest.fixture
def people(directory):
    people = {"colleague": make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_A),
              "supervisor": make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A),
              "other": make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_A)}
    for person in people.values():
        directory(person, branch_id=BRANCH_A, department_id=DEPT_A)
    return people


@pytest.fixture
def scheduled(client, admin, make_customer, people):
    """A follow-up of an interaction on a fresh card, organised by the level 1 admin."""
    card = make_customer(name="Iván Petrov")
    saved = client.post(f"/api/v1/customers/{card['id']}/interactions", headers=admin[1],
                        json={"direction": "inbound", "channel": "phone"}).get_json()
    base = f"/api/v1/customers/{card['id']}/interactions/{saved['id']}/followups"
    response = client.post(base, headers=admin[1], json={
        "date": "2026-12-03", "time": "10:30", "time_zone": "America/Bogota", "duration_minutes": 45,
        "subject": "Billing training", "location": "Skype", "participant_ids": [str(people["colleague"].user_id)],
        "copy_ids": [str(people["supervisor"].user_id)]})
    assert response.status_code == 201, response.get_json()
    assert response.headers["ETag"] == '"1"'
    followup = response.get_json()
    return {"card": card, "interaction": saved, "url": f"{base}/{followup['id']}", "followup": followup}


def published(outbox, name: str) -> list[dict]:
    return [data for key, data in outbox() if key == name]


def test_a_reschedule_publishes_the_follow_up_as_it_is_now_with_a_higher_sequence(client, admin, scheduled, outbox,
                                                                                   people):
    url = scheduled["url"]
    assert scheduled["followup"]["sequence"] == 0
    shown = client.get(url, headers=admin[1])
    assert shown.status_code == 200 and shown.headers["ETag"] == '"1"'
    assert shown.get_json()["status"] == "scheduled"

    moved = client.patch(url, headers=if_match(admin[1], 1), json={"date": "2026-12-04", "time": "09:00"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.headers["ETag"] == '"2"'
    body = moved.get_json()
    # the zone stays the follow-up's own; the 45 minutes are kept
    assert (body["starts_at"], body["ends_at"]) == ("2026-12-04T14:00:00+00:00", "2026-12-04T14:45:00+00:00")
    assert (body["sequence"], body["version"]) == (1, 2)
    [changed] = published(outbox, "followup.changed.v1")
    [first] = published(outbox, "followup.scheduled.v1")
    assert set(changed) == set(SHAPE) | {"sequence"}
    assert changed["sequence"] == 1 and changed["starts_at"] == "2026-12-04T14:00:00+00:00"
    assert {key: changed[key] for key in SHAPE if key not in ("starts_at", "ends_at")} == {
        key: first[key] for key in SHAPE if key not in ("starts_at", "ends_at")}

    edited = client.patch(url, headers=if_match(admin[1], 2), json={
        "subject": "Billing training, part 2", "copy_ids": [], "participant_ids": [
            str(people["colleague"].user_id), str(people["other"].user_id)], "time_zone": "Europe/Moscow"})
    assert edited.status_code == 200, edited.get_json()
    second = published(outbox, "followup.changed.v1")[-1]
    assert second["sequence"] == 2 and second["subject"] == "Billing training, part 2"
    assert second["copy_ids"] == [] and second["time_zone"] == "Europe/Moscow"
    assert second["starts_at"] == "2026-12-04T06:00:00+00:00"  # 09:00 now read in Moscow

    same = client.patch(url, headers=if_match(admin[1], 3), json={"subject": "Billing training, part 2"})
    assert same.status_code == 200 and same.headers["ETag"] == '"3"'  # nothing changed: nothing published
    assert len(published(outbox, "followup.changed.v1")) == 2

    history = client.get(f"/api/v1/customers/{scheduled['card']['id']}/history", headers=admin[1],
                         query_string={"per_page": 200}).get_json()["items"]
    fields = {entry["field"] for entry in history if entry["entity"] == "followup"}
    assert fields == {"starts_at", "ends_at", "subject", "copy_ids", "participant_ids", "time_zone"}


def test_a_cancel_publishes_a_higher_sequence_once_and_a_cancelled_follow_up_cannot_change(client, admin, scheduled,
                                                                                          outbox):
    url = scheduled["url"]
    assert client.post(f"{url}/cancel", headers=admin[1]).status_code == 428
    stale = client.post(f"{url}/cancel", headers=if_match(admin[1], 7))
    assert stale.status_code == 412 and stale.content_type == "application/problem+json"
    cancelled = client.post(f"{url}/cancel", headers=if_match(admin[1], 1))
    assert cancelled.status_code == 200, cancelled.get_json()
    body = cancelled.get_json()
    assert (body["status"], body["sequence"], body["cancelled_by"]) == ("cancelled", 1, str(admin[0].user_id))
    [event] = published(outbox, "followup.cancelled.v1")
    assert set(event) == set(SHAPE) | {"sequence"} and event["sequence"] == 1
    again = client.post(f"{url}/cancel", headers=if_match(admin[1], 2))
    assert again.status_code == 409 and again.get_json()["type"].endswith("followup-cancelled")
    moved = client.patch(url, headers=if_match(admin[1], 2), json={"time": "11:00"})
    assert moved.status_code == 409
    assert len(published(outbox, "followup.cancelled.v1")) == 1 and published(outbox, "followup.changed.v1") == []
    detail = client.get(f"/api/v1/customers/{scheduled['card']['id']}/interactions/{scheduled['interaction']['id']}",
                        headers=admin[1]).get_json()
    assert [f["status"] for f in detail["followups"]] == ["cancelled"]


def test_bad_changes_are_refused_field_by_field_and_write_nothing(client, admin, scheduled, outbox):
    url = scheduled["url"]
    assert client.patch(url, headers=admin[1], json={"time": "11:00"}).status_code == 428
    empty = client.patch(url, headers=if_match(admin[1], 1), json={})
    assert empty.status_code == 422
    bad = client.patch(url, headers=if_match(admin[1], 1), json={
        "date": "9999-12-31", "time": "25:00", "time_zone": "Mars/Base", "subject": "", "duration_minutes": 1, "colour": "red"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"date", "time", "time_zone", "subject", "duration_minutes", "colour"}
    nobody = client.patch(url, headers=if_match(admin[1], 1), json={"participant_ids": [str(uuid.uuid4())]})
    assert nobody.status_code == 422 and "participant_ids" in nobody.get_json()["errors"]
    assert client.get(url, headers=admin[1]).headers["ETag"] == '"1"'
    assert published(outbox, "followup.changed.v1") == []


def test_only_those_who_reach_the_card_change_it_and_level_4_only_their_own(client, admin, scheduled, bearer, outbox):
    url = scheduled["url"]
    elsewhere = make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_B)
    assert client.patch(url, headers=if_match(bearer(elsewhere), 1), json={"time": "11:00"}).status_code == 404
    assert client.post(f"{url}/cancel", headers=if_match(bearer(elsewhere), 1)).status_code == 404
    other_id = url.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    assert client.get(other_id, headers=admin[1]).status_code == 404
    manager = make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A)
    moved = client.patch(url, headers=if_match(bearer(manager), 1), json={"time": "11:00"})
    assert moved.status_code == 200, moved.get_json()
    assert published(outbox, "followup.changed.v1")[-1]["organiser_id"] == str(admin[0].user_id)
