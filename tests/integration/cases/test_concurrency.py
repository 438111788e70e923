"""Races, on each backend: agents taking the next case at once (no case given twice, none lost) and
case numbers under concurrent creation (unique and gap-free) hold on PostgreSQL (row locks, SKIP
LOCKED; 32 agents) and on the embedded mode's SQLite (every transaction begins IMMEDIATE; 8);
and SLA checkers running side by side on PostgreSQL (each warning once)."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.cases import clock, use_cases
from services.cases.models import PRIORITIES, PRIORITY_RANK, Case, TimelineEntry
from services.cases.sla.check import check_sla
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal
from tests.unit.cases.conftest import queue_version, BRANCH, CUSTOMER_ID, make_people, setup_queue

pytestmark = pytest.mark.integration

AGENTS = 32
THREADS = {"postgresql": AGENTS, "sqlite": 8}  # SQLite serialises writers: 8 make the race, faster


def seed_dispatched_cases(app, initiator, queue_codes: list[str], count: int) -> set[uuid.UUID]:
    """``count`` cases dispatched round-robin over the queues with every priority, through the use cases."""
    database = app.extensions["caredesk"].database
    made = set()

    def new_uow() -> UnitOfWork:
        return UnitOfWork(database, producer="cases", actor=str(initiator.user_id))

    for index in range(count):
        case = use_cases.create_case(new_uow(), principal=initiator, data={
            "customer_id": CUSTOMER_ID, "queue": queue_codes[index % len(queue_codes)],
            "subject": f"Case {index}", "priority": PRIORITIES[index % len(PRIORITIES)]})
        use_cases.dispatch_case(new_uow(), principal=initiator, case_id=case.id)
        made.add(case.id)
    return made


def test_agents_taking_next_at_once_never_get_the_same_case_and_lose_none(backend_api):
    pg_api, threads = backend_api, THREADS[backend_api.backend]
    app = pg_api.app
    people = make_people("delivery")
    setup_queue(pg_api, people)
    pg_api.ok(pg_api.post("/queues", as_=people.admin, json={"code": "billing", "name": "Billing"}), 201)
    cases = seed_dispatched_cases(app, people.initiator, ["delivery", "billing"], 10 * threads)
    # a quarter of the agents work Delivery only, a quarter Billing only, half both
    memberships = [{"delivery"}, {"billing"}, {"delivery", "billing"}, {"delivery", "billing"}]
    agents = [make_principal(username=f"agent{i}", level=4, queues=frozenset(memberships[i % 4]))
              for i in range(threads)]
    start = threading.Barrier(threads)

    def work(agent) -> list[tuple[str, int]]:
        client = app.test_client()
        headers = pg_api.headers(agent)
        taken = []
        start.wait()
        while True:
            response = client.post("/api/v1/cases/take-next", headers=headers, json={})
            if response.status_code == 204:
                return taken
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            assert body["owner_id"] == str(agent.user_id) and body["queue"]["code"] in agent.queues
            taken.append((body["id"], PRIORITY_RANK[body["priority"]]))

    for agent in agents:  # tokens are issued before the race starts
        pg_api.headers(agent)
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(work, agents))

    claims = [case_id for taken in results for case_id, _ in taken]
    doubles = [case_id for case_id, times in Counter(claims).items() if times > 1]
    assert doubles == [], f"{len(doubles)} cases were given to two agents"
    assert {uuid.UUID(case_id) for case_id in claims} == cases, "some cases were lost"
    # The race was real: more than one agent took work. How many do depends on scheduling (SQLite
    # serialises writers, and on a loaded machine a late thread may find the queues already empty).
    assert sum(1 for taken in results if taken) >= 2, "one agent took every case: there was no race"
    for taken in results:  # every agent got the most urgent first: its ranks never go back up
        ranks = [rank for _, rank in taken]
        assert ranks == sorted(ranks)

    owner_of = {case_id: agent.user_id for agent, taken in zip(agents, results) for case_id, _ in taken}
    with app.extensions["caredesk"].database.session() as session:
        rows = session.execute(select(Case.id, Case.owner_id, Case.status)).all()
        assert {str(row.id): row.owner_id for row in rows} == owner_of
        assert {row.status for row in rows} == {"open_dispatch"}
        taken_entries = session.execute(select(TimelineEntry.case_id, func.count()).where(
            TimelineEntry.action == "taken").group_by(TimelineEntry.case_id)).all()
        assert len(taken_entries) == len(cases) and {count for _, count in taken_entries} == {1}
        outbox = app.extensions["caredesk"].database.outbox
        assigned = session.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.routing_key == "case.assigned.v1"))
        assert assigned == len(cases)


def test_case_numbers_stay_unique_and_gap_free_under_concurrent_creation(backend_api):
    pg_api, threads = backend_api, THREADS[backend_api.backend]
    app = pg_api.app
    people = make_people("delivery")
    setup_queue(pg_api, people)
    creators = [make_principal(username=f"front{i}", level=2, branch_id=BRANCH) for i in range(threads)]
    for creator in creators:
        pg_api.headers(creator)
    per_creator = 8
    start = threading.Barrier(threads)

    def create(creator) -> list[str]:
        client = app.test_client()
        headers = pg_api.headers(creator)
        start.wait()  # the year's counter row does not exist yet: the first creations race to make it
        numbers = []
        for index in range(per_creator):
            response = client.post("/api/v1/cases", headers=headers, json={
                "customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": f"Case {index}"})
            assert response.status_code == 201, response.get_json()
            numbers.append(response.get_json()["number"])
        return numbers

    with ThreadPoolExecutor(threads) as pool:
        numbers = [number for batch in pool.map(create, creators) for number in batch]
    year = datetime.now(timezone.utc).year
    assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, threads * per_creator + 1)]


def test_sla_checkers_side_by_side_warn_each_case_once(pg_api, monkeypatch):
    # every case dispatched at the same instant, however long seeding takes on a busy machine
    dispatched_at = datetime.now(timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: dispatched_at)
    app = pg_api.app
    people = make_people("delivery")
    queue = setup_queue(pg_api, people)
    pg_api.ok(pg_api.put(f"/queues/{queue['id']}/sla", as_=people.admin, if_match=queue_version(pg_api, queue, people.admin), json={"policies": [
        {"priority": priority, "acceptance_minutes": 10, "resolution_minutes": 60} for priority in PRIORITIES]}))
    cases = seed_dispatched_cases(app, people.initiator, ["delivery"], 120)
    later = dispatched_at + timedelta(minutes=9)  # past the warning (80 %), before the breach
    database = app.extensions["caredesk"].database
    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: check_sla(database, now=later, batch_size=7), range(4)))
    assert sum(c["acceptance_warning"] for c in counts) == len(cases)
    assert all(c["acceptance_breach"] == 0 for c in counts)
    outbox = database.outbox
    with database.session() as session:
        warned = session.scalar(select(func.count(func.distinct(outbox.c.envelope["data"]["id"].as_string())))
                                .where(outbox.c.routing_key == "case.sla_warned.v1"))
        total = session.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.routing_key == "case.sla_warned.v1"))
    assert warned == total == len(cases)


def test_two_agents_taking_the_same_chosen_case_one_wins_the_other_gets_409(pg_api):
    app = pg_api.app
    people = make_people("delivery")
    setup_queue(pg_api, people)
    [case_id] = seed_dispatched_cases(app, people.initiator, ["delivery"], 1)
    agents = [people.agent, people.colleague]
    for agent in agents:
        pg_api.headers(agent)
    start = threading.Barrier(len(agents))

    def take(agent) -> int:
        client = app.test_client()
        start.wait()
        return client.post(f"/api/v1/cases/{case_id}/take", headers=pg_api.headers(agent)).status_code

    with ThreadPoolExecutor(len(agents)) as pool:
        statuses = sorted(pool.map(take, agents))
    assert statuses == [200, 409]
    database = app.extensions["caredesk"].database
    with database.session() as session:
        lines = session.scalar(select(func.count()).select_from(TimelineEntry)
                               .where(TimelineEntry.case_id == case_id, TimelineEntry.action == "taken"))
        events = [envelope for envelope in session.execute(select(database.outbox.c.envelope)).scalars()
                  if envelope["type"] == "case.assigned" and envelope["data"]["id"] == str(case_id)]
    assert lines == 1 and len(events) == 1 and events[0]["data"]["how"] == "take"
