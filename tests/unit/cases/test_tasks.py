"""Tasks inside a case (seed 002: no billing training before the inventory migration is done)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.unit.cases.conftest import new_case


def outbox(app, name: str) -> list[dict]:
    database = app.extensions["caredesk"].database
    with database.session() as session:
        return [row["data"] for row in session.execute(
            select(database.outbox.c.envelope).where(database.outbox.c.routing_key == name)).scalars()]


@pytest.fixture
def case(api, people):
    case = new_case(api, people.initiator, subject="New customer: migration and training")
    api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))
    api.ok(api.post("/cases/take-next", as_=people.agent))
    return api.ok(api.post(f"/cases/{case['id']}/accept", as_=people.agent))


def test_a_task_cannot_be_done_before_the_task_that_blocks_it(api, people, case):
    boris, vera = people.agent, people.colleague
    tasks = f"/cases/{case['id']}/tasks"
    migration = api.ok(api.post(tasks, as_=boris, json={
        "title": "Migrate the inventory", "assignee_id": str(vera.user_id), "due_at": "2026-03-05T15:00:00+00:00"}), 201)
    training = api.ok(api.post(tasks, as_=boris, json={
        "title": "Billing training", "assignee_id": str(boris.user_id), "blocked_by_id": migration["id"]}), 201)
    assert training["is_blocked"] is True

    refused = api.post(f"{tasks}/{training['id']}/complete", as_=boris)
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("/task-blocked")
    assert refused.get_json()["blocked_by_id"] == migration["id"]

    done = api.ok(api.post(f"{tasks}/{migration['id']}/complete", as_=vera))
    assert done["is_done"] is True and done["done_by"] == str(vera.user_id)
    training = api.ok(api.post(f"{tasks}/{training['id']}/complete", as_=boris))
    assert training["is_done"] is True and training["is_blocked"] is False

    listed = api.ok(api.get(tasks, as_=people.initiator))["items"]
    assert [(t["title"], t["is_done"]) for t in listed] == [("Migrate the inventory", True), ("Billing training", True)]
    assigned = outbox(api.app, "case.task_assigned.v1")
    assert [(e["task"]["title"], e["task"]["assignee_id"]) for e in assigned] == [
        ("Migrate the inventory", str(vera.user_id)), ("Billing training", str(boris.user_id))]
    assert len(outbox(api.app, "case.task_completed.v1")) == 2
    actions = [entry["action"] for entry in api.ok(api.get(f"/cases/{case['id']}/timeline", as_=boris))["items"]]
    assert actions[-6:] == ["task_added", "task_assigned", "task_added", "task_assigned", "task_done", "task_done"]


def test_tasks_cannot_block_each_other_in_a_circle(api, people, case):
    tasks = f"/cases/{case['id']}/tasks"
    first = api.ok(api.post(tasks, as_=people.agent, json={"title": "First"}), 201)
    second = api.ok(api.post(tasks, as_=people.agent, json={"title": "Second", "blocked_by_id": first["id"]}), 201)
    third = api.ok(api.post(tasks, as_=people.agent, json={"title": "Third", "blocked_by_id": second["id"]}), 201)
    circle = api.patch(f"{tasks}/{first['id']}", as_=people.agent, json={"blocked_by_id": third["id"]})
    assert circle.status_code == 422 and circle.get_json()["type"].endswith("/task-dependency-cycle")
    itself = api.patch(f"{tasks}/{first['id']}", as_=people.agent, json={"blocked_by_id": first["id"]})
    assert itself.status_code == 422
    elsewhere = api.post(tasks, as_=people.agent, json={"title": "X", "blocked_by_id": str(case["id"])})
    assert elsewhere.status_code == 422 and "blocked_by_id" in elsewhere.get_json()["errors"]


def test_reassigning_a_task_announces_it_and_versions_guard_changes(api, people, case):
    tasks = f"/cases/{case['id']}/tasks"
    task = api.ok(api.post(tasks, as_=people.agent, json={"title": "Call the customer"}), 201)
    assert outbox(api.app, "case.task_assigned.v1") == []
    changed = api.ok(api.patch(f"{tasks}/{task['id']}", as_=people.supervisor, if_match=task["version"],
                               json={"assignee_id": str(people.colleague.user_id)}))
    assert changed["assignee_id"] == str(people.colleague.user_id)
    assert len(outbox(api.app, "case.task_assigned.v1")) == 1
    stale = api.patch(f"{tasks}/{task['id']}", as_=people.agent, if_match=task["version"], json={"title": "Old"})
    assert stale.status_code == 412


def test_tasks_are_for_the_cases_people_and_not_on_closed_cases(api, people, case):
    tasks = f"/cases/{case['id']}/tasks"
    assert api.post(tasks, as_=people.outsider, json={"title": "Sneak"}).status_code == 404
    api.ok(api.post(f"/cases/{case['id']}/close", as_=people.agent, json={"resolution": "Done."}))
    closed = api.post(tasks, as_=people.agent, json={"title": "Late"})
    assert closed.status_code == 409 and closed.get_json()["type"].endswith("/case-closed")
