"""Cases API on SQLite: queues, case numbers, dispatch, the customer read model, access levels."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.cases import create_app
from services.cases.handlers import replicate_customer
from services.cases.models import CustomerReadModel
from services.kit.messaging.envelope import Envelope
from services.kit.uow import UnitOfWork
from tests.conftest import make_principal

BRANCH = uuid.uuid4()
CUSTOMER_ID = uuid.uuid4()
CREATOR_ID = uuid.uuid4()  # registered the customer, so reaches it at level 4


@pytest.fixture
def app(component_settings):
    return create_app(component_settings("cases"))


def customer_event(version: int, name: str) -> Envelope:
    return Envelope(type="customer.created" if version == 1 else "customer.updated", version=1,
                    producer="customers", correlation_id="test", data={
                        "id": str(CUSTOMER_ID), "code": "C-7", "name": name, "branch_id": str(BRANCH),
                        "department_id": None, "created_by": str(CREATOR_ID), "version": version})


def apply(app, envelope: Envelope) -> None:
    database = app.extensions["caredesk"].database
    with UnitOfWork(database, producer="cases") as uow:
        replicate_customer(uow, envelope)
        uow.commit()


@pytest.fixture
def client(app, bearer):
    apply(app, customer_event(1, "Дмитрий Иванов"))
    admin = bearer(make_principal(level=1, branch_id=BRANCH, permissions=frozenset({"manage_queues"})))
    created = app.test_client().post("/api/v1/queues", headers=admin, json={"code": "delivery", "name": "Delivery"})
    assert created.status_code == 201, created.get_json()
    return app.test_client()


def new_case(client, headers, **overrides):
    payload = {"customer_id": str(CUSTOMER_ID), "queue": "delivery", "subject": "Deliver SIM"} | overrides
    return client.post("/api/v1/cases", headers=headers, json=payload)


def test_read_model_ignores_an_older_customer_event(app):
    apply(app, customer_event(3, "Newest"))
    apply(app, customer_event(2, "Older"))
    with app.extensions["caredesk"].database.session() as session:
        assert session.get(CustomerReadModel, CUSTOMER_ID).name == "Newest"


def test_case_numbers_run_per_year_without_gaps(client, bearer):
    headers = bearer(make_principal(level=2, branch_id=BRANCH))
    numbers = [new_case(client, headers).get_json()["number"] for _ in range(3)]
    year = datetime.now(timezone.utc).year
    assert numbers == [f"{year}-000001", f"{year}-000002", f"{year}-000003"]


def test_a_case_takes_the_customer_snapshot_and_starts_open_with_its_initiator(client, bearer):
    agent = make_principal(level=2, branch_id=BRANCH)
    case = new_case(client, bearer(agent)).get_json()
    assert case["status"] == "open"
    assert case["owner_id"] == case["initiator_id"] == str(agent.user_id)
    assert case["customer"]["name"] == "Дмитрий Иванов"


def test_unknown_customer_or_queue_is_refused_and_nothing_is_saved(client, bearer):
    headers = bearer(make_principal(level=1, branch_id=BRANCH))
    unknown_customer = new_case(client, headers, customer_id=str(uuid.uuid4()))
    assert unknown_customer.status_code == 422
    assert "customer_id" in unknown_customer.get_json()["errors"]
    unknown_queue = new_case(client, headers, queue="nowhere")
    assert unknown_queue.status_code == 422 and "queue" in unknown_queue.get_json()["errors"]
    year = datetime.now(timezone.utc).year
    assert new_case(client, headers).get_json()["number"] == f"{year}-000001"


def test_dispatch_moves_an_open_case_to_its_queue_once(client, bearer):
    headers = bearer(make_principal(user_id=CREATOR_ID, level=4, branch_id=BRANCH))
    case = new_case(client, headers).get_json()
    dispatched = client.post(f"/api/v1/cases/{case['id']}/dispatch", headers=headers)
    assert dispatched.status_code == 200
    assert dispatched.get_json()["status"] == "open_dispatch"
    assert dispatched.get_json()["dispatched_at"]
    again = client.post(f"/api/v1/cases/{case['id']}/dispatch", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["type"].endswith("/transition-not-allowed")


def test_another_agent_does_not_reach_a_level_4_case(client, bearer):
    case = new_case(client, bearer(make_principal(user_id=CREATOR_ID, level=4, branch_id=BRANCH))).get_json()
    stranger = bearer(make_principal(level=4, branch_id=BRANCH))
    assert client.get(f"/api/v1/cases/{case['id']}", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/cases/{case['id']}/dispatch", headers=stranger).status_code == 404


def test_creating_queues_needs_the_permission(client, bearer):
    response = client.post("/api/v1/queues", headers=bearer(make_principal(level=1)),
                           json={"code": "billing", "name": "Billing"})
    assert response.status_code == 403
