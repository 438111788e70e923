"""The periodic SLA check: warnings, breaches and escalation to the supervisor, once each, never
while the clock is paused; due times move with the pause; reopening resumes the clock."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from services.cases.sla.check import check_sla
from tests.unit.cases.conftest import queue_version, new_case


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026 in Moscow (UTC+3 all year), as UTC."""
    return utc(2026, 3, day, hour - 3, minute)


def outbox_events(app, name: str) -> list[dict]:
    database = app.extensions["caredesk"].database
    with database.session() as session:
        rows = session.execute(select(database.outbox.c.envelope).where(database.outbox.c.routing_key == name)
                               .order_by(database.outbox.c.position)).scalars().all()
    return [row["data"] for row in rows]


def make_sla_queue(api, people) -> dict:
    """Delivery on Moscow office hours: normal priority accepted within 60 and resolved within 240
    business minutes, warned at half-time."""
    calendar = api.ok(api.post("/queues/calendars", as_=people.admin, json={
        "code": "moscow", "name": "Moscow", "time_zone": "Europe/Moscow"}), 201)
    queue = api.ok(api.get("/queues", as_=people.admin))["items"][0]
    queue = api.ok(api.patch(f"/queues/{queue['id']}", as_=people.admin, if_match=queue["version"],
                             json={"calendar_id": calendar["id"]}))
    api.ok(api.put(f"/queues/{queue['id']}/sla", as_=people.admin, if_match=queue_version(api, queue, people.admin), json={"policies": [
        {"priority": "normal", "acceptance_minutes": 60, "resolution_minutes": 240, "warning_percent": 50}]}))
    return queue


@pytest.fixture
def sla_queue(api, people):
    return make_sla_queue(api, people)


def check(api, at: datetime) -> dict:
    return {key: value for key, value in check_sla(api.app.extensions["caredesk"].database, now=at).items() if value}


def test_warning_breach_and_escalation_once_each_and_never_while_paused(api, people, sla_queue, frozen_clock):
    frozen_clock.set(msk(2, 10))  # Monday 10:00
    case = new_case(api, people.initiator)
    case = api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    sla = case["sla"]
    assert sla["acceptance"]["warning_at"] == msk(2, 10, 30).isoformat()
    assert sla["acceptance"]["due_at"] == msk(2, 11).isoformat()
    assert sla["resolution"]["due_at"] == msk(2, 14).isoformat()

    assert check(api, msk(2, 10, 29)) == {}
    assert check(api, msk(2, 10, 31)) == {"acceptance_warning": 1}
    assert check(api, msk(2, 10, 32)) == {}
    assert check(api, msk(2, 11, 1)) == {"acceptance_breach": 1}
    assert check(api, msk(2, 11, 2)) == {}

    [warned] = outbox_events(api.app, "case.sla_warned.v1")
    assert (warned["kind"], warned["number"], warned["due_at"]) == ("acceptance", case["number"], sla["acceptance"]["due_at"])
    [breached] = outbox_events(api.app, "case.sla_breached.v1")
    [escalated] = outbox_events(api.app, "case.escalated.v1")
    assert breached["kind"] == escalated["kind"] == "acceptance"
    assert escalated["supervisor_id"] == str(people.supervisor.user_id)

    frozen_clock.set(msk(2, 11, 10))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    case = api.ok(api.post(f"/cases/{case['id']}/accept", as_=people.agent))
    assert case["sla"]["acceptance"]["met"] is False  # decided by the breach, not undone by a late accept

    assert check(api, msk(2, 12, 1)) == {"resolution_warning": 1}
    frozen_clock.set(msk(2, 12, 30))
    case = api.ok(api.post(f"/cases/{case['id']}/reject", as_=people.agent, json={"reason": "Wrong tariff."}))
    assert check(api, msk(2, 17, 0)) == {}  # past the resolution due time, but waiting on the initiator

    # Tuesday 10:00: 5 h 30 min on Monday + 1 h on Tuesday were paused: due 14:00 + 6 h 30 min of
    # business time = Monday 18:00 (4 h) then Tuesday 11:30.
    frozen_clock.set(msk(3, 10))
    case = api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    assert case["sla"]["resolution"]["due_at"] == msk(3, 11, 30).isoformat()
    assert case["sla"]["paused_business_seconds"] == 6.5 * 3600
    assert check(api, msk(3, 11, 29)) == {}  # already warned on Monday
    assert check(api, msk(3, 11, 31)) == {"resolution_breach": 1}

    timeline = api.ok(api.get(f"/cases/{case['id']}/timeline", as_=people.supervisor))["items"]
    system = [(entry["action"], entry["detail"]["kind"]) for entry in timeline if entry["actor_id"] is None]
    assert system == [("sla_warning", "acceptance"), ("sla_breached", "acceptance"), ("escalated", "acceptance"),
                      ("sla_warning", "resolution"), ("sla_breached", "resolution"), ("escalated", "resolution")]


def test_closing_decides_resolution_and_reopening_resumes_the_clock(api, people, sla_queue, frozen_clock):
    frozen_clock.set(msk(2, 10))
    case = new_case(api, people.initiator)
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    frozen_clock.set(msk(2, 10, 20))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    case = api.ok(api.post(f"/cases/{case['id']}/accept", as_=people.agent))
    assert case["sla"]["acceptance"]["met"] is True

    frozen_clock.set(msk(2, 13))
    case = api.ok(api.post(f"/cases/{case['id']}/close", as_=people.agent, json={"resolution": "Done."}))
    assert case["sla"]["resolution"]["met"] is True and case["sla"]["paused"] is True
    assert check(api, msk(2, 15)) == {}  # closed: nothing to check

    # Reopened on Wednesday 9:00: Monday 13:00-18:00 and Tuesday count as paused; 1 h was left.
    frozen_clock.set(msk(4, 9))
    case = api.ok(api.post(f"/cases/{case['id']}/reopen", as_=people.initiator, json={"reason": "Not delivered."}))
    assert (case["status"], case["owner_id"]) == ("open", str(people.agent.user_id))
    assert case["sla"]["resolution"]["met"] is None
    assert case["sla"]["resolution"]["due_at"] == msk(4, 10).isoformat()
    assert check(api, msk(4, 10, 1)) == {"resolution_breach": 1}


def test_a_case_returned_after_its_due_time_stays_missed(api, people, sla_queue, frozen_clock):
    frozen_clock.set(msk(2, 10))
    case = new_case(api, people.initiator)
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    frozen_clock.set(msk(2, 10, 10))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    api.ok(api.post(f"/cases/{case['id']}/accept", as_=people.agent))
    frozen_clock.set(msk(2, 15))  # an hour past the resolution target, not yet checked
    api.ok(api.post(f"/cases/{case['id']}/reject", as_=people.agent, json={"reason": "Needs a signature."}))
    frozen_clock.set(msk(2, 16))
    case = api.ok(api.post(f"/cases/{case['id']}/close", as_=people.initiator, json={"resolution": "Withdrawn."}))
    assert case["sla"]["resolution"]["met"] is False  # the clock stopped at 15:00, past 14:00
