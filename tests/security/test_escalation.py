"""Privilege escalation through the directory, on PostgreSQL: nobody grants a level, permission,
branch, department or queue beyond their own reach, nobody changes their own access, and nobody
manages (a password, a token) a user who holds more than they do. Every refusal changes nothing."""
from __future__ import annotations

import pytest

from gateway.directory.bootstrap import ensure_first_admin
from tests.security.conftest import fingerprint

pytestmark = pytest.mark.integration

PASSWORD = "long-enough-1"


@pytest.fixture
def gateway(make_app):
    app = make_app("gateway")
    ensure_first_admin(app.extensions["caredesk"].database, username="admin", password=PASSWORD)
    return app


def login(client, username: str) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_nobody_grants_beyond_their_reach_nor_changes_their_own_access(gateway):
    client = gateway.test_client()
    root = login(client, "admin")
    north = client.post("/api/v1/directory/branches", headers=root, json={"code": "north", "name": "North"}).get_json()
    south = client.post("/api/v1/directory/branches", headers=root, json={"code": "south", "name": "South"}).get_json()
    sales = client.post("/api/v1/directory/departments", headers=root, json={"code": "sales", "name": "S"}).get_json()
    care = client.post("/api/v1/directory/departments", headers=root, json={"code": "care", "name": "C"}).get_json()

    def create(headers, **fields):
        body = {"username": fields.pop("username"), "full_name": "Someone", "password": PASSWORD,
                "level": 4, "branch_id": north["id"]} | fields
        return client.post("/api/v1/directory/users", headers=headers, json=body)

    for username, fields in (
            ("north.admin", dict(level=2, permissions=["manage_users"], queues=["north-delivery"])),
            ("north.dept", dict(level=3, department_id=sales["id"], permissions=["manage_users"])),
            ("north.root", dict(level=1, permissions=["manage_users", "edit_customers"]))):
        assert create(root, username=username, **fields).status_code == 201
    north_admin, north_dept = login(client, "north.admin"), login(client, "north.dept")

    refusals = [
        (north_admin, dict(username="new.1", level=1), "level"),
        (north_admin, dict(username="new.2", branch_id=south["id"]), "branch_id"),
        (north_admin, dict(username="new.3", permissions=["edit_customers"]), "permissions"),
        (north_admin, dict(username="new.4", permissions=["manage_users", "delete_notes"]), "permissions"),
        (north_admin, dict(username="new.5", queues=["south-delivery"]), "queues"),
        (north_dept, dict(username="new.6", department_id=care["id"]), "department_id"),
        (north_dept, dict(username="new.7", level=2, department_id=sales["id"]), "level"),
    ]
    cells = 0
    for headers, fields, field in refusals:
        before = fingerprint(gateway)
        refused = create(headers, **fields)
        assert refused.status_code == 422 and field in refused.get_json()["errors"], (fields, refused.get_json())
        assert fingerprint(gateway) == before
        cells += 1
    granted = create(north_admin, username="north.agent", level=3, department_id=care["id"],
                     permissions=["manage_users"], queues=["north-delivery"])
    assert granted.status_code == 201, granted.get_json()

    users = {u["username"]: u for u in client.get("/api/v1/directory/users", headers=root).get_json()["items"]}
    me = users["north.admin"]
    for change in ({"level": 1}, {"permissions": ["manage_users", "edit_customers"]},
                   {"queues": ["north-delivery", "south-delivery"]}, {"branch_id": south["id"]},
                   {"department_id": sales["id"]}, {"is_active": False}):
        before = fingerprint(gateway)
        refused = client.patch(f"/api/v1/directory/users/{me['id']}", json=change,
                               headers=north_admin | {"If-Match": f'"{me["version"]}"'})
        assert refused.status_code == 422 and set(change) <= set(refused.get_json()["errors"]), refused.get_json()
        assert fingerprint(gateway) == before
        cells += 1
    renamed = client.patch(f"/api/v1/directory/users/{me['id']}", json={"full_name": "North Admin"},
                           headers=north_admin | {"If-Match": f'"{me["version"]}"'})
    assert renamed.status_code == 200

    # a level-1 user of the branch: visible to the branch administrator, but not theirs to manage
    higher = users["north.root"]
    for change in ({"password": "taken-over-1"}, {"is_active": False}, {"full_name": "Mine"}):
        before = fingerprint(gateway)
        refused = client.patch(f"/api/v1/directory/users/{higher['id']}", json=change,
                               headers=north_admin | {"If-Match": f'"{higher["version"]}"'})
        assert refused.status_code == 403, refused.get_json()
        assert fingerprint(gateway) == before
        cells += 1
    # taking away what one does not hold is refused too; a queue one holds can be granted
    agent = users["north.agent"]
    root_added = client.patch(f"/api/v1/directory/users/{agent['id']}", json={"queues": ["north-delivery", "vip"]},
                              headers=root | {"If-Match": f'"{agent["version"]}"'})
    assert root_added.status_code == 200
    before = fingerprint(gateway)
    refused = client.patch(f"/api/v1/directory/users/{agent['id']}", json={"queues": ["north-delivery"]},
                           headers=north_admin | {"If-Match": root_added.headers["ETag"]})
    assert refused.status_code == 403 and fingerprint(gateway) == before
    cells += 1
    print(f"\ndirectory escalation: {cells} refused attempts, each 422/403 with no change")
