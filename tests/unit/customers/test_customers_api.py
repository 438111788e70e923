"""Customers API on SQLite: creation, problems for bad input, access levels in the query."""
from __future__ import annotations

import uuid

import pytest

from services.customers import create_app
from tests.conftest import make_principal
from tests.unit.customers.conftest import EDITOR

BRANCH_A, BRANCH_B = uuid.uuid4(), uuid.uuid4()
DEPT_A, DEPT_B = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def client(component_settings):
    return create_app(component_settings("customers")).test_client()


@pytest.fixture
def seller(bearer):
    """A level-4 salesperson of branch A, department A, who creates the customer."""
    principal = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR)
    return principal, bearer(principal)


@pytest.fixture
def customer(client, seller):
    response = client.post("/api/v1/customers", headers=seller[1],
                           json={"code": "C-1", "kind": "person", "name": "José Pérez"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_created_customer_belongs_to_the_creators_branch_and_department(customer, seller):
    assert customer["branch_id"] == str(BRANCH_A)
    assert customer["department_id"] == str(DEPT_A)
    assert customer["version"] == 1


@pytest.mark.parametrize("level,branch,department,sees", [
    (1, BRANCH_B, DEPT_B, True),    # whole company
    (2, BRANCH_A, DEPT_B, True),    # own branch
    (2, BRANCH_B, DEPT_A, False),
    (3, BRANCH_B, DEPT_A, True),    # own department
    (3, BRANCH_A, DEPT_B, False),
    (4, BRANCH_A, DEPT_A, False),   # own records only: not the creator
])
def test_access_levels_decide_who_reads_the_customer(client, customer, bearer, level, branch, department, sees):
    headers = bearer(make_principal(level=level, branch_id=branch, department_id=department))
    response = client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
    assert response.status_code == (200 if sees else 404)
    listed = client.get("/api/v1/customers", headers=headers).get_json()
    assert (customer["code"] in {c["code"] for c in listed["items"]}) is sees
    if not sees:
        assert "Pérez" not in response.get_data(as_text=True)


def test_everyone_reaches_the_prospect(client, bearer):
    headers = bearer(make_principal(level=4))
    listed = client.get("/api/v1/customers?q=0", headers=headers).get_json()
    assert [c["code"] for c in listed["items"]] == ["0"]


def test_duplicate_code_is_a_conflict(client, customer, seller):
    again = client.post("/api/v1/customers", headers=seller[1], json={"code": "C-1", "kind": "person", "name": "X"})
    assert again.status_code == 409
    assert again.get_json()["type"].endswith("/customer-code-taken")


def test_unreadable_body_is_a_400_problem(client, seller):
    response = client.post("/api/v1/customers", headers=seller[1] | {"Content-Type": "application/json"},
                           data="{broken")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_oversize_and_wrong_types_are_named_per_field(client, seller):
    response = client.post("/api/v1/customers", headers=seller[1],
                           json={"code": "x" * 41, "kind": 3, "name": "n" * 201, "salesperson_id": "nope"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"code", "kind", "name", "salesperson_id"}


def test_readiness_reports_an_unreachable_broker(component_settings, bearer):
    settings = component_settings("customers")
    from dataclasses import replace

    app = create_app(replace(settings, broker_url="amqp://guest:guest@127.0.0.1:1//"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "broker": "unreachable"}


def test_the_openapi_document_lists_every_customers_endpoint(client):
    document = client.get("/openapi.json").get_json()
    paths = document["paths"]
    for path in ("/api/v1/customers/search", "/api/v1/customers/caller", "/api/v1/customers/{customer_id}",
                 "/api/v1/customers/{customer_id}/history", "/api/v1/customers/{customer_id}/flashes",
                 "/api/v1/customers/{customer_id}/phones/{phone_id}", "/api/v1/customers/{customer_id}/contacts",
                 "/api/v1/customers/{customer_id}/lines/{line_id}/pin/verify", "/api/v1/customers/sales-agents",
                 "/api/v1/customers/sales-agent-changes/{change_id}/confirm"):
        assert path in paths, path
    [parameter] = [p for p in paths["/api/v1/customers/{customer_id}"]["parameters"] if p["name"] == "customer_id"]
    assert parameter["schema"] == {"type": "string", "format": "uuid"}
