"""Claims that expire: a case taken (or assigned) and not accepted within its queue's claim time
goes back to the queue, on the timeline and as case.claim_expired.v1; an accepted case, a queue
without a claim time and a fresh claim are left alone."""
from __future__ import annotations

from datetime import timedelta

from services.cases.claims import expire_claims
from tests.unit.cases.conftest import new_case
from tests.unit.cases.test_sla_check import outbox_events


def expire(api, at) -> int:
    return expire_claims(api.app.extensions["caredesk"].database, now=at)


def set_claim_minutes(api, people, minutes) -> dict:
    queue = api.ok(api.get("/queues", as_=people.admin))["items"][0]
    return api.ok(api.patch(f"/queues/{queue['id']}", as_=people.admin, if_match=queue["version"],
                            json={"claim_minutes": minutes}))


def test_a_taken_case_not_accepted_in_time_goes_back_to_the_queue(api, people, frozen_clock):
    queue = set_claim_minutes(api, people, 15)
    assert queue["claim_minutes"] == 15
    case = new_case(api, people.initiator)
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    taken_at = frozen_clock.advance(minutes=1)
    assert api.ok(api.post("/cases/take-next", as_=people.agent))["id"] == case["id"]

    assert expire(api, taken_at + timedelta(minutes=14, seconds=59)) == 0
    assert expire(api, taken_at + timedelta(minutes=15)) == 1
    assert expire(api, taken_at + timedelta(minutes=16)) == 0, "released once"

    back = api.ok(api.get(f"/cases/{case['id']}", as_=people.supervisor))
    assert back["status"] == "open_dispatch" and back["owner_id"] is None
    [event] = outbox_events(api.app, "case.claim_expired.v1")
    assert event["id"] == case["id"] and event["previous_owner_id"] == str(people.agent.user_id)
    assert event["claim_minutes"] == 15
    timeline = api.ok(api.get(f"/cases/{case['id']}/timeline", as_=people.supervisor))["items"]
    assert timeline[-1]["action"] == "claim_expired"
    assert timeline[-1]["detail"]["previous_owner_id"] == str(people.agent.user_id)
    # waiting again: anyone of the queue takes it
    assert api.ok(api.post("/cases/take-next", as_=people.colleague))["id"] == case["id"]


def test_accepted_cases_fresh_claims_and_queues_without_a_claim_time_are_left_alone(api, people, frozen_clock):
    case = new_case(api, people.initiator)
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    start = frozen_clock.advance(minutes=1)
    assert expire(api, start + timedelta(days=30)) == 0, "no claim time: claims never expire"

    set_claim_minutes(api, people, 10)
    accepted = new_case(api, people.initiator)
    api.ok(api.post(f"/cases/{accepted['id']}/dispatch", as_=people.initiator))
    api.ok(api.post("/cases/take-next", as_=people.colleague))
    api.ok(api.post(f"/cases/{accepted['id']}/accept", as_=people.colleague))
    assert expire(api, start + timedelta(minutes=5)) == 0, "a fresh claim stays"
    assert expire(api, start + timedelta(hours=1)) == 1, "only the first case: the other was accepted"
    assert api.ok(api.get(f"/cases/{accepted['id']}", as_=people.supervisor))["status"] == "open"


def test_claim_minutes_are_validated(api, people):
    queue = api.ok(api.get("/queues", as_=people.admin))["items"][0]
    response = api.patch(f"/queues/{queue['id']}", as_=people.admin, if_match=queue["version"],
                         json={"claim_minutes": 0})
    assert response.status_code == 422 and "claim_minutes" in response.get_json()["errors"]
