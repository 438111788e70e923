"""Events of every state change and assignment (with the snapshot consumers read), comments, and
the administration of queues, calendars and SLA targets."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from services.cases.events import EMITTED
from tests.unit.cases.conftest import queue_version, new_case


def outbox(app) -> list[dict]:
    database = app.extensions["caredesk"].database
    with database.session() as session:
        return list(session.execute(select(database.outbox.c.envelope).order_by(database.outbox.c.position)).scalars())


def test_every_action_is_an_event_with_its_actor_and_the_case_snapshot(api, people):
    ana, boris, sofia = people.initiator, people.agent, people.supervisor
    case = new_case(api, ana)
    path = f"/cases/{case['id']}"
    api.ok(api.post(f"{path}/dispatch", as_=ana))
    api.ok(api.post("/cases/take-next", as_=boris))
    api.ok(api.post(f"{path}/reject", as_=boris, json={"reason": "No address."}))
    case = api.ok(api.get(path, as_=ana))
    api.ok(api.patch(path, as_=ana, if_match=case["version"], json={"description": "Tverskaya 1, flat 12"}))
    api.ok(api.post(f"{path}/dispatch", as_=ana))
    api.ok(api.post(f"{path}/assign", as_=sofia, json={"assignee_id": str(boris.user_id)}))
    api.ok(api.post(f"{path}/accept", as_=boris))
    api.ok(api.post(f"{path}/comments", as_=boris, json={"body": "Courier booked for 15:00."}), 201)
    api.ok(api.post(f"{path}/close", as_=boris, json={"resolution": "Delivered."}))
    api.ok(api.post(f"{path}/reopen", as_=ana, json={"reason": "Wrong SIM."}))

    events = [e for e in outbox(api.app) if e["type"].startswith("case.")]
    expected = [("case.created", ana), ("case.dispatched", ana), ("case.assigned", boris), ("case.rejected", boris),
                ("case.saved", ana), ("case.dispatched", ana), ("case.assigned", sofia), ("case.accepted", boris),
                ("case.commented", boris), ("case.closed", boris), ("case.reopened", ana)]
    assert [(e["type"], e["actor"]) for e in events] == [(name, str(who.user_id)) for name, who in expected]
    assert all(f"{e['type']}.v{e['version']}" in EMITTED for e in events)
    for event in events:
        data = event["data"]
        assert data["id"] == case["id"] and data["number"] == case["number"]
        assert {"code", "name"} <= set(data["customer"]) and {"id", "code", "name"} <= set(data["queue"])
    assigned = [e["data"] for e in events if e["type"] == "case.assigned"]
    assert [(a["how"], a["assignee_id"]) for a in assigned] == [
        ("take_next", str(boris.user_id)), ("supervisor", str(boris.user_id))]
    rejected = next(e["data"] for e in events if e["type"] == "case.rejected")
    assert (rejected["reason"], rejected["owner_id"]) == ("No address.", str(ana.user_id))
    comments = api.ok(api.get(f"{path}/comments", as_=ana))["items"]
    assert [(c["body"], c["author_id"]) for c in comments] == [("Courier booked for 15:00.", str(boris.user_id))]


def test_dispatched_event_keeps_what_the_queue_notification_reads(api, people):
    case = new_case(api, people.initiator, priority="high")
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    dispatched = next(e["data"] for e in outbox(api.app) if e["type"] == "case.dispatched")
    assert dispatched["queue"]["code"] == "delivery" and dispatched["queue"]["name"] == "Delivery"
    assert dispatched["customer"]["code"] == "C-7" and dispatched["customer"]["name"] == "Дмитрий Иванов"
    assert (dispatched["subject"], dispatched["priority"], dispatched["status"]) == (
        "Deliver the SIM card", "high", "open_dispatch")
    assert dispatched["dispatched_by"] == str(people.initiator.user_id)


def test_stale_or_missing_versions_are_refused(api, people):
    case = new_case(api, people.initiator)
    path = f"/cases/{case['id']}"
    assert api.patch(path, as_=people.initiator, json={"subject": "x"}).status_code == 428
    api.ok(api.patch(path, as_=people.initiator, if_match=case["version"], json={"subject": "Changed"}))
    stale = api.patch(path, as_=people.initiator, if_match=case["version"], json={"subject": "Again"})
    assert stale.status_code == 412
    assert api.post(f"{path}/dispatch", as_=people.initiator, if_match=case["version"]).status_code == 412
    assert api.ok(api.get(path, as_=people.initiator))["subject"] == "Changed"


def test_supervisor_assigns_only_to_members_of_the_queue(api, people):
    case = new_case(api, people.initiator)
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    refused = api.post(f"/cases/{case['id']}/assign", as_=people.supervisor,
                       json={"assignee_id": str(people.outsider.user_id)})
    assert refused.status_code == 422 and "assignee_id" in refused.get_json()["errors"]
    assigned = api.ok(api.post(f"/cases/{case['id']}/assign", as_=people.supervisor,
                               json={"assignee_id": str(people.colleague.user_id)}))
    assert assigned["owner_id"] == str(people.colleague.user_id)


def test_take_next_gives_the_highest_priority_then_the_oldest(api, people, frozen_clock):
    made = {}
    for name, priority in (("old-normal", "normal"), ("urgent", "urgent"), ("new-normal", "normal"),
                           ("high", "high"), ("low", "low")):
        frozen_clock.advance(minutes=1)
        made[name] = new_case(api, people.initiator, priority=priority)
        api.ok(api.post(f"/cases/{made[name]['id']}/dispatch", as_=people.initiator))
    order = [api.ok(api.post("/cases/take-next", as_=who))["id"]
             for who in (people.agent, people.colleague, people.agent, people.colleague, people.agent)]
    assert order == [made[name]["id"] for name in ("urgent", "high", "old-normal", "new-normal", "low")]
    assert api.post("/cases/take-next", as_=people.agent).status_code == 204
    assert api.post("/cases/take-next", as_=people.agent, json={"queue": "billing"}).status_code == 403


def test_queue_administration(api, people):
    admin = people.admin
    queue = api.ok(api.get("/queues", as_=people.initiator))["items"][0]
    detail = api.ok(api.get(f"/queues/{queue['id']}", as_=admin))
    assert sorted(m["username"] for m in detail["members"]) == ["boris.delivery", "vera.delivery"]
    assert detail["supervisor_id"] == str(people.supervisor.user_id)

    assert api.post("/queues", as_=admin, json={"code": "delivery", "name": "Again"}).status_code == 409
    assert api.patch(f"/queues/{queue['id']}", as_=admin, json={"name": "D"}).status_code == 428
    new_supervisor = people.colleague.user_id
    changed = api.ok(api.patch(f"/queues/{queue['id']}", as_=admin, if_match=queue["version"],
                               json={"supervisor_id": str(new_supervisor)}))
    assert changed["supervisor_id"] == str(new_supervisor) and changed["version"] == queue["version"] + 1
    assert api.patch(f"/queues/{queue['id']}", as_=admin, if_match=queue["version"],
                     json={"name": "D"}).status_code == 412
    assert api.patch(f"/queues/{queue['id']}", as_=people.agent, if_match=changed["version"],
                     json={"name": "D"}).status_code == 403
    updated = [e for e in outbox(api.app) if e["type"] == "queue.updated"]
    assert updated[-1]["data"]["changed"] == ["supervisor_id"]

    policies = {"policies": [{"priority": "urgent", "acceptance_minutes": 15, "resolution_minutes": 240},
                             {"priority": "normal", "acceptance_minutes": 120}]}
    assert api.put(f"/queues/{queue['id']}/sla", as_=people.agent, if_match=queue_version(api, queue, people.agent), json=policies).status_code == 403
    saved = api.ok(api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=queue_version(api, queue, admin), json=policies))
    assert [(p["priority"], p["acceptance_minutes"], p["resolution_minutes"], p["warning_percent"])
            for p in saved["policies"]] == [("urgent", 15, 240, 80), ("normal", 120, None, 80)]
    twice = {"policies": [{"priority": "low"}, {"priority": "low"}]}
    assert api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=queue_version(api, queue, admin), json=twice).status_code == 422
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=queue_version(api, queue, admin), json={"policies": [{"priority": "low",
                                                                                "resolution_minutes": 600}]}))
    assert [p["priority"] for p in api.ok(api.get(f"/queues/{queue['id']}/sla", as_=admin))["policies"]] == ["low"]


def test_calendars_are_validated(api, people):
    admin = people.admin
    for bad, field in (({"time_zone": "Mars/Olympus"}, "time_zone"),
                       ({"hours": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "18:00"}]}, "hours"),
                       ({"hours": [{"start": "18:00", "end": "09:00"}]}, "hours"),
                       ({"hours": [{"start": "9am", "end": "18:00"}]}, "hours"),
                       ({"working_days": [0, 0, 1]}, "working_days"),
                       ({"working_days": [7]}, "working_days"),
                       ({"holidays": ["31.12.2026"]}, "holidays")):
        response = api.post("/queues/calendars", as_=admin, json={"code": "bad", "name": "Bad"} | bad)
        assert response.status_code == 422, bad
        assert field in response.get_json()["errors"], (bad, response.get_json())
    calendar = api.ok(api.post("/queues/calendars", as_=admin, json={
        "code": "bogota", "name": "Bogotá", "time_zone": "America/Bogota", "working_days": [5, 0, 1],
        "hours": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"]}), 201)
    assert calendar["working_days"] == [0, 1, 5] and calendar["holidays"] == ["2026-01-01", "2026-12-25"]
    changed = api.ok(api.patch(f"/queues/calendars/{calendar['id']}", as_=admin, if_match=calendar["version"],
                               json={"holidays": ["2026-07-20"]}))
    assert changed["holidays"] == ["2026-07-20"]
    assert api.post("/queues/calendars", as_=people.agent, json={"code": "x", "name": "X"}).status_code == 403
    assert api.post("/queues", as_=admin, json={"code": "x", "name": "X",
                                                "calendar_id": str(uuid.uuid4())}).status_code == 422


def test_sla_targets_need_the_queues_etag_and_move_its_version_on(api, people):
    admin = people.admin
    queue = api.ok(api.get("/queues", as_=admin))
    queue = next(q for q in (queue["items"] if isinstance(queue, dict) else queue) if q["code"] == "delivery")
    policies = {"policies": [{"priority": "urgent", "acceptance_minutes": 15}]}
    read = api.get(f"/queues/{queue['id']}/sla", as_=admin)
    version = int(read.headers["ETag"].strip('"'))
    assert api.get(f"/queues/{queue['id']}", as_=admin).headers["ETag"] == read.headers["ETag"]
    missing = api.put(f"/queues/{queue['id']}/sla", as_=admin, json=policies)
    assert missing.status_code == 428
    stale = api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=version - 1, json=policies)
    assert stale.status_code == 412 and stale.get_json()["current_version"] == version
    saved = api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=version, json=policies)
    assert saved.status_code == 200 and saved.headers["ETag"] == f'"{version + 1}"'
    assert api.get(f"/queues/{queue['id']}", as_=admin).headers["ETag"] == f'"{version + 1}"'
    # the change of the queue itself from the version before is now stale
    assert api.patch(f"/queues/{queue['id']}", as_=admin, if_match=version, json={"name": "D"}).status_code == 412
