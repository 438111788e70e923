"""What the supervisor's dashboard needs from the cases API: the search narrowed to the cases behind a
chart (priority, missed SLA target), and the supervisor changing the priority of a case in the queue
or in work (the new priority's SLA targets apply; refused to others and in other states)."""
from __future__ import annotations

from tests.unit.cases.test_sla_check import check, make_sla_queue, msk, outbox_events
from tests.unit.cases.conftest import new_case


def subjects(page: dict) -> list[str]:
    return sorted(item["subject"] for item in page["items"])


def test_search_narrows_to_missed_sla_targets_and_priorities(api, people, frozen_clock):
    queue = make_sla_queue(api, people)
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=people.admin, json={"policies": [
        {"priority": "normal", "acceptance_minutes": 60, "resolution_minutes": 240, "warning_percent": 50},
        {"priority": "urgent", "acceptance_minutes": 600, "resolution_minutes": 900, "warning_percent": 50}]}))
    frozen_clock.set(msk(2, 10))
    made = {}
    for subject, priority in (("late", "normal"), ("calm", "urgent"), ("draft", "normal")):
        made[subject] = new_case(api, people.initiator, subject=subject, priority=priority)
    for subject in ("late", "calm"):
        api.ok(api.post(f"/cases/{made[subject]['id']}/dispatch", as_=people.initiator))
    assert check(api, msk(2, 11, 1)) == {"acceptance_breach": 1}

    search = lambda **q: subjects(api.ok(api.get("/cases", as_=people.supervisor, query={"queue": "delivery", **q})))  # noqa: E731
    assert search(breached="true") == ["late"]
    listed = api.ok(api.get("/cases", as_=people.supervisor, query={"queue": "delivery"}))["items"]
    assert {item["subject"]: item["breached"] for item in listed} == {"late": True, "calm": False}
    assert search(breached="false") == ["calm"], "the draft is its initiator's alone"
    assert search(priority=["urgent"]) == ["calm"]
    assert search(priority=["urgent", "normal"], breached="true") == ["late"]
    assert api.get("/cases", as_=people.supervisor, query={"priority": ["soon"]}).status_code == 422
    assert api.get("/cases", as_=people.supervisor, query={"breached": "maybe"}).status_code == 422


def test_the_supervisor_changes_the_priority_and_the_new_targets_apply(api, people, frozen_clock):
    queue = make_sla_queue(api, people)
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=people.admin, json={"policies": [
        {"priority": "normal", "acceptance_minutes": 60, "resolution_minutes": 240, "warning_percent": 50},
        {"priority": "urgent", "acceptance_minutes": 15, "resolution_minutes": 120, "warning_percent": 50}]}))
    frozen_clock.set(msk(2, 10))
    case = new_case(api, people.initiator)
    case = api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    assert case["sla"]["acceptance"]["due_at"] == msk(2, 11).isoformat()
    frozen_clock.advance(minutes=5)

    changed = api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, if_match=case["version"],
                              json={"priority": "urgent"}))
    assert changed["priority"] == "urgent" and changed["version"] > case["version"]
    assert changed["sla"]["acceptance"]["due_at"] == msk(2, 10, 15).isoformat(), "counted from the dispatch"
    assert changed["sla"]["resolution"]["due_at"] == msk(2, 12).isoformat()
    [saved] = outbox_events(api.app, "case.saved.v1")
    assert saved["changed"] == ["priority"] and saved["saved_by"] == str(people.supervisor.user_id)
    timeline = api.ok(api.get(f"/cases/{case['id']}/timeline", as_=people.supervisor))
    assert timeline[-1]["action"] == "priority_changed"
    assert timeline[-1]["detail"] == {"from": "normal", "to": "urgent"}

    # take-next now serves it before an older normal one
    older = new_case(api, people.initiator, subject="older")
    api.ok(api.post(f"/cases/{older['id']}/dispatch", as_=people.initiator))
    taken = api.ok(api.post("/cases/take-next", as_=people.agent, json={}))
    assert taken["id"] == case["id"]

    # the same priority again changes nothing; a stale version is refused
    same = api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, json={"priority": "urgent"}))
    assert same["version"] == taken["version"]
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, if_match=case["version"],
                    json={"priority": "low"}).status_code == 412
    # in work: still the supervisor's to change
    accepted = api.ok(api.post(f"/cases/{case['id']}/accept", as_=people.agent))
    assert api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.supervisor,
                           json={"priority": "high"}))["priority"] == "high"
    assert accepted["status"] == "open"


def test_priority_changes_are_refused_to_others_and_outside_the_queue(api, people, frozen_clock):
    draft = new_case(api, people.initiator)
    # a draft is its initiator's to save, not even an administrator's to reprioritise
    refused = api.post(f"/cases/{draft['id']}/priority", as_=people.admin, json={"priority": "urgent"})
    assert refused.status_code == 409 and refused.get_json()["case_status"] == "open"
    case = api.ok(api.post(f"/cases/{draft['id']}/dispatch", as_=people.initiator))
    for who in (people.agent, people.initiator):
        assert api.post(f"/cases/{case['id']}/priority", as_=who, json={"priority": "urgent"}).status_code == 409
    # out of reach: like a missing case
    assert api.post(f"/cases/{case['id']}/priority", as_=people.outsider, json={"priority": "urgent"}).status_code == 404
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, json={"priority": "soon"}).status_code == 422
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor, json={}).status_code == 422
    # an administrator who manages queues supervises every queue
    assert api.ok(api.post(f"/cases/{case['id']}/priority", as_=people.admin,
                           json={"priority": "low"}))["priority"] == "low"
    closed = api.ok(api.post(f"/cases/{case['id']}/assign", as_=people.supervisor,
                             json={"assignee_id": str(people.agent.user_id)}))
    api.ok(api.post(f"/cases/{closed['id']}/accept", as_=people.agent))
    api.ok(api.post(f"/cases/{closed['id']}/close", as_=people.agent, json={"resolution": "Delivered."}))
    assert api.post(f"/cases/{case['id']}/priority", as_=people.supervisor,
                    json={"priority": "urgent"}).status_code == 409
