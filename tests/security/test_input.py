"""Hostile text and shapes against every service, in both run modes (SQLite and PostgreSQL): control
characters (tab and newline only in multi-line fields), invisible reordering characters, over-long
strings, deeply nested JSON, huge arrays, wrong content types, duplicate keys. Each is refused
with a problem naming the field (or 400/415 for a body that is not one JSON object) or stored
safely in NFC; never a 500, and a refusal changes no table."""
from __future__ import annotations

import json
import unicodedata
import uuid

import pytest

from services.cases.models import CustomerReadModel
from tests.conftest import make_principal
from tests.security.conftest import fingerprint

pytestmark = pytest.mark.integration

BACKENDS = ["sqlite", "postgresql"]
ADMIN = make_principal(level=1, permissions=frozenset({"manage_queues", "edit_customers", "manage_users"}))

# text a single-line field refuses; a multi-line field refuses all but the line breaks
HOSTILE = {
    "NUL": "Ana\x00Pérez", "escape": "Ana\x1b[31mPérez", "bell": "Ana\x07", "DEL": "Ana\x7f",
    "C1 control": "Ana\x85Pérez", "newline": "Ana\nPérez", "tab": "Ana\tPérez", "carriage return": "Ana\rPérez",
    "right-to-left override": "Ana\u202eztéreP", "left-to-right isolate": "Ana\u2066Pérez\u2069",
    "zero-width space": "Ana\u200bPérez", "byte-order mark": "\ufeffAna", "word joiner": "An\u2060a",
}
LINE_BREAKS = {"newline", "tab", "carriage return"}


@pytest.fixture(params=BACKENDS)
def services(request, make_app):
    apps = {name: make_app(name, backend=request.param) for name in ("customers", "cases", "gateway")}
    with apps["cases"].extensions["caredesk"].database.session() as session:
        session.add(CustomerReadModel(id=uuid.uuid4(), code="C-7", name="Ana", source_version=1))
        session.commit()
    return request.param, apps


def _targets(api):
    """(label, app, method, path, field, body builder, multi-line?) for every text field probed."""
    queue = api["cases"].post("/api/v1/queues", as_=ADMIN, json={"code": "delivery", "name": "Delivery"})
    assert queue.status_code == 201
    case_type = api["cases"].post("/api/v1/case-types", as_=ADMIN, json={
        "code": "sim", "name": "SIM", "queue": "delivery",
        "form": [{"name": "note", "label": "Note", "type": "text"}]})
    assert case_type.status_code == 201, case_type.get_json()
    case = api["cases"].post("/api/v1/cases", as_=ADMIN, json={"customer_code": "C-7", "queue": "delivery",
                                                               "subject": "SIM"}).get_json()
    def customer() -> dict:
        return {"code": f"C-{uuid.uuid4().hex[:8]}", "kind": "person", "country": "CO"}

    return [
        ("customer name", "customers", "POST", "/api/v1/customers", "name", lambda t: customer() | {"name": t}, False),
        ("customer address", "customers", "POST", "/api/v1/customers", "address",
         lambda t: customer() | {"name": "Ana", "address": t}, True),
        ("customer region", "customers", "POST", "/api/v1/customers", "region",
         lambda t: customer() | {"name": "Ana", "region": t}, False),
        ("case subject", "cases", "POST", "/api/v1/cases", "subject",
         lambda t: {"customer_code": "C-7", "queue": "delivery", "subject": t}, False),
        ("case description", "cases", "POST", "/api/v1/cases", "description",
         lambda t: {"customer_code": "C-7", "queue": "delivery", "subject": "S", "description": t}, True),
        ("case form value", "cases", "POST", "/api/v1/cases", "custom_fields",
         lambda t: {"customer_code": "C-7", "type": "sim", "subject": "S", "custom_fields": {"note": t}},
         True),
        ("comment", "cases", "POST", f"/api/v1/cases/{case['id']}/comments", "body", lambda t: {"body": t}, True),
        ("queue name", "cases", "POST", "/api/v1/queues", "name",
         lambda t: {"code": f"q{uuid.uuid4().hex[:8]}", "name": t}, False),
        ("login username", "gateway", "POST", "/api/v1/auth/login", "username",
         lambda t: {"username": t, "password": "whatever-1"}, False),
    ]


def _call(client, method, path, body):
    return client.call(method, path, as_=ADMIN, json=body)


def test_control_and_invisible_characters_are_refused_by_field(services, client_of):
    backend, apps = services
    api = {name: client_of(app) for name, app in apps.items()}
    tried = refused = stored = 0
    for label, name, method, path, field, body, multiline in _targets(api):
        for kind, text in HOSTILE.items():
            before = fingerprint(apps[name])
            response = _call(api[name], method, path, body(text))
            tried += 1
            assert response.status_code < 500, (backend, label, kind, response.get_data(as_text=True))
            allowed = multiline and (kind in LINE_BREAKS or kind in ("right-to-left override", "left-to-right isolate",
                                                                      "zero-width space", "byte-order mark",
                                                                      "word joiner"))
            if allowed:
                assert response.status_code in (200, 201), (backend, label, kind, response.get_json())
                stored += 1
                continue
            assert response.status_code == 422, (backend, label, kind, response.get_json())
            assert field in response.get_json()["errors"], (label, kind, response.get_json())
            assert fingerprint(apps[name]) == before, (backend, label, kind)
            refused += 1
    print(f"\n[{backend}] text fields: {tried} hostile inputs, {refused} refused by field with no change, "
          f"{stored} stored in multi-line fields, 0 server errors")


def test_names_and_codes_are_stored_in_nfc(services, client_of):
    backend, apps = services
    api = {name: client_of(app) for name, app in apps.items()}
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Café")
    card = api["customers"].post("/api/v1/customers", as_=ADMIN, json={
        "code": "C-NFC", "kind": "person", "country": "VN", "name": decomposed})
    assert card.status_code == 201, card.get_json()
    assert card.get_json()["name"] == unicodedata.normalize("NFC", decomposed) != decomposed
    found = api["customers"].get("/api/v1/customers/search", as_=ADMIN,
                                 query_string={"q": unicodedata.normalize("NFD", "Hồng")})
    assert found.status_code == 200 and [hit["code"] for hit in found.get_json()["items"]] == ["C-NFC"]
    queue = api["cases"].post("/api/v1/queues", as_=ADMIN, json={"code": "billing", "name": decomposed})
    assert queue.get_json()["name"] == unicodedata.normalize("NFC", decomposed)
    print(f"\n[{backend}] NFD names stored and found as NFC")


def test_hostile_shapes_get_4xx_and_change_nothing(services, client_of, token_issuer):
    backend, apps = services
    headers = {"Authorization": f"Bearer {token_issuer.issue(ADMIN)[0]}"}
    deep = "[" * 100 + "]" * 100
    deeper = '{"name":' * 50_000 + "1" + "}" * 50_000
    shapes = [
        ("nested 100 deep", "application/json", deep, 400),
        ("nested 50,000 deep", "application/json", deeper, 400),
        ("duplicate keys", "application/json", '{"code": "C-9", "kind": "person", "name": "A", "name": "B"}', 400),
        ("not UTF-8", "application/json", b'{"name": "\xff\xfe"}', 400),
        ("not JSON", "application/json", "{name: 1}", 400),
        ("form body", "application/x-www-form-urlencoded", "code=C-9&kind=person&name=A", 415),
        ("text body", "text/plain", '{"code": "C-9"}', 415),
        ("XML body", "application/xml", "<customer/>", 415),
        ("a JSON array", "application/json", "[1, 2, 3]", 422),
        ("over-long name", "application/json",
         json.dumps({"code": "C-9", "kind": "person", "name": "x" * 100_000}), 422),
        ("huge array", "application/json",
         json.dumps({"code": "C-9", "kind": "person", "name": "A", "campaigns": [{"campaign": "x", "role": "candidate"}] * 5000}), 422),
        ("huge free-form array", "application/json", None, 422),
        ("over-long free-form text", "application/json", None, 422),
    ]
    tried = 0
    for label, content_type, body, status in shapes:
        app, path = apps["customers"], "/api/v1/customers"
        if body is None:  # the cases' form values take any JSON: lists and text are still capped
            app, path = apps["cases"], "/api/v1/cases"
            value = [1] * 5000 if "array" in label else "x" * 20_000
            body = json.dumps({"customer_code": "C-7", "queue": "none", "subject": "S", "custom_fields": {"v": value}})
        before = fingerprint(app)
        response = app.test_client().post(path, data=body, content_type=content_type, headers=headers)
        assert response.status_code == status, (backend, label, response.get_data(as_text=True)[:300])
        assert response.content_type == "application/problem+json"
        assert fingerprint(app) == before, (backend, label)
        tried += 1
    query = apps["customers"].test_client().get("/api/v1/customers/search", headers=headers,
                                                query_string={"q": "Ana\x00"})
    assert query.status_code == 422 and "q" in json.dumps(query.get_json()["errors"])
    print(f"\n[{backend}] hostile shapes: {tried + 1} tried, each 400/415/422 with no change")
