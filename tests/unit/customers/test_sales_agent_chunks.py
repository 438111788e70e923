"""The bulk change of preferred sales agent, confirmed a chunk of customers per transaction:
each customer moves once over several chunks, an interrupted confirmation resumes without
doubles, and each chunk's events are committed with it."""
from __future__ import annotations

import uuid
from collections import Counter

import pytest

from services.customers.models import Customer
from services.customers.sales_agents import use_cases
from services.customers.sales_agents.use_cases import confirm_sales_agent_change
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, DEPT_A, EDITOR

AGENT_1, AGENT_2 = uuid.UUID(int=0xA6E1), uuid.UUID(int=0xA6E2)
URL = "/api/v1/customers/sales-agent-changes"


@pytest.fixture
def manager(bearer, register_users):
    register_users(*(make_principal(user_id=agent, branch_id=BRANCH_A) for agent in (AGENT_1, AGENT_2)))
    principal = make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A,
                               permissions=frozenset({"bulk_change_sales_agent"}) | EDITOR)
    return principal, bearer(principal)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(use_cases, "CHUNK_SIZE", 2)


def propose(client, manager, *moves) -> str:
    body = {"moves": [{"from_agent_id": str(old), "to_agent_id": str(new)} for old, new in moves]}
    response = client.post(URL, headers=manager[1], json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def history_of(client, manager, customer) -> list[tuple]:
    items = client.get(f"/api/v1/customers/{customer['id']}/history", headers=manager[1]).get_json()["items"]
    return [(e["old_value"], e["new_value"]) for e in items
            if e["field"] == "preferred_sales_agent_id" and e["old_value"] is not None]  # not the creation


def test_a_change_over_several_chunks_moves_each_customer_once(client, manager, make_customer, outbox, small_chunks):
    mine = [make_customer(headers=manager[1], preferred_sales_agent_id=str(AGENT_1)) for _ in range(5)]
    change_id = propose(client, manager, (AGENT_1, AGENT_2))
    before = len(outbox())
    confirmed = client.post(f"{URL}/{change_id}/confirm", headers=manager[1])
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "confirmed" and confirmed.get_json()["moved"] == 5
    assert confirmed.get_json()["moves"][0]["moved"] == 5
    events = outbox()[before:]
    assert Counter(data["id"] for _key, data in events) == Counter(c["id"] for c in mine)
    assert all(data["version"] == 2 and data["preferred_sales_agent_id"] == str(AGENT_2) for _key, data in events)
    for customer in mine:
        assert history_of(client, manager, customer) == [(str(AGENT_1), str(AGENT_2))]
    assert client.post(f"{URL}/{change_id}/confirm", headers=manager[1]).status_code == 409


def test_agents_swapped_in_one_change_move_once_across_chunks(client, manager, make_customer, small_chunks):
    ones = [make_customer(headers=manager[1], preferred_sales_agent_id=str(AGENT_1)) for _ in range(3)]
    twos = [make_customer(headers=manager[1], preferred_sales_agent_id=str(AGENT_2)) for _ in range(3)]
    change_id = propose(client, manager, (AGENT_1, AGENT_2), (AGENT_2, AGENT_1))
    confirmed = client.post(f"{URL}/{change_id}/confirm", headers=manager[1]).get_json()
    assert confirmed["moved"] == 6
    for customer, agent in [(c, AGENT_2) for c in ones] + [(c, AGENT_1) for c in twos]:
        card = client.get(f"/api/v1/customers/{customer['id']}", headers=manager[1]).get_json()
        assert card["preferred_sales_agent_id"] == str(agent) and card["version"] == 2


def test_an_interrupted_confirmation_resumes_without_doubles(client, app, manager, make_customer, outbox,
                                                             monkeypatch, small_chunks):
    mine = [make_customer(headers=manager[1], preferred_sales_agent_id=str(AGENT_1)) for _ in range(5)]
    change_id = propose(client, manager, (AGENT_1, AGENT_2))
    before = len(outbox())
    declared, chunks = Customer.__dict__["move_preferred_sales_agents"], []

    def dies_in_the_second_chunk(session, moves, chunk, *, actor):
        moved = declared.__get__(None, Customer)(session, moves, chunk, actor=actor)
        chunks.append(chunk)
        if len(chunks) == 2:  # the second chunk's rows are written, not committed
            raise RuntimeError("the process stopped")
        return moved

    monkeypatch.setattr(Customer, "move_preferred_sales_agents", staticmethod(dies_in_the_second_chunk))
    uow = UnitOfWork(app.extensions["caredesk"].database, producer="customers")
    with pytest.raises(RuntimeError):
        confirm_sales_agent_change(uow, principal=manager[0], change_id=uuid.UUID(change_id))
    monkeypatch.setattr(Customer, "move_preferred_sales_agents", declared)

    # the first chunk is committed with its two events and the progress; the second left no trace
    assert len(outbox()) - before == 2
    cards = {c["id"]: client.get(f"/api/v1/customers/{c['id']}", headers=manager[1]).get_json() for c in mine}
    assert sorted(card["version"] for card in cards.values()) == [1, 1, 1, 2, 2]
    listed = client.get("/api/v1/customers/sales-agents", headers=manager[1]).get_json()["items"]
    assert {a["agent_id"]: a["customers"] for a in listed} == {str(AGENT_1): 3, str(AGENT_2): 2}

    resumed = client.post(f"{URL}/{change_id}/confirm", headers=manager[1])
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["status"] == "confirmed" and resumed.get_json()["moved"] == 5
    events = outbox()[before:]
    assert Counter(data["id"] for _key, data in events) == Counter(c["id"] for c in mine)
    for customer in mine:
        assert history_of(client, manager, customer) == [(str(AGENT_1), str(AGENT_2))]
        assert client.get(f"/api/v1/customers/{customer['id']}", headers=manager[1]).get_json()["version"] == 2
