"""The customer card on SQLite: master data, optimistic concurrency, edit rules, phones, contacts,
lines, PINs, flashes, change history and events."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from services.customers.lines.models import Line
from services.customers.models import Customer, Flash
from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A, DEPT_B, EDITOR, if_match, iccid, in_days


def card_of(client, headers, customer_id):
    response = client.get(f"/api/v1/customers/{customer_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json(), response.headers["ETag"]


def count(app, model) -> int:
    with app.extensions["caredesk"].database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# -- master data ------------------------------------------------------------------------------
def test_a_full_card_is_created_with_every_phone_in_e164(client, admin, outbox, register_users):
    register_users(*(make_principal(user_id=uuid.UUID(int=n), branch_id=BRANCH_A) for n in (7, 8, 9)))
    response = client.post("/api/v1/customers", headers=admin[1], json={
        "code": "C-100", "kind": "person", "name": "Nguyễn Văn An", "country": "vn", "tax_number": "0123456789",
        "status": "active", "region": "Hồ Chí Minh", "language": "vi", "address": "12 Lê Lợi, Quận 1",
        "phone": "028 3822 1234", "phone2": "0912 345 678", "email": "an@Example.com",
        "other_phones": [{"label": "oficina", "number": "+57 300 123 4567"}],
        "contacts": [{"name": "Lê Thị Hoa", "role": "wife", "phones": ["0987 654 321"], "email": "hoa@example.com",
                      "receives_notices": True}],
        "preferred_sales_agent_id": str(uuid.UUID(int=7)), "collections_agent_id": str(uuid.UUID(int=8)),
        "salesperson_id": str(uuid.UUID(int=9)), "description": "Called 2026-11-20: renewing",
        "campaigns": [{"campaign": "4G upgrade", "role": "candidate"}, {"campaign": "Loyalty", "role": "participant"}],
    })
    assert response.status_code == 201, response.get_json()
    assert response.headers["ETag"] == '"1"'
    card = response.get_json()
    assert (card["country"], card["phone"], card["phone2"]) == ("VN", "+842838221234", "+84912345678")
    assert card["other_phones"][0]["number"] == "+573001234567"
    assert card["contacts"][0]["phones"] == ["+84987654321"] and card["contacts"][0]["receives_notices"] is True
    assert card["email"] == "an@example.com"
    assert [c["campaign"] for c in card["campaigns"]] == ["4G upgrade", "Loyalty"]
    assert card["flashes"] == [] and card["lines"] == []
    [(key, data), (addresses, _reach)] = outbox()
    assert (key, addresses) == ("customer.created.v1", "customer.addresses.v1")
    assert {"id", "code", "name", "branch_id", "department_id", "version"} <= set(data)
    # no personal data in the events others replicate (addresses go only to notifications)
    assert "phone" not in data and "tax_number" not in data


def test_bad_phones_are_refused_field_by_field_and_nothing_is_written(client, admin, app, outbox):
    before = count(app, Customer)
    response = client.post("/api/v1/customers", headers=admin[1], json={
        "code": "C-200", "kind": "person", "name": "Ana", "country": "CO",
        "phone": "300 ABC 4567", "phone2": "300 123 4567, 310 765 4321",
        "other_phones": [{"label": "ok", "number": "310 765 4321"}, {"label": "bad", "number": "123"}],
        "contacts": [{"name": "Luis", "phones": ["300 123 4567", "12"]}],
    })
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "letters" in errors["phone"][0]
    assert "One number" in errors["phone2"][0]
    assert set(errors["other_phones"]) == {"1"} or set(errors["other_phones"]) == {1}
    assert count(app, Customer) == before and outbox() == []


def test_a_phone_without_country_must_be_international(client, admin):
    response = client.post("/api/v1/customers", headers=admin[1],
                           json={"code": "C-201", "kind": "person", "name": "Ana", "phone": "300 123 4567"})
    assert response.status_code == 422
    assert "country" in response.get_json()["errors"]["phone"][0]
    ok = client.post("/api/v1/customers", headers=admin[1],
                     json={"code": "C-202", "kind": "person", "name": "Ana", "phone": "+57 300 123 4567"})
    assert ok.status_code == 201 and ok.get_json()["phone"] == "+573001234567"


@pytest.mark.parametrize("body,fields", [
    ({"surprise": 1}, {"surprise"}),
    ({"name": "n" * 201, "address": "a" * 501, "region": "r" * 101}, {"name", "address", "region"}),
    ({"kind": "alien", "status": "gone", "country": "XX", "language": "Spanish!"},
     {"kind", "status", "country", "language"}),
    ({"email": "not-an-email", "salesperson_id": "nope", "description": 5}, {"email", "salesperson_id", "description"}),
    ({"campaigns": [{"campaign": "X", "role": "spectator"}]}, {"campaigns"}),
    ({"code": "C-9"}, {"code"}),  # the code never changes: not a field of the update
    ({"phone": "ABC"}, {"phone"}),
])
def test_bad_updates_name_each_field_and_change_nothing(client, admin, make_customer, outbox, body, fields):
    customer = make_customer()
    response = client.patch(f"/api/v1/customers/{customer['id']}", headers=if_match(admin[1], 1), json=body)
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert set(response.get_json()["errors"]) == fields
    assert card_of(client, admin[1], customer["id"])[1] == '"1"'
    assert [key for key, _ in outbox()] == ["customer.created.v1", "customer.addresses.v1"]


def test_an_unreadable_body_is_a_400_and_a_list_body_a_422(client, admin, make_customer):
    customer = make_customer()
    broken = client.patch(f"/api/v1/customers/{customer['id']}", data="{nope",
                          headers=if_match(admin[1], 1) | {"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.content_type == "application/problem+json"
    listed = client.patch(f"/api/v1/customers/{customer['id']}", json=[1, 2], headers=if_match(admin[1], 1))
    assert listed.status_code == 422


def test_malformed_ids_are_not_found_after_authentication(client, admin, make_customer):
    customer = make_customer()
    response = client.get("/api/v1/customers/not-a-uuid", headers=admin[1])
    assert (response.status_code, response.content_type) == (404, "application/problem+json")
    assert response.get_json()["detail"] == "No such record: customer_id is not an id."
    line = client.patch(f"/api/v1/customers/{customer['id']}/lines/42", headers=if_match(admin[1], 1), json={})
    assert line.status_code == 404 and "line_id" in line.get_json()["detail"]
    assert client.get("/api/v1/customers/not-a-uuid").status_code == 401


def test_update_needs_if_match_and_refuses_a_stale_version(client, admin, make_customer, outbox):
    customer = make_customer()
    url = f"/api/v1/customers/{customer['id']}"
    assert client.patch(url, headers=admin[1], json={"address": "Calle 1"}).status_code == 428
    garbled = client.patch(url, headers=admin[1] | {"If-Match": "yesterday"}, json={"address": "Calle 1"})
    assert garbled.status_code == 422
    first = client.patch(url, headers=if_match(admin[1], 1), json={"address": "Calle 1", "phone": "601 234 5678"})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    assert first.get_json()["phone"] == "+576012345678"
    stale = client.patch(url, headers=if_match(admin[1], 1), json={"address": "Calle 2"})
    assert stale.status_code == 412 and stale.get_json()["type"].endswith("/stale-version")
    assert card_of(client, admin[1], customer["id"])[0]["address"] == "Calle 1"
    updates = [data for key, data in outbox() if key == "customer.updated.v1"]
    assert len(updates) == 1
    assert updates[0]["version"] == 2
    assert updates[0]["changed"] == ["customer.address", "customer.phone"]


def test_an_update_that_changes_nothing_keeps_the_version(client, admin, make_customer, outbox):
    customer = make_customer(address="Calle 1")
    response = client.patch(f"/api/v1/customers/{customer['id']}", headers=if_match(admin[1], 1),
                            json={"address": "Calle 1"})
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    assert [key for key, _ in outbox()] == ["customer.created.v1", "customer.addresses.v1"]


def test_the_tax_number_never_changes_once_set(client, admin, make_customer):
    customer = make_customer(tax_number="900.123.456-7")
    url = f"/api/v1/customers/{customer['id']}"
    for attempt in ("800123456", None):
        refused = client.patch(url, headers=if_match(admin[1], 1), json={"tax_number": attempt})
        assert refused.status_code == 422, attempt
        assert refused.get_json()["type"].endswith("/tax-number-immutable")
    assert client.patch(url, headers=if_match(admin[1], 1), json={"tax_number": ""}).status_code == 422
    same = client.patch(url, headers=if_match(admin[1], 1), json={"tax_number": "9001234567"})
    assert same.status_code == 200 and same.headers["ETag"] == '"1"'
    moved = client.patch(url, headers=if_match(admin[1], 1), json={"country": "MX"})
    assert moved.status_code == 422 and "country" in moved.get_json()["errors"]
    assert card_of(client, admin[1], customer["id"])[0]["tax_number"] == "900.123.456-7"


def test_a_missing_tax_number_may_be_given_once(client, admin, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer['id']}"
    assert client.patch(url, headers=if_match(admin[1], 1), json={"tax_number": "79123456"}).status_code == 200
    assert client.patch(url, headers=if_match(admin[1], 2), json={"tax_number": "79123457"}).status_code == 422


def test_tax_numbers_are_unique_per_country(client, admin, make_customer):
    make_customer(tax_number="79123456", country="CO")
    taken = client.post("/api/v1/customers", headers=admin[1],
                        json={"code": "X-1", "kind": "person", "name": "B", "country": "CO",
                              "tax_number": "79.123.456"})
    assert taken.status_code == 409 and taken.get_json()["type"].endswith("/tax-number-taken")
    make_customer(tax_number="79123456", country="MX")  # another country: another identity
    no_country = client.post("/api/v1/customers", headers=admin[1],
                             json={"code": "X-2", "kind": "person", "name": "B", "tax_number": "1"})
    assert no_country.status_code == 422 and "country" in no_country.get_json()["errors"]


def test_codes_are_unique_regardless_of_case(client, admin, make_customer):
    make_customer(code="ab-1")
    again = client.post("/api/v1/customers", headers=admin[1], json={"code": "AB-1", "kind": "person", "name": "B"})
    assert again.status_code == 409


# -- who may edit -----------------------------------------------------------------------------
@pytest.mark.parametrize("who,status", [
    ("salesperson_level_4", 200),
    ("level_2_same_branch", 200),
    ("level_1_elsewhere", 200),
    ("level_3_same_department", 403),   # reads, does not edit
    ("creator_level_4", 403),           # created it, but is not its salesperson
    ("level_2_other_branch", 404),      # out of reach: never its data
])
def test_only_the_salesperson_or_levels_1_2_edit(client, bearer, make_customer, register_users, who, status):
    """All of them hold the permission edit_customers: the level and salesperson rule decides."""
    seller = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR)
    creator = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR)
    admin_a = make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_A, permissions=EDITOR)
    principals = {
        "salesperson_level_4": seller, "creator_level_4": creator,
        "level_2_same_branch": make_principal(level=2, branch_id=BRANCH_A, department_id=DEPT_B, permissions=EDITOR),
        "level_1_elsewhere": make_principal(level=1, branch_id=BRANCH_B, department_id=DEPT_B, permissions=EDITOR),
        "level_3_same_department": make_principal(level=3, branch_id=BRANCH_B, department_id=DEPT_A,
                                                  permissions=EDITOR),
        "level_2_other_branch": make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_A, permissions=EDITOR),
    }
    register_users(seller)
    customer = make_customer(headers=bearer(creator))
    assigned = client.patch(f"/api/v1/customers/{customer['id']}", headers=if_match(bearer(admin_a), 1),
                            json={"salesperson_id": str(seller.user_id)})
    assert assigned.status_code == 200, assigned.get_json()
    response = client.patch(f"/api/v1/customers/{customer['id']}", headers=if_match(bearer(principals[who]), 2),
                            json={"description": "Llamado hoy"})
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.get_json()["type"].endswith("/customer-read-only")
    if status == 404:
        assert "José" not in response.get_data(as_text=True)


def test_the_prospect_is_read_by_all_and_edited_by_none(client, admin, bearer):
    prospect = str(uuid.UUID(int=0))
    anyone = bearer(make_principal(level=4))
    card, etag = card_of(client, anyone, prospect)
    assert card["code"] == "0" and card["is_prospect"] is True
    refused = client.patch(f"/api/v1/customers/{prospect}", headers=admin[1] | {"If-Match": etag},
                           json={"name": "Someone"})
    assert refused.status_code == 409 and refused.get_json()["type"].endswith("/prospect-reserved")


# -- other phones and contacts ----------------------------------------------------------------
def test_other_phones_are_unlimited_labelled_and_versioned(client, admin, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer['id']}/phones"
    version = 1
    for n in range(12):
        added = client.post(url, headers=if_match(admin[1], version), json={"label": f"casa {n}",
                                                                             "number": f"310 765 43{n:02d}"})
        assert added.status_code == 201, added.get_json()
        version += 1
        assert added.headers["ETag"] == f'"{version}"'
    phone = added.get_json()
    changed = client.patch(f"{url}/{phone['id']}", headers=if_match(admin[1], version),
                           json={"number": "+52 55 1234 5678"})
    assert changed.status_code == 200 and changed.get_json()["number"] == "+525512345678"
    bad = client.post(url, headers=if_match(admin[1], version + 1), json={"label": "x", "number": "310 765 4321 / 1"})
    assert bad.status_code == 422 and "number" in bad.get_json()["errors"]
    gone = client.delete(f"{url}/{phone['id']}", headers=if_match(admin[1], version + 1))
    assert gone.status_code == 204 and gone.headers["ETag"] == f'"{version + 2}"'
    assert len(card_of(client, admin[1], customer["id"])[0]["other_phones"]) == 11
    missing = client.delete(f"{url}/{phone['id']}", headers=if_match(admin[1], version + 2))
    assert missing.status_code == 404


def test_contacts_are_added_changed_and_removed(client, admin, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer['id']}/contacts"
    added = client.post(url, headers=if_match(admin[1], 1), json={"name": "Luis Gómez", "role": "hijo",
                                                                  "phones": ["300 123 4567"]})
    assert added.status_code == 201 and added.get_json()["receives_notices"] is False
    contact = added.get_json()
    changed = client.patch(f"{url}/{contact['id']}", headers=if_match(admin[1], 2),
                           json={"receives_notices": True, "email": "luis@example.com"})
    assert changed.status_code == 200 and changed.get_json()["receives_notices"] is True
    refused = client.patch(f"{url}/{contact['id']}", headers=if_match(admin[1], 3), json={"phones": ["1" * 30]})
    assert refused.status_code == 422
    assert client.delete(f"{url}/{contact['id']}", headers=if_match(admin[1], 3)).status_code == 204
    assert card_of(client, admin[1], customer["id"])[0]["contacts"] == []


# -- lines ------------------------------------------------------------------------------------
def add_line(client, headers, customer_id, version, **overrides):
    body = {"number": "0912 000 111", "tariff_plan": "Basic 50", "service_type": "voice",
            "network_standard": "LTE", "iccid": iccid(), "billing_group": "BG-1"} | overrides
    return client.post(f"/api/v1/customers/{customer_id}/lines", headers=if_match(headers, version), json=body)


def test_a_line_carries_status_date_sim_plan_history_and_billing_group(client, admin, make_customer):
    customer = make_customer(country="VN")
    added = add_line(client, admin[1], customer["id"], 1, activated_on="2024-05-01", tariff_effective_on="2024-05-01")
    assert added.status_code == 201, added.get_json()
    line = added.get_json()
    assert line["number"] == "+84912000111" and line["status"] == "active" and line["has_pin"] is False
    assert [t["tariff_plan"] for t in line["tariff_history"]] == ["Basic 50"]
    url = f"/api/v1/customers/{customer['id']}/lines/{line['id']}"
    blocked = client.patch(url, headers=if_match(admin[1], 2), json={"status": "blocked", "tariff_plan": "Max 200"})
    assert blocked.status_code == 200, blocked.get_json()
    after = blocked.get_json()
    assert after["status"] == "blocked" and after["status_changed_at"] > line["status_changed_at"]
    assert [t["tariff_plan"] for t in after["tariff_history"]] == ["Max 200", "Basic 50"]
    assert after["tariff_effective_on"] == datetime.now(timezone.utc).date().isoformat()
    card = card_of(client, admin[1], customer["id"])[0]
    assert card["lines"][0]["status"] == "blocked" and card["version"] == 3


def test_customer_events_carry_the_region_and_each_lines_status_the_cases_routing_reads(
        client, admin, make_customer, outbox):
    customer = make_customer(country="VN", region="Hà Nội")
    line = add_line(client, admin[1], customer["id"], 1).get_json()
    client.patch(f"/api/v1/customers/{customer['id']}/lines/{line['id']}", headers=if_match(admin[1], 2),
                 json={"status": "blocked"})
    events = [(key, data) for key, data in outbox() if data.get("id") == customer["id"]]  # not addresses
    assert [(key, data["region"], data["lines"], data["version"]) for key, data in events] == [
        ("customer.created.v1", "Hà Nội", [], 1),
        ("customer.updated.v1", "Hà Nội", [{"id": line["id"], "number": "+84912000111", "status": "active"}], 2),
        ("customer.updated.v1", "Hà Nội", [{"id": line["id"], "number": "+84912000111", "status": "blocked"}], 3)]
    assert "line.status" in events[2][1]["changed"]


def test_a_number_belongs_to_one_live_line_at_a_time(client, admin, make_customer):
    first = make_customer(country="VN")
    second = make_customer(country="VN")
    line = add_line(client, admin[1], first["id"], 1).get_json()
    taken = add_line(client, admin[1], second["id"], 1, iccid=iccid("898401234567890124"))
    assert taken.status_code == 409 and taken.get_json()["type"].endswith("/line-number-taken")
    deactivated = client.patch(f"/api/v1/customers/{first['id']}/lines/{line['id']}", headers=if_match(admin[1], 2),
                               json={"status": "deactivated"})
    assert deactivated.status_code == 200
    moved = add_line(client, admin[1], second["id"], 1, iccid=iccid("898401234567890124"))
    assert moved.status_code == 201
    final = client.patch(f"/api/v1/customers/{first['id']}/lines/{line['id']}", headers=if_match(admin[1], 3),
                         json={"status": "active"})
    assert final.status_code == 409 and final.get_json()["type"].endswith("/line-deactivated")


def test_a_sim_serial_must_pass_its_checksum_and_be_free(client, admin, make_customer):
    customer = make_customer(country="VN")
    wrong = add_line(client, admin[1], customer["id"], 1, iccid="8984012345678901230")
    assert wrong.status_code == 422 and "check digit" in wrong.get_json()["errors"]["iccid"][0]
    assert add_line(client, admin[1], customer["id"], 1).status_code == 201
    again = add_line(client, admin[1], customer["id"], 2, number="0912 000 222")
    assert again.status_code == 409 and again.get_json()["type"].endswith("/sim-serial-taken")


def test_the_pin_is_stored_as_a_hash_and_verified(client, admin, app, make_customer):
    customer = make_customer(country="VN")
    line = add_line(client, admin[1], customer["id"], 1).get_json()
    base = f"/api/v1/customers/{customer['id']}/lines/{line['id']}"
    unset = client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": "1234"})
    assert unset.status_code == 409
    assert client.put(f"{base}/pin", headers=admin[1], json={"pin": "4321"}).status_code == 428
    assert client.put(f"{base}/pin", headers=if_match(admin[1], 2), json={"pin": "43a1"}).status_code == 422
    assert client.put(f"{base}/pin", headers=if_match(admin[1], 2), json={"pin": "4321"}).status_code == 204
    assert client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": "4321"}).get_json()["valid"] is True
    assert client.post(f"{base}/pin/verify", headers=admin[1], json={"pin": "4322"}).get_json()["valid"] is False
    with app.extensions["caredesk"].database.session() as session:
        stored = session.scalar(select(Line.pin_hash))
        leaked = session.scalar(select(func.count()).select_from(text("customer_changes"))
                                .where(text("new_value LIKE '%4321%' OR new_value LIKE '%argon2%'")))
    assert stored.startswith("$argon2") and "4321" not in stored
    assert leaked == 0
    assert "pin_hash" not in str(client.get(f"{base}", headers=admin[1]).get_json())


# -- flashes ----------------------------------------------------------------------------------
def test_active_flashes_open_the_card_and_expired_ones_stay_in_history(client, admin, app, make_customer):
    customer = make_customer(country="VN")
    line = add_line(client, admin[1], customer["id"], 1).get_json()
    url = f"/api/v1/customers/{customer['id']}/flashes"
    on_customer = client.post(url, headers=if_match(admin[1], 2),
                              json={"text": "Deuda pendiente", "ends_at": in_days(3)})
    assert on_customer.status_code == 201, on_customer.get_json()
    on_line = client.post(url, headers=if_match(admin[1], 3), json={"text": "SIM robada", "ends_at": in_days(1),
                                                                    "line_id": line["id"]})
    assert on_line.status_code == 201 and on_line.get_json()["line_number"] == "+84912000111"
    past = client.post(url, headers=if_match(admin[1], 4), json={"text": "late", "ends_at": in_days(-1)})
    assert past.status_code == 422 and "ends_at" in past.get_json()["errors"]
    # a flash whose end has passed: no job runs, the query simply no longer shows it
    with app.extensions["caredesk"].database.session() as session:
        session.add(Flash(id=uuid.uuid4(), customer_id=uuid.UUID(customer["id"]), text="Old promise",
                          created_at=datetime.now(timezone.utc) - timedelta(days=10),
                          ends_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        session.commit()
    card = card_of(client, admin[1], customer["id"])[0]
    assert [f["text"] for f in card["flashes"]] == ["SIM robada", "Deuda pendiente"]
    history = client.get(url, headers=admin[1]).get_json()
    assert [(f["text"], f["is_active"]) for f in history["items"]] == [
        ("SIM robada", True), ("Deuda pendiente", True), ("Old promise", False)]
    expired = client.get(url, headers=admin[1], query_string={"state": "expired"}).get_json()
    assert [f["text"] for f in expired["items"]] == ["Old promise"]
    other_line = client.post(url, headers=if_match(admin[1], 4), json={"text": "x", "ends_at": in_days(1),
                                                                       "line_id": str(uuid.uuid4())})
    # a reference in the body: a field error, not the card's 404 (found by Schemathesis' stateful phase)
    assert other_line.status_code == 422
    assert other_line.get_json()["errors"] == {"line_id": ["The customer has no such line."]}


# -- change history ---------------------------------------------------------------------------
def test_every_change_is_in_the_history_with_actor_old_and_new(client, admin, make_customer):
    customer = make_customer(country="VN", phone="0912 345 678")
    url = f"/api/v1/customers/{customer['id']}"
    client.patch(url, headers=if_match(admin[1], 1), json={"phone": "0912 345 679", "email": "a@b.co"})
    contact = client.post(f"{url}/contacts", headers=if_match(admin[1], 2), json={"name": "Hoa"}).get_json()
    client.patch(f"{url}/contacts/{contact['id']}", headers=if_match(admin[1], 3), json={"name": "Hoà"})
    line = add_line(client, admin[1], customer["id"], 4).get_json()
    client.patch(f"{url}/lines/{line['id']}", headers=if_match(admin[1], 5), json={"status": "blocked"})
    history = client.get(f"{url}/history", headers=admin[1], query_string={"per_page": 200}).get_json()
    entries = {(e["entity"], e["field"], e["old_value"], e["new_value"]) for e in history["items"]}
    assert ("customer", "phone", "+84912345678", "+84912345679") in entries
    assert ("customer", "email", None, "a@b.co") in entries
    assert ("contact", "name", "Hoa", "Hoà") in entries
    assert ("line", "status", "active", "blocked") in entries
    assert ("customer", "code", None, customer["code"]) in entries
    assert all(e["actor_id"] == str(admin[0].user_id) for e in history["items"])
    times = [e["changed_at"] for e in history["items"]]
    assert times == sorted(times, reverse=True)
    page = client.get(f"{url}/history", headers=admin[1], query_string={"per_page": 3, "page": 2}).get_json()
    assert page["total"] == history["total"] and [e["id"] for e in page["items"]] == [
        e["id"] for e in history["items"][3:6]]


def test_history_is_read_for_this_week_this_month_or_a_range(client, admin, app, make_customer):
    customer = make_customer()
    url = f"/api/v1/customers/{customer['id']}/history"
    old = datetime.now(timezone.utc) - timedelta(days=70)
    with app.extensions["caredesk"].database.session() as session:
        session.execute(text("INSERT INTO customer_changes (id, customer_id, entity, entity_id, field, old_value, "
                             "new_value, actor_id, changed_at) VALUES (:id, :c, 'customer', :c, 'address', 'a', 'b', "
                             "NULL, :at)"), {"id": uuid.uuid4().hex, "c": uuid.UUID(customer["id"]).hex, "at": old})
        session.commit()
    week = client.get(url, headers=admin[1]).get_json()
    month = client.get(url, headers=admin[1], query_string={"period": "month", "tz": "America/Bogota"}).get_json()
    assert week["total"] == month["total"] == 4  # code, kind, name and country, as make_customer set them
    day = old.date().isoformat()
    ranged = client.get(url, headers=admin[1], query_string={"from": day, "to": day}).get_json()
    assert [(e["field"], e["new_value"]) for e in ranged["items"]] == [("address", "b")]
    assert datetime.fromisoformat(week["from"]).weekday() == 0
    for bad, field in [({"from": day}, "to"), ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
                       ({"tz": "Mars/Olympus"}, "tz"), ({"period": "year"}, "period"),
                       ({"period": "week", "from": day, "to": day}, "period"), ({"per_page": 500}, "per_page")]:
        response = client.get(url, headers=admin[1], query_string=bad)
        assert response.status_code == 422 and field in response.get_json()["errors"], bad


def test_a_caller_out_of_reach_reads_no_history(client, bearer, make_customer):
    customer = make_customer()
    stranger = bearer(make_principal(level=2, branch_id=BRANCH_B))
    assert client.get(f"/api/v1/customers/{customer['id']}/history", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/customers/{customer['id']}/flashes", headers=stranger).status_code == 404
