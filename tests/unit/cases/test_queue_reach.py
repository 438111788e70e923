"""A back-office agent's reach through the queues they are a member of, with more than one queue:
each caller reaches the cases of their own queues, also when another caller's reach has the same
shape (level, ids, number of queues), and take-next looks in every one of them."""
from __future__ import annotations

import uuid

from tests.conftest import make_principal
from tests.unit.cases.conftest import BILLING, BRANCH, new_case


def add_queue(api, people, code: str) -> dict:
    return api.ok(api.post("/queues", as_=people.admin, json={
        "code": code, "name": code.title(), "department_id": str(BILLING)}), 201)


def dispatched_case(api, people, queue: str, **overrides) -> dict:
    case = new_case(api, people.initiator, queue=queue, **overrides)
    return api.ok(api.post(f"/cases/{case['id']}/dispatch", as_=people.initiator))


def agent_of(*queues: str):
    return make_principal(username=f"agent.{'.'.join(queues)}", level=4, branch_id=BRANCH,
                          department_id=uuid.uuid4(), queues=frozenset(queues))


def test_an_agent_of_two_queues_reads_the_cases_of_each_and_no_other(api, people):
    add_queue(api, people, "billing")
    add_queue(api, people, "returns")
    delivery = dispatched_case(api, people, "delivery")
    billing = dispatched_case(api, people, "billing")
    returns = dispatched_case(api, people, "returns")
    both = agent_of("billing", "delivery")
    same_shape = agent_of("billing", "returns")

    for case in (delivery, billing):
        assert api.ok(api.get(f"/cases/{case['id']}", as_=both))["id"] == case["id"]
    assert api.get(f"/cases/{returns['id']}", as_=both).status_code == 404
    assert api.get(f"/cases/{delivery['id']}", as_=same_shape).status_code == 404
    for case in (billing, returns):
        assert api.ok(api.get(f"/cases/{case['id']}", as_=same_shape))["id"] == case["id"]
    assert api.get(f"/cases/{returns['id']}/timeline", as_=both).status_code == 404
    assert api.ok(api.get(f"/cases/{delivery['id']}/timeline", as_=both))["items"]


def test_take_next_looks_in_every_queue_of_the_agent(api, people, frozen_clock):
    add_queue(api, people, "billing")
    add_queue(api, people, "returns")
    dispatched_case(api, people, "returns", priority="urgent")
    frozen_clock.advance(minutes=1)
    older = dispatched_case(api, people, "billing")
    frozen_clock.advance(minutes=1)
    urgent = dispatched_case(api, people, "delivery", priority="urgent")
    both = agent_of("billing", "delivery")

    taken = [api.ok(api.post("/cases/take-next", as_=both))["id"] for _ in range(2)]

    assert taken == [urgent["id"], older["id"]]
    assert api.post("/cases/take-next", as_=both).status_code == 204, "the returns queue is not theirs"
