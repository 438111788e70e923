"""Case types: forms validated by marshmallow schemas built from their definition, dispatch refused
until the form is complete, default priority, and routing rules refining the queue."""
from __future__ import annotations

import pytest

from services.cases.case_types.forms import clean_values, missing_fields, validate_definition
from tests.unit.cases.conftest import CUSTOMER_ID, new_case

SIM_FORM = [
    {"name": "address", "label": "Delivery address", "type": "text", "required": True},
    {"name": "delivery_date", "label": "Delivery date", "type": "date", "required": True},
    {"name": "sim_count", "label": "SIM cards", "type": "integer", "required": True},
    {"name": "tariff", "label": "Tariff", "type": "choice", "choices": ["Basic", "Unlimited"]},
    {"name": "contact_email", "label": "E-mail", "type": "email"},
    {"name": "urgent_call", "label": "Call before", "type": "boolean"},
]


@pytest.fixture
def sim_type(api, people):
    return api.ok(api.post("/case-types", as_=people.admin, json={
        "code": "sim-delivery", "name": "SIM delivery", "queue": "delivery", "default_priority": "high",
        "form": SIM_FORM}), 201)


def test_dispatch_refused_until_the_form_is_complete(api, people, sim_type):
    ana = people.initiator
    case = new_case(api, ana, type="sim-delivery", custom_fields={"tariff": "Basic"})
    assert case["priority"] == "high" and case["queue"]["code"] == "delivery"
    path = f"/cases/{case['id']}"
    for values, still_missing in (({}, ["address", "delivery_date", "sim_count"]),
                                  ({"address": "Tverskaya 1", "sim_count": 2}, ["delivery_date"]),
                                  ({"address": "   "}, ["address", "delivery_date"])):
        case = api.ok(api.patch(path, as_=ana, if_match=case["version"], json={"custom_fields": values}))
        refused = api.post(f"{path}/dispatch", as_=ana)
        assert refused.status_code == 422
        problem = refused.get_json()
        assert problem["type"].endswith("/form-incomplete")
        assert [field["name"] for field in problem["missing_fields"]] == still_missing
        assert set(problem["errors"]) == {f"custom_fields.{name}" for name in still_missing}
        assert api.ok(api.get(path, as_=ana))["status"] == "open"
    case = api.ok(api.patch(path, as_=ana, if_match=case["version"], json={"custom_fields": {
        "address": "Tverskaya 1, flat 12", "delivery_date": "2026-03-03"}}))
    assert case["missing_fields"] == []
    assert api.ok(api.post(f"{path}/dispatch", as_=ana))["status"] == "open_dispatch"


def test_form_values_are_checked_by_type_and_unknown_names_refused(api, people, sim_type):
    response = api.post("/cases", as_=people.initiator, json={
        "customer_id": str(CUSTOMER_ID), "type": "sim-delivery", "subject": "SIM",
        "custom_fields": {"sim_count": "two", "delivery_date": "tomorrow", "tariff": "Gold",
                          "contact_email": "not-an-email", "colour": "red"}})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {
        "custom_fields.sim_count", "custom_fields.delivery_date", "custom_fields.tariff",
        "custom_fields.contact_email", "custom_fields.colour"}


def test_values_are_stored_as_json_ready_data():
    assert clean_values(validate_definition(SIM_FORM), {"delivery_date": "2026-03-03", "sim_count": 2,
                                                        "urgent_call": "true"}) == {
        "delivery_date": "2026-03-03", "sim_count": 2, "urgent_call": True}
    assert missing_fields(SIM_FORM, {"address": "x", "sim_count": 0}) == [
        {"name": "delivery_date", "label": "Delivery date"}]


@pytest.mark.parametrize("form, field", [
    ([{"name": "a", "label": "A", "type": "choice"}], "choices"),
    ([{"name": "a", "label": "A", "type": "text", "choices": ["x"]}], "choices"),
    ([{"name": "A b", "label": "A", "type": "text"}], "name"),
    ([{"name": "a", "label": "A", "type": "colour"}], "type"),
    ([{"name": "a", "type": "text"}], "label"),
])
def test_a_bad_form_definition_is_refused_field_by_field(api, people, form, field):
    response = api.post("/case-types", as_=people.admin, json={
        "code": "broken", "name": "Broken", "queue": "delivery", "form": form})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["form"]["0"]


def test_repeated_field_names_are_refused(api, people):
    response = api.post("/case-types", as_=people.admin, json={
        "code": "twice", "name": "Twice", "queue": "delivery", "form": [
            {"name": "a", "label": "A", "type": "text"}, {"name": "a", "label": "B", "type": "text"}]})
    assert response.status_code == 422
    assert "repeat" in str(response.get_json()["errors"])


def test_case_types_are_administered_with_the_permission_and_versions(api, people, sim_type):
    assert api.post("/case-types", as_=people.agent, json={
        "code": "x", "name": "X", "queue": "delivery"}).status_code == 403
    path = f"/case-types/{sim_type['id']}"
    assert api.patch(path, as_=people.admin, json={"name": "SIM"}).status_code == 428
    changed = api.ok(api.patch(path, as_=people.admin, if_match=sim_type["version"],
                               json={"name": "SIM card delivery", "is_active": False}))
    assert changed["version"] == sim_type["version"] + 1
    assert api.patch(path, as_=people.admin, if_match=sim_type["version"], json={"name": "Old"}).status_code == 412
    retired = api.post("/cases", as_=people.initiator, json={
        "customer_id": str(CUSTOMER_ID), "type": "sim-delivery", "subject": "SIM"})
    assert retired.status_code == 422 and "type" in retired.get_json()["errors"]
    assert [t["code"] for t in api.ok(api.get("/case-types", as_=people.initiator))["items"]] == ["sim-delivery"]


def test_routing_rules_refine_the_queue_by_region_priority_and_line_status(api, people, sim_type):
    admin = people.admin
    for code in ("express", "moscow", "blocked-lines"):
        api.ok(api.post("/queues", as_=admin, json={"code": code, "name": code.title()}), 201)
    rules = f"/case-types/{sim_type['id']}/routing-rules"
    api.ok(api.post(rules, as_=admin, json={"priority": "urgent", "queue": "express"}), 201)
    api.ok(api.post(rules, as_=admin, json={"region": "moscow", "queue": "moscow"}), 201)
    blocked = api.ok(api.post(rules, as_=admin, json={"line_status": "blocked", "queue": "blocked-lines",
                                                      "position": 1}), 201)
    assert api.post(rules, as_=admin, json={"queue": "express"}).status_code == 422  # no condition
    assert [r["queue"]["code"] for r in api.ok(api.get(rules, as_=admin))["items"]] == ["blocked-lines", "express", "moscow"]

    ana = people.initiator
    # The test customer lives in region "Moscow" and has the active line +79161234567.
    assert new_case(api, ana, type="sim-delivery", priority="urgent")["queue"]["code"] == "express"
    assert new_case(api, ana, type="sim-delivery")["queue"]["code"] == "moscow"
    assert new_case(api, ana, type="sim-delivery", queue="delivery")["queue"]["code"] == "delivery"  # by hand
    # Re-prioritising a routed case routes it again; a queue chosen by hand stays.
    case = new_case(api, ana, type="sim-delivery", line="+79161234567")
    case = api.ok(api.patch(f"/cases/{case['id']}", as_=ana, if_match=case["version"], json={"priority": "urgent"}))
    assert case["queue"]["code"] == "express" and case["is_queue_chosen"] is False
    case = api.ok(api.patch(f"/cases/{case['id']}", as_=ana, if_match=case["version"], json={"queue": "delivery"}))
    case = api.ok(api.patch(f"/cases/{case['id']}", as_=ana, if_match=case["version"], json={"priority": "low"}))
    assert case["queue"]["code"] == "delivery"

    listed = api.get(rules, as_=admin)
    version = int(listed.headers["ETag"].strip('"'))
    assert api.delete(f"{rules}/{blocked['id']}", as_=admin).status_code == 428
    assert api.delete(f"{rules}/{blocked['id']}", as_=admin, if_match=version - 1).status_code == 412
    removed = api.delete(f"{rules}/{blocked['id']}", as_=admin, if_match=version)
    assert removed.status_code == 204 and removed.headers["ETag"] == f'"{version + 1}"'
    assert api.ok(api.get(rules, as_=admin))["total"] == 2


def test_a_routing_rule_added_or_removed_moves_the_case_types_version_on(api, people, sim_type):
    admin = people.admin
    rules = f"/case-types/{sim_type['id']}/routing-rules"
    before = api.get(f"/case-types/{sim_type['id']}", as_=admin).headers["ETag"]
    rule = api.ok(api.post(rules, as_=admin, json={"priority": "urgent", "queue": "delivery"}), 201)
    after = api.get(f"/case-types/{sim_type['id']}", as_=admin)
    assert after.headers["ETag"] != before and api.get(rules, as_=admin).headers["ETag"] == after.headers["ETag"]
    # a change made from the version read before the rule was added is refused
    stale = api.patch(f"/case-types/{sim_type['id']}", as_=admin, if_match=int(before.strip('"')),
                      json={"name": "SIM"})
    assert stale.status_code == 412
    version = int(after.headers["ETag"].strip('"'))
    assert api.delete(f"{rules}/{rule['id']}", as_=admin, if_match=version).status_code == 204
    assert api.get(f"/case-types/{sim_type['id']}", as_=admin).headers["ETag"] == f'"{version + 1}"'


def test_a_case_needs_a_type_or_a_queue_and_the_prospect_may_be_its_customer(api, people):
    response = api.post("/cases", as_=people.initiator, json={"customer_id": str(CUSTOMER_ID), "subject": "?"})
    assert response.status_code == 422 and {"type", "queue"} <= set(response.get_json()["errors"])
    prospect = api.ok(api.post("/cases", as_=people.initiator, json={
        "customer_code": "0", "queue": "delivery", "subject": "Caller wants a contract"}), 201)
    assert prospect["customer"]["code"] == "0"
