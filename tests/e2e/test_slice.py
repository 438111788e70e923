"""The foundation slice through every service, in both run modes, through the gateway only:
an administrator creates a user and a customer, the customer reaches the cases service, a case is
dispatched to a queue and the notifications service records a notification for that queue."""
from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import ADMIN_PASSWORD, ApiClient

pytestmark = pytest.mark.e2e


def eventually(probe, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``probe`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, "the system did not get there in time"
        time.sleep(interval)


def test_slice_from_login_to_queue_notification(system):
    admin = ApiClient(system).login("admin", ADMIN_PASSWORD)

    branch = next(b for b in admin.get("/api/v1/directory/branches").json()["items"] if b["code"] == "hq")
    department = admin.post("/api/v1/directory/departments", json={"code": "delivery", "name": "Delivery"})
    assert department.status_code == 201, department.text
    user = admin.post("/api/v1/directory/users", json={
        "username": "boris.delivery", "full_name": "Boris Sokolov", "password": "boris-password-1",
        "level": 3, "branch_id": branch["id"], "department_id": department.json()["id"], "queues": ["delivery"]})
    assert user.status_code == 201, user.text

    customer = admin.post("/api/v1/customers", json={"code": "C-42", "kind": "person", "name": "Nguyễn Văn An"})
    assert customer.status_code == 201, customer.text
    assert customer.headers["ETag"] == '"1"'
    queue = admin.post("/api/v1/queues", json={"code": "delivery", "name": "Delivery",
                                                "department_id": department.json()["id"]})
    assert queue.status_code == 201, queue.text

    def create_case():
        response = admin.post("/api/v1/cases", json={"customer_id": customer.json()["id"], "queue": "delivery",
                                                       "subject": "Deliver the SIM card", "priority": "high"})
        return response if response.status_code == 201 else None

    case = eventually(create_case).json()  # 422 until customer.created reaches the cases service
    assert case["status"] == "open"
    assert case["customer"] == {"id": customer.json()["id"], "code": "C-42", "name": "Nguyễn Văn An"}
    assert case["number"].endswith("-000001")

    dispatched = admin.post(f"/api/v1/cases/{case['id']}/dispatch")
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["status"] == "open_dispatch"

    # The queue member sees the notice for the queue and one in their own inbox: the latter needs the
    # user.created event to have reached the notifications service too.
    boris = ApiClient(system).login("boris.delivery", "boris-password-1")

    def notices():
        found = boris.get("/api/v1/notifications").json()["items"]
        return found if len(found) == 2 else None

    found = eventually(notices)
    assert {(n["recipient_kind"], n["recipient"]) for n in found} == {
        ("queue", "delivery"), ("user", user.json()["id"])}
    assert all(n["subject"] == f"Caso {case['number']} en espera en la cola Delivery" for n in found)

    # Access levels: Boris (level 3, Delivery) does not reach a customer of the head office.
    hidden = boris.get(f"/api/v1/customers/{customer.json()['id']}")
    assert hidden.status_code == 404
    assert "Nguy" not in hidden.text


def test_bad_input_and_missing_token_get_problem_details(system):
    admin = ApiClient(system).login("admin", ADMIN_PASSWORD)
    before = admin.get("/api/v1/customers").json()["total"]

    bad = admin.post("/api/v1/customers", json={"code": "", "kind": "alien", "surprise": 1})
    assert bad.status_code == 422
    assert bad.headers["Content-Type"] == "application/problem+json"
    problem = bad.json()
    assert set(problem["errors"]) == {"code", "kind", "name", "surprise"}
    assert problem["correlation_id"] == bad.headers["X-Correlation-ID"]
    assert admin.get("/api/v1/customers").json()["total"] == before

    unreadable = admin.post("/api/v1/customers", data="{not json", headers={"Content-Type": "application/json"})
    assert unreadable.status_code in (400, 422)
    assert unreadable.headers["Content-Type"] == "application/problem+json"

    anonymous = ApiClient(system).get("/api/v1/customers")
    assert anonymous.status_code == 401
    assert anonymous.json()["type"].endswith("/unauthorized")

    for path in ("/healthz", "/readyz", "/metrics"):
        assert ApiClient(system).get(path).status_code == 200, path
