"""The customer card in one call, composed by the gateway from the customers and cases services
running as processes: everything in it, a stopped service leaving its part unavailable, and a
customer out of the caller's reach answered as a missing one."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import make_principal
from tests.integration.gateway.conftest import bearer, new_code

pytestmark = pytest.mark.integration

BRANCH_A, BRANCH_B = uuid.uuid4(), uuid.uuid4()
AGENT_A = make_principal(username="ana", level=2, branch_id=BRANCH_A, permissions=frozenset({"edit_customers"}))
AGENT_B = make_principal(username="boris", level=2, branch_id=BRANCH_B)
ADMIN = make_principal(username="root", level=1, branch_id=BRANCH_A,
                       permissions=frozenset({"edit_customers", "manage_queues"}))


def _call(token_issuer, method: str, url: str, as_, *, if_match=None, **kwargs) -> requests.Response:
    headers = bearer(token_issuer, as_) | ({"If-Match": f'"{if_match}"'} if if_match is not None else {})
    return requests.request(method, url, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def customer(served_system, token_issuer) -> dict:
    """A customer of branch A with a line, a contact, a flash, an interaction, an invoice and an open case."""
    api = served_system.services["customers"].url + "/api/v1/customers"
    code = new_code()
    created = _call(token_issuer, "POST", api, AGENT_A, json={
        "code": code, "kind": "person", "name": "Ana Card", "country": "CO",
        "contacts": [{"name": "Olga Card", "phones": ["+57 310 765 4321"]}]})
    assert created.status_code == 201, created.text
    card = created.json()
    url = f"{api}/{card['id']}"
    number = f"+57300{uuid.uuid4().int % 10**7:07d}"
    line = _call(token_issuer, "POST", f"{url}/lines", AGENT_A, if_match=card["version"],
                 json={"number": number, "tariff_plan": "Basic"})
    assert line.status_code == 201, line.text
    flash = _call(token_issuer, "POST", f"{url}/flashes", AGENT_A, if_match=int(line.headers["ETag"].strip('"')),
                  json={"text": "Disputed invoice: transfer to billing", "ends_at": "2099-01-01T00:00:00Z"})
    assert flash.status_code == 201, flash.text
    interaction = _call(token_issuer, "POST", f"{url}/interactions", AGENT_A,
                        json={"direction": "inbound", "channel": "phone", "comments": "Asked about the invoice"})
    assert interaction.status_code == 201, interaction.text
    imported = _call(token_issuer, "POST", f"{api}/billing/imports", ADMIN, json={"kind": "invoices", "rows": [{
        "invoice_number": new_code("INV"), "customer_code": code, "issue_date": "2026-10-01",
        "due_date": "2026-10-15", "amount": "120.50", "currency": "COP"}]})
    assert imported.status_code == 200, imported.text
    # what customer.created.v1 would have put into the cases service's read model
    engine = create_engine(served_system.database_url("cases").replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, code, name, branch_id, department_id, lines, source_version, "
                          "updated_at) VALUES (:id, :code, 'Ana Card', :branch, NULL, '[]', 1, :now)"),
                     {"id": card["id"], "code": code, "branch": BRANCH_A, "now": datetime.now(timezone.utc)})
    engine.dispose()
    queue = new_code("Q").replace("-", "_").lower()
    made = _call(token_issuer, "POST", served_system.services["cases"].url + "/api/v1/queues", ADMIN,
                 json={"code": queue, "name": "Billing"})
    assert made.status_code == 201, made.text
    case = _call(token_issuer, "POST", served_system.services["cases"].url + "/api/v1/cases", AGENT_A,
                 json={"customer_id": card["id"], "subject": "Invoice disputed", "queue": queue})
    assert case.status_code == 201, case.text
    return {"id": card["id"], "code": code, "number": number, "case": case.json()["number"]}


@pytest.fixture(scope="module")
def gateway(served_system):
    return served_system.gateway()


def _card(gateway, token_issuer, path: str, as_=AGENT_A):
    return gateway.test_client().get(path, headers=bearer(token_issuer, as_))


def test_card_has_every_part(gateway, token_issuer, customer):
    began = time.perf_counter()
    answer = _card(gateway, token_issuer, f"/api/v1/customer-cards/{customer['id']}")
    elapsed = time.perf_counter() - began
    assert answer.status_code == 200, answer.get_json()
    card = answer.get_json()
    assert list(card)[:2] == ["id", "flashes"], "the active flashes come first"
    assert [flash["text"] for flash in card["flashes"]] == ["Disputed invoice: transfer to billing"]
    assert card["customer"]["code"] == customer["code"]
    assert [line["number"] for line in card["lines"]] == [customer["number"]]
    assert [contact["name"] for contact in card["contacts"]] == ["Olga Card"]
    assert [i["comments"] for i in card["latest_interactions"]] == ["Asked about the invoice"]
    assert [case["number"] for case in card["open_cases"]["items"]] == [customer["case"]]
    assert card["financial_summary"]["balance"] == "-120.50"
    assert card["consents"]["items"], "the consents in force"
    assert card["offers"]["total"] == 0
    assert card["unavailable_parts"] == []
    print(f"\ncomposed card in {elapsed * 1000:.0f} ms")


def test_card_by_caller_number_in_any_format(gateway, token_issuer, customer):
    digits = customer["number"][3:]  # the national number, as an agent types it: 300 123-4567
    typed = f"{digits[:3]} {digits[3:6]}-{digits[6:]}"
    answer = _card(gateway, token_issuer, f"/api/v1/customer-cards?caller={requests.utils.quote(typed)}")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["id"] == customer["id"]
    assert answer.get_json()["unavailable_parts"] == []


def test_card_out_of_scope_is_the_same_404_as_a_missing_one(gateway, token_issuer, customer):
    hidden = _card(gateway, token_issuer, f"/api/v1/customer-cards/{customer['id']}", as_=AGENT_B)
    missing = _card(gateway, token_issuer, f"/api/v1/customer-cards/{uuid.uuid4()}", as_=AGENT_B)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content_type == "application/problem+json"
    strip = lambda body: {k: v for k, v in body.items() if k not in ("correlation_id", "instance", "detail")}  # noqa: E731
    assert strip(hidden.get_json()) == strip(missing.get_json())
    assert customer["code"] not in hidden.get_data(as_text=True)
    by_caller = _card(gateway, token_issuer, f"/api/v1/customer-cards?caller={requests.utils.quote(customer['number'])}",
                      as_=AGENT_B)
    assert by_caller.status_code == 404


def test_card_refuses_bad_input_naming_the_field(gateway, token_issuer):
    assert _card(gateway, token_issuer, "/api/v1/customer-cards/not-an-id").status_code == 404
    missing = _card(gateway, token_issuer, "/api/v1/customer-cards")
    assert missing.status_code == 422 and "caller" in missing.get_json()["errors"]
    too_long = _card(gateway, token_issuer, "/api/v1/customer-cards?caller=" + "1" * 51)
    assert too_long.status_code == 422, too_long.get_json()
    assert list(too_long.get_json()["errors"]) == ["caller"]
    assert _card(gateway, token_issuer, "/api/v1/customer-cards?caller=call-me-maybe").status_code == 404
    assert gateway.test_client().get("/api/v1/customer-cards/" + str(uuid.uuid4())).status_code == 401


def test_card_with_the_cases_service_stopped(served_system, gateway, token_issuer, customer):
    cases = served_system.services["cases"]
    cases.stop()
    try:
        began = time.perf_counter()
        answer = _card(gateway, token_issuer, f"/api/v1/customer-cards/{customer['id']}")
        elapsed = time.perf_counter() - began
    finally:
        cases.start()
    assert answer.status_code == 200, answer.get_json()
    card = answer.get_json()
    assert card["open_cases"] == {"unavailable": True, "service": "cases", "reason": "unreachable", "status": 503,
                                  "detail": "The cases service is not reachable; nothing was changed. Try again."}
    assert card["unavailable_parts"] == ["open_cases"]
    assert card["customer"]["code"] == customer["code"] and card["financial_summary"]["balance"] == "-120.50"
    assert elapsed < 2, f"a refused connection is known at once, not after a timeout ({elapsed:.2f} s)"


def test_card_with_the_customers_service_stopped_is_a_503(served_system, gateway, token_issuer, customer):
    customers = served_system.services["customers"]
    customers.stop()
    try:
        answer = _card(gateway, token_issuer, f"/api/v1/customer-cards/{customer['id']}")
    finally:
        customers.start()
    assert answer.status_code == 503
    assert answer.content_type == "application/problem+json"
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.get_json()["service"] == "customers"


def test_card_within_an_api_tokens_scopes(gateway, token_issuer, customer):
    import dataclasses

    customers_only = dataclasses.replace(AGENT_A, resources=frozenset({"customers"}), read_only=True)
    card = _card(gateway, token_issuer, f"/api/v1/customer-cards/{customer['id']}", as_=customers_only).get_json()
    assert card["open_cases"]["unavailable"] and card["open_cases"]["reason"] == "forbidden"
    assert card["customer"]["code"] == customer["code"]
    cases_only = dataclasses.replace(AGENT_A, resources=frozenset({"cases"}))
    refused = _card(gateway, token_issuer, f"/api/v1/customer-cards/{customer['id']}", as_=cases_only)
    assert refused.status_code == 403
