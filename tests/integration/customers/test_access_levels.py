"""Every access level against every customers endpoint, on PostgreSQL.

The card belongs to branch A / department A; it was created by a level-4 user and is assigned to
another level-4 salesperson. Reading follows the level (1 company, 2 branch, 3 department, 4 own
records, where the assigned salesperson's customers are their own); editing needs the assigned
salesperson or level 1-2; out of reach is always 404 with none of the card's data, and a refused
write changes nothing (same version, no event).
"""
from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from services.customers.models import directory_users
from tests.conftest import make_principal
from tests.integration.customers.conftest import EDITOR, if_match, iccid

# Line numbers this module gives out: each one once (a random one of 10^7 met a taken number now and then).
_LINE_NUMBERS = itertools.count(random.randrange(10**6))


def unique_line_number() -> str:
    return f"8 912 {next(_LINE_NUMBERS) % 10**7:07d}"

pytestmark = pytest.mark.integration

BRANCH_A, BRANCH_B = uuid.uuid4(), uuid.uuid4()
DEPT_A, DEPT_B = uuid.uuid4(), uuid.uuid4()
SELLER = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A, username="seller", permissions=EDITOR)
CREATOR = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A, username="creator", permissions=EDITOR)


@dataclass(frozen=True)
class Who:
    principal: object
    reads: bool
    edits: bool


PEOPLE = {
    "level 1, another branch": Who(make_principal(level=1, branch_id=BRANCH_B, department_id=DEPT_B, permissions=EDITOR), True, True),
    "level 2, same branch": Who(make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_B, permissions=EDITOR), True, True),
    "level 2, another branch": Who(make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_A, permissions=EDITOR), False, False),
    "level 3, same department": Who(make_principal(level=3, branch_id=BRANCH_B, department_id=DEPT_A, permissions=EDITOR), True, False),
    "level 3, another department": Who(make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_B, permissions=EDITOR), False, False),
    "level 4, assigned salesperson": Who(SELLER, True, True),
    "level 4, creator": Who(CREATOR, True, False),
    "level 4, someone else": Who(make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR), False, False),
}


@pytest.fixture(scope="module", autouse=True)
def directory(app):
    """The seller and every person above in the directory replica (a body may only name known users)."""
    people = {p.user_id: p for p in (SELLER, CREATOR, *(who.principal for who in PEOPLE.values()))}.values()
    with app.extensions["caredesk"].database.session() as session:
        session.execute(insert(directory_users), [{
            "id": p.user_id, "username": p.username, "full_name": p.username, "email": None, "level": p.level,
            "branch_id": p.branch_id, "department_id": p.department_id, "permissions": [], "queues": [],
            "is_active": True, "directory_version": 1, "updated_at": datetime.now(timezone.utc)} for p in people])
        session.commit()


@pytest.fixture
def card(make_card):
    return make_card()


@pytest.fixture
def make_card(client, headers):
    """``make_card(pin=False)``: a customer of branch A with a phone, a contact, a line (with a PIN when
    asked: argon2 takes a moment) and a flash."""
    def make(pin: bool = False) -> dict:
        return _card(client, headers, pin)
    return make


def _card(client, headers, pin: bool) -> dict:
    admin = headers(make_principal(level=1, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR))
    code = f"M-{uuid.uuid4().hex[:10]}"
    created = client.post("/api/v1/customers", headers=headers(CREATOR), json={
        "code": code, "kind": "person", "name": f"Dmitry Sokolov {code[2:]}", "country": "RU", "tax_number": code})
    assert created.status_code == 201, created.get_json()
    customer = created.get_json()
    url = f"/api/v1/customers/{customer['id']}"
    assigned = client.patch(url, headers=if_match(admin, 1), json={
        "salesperson_id": str(SELLER.user_id), "preferred_sales_agent_id": str(SELLER.user_id)})
    assert assigned.status_code == 200, assigned.get_json()
    number = unique_line_number()
    phone = client.post(f"{url}/phones", headers=if_match(admin, 2),
                        json={"label": "дача", "number": "8 495 123 45 67"})
    contact = client.post(f"{url}/contacts", headers=if_match(admin, 3), json={"name": "Olga", "phones": []})
    line = client.post(f"{url}/lines", headers=if_match(admin, 4), json={
        "number": number, "tariff_plan": "Basic", "iccid": iccid(uuid.uuid4().int % 10**12)} | (
        {"pin": "2468"} if pin else {}))
    assert line.status_code == 201, line.get_json()
    flash = client.post(f"{url}/flashes", headers=if_match(admin, 5),
                        json={"text": "VIP", "ends_at": "2099-01-01T00:00:00Z"})
    assert flash.status_code == 201
    return {"id": customer["id"], "code": code, "name": customer["name"], "url": url, "number": number, "version": 6,
            "phone": phone.get_json()["id"], "contact": contact.get_json()["id"], "line": line.get_json()["id"]}


READS = {
    "read the card": lambda c: ("GET", c["url"], None, None),
    "read the history": lambda c: ("GET", f"{c['url']}/history", None, None),
    "read the flashes": lambda c: ("GET", f"{c['url']}/flashes", None, None),
    "read a line": lambda c: ("GET", f"{c['url']}/lines/{c['line']}", None, None),
    "verify a line PIN": lambda c: ("POST", f"{c['url']}/lines/{c['line']}/pin/verify", {"pin": "2468"}, None),
    "open the card by caller number": lambda c: ("GET", "/api/v1/customers/caller", None, {"number": c["number"]}),
}
WRITES = {
    "edit master data": lambda c: ("PATCH", c["url"], {"description": "Llamado hoy"}, None),
    "add a phone": lambda c: ("POST", f"{c['url']}/phones", {"label": "work", "number": "8 495 765 43 21"}, None),
    "change a phone": lambda c: ("PATCH", f"{c['url']}/phones/{c['phone']}", {"label": "home"}, None),
    "remove a phone": lambda c: ("DELETE", f"{c['url']}/phones/{c['phone']}", None, None),
    "add a contact": lambda c: ("POST", f"{c['url']}/contacts", {"name": "Ivan"}, None),
    "change a contact": lambda c: ("PATCH", f"{c['url']}/contacts/{c['contact']}", {"role": "son"}, None),
    "remove a contact": lambda c: ("DELETE", f"{c['url']}/contacts/{c['contact']}", None, None),
    "add a line": lambda c: ("POST", f"{c['url']}/lines", {"number": unique_line_number(),
                                                          "tariff_plan": "Basic"}, None),
    "change a line": lambda c: ("PATCH", f"{c['url']}/lines/{c['line']}", {"status": "blocked"}, None),
    "set a line PIN": lambda c: ("PUT", f"{c['url']}/lines/{c['line']}/pin", {"pin": "1357"}, None),
    "add a flash": lambda c: ("POST", f"{c['url']}/flashes", {"text": "Debt", "ends_at": "2099-01-01T00:00:00Z"}, None),
}


def call(client, headers, request, version=None):
    method, path, body, query = request
    if version is not None:
        headers = if_match(headers, version)
    return client.open(path, method=method, headers=headers, json=body, query_string=query)


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("action", READS)
def test_reading(client, headers, make_card, who, action):
    card = make_card(pin=action == "verify a line PIN")
    person = PEOPLE[who]
    response = call(client, headers(person.principal), READS[action](card))
    assert response.status_code == (200 if person.reads else 404), response.get_json()
    if not person.reads:
        assert "Sokolov" not in response.get_data(as_text=True) and card["code"] not in response.get_data(as_text=True)


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("action", WRITES)
def test_writing(client, headers, card, events_of, who, action):
    person = PEOPLE[who]
    response = call(client, headers(person.principal), WRITES[action](card), version=card["version"])
    expected = (200, 201, 204) if person.edits else (403,) if person.reads else (404,)
    assert response.status_code in expected, response.get_data(as_text=True)
    after = client.get(card["url"], headers=headers(make_principal(level=1)))
    events = [key for key, _ in events_of(card["id"])]
    if person.edits:
        assert after.headers["ETag"] == f'"{card["version"] + 1}"' and len(events) == card["version"] + 1
    else:
        assert after.headers["ETag"] == f'"{card["version"]}"' and len(events) == card["version"]
        assert "Sokolov" not in response.get_data(as_text=True)


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("by", ["code", "tax_number", "line", "name"])
def test_searching(client, headers, card, who, by):
    person = PEOPLE[who]
    q = {"code": card["code"], "tax_number": card["code"], "line": card["number"], "name": card["name"].lower()}[by]
    response = client.get("/api/v1/customers/search", headers=headers(person.principal), query_string={"q": q, "by": by,
                                                                                                      "per_page": 100})
    assert response.status_code == 200
    assert (card["id"] in {item["id"] for item in response.get_json()["items"]}) is person.reads
    listed = client.get("/api/v1/customers", headers=headers(person.principal), query_string={"q": card["code"]})
    assert (card["id"] in {item["id"] for item in listed.get_json()["items"]}) is person.reads


@pytest.mark.parametrize("who", PEOPLE)
def test_bulk_change_needs_the_permission_and_stays_in_reach(client, headers, card, who):
    person = PEOPLE[who]
    without = headers(person.principal)
    assert client.get("/api/v1/customers/sales-agents", headers=without).status_code == 403
    # to themselves, the one user every level reaches (the seller, level 4, reaches no one else)
    successor = CREATOR if person.principal is SELLER else person.principal
    moves = {"moves": [{"from_agent_id": str(SELLER.user_id), "to_agent_id": str(successor.user_id)}]}
    assert client.post("/api/v1/customers/sales-agent-changes", headers=without, json=moves).status_code == 403
    assert client.post(f"/api/v1/customers/sales-agent-changes/{uuid.uuid4()}/confirm",
                       headers=without).status_code == 403

    allowed = person.principal.__class__(**{**person.principal.__dict__,
                                            "permissions": frozenset({"bulk_change_sales_agent"})})
    agents = client.get("/api/v1/customers/sales-agents", headers=headers(allowed)).get_json()["items"]
    seller_counts = [a["customers"] for a in agents if a["agent_id"] == str(SELLER.user_id)]
    assert bool(seller_counts) is person.reads
    proposed = client.post("/api/v1/customers/sales-agent-changes", headers=headers(allowed), json=moves).get_json()
    if person.principal is SELLER:
        assert proposed["status"] == 422 and "moves.0.to_agent_id" in proposed["errors"]
        return
    confirmed = client.post(f"/api/v1/customers/sales-agent-changes/{proposed['id']}/confirm",
                            headers=headers(allowed)).get_json()
    after = client.get(card["url"], headers=headers(make_principal(level=1))).get_json()
    moved = after["preferred_sales_agent_id"] != str(SELLER.user_id)
    assert moved is person.reads
    assert confirmed["moved"] >= (1 if person.reads else 0)
