"""Queue history: periodic snapshots (one per queue and slot however often the job runs), accepted
and closed per hour and SLA attainment per priority from a small known timeline, and who may read it."""
from __future__ import annotations

from datetime import timedelta

from services.cases.queues.history import slot_of, take_snapshots
from tests.unit.cases.conftest import queue_version, new_case


def snapshots(api, at, minutes=15) -> int:
    return take_snapshots(api.app.extensions["caredesk"].database, now=at, minutes=minutes)


def known_timeline(api, people, frozen_clock) -> tuple[dict, object]:
    """Five normal cases dispatched at +0, +30, +60, +70, +80 minutes; at +85 the two oldest are
    accepted (both late against a 30-minute target) and the first is closed (in time)."""
    admin, ana, boris = people.admin, people.initiator, people.agent
    queue = api.ok(api.get("/queues", as_=admin))["items"][0]
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=admin, if_match=queue_version(api, queue, admin), json={"policies": [
        {"priority": "normal", "acceptance_minutes": 30, "resolution_minutes": 120}]}))
    start = frozen_clock.current
    made = []
    for minutes in (0, 30, 60, 70, 80):
        frozen_clock.set(start + timedelta(minutes=minutes))
        case = new_case(api, ana)
        made.append(api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=ana)))
    frozen_clock.set(start + timedelta(minutes=85))
    for _ in range(2):
        taken = api.ok(api.post("/cases/take-next", as_=boris))
        api.ok(api.post(f"/cases/{taken['id']}/accept", as_=boris))
    api.ok(api.post(f"/cases/{made[0]['id']}/close", as_=boris, json={"resolution": "Done."}))
    return queue, start


def test_slots_are_the_interval_floored():
    from datetime import datetime, timezone
    at = datetime(2026, 3, 2, 10, 44, 59, tzinfo=timezone.utc)
    assert slot_of(at, 15) == datetime(2026, 3, 2, 10, 30, tzinfo=timezone.utc)
    assert slot_of(at, 60) == datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def test_the_job_twice_in_a_slot_keeps_one_row_and_history_adds_the_timeline(api, people, frozen_clock):
    queue, start = known_timeline(api, people, frozen_clock)
    assert snapshots(api, start + timedelta(minutes=90)) == 1
    assert snapshots(api, start + timedelta(minutes=120)) == 1
    assert snapshots(api, start + timedelta(minutes=121)) == 0, "same slot: the row stays as it is"
    frozen_clock.set(start + timedelta(minutes=121))
    stats = api.ok(api.get(f"/queues/{queue['id']}/statistics", as_=people.supervisor, query={"hours": 2}))

    history = api.ok(api.get(f"/queues/{queue['id']}/history", as_=people.supervisor, query={
        "from": start.isoformat(), "to": (start + timedelta(hours=2, minutes=15)).isoformat()}))
    assert history["queue"]["code"] == "delivery"
    assert [s["slot"][11:16] for s in history["snapshots"]] == ["10:30", "11:00"]
    last = history["snapshots"][-1]
    assert (last["waiting"], last["assigned"], last["in_work"], last["returned"]) == (3, 0, 1, 0)
    assert last["oldest_age_seconds"] == 60 * 60 and last["median_age_seconds"] == 50 * 60
    assert last["breached_open"] == stats["breached_open"]
    assert history["snapshots"][0]["oldest_age_seconds"] == 30 * 60  # at +90 the +60 case waited 30 min
    assert [(h["hour"][11:16], h["accepted"], h["closed"]) for h in history["per_hour"]] == [
        ("09:00", 0, 0), ("10:00", 2, 1), ("11:00", 0, 0)]
    normal = {a["target"]: a for a in history["sla_attainment"] if a["priority"] == "normal"}
    assert normal["acceptance"] | {} == {"target": "acceptance", "priority": "normal", "decided": 2, "met": 0, "rate": 0.0}
    assert (normal["resolution"]["decided"], normal["resolution"]["met"], normal["resolution"]["rate"]) == (1, 1, 1.0)
    assert {a["priority"] for a in history["sla_attainment"] if a["decided"] == 0} == {"low", "high", "urgent"}

    listed = api.ok(api.get("/queues/history", as_=people.supervisor, query={"from": start.isoformat()}))["items"]
    assert [h["queue"]["code"] for h in listed] == ["delivery"] and len(listed[0]["snapshots"]) == 2


def test_only_members_supervisors_and_administrators_read_history_and_others_get_404(api, people):
    queue = api.ok(api.get("/queues", as_=people.admin))["items"][0]
    for who in (people.supervisor, people.agent, people.admin):
        assert api.get(f"/queues/{queue['id']}/history", as_=who).status_code == 200
    hidden = api.get(f"/queues/{queue['id']}/history", as_=people.outsider)
    missing = api.get("/queues/00000000-0000-0000-0000-000000000000/history", as_=people.supervisor)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["type"] == missing.get_json()["type"]
    assert api.ok(api.get("/queues/history", as_=people.outsider))["items"] == []


def test_bad_periods_are_422_naming_each_parameter(api, people):
    queue = api.ok(api.get("/queues", as_=people.admin))["items"][0]
    both = api.get(f"/queues/{queue['id']}/history", as_=people.supervisor, query={"from": "yesterday", "to": "2026-13-01"})
    assert both.status_code == 422 and set(both.get_json()["errors"]) >= {"from", "to"}
    naive = api.get("/queues/history", as_=people.supervisor, query={"from": "2026-03-02T09:00:00"})
    assert naive.status_code == 422 and "from" in naive.get_json()["errors"]
    reversed_ = api.get(f"/queues/{queue['id']}/history", as_=people.supervisor, query={
        "from": "2026-03-02T10:00:00+00:00", "to": "2026-03-02T09:00:00+00:00"})
    assert reversed_.status_code == 422 and set(reversed_.get_json()["errors"]) == {"from", "to"}
    too_long = api.get(f"/queues/{queue['id']}/history", as_=people.supervisor, query={
        "from": "2026-01-01T00:00:00+00:00", "to": "2026-06-01T00:00:00+00:00"})
    assert too_long.status_code == 422 and "to" in too_long.get_json()["errors"]
