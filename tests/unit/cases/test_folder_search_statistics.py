"""The personal folder, search over all cases, and queue statistics."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.unit.cases.conftest import queue_version, make_principal, new_case


@pytest.fixture
def cases(api, people, frozen_clock):
    """Ana's cases, one minute apart: a draft, one waiting, one returned, one in Boris's hands, one
    closed draft."""
    ana, boris = people.initiator, people.agent
    made = {}
    for name, priority in (("draft", "low"), ("waiting", "urgent"), ("returned", "normal"),
                           ("in_work", "high"), ("closed", "normal")):
        frozen_clock.advance(minutes=1)
        made[name] = new_case(api, ana, subject=f"Case {name}", priority=priority, line="+79161234567")
    for name in ("returned", "in_work", "waiting"):
        frozen_clock.advance(minutes=1)
        api.ok(api.post(f"/cases/{made[name]['id']}/dispatch", as_=ana))
    frozen_clock.advance(minutes=1)
    api.ok(api.post(f"/cases/{made['returned']['id']}/assign", as_=people.supervisor,
                    json={"assignee_id": str(boris.user_id)}))
    api.ok(api.post(f"/cases/{made['returned']['id']}/reject", as_=boris, json={"reason": "Unclear."}))
    api.ok(api.post(f"/cases/{made['in_work']['id']}/assign", as_=people.supervisor,
                    json={"assignee_id": str(boris.user_id)}))
    api.ok(api.post(f"/cases/{made['in_work']['id']}/accept", as_=boris))
    api.ok(api.post(f"/cases/{made['closed']['id']}/close", as_=ana, json={"resolution": "Solved on the phone."}))
    return made


def ids(page: dict) -> list[str]:
    return [item["subject"].removeprefix("Case ") for item in page["items"]]


def test_the_personal_folder_has_four_boxes_without_closed_cases(api, people, cases):
    ana, boris = people.initiator, people.agent
    folder = lambda who, box, **q: api.ok(api.get("/cases/folder", as_=who, query={"box": box, **q}))  # noqa: E731
    assert ids(folder(ana, "owned", sort="age")) == ["draft", "returned"]
    assert ids(folder(ana, "created", sort="age")) == ["draft", "waiting", "returned", "in_work"]
    assert ids(folder(ana, "returned")) == ["returned"]
    assert ids(folder(ana, "waiting")) == ["waiting"]
    assert ids(folder(boris, "owned")) == ["in_work"]
    assert folder(ana, "owned")["counts"] == {"owned": 2, "created": 4, "returned": 1, "waiting": 1}


def test_folder_lists_sort_by_priority_and_age_and_page(api, people, cases):
    ana = people.initiator
    by = lambda **q: ids(api.ok(api.get("/cases/folder", as_=ana, query={"box": "created", **q})))  # noqa: E731
    assert by(sort="priority") == ["waiting", "in_work", "returned", "draft"]
    assert by(sort="-priority") == ["draft", "returned", "in_work", "waiting"]
    assert by(sort="age") == ["draft", "waiting", "returned", "in_work"]
    assert by(sort="-age") == ["in_work", "returned", "waiting", "draft"]
    page = api.ok(api.get("/cases/folder", as_=ana, query={"box": "created", "sort": "age", "per_page": 3, "page": 2}))
    assert ids(page) == ["in_work"] and page["total"] == 4
    assert api.get("/cases/folder", as_=ana, query={"box": "everything"}).status_code == 422


def test_search_finds_closed_cases_by_every_criterion(api, people, cases, frozen_clock):
    ana = people.initiator
    search = lambda **q: ids(api.ok(api.get("/cases", as_=ana, query={"sort": "age", **q})))  # noqa: E731
    assert search() == ["draft", "waiting", "returned", "in_work", "closed"]
    assert search(number=cases["closed"]["number"]) == ["closed"]
    assert search(status=["closed", "open_reject"]) == ["returned", "closed"]
    assert search(customer_code="C-7", line="+79161234567", queue="delivery") == search()
    assert search(owner_id=str(people.agent.user_id)) == ["in_work"]
    assert search(initiator_id=str(people.agent.user_id)) == []
    assert search(q="in_WORK") == ["in_work"]
    assert search(type="sim-delivery") == []
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert search(created_from=(start + timedelta(minutes=2)).isoformat(),
                  created_to=(start + timedelta(minutes=4)).isoformat()) == ["waiting", "returned"]
    assert search(closed_from=start.isoformat()) == ["closed"]
    assert search(dispatched_to=(start + timedelta(minutes=8)).isoformat()) == ["returned", "in_work"]
    # someone who reaches none of them finds nothing, not even by number
    assert api.ok(api.get("/cases", as_=people.outsider, query={"number": cases["closed"]["number"]}))["total"] == 0


def test_queue_statistics(api, people, frozen_clock):
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
    for _ in range(2):  # the two oldest: the first accepted late (85 > 30 min), the second in time
        taken = api.ok(api.post("/cases/take-next", as_=boris))
        api.ok(api.post(f"/cases/{taken['id']}/accept", as_=boris))
    api.ok(api.post(f"/cases/{made[0]['id']}/close", as_=boris, json={"resolution": "Done."}))

    frozen_clock.set(start + timedelta(minutes=120))
    stats = api.ok(api.get(f"/queues/{queue['id']}/statistics", as_=people.supervisor, query={"hours": 2}))
    assert (stats["depth"], stats["assigned"], stats["in_work"]) == (3, 0, 1)
    assert stats["oldest_age_seconds"] == 60 * 60 and stats["median_age_seconds"] == 50 * 60
    assert stats["accepted_per_hour"] == 1.0 and stats["closed_per_hour"] == 0.5
    assert stats["acceptance_sla"] == {"decided": 2, "met": 0, "rate": 0.0}  # 85 and 55 minutes: both late
    assert stats["resolution_sla"] == {"decided": 1, "met": 1, "rate": 1.0}

    api.ok(api.post("/cases/take-next", as_=boris))  # two wait now (50 and 40 minutes): the median is between
    stats = api.ok(api.get(f"/queues/{queue['id']}/statistics", as_=people.supervisor, query={"hours": 2}))
    assert (stats["depth"], stats["oldest_age_seconds"], stats["median_age_seconds"]) == (2, 50 * 60, 45 * 60)
    assert stats["queue"]["code"] == "delivery"

    # out of reach answers like a missing queue, as the queue's history does
    assert api.get(f"/queues/{queue['id']}/statistics", as_=people.outsider).status_code == 404
    assert api.get(f"/queues/{queue['id']}/history", as_=people.outsider).status_code == 404
    assert api.get(f"/queues/{queue['id']}/statistics", as_=boris).status_code == 200
    assert [s["queue"]["code"] for s in api.ok(api.get("/queues/statistics", as_=people.supervisor))["items"]] == ["delivery"]
    assert api.ok(api.get("/queues/statistics", as_=people.outsider))["items"] == []


def test_level_two_and_department_reach(api, people, cases):
    branch_manager = make_principal(level=2, branch_id=people.initiator.branch_id)
    assert api.ok(api.get("/cases", as_=branch_manager))["total"] == 5
    other_branch = make_principal(level=2)
    assert api.ok(api.get("/cases", as_=other_branch))["total"] == 0
    front_office_lead = make_principal(level=3, branch_id=people.initiator.branch_id,
                                       department_id=people.initiator.department_id)
    assert api.ok(api.get("/cases", as_=front_office_lead))["total"] == 5
    # a Delivery lead who is not a queue member still reaches what was sent to the Delivery queue
    delivery_lead = make_principal(level=3, department_id=people.agent.department_id)
    assert sorted(ids(api.ok(api.get("/cases", as_=delivery_lead)))) == ["in_work", "returned", "waiting"]
    assert api.get(f"/cases/{cases['draft']['id']}", as_=delivery_lead).status_code == 404
