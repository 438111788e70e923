"""The embedded mode's answer to the same races: SQLite serialises writers (every transaction
begins IMMEDIATE), so concurrent take-next and concurrent creation stay correct there too.
(The real race tests run on PostgreSQL: tests/integration/cases/test_concurrency.py.)"""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from tests.conftest import make_principal
from tests.unit.cases.conftest import BRANCH, CUSTOMER_ID, new_case

THREADS = 8


def test_concurrent_take_next_on_sqlite_gives_each_case_once(api, people):
    made = {new_case(api, people.initiator, subject=f"Case {i}")["id"] for i in range(24)}
    for case_id in made:
        api.ok(api.post(f"/cases/{case_id}/dispatch", as_=people.initiator))
    agents = [make_principal(username=f"agent{i}", level=4, queues=frozenset({"delivery"})) for i in range(THREADS)]
    for agent in agents:
        api.headers(agent)
    start = threading.Barrier(THREADS)

    def work(agent) -> list[str]:
        client, headers, taken = api.app.test_client(), api.headers(agent), []
        start.wait()
        while (response := client.post("/api/v1/cases/take-next", headers=headers, json={})).status_code == 200:
            taken.append(response.get_json()["id"])
        assert response.status_code == 204, response.get_json()
        return taken

    with ThreadPoolExecutor(THREADS) as pool:
        claims = [case_id for taken in pool.map(work, agents) for case_id in taken]
    assert max(Counter(claims).values()) == 1
    assert set(claims) == made


def test_concurrent_creation_on_sqlite_numbers_without_gaps(api, people):
    creators = [make_principal(username=f"front{i}", level=2, branch_id=BRANCH) for i in range(THREADS)]
    for creator in creators:
        api.headers(creator)
    start = threading.Barrier(THREADS)

    def create(creator) -> list[str]:
        client, headers = api.app.test_client(), api.headers(creator)
        start.wait()
        return [client.post("/api/v1/cases", headers=headers, json={
            "customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": "x"}).get_json()["number"]
            for _ in range(5)]

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = sorted(n for batch in pool.map(create, creators) for n in batch)
    year = datetime.now(timezone.utc).year
    assert numbers == [f"{year}-{n:06d}" for n in range(1, THREADS * 5 + 1)]
