"""One HTTP style in every component: a wrong method is 405 with Allow before authentication (on
every route of every service and of the gateway, its forwarded paths included), a GET whose ETag the
client holds is 304 (the gateway passes If-None-Match and the 304 through), repeated query
parameters reach the service unchanged."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from flask import Flask, jsonify, request

from caredesk.components import COMPONENTS
from gateway import create_app as create_gateway
from gateway.api_docs import MERGED_DOCUMENT
from gateway.settings import load_gateway_settings
from tests.unit.cases.conftest import CUSTOMER_ID, Api, build_app as build_cases_app, make_people, new_case, setup_queue
from tests.wsgi_transport import mount_services

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def build(component_settings, key_pair):
    def app(name: str):
        if name == "gateway":
            return create_gateway(load_gateway_settings(service=component_settings(name), private_key_file=key_pair[0]))
        return COMPONENTS[name].module.create_app(component_settings(name))
    return app


def concrete(rule: str) -> str:
    """A path that the rule matches: ids as UUIDs, a choice as its first option, numbers as 1."""
    rule = re.sub(r"<any\(\s*'?([^,')]+)'?[^>]*>", r"\1", rule)
    rule = re.sub(r"\{(\w+)\}", r"<\1>", rule)
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
                  lambda m: "1" if m.group(1) == "int" else str(uuid.uuid4()) if "id" in m.group(2) else "x", rule)


def _matches_another_rule(adapter, path: str, method: str) -> bool:
    try:
        adapter.match(path, method=method)
        return True
    except Exception:  # noqa: BLE001 - 405 or 404: no rule takes it
        return False


@pytest.mark.parametrize("name", list(COMPONENTS))
def test_every_route_answers_a_wrong_method_with_405_and_allow_without_a_token(build, name):
    app = build(name)
    client = app.test_client()
    by_path: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        by_path.setdefault(rule.rule, set()).update(rule.methods & METHODS)
    wrong_answers, adapter = [], app.url_map.bind("localhost")
    for rule, methods in by_path.items():
        for method in sorted(METHODS - methods)[:2]:
            if _matches_another_rule(adapter, concrete(rule), method):
                continue  # PATCH /directory/users/search is PATCH /directory/users/{user_id}
            answer = client.open(concrete(rule), method=method)
            allowed = {m.strip() for m in answer.headers.get("Allow", "").split(",")}
            if answer.status_code != 405 or not methods <= allowed:
                wrong_answers.append((method, rule, answer.status_code, answer.headers.get("Allow")))
            elif answer.mimetype != "application/problem+json":
                wrong_answers.append((method, rule, answer.mimetype))
    assert wrong_answers == []


def test_the_gateway_refuses_a_wrong_method_on_every_forwarded_path_before_authentication(build):
    client = build("gateway").test_client()
    document = json.loads(MERGED_DOCUMENT.read_text())
    wrong_answers, checked = [], 0
    for path, item in document["paths"].items():
        if path.split("/")[3] not in ("customers", "cases", "queues", "case-types", "notifications"):
            continue
        methods = {m.upper() for m in item} & METHODS
        for method in sorted(METHODS - methods)[:1]:
            answer = client.open(concrete(path), method=method)
            checked += 1
            if answer.status_code != 405 or set(answer.headers.get("Allow", "").replace(" ", "").split(",")) < methods:
                wrong_answers.append((method, path, answer.status_code, answer.headers.get("Allow")))
    assert checked > 100 and wrong_answers == []


def test_an_anonymous_put_on_a_get_only_path_is_405_not_401(build):
    client = build("gateway").test_client()
    answer = client.put("/api/v1/auth/me", json={})
    assert answer.status_code == 405 and answer.headers["Allow"].replace(" ", "").split(",").count("GET") == 1
    forwarded = client.put("/api/v1/cases/folder", json={})
    assert forwarded.status_code == 405 and "GET" in forwarded.headers["Allow"]
    # a method the path takes still needs the token
    assert client.get("/api/v1/cases/folder").status_code == 401


def test_a_get_whose_etag_the_client_holds_is_304_without_a_body_through_the_gateway(build, tmp_path, key_pair,
                                                                                     token_issuer):
    cases_app = build_cases_app(tmp_path, key_pair)
    api = Api(cases_app, token_issuer)
    people = make_people()
    setup_queue(api, people)
    case = new_case(api, people.initiator)
    path = f"/api/v1/cases/{case['id']}"
    direct = cases_app.test_client()
    headers = api.headers(people.initiator)
    first = direct.get(path, headers=headers)
    etag = first.headers["ETag"]
    again = direct.get(path, headers=headers | {"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert direct.get(path, headers=headers | {"If-None-Match": "W/" + etag}).status_code == 304
    assert direct.get(path, headers=headers | {"If-None-Match": '"999"'}).status_code == 200
    gateway_app = build("gateway")
    mount_services(gateway_app, {"cases": cases_app})
    via = gateway_app.test_client().get(path, headers=headers | {"If-None-Match": etag})
    assert via.status_code == 304 and via.get_data() == b"" and via.headers["ETag"] == etag


def test_the_gateway_forwards_repeated_query_parameters_unchanged(build):
    echo = Flask("echo")

    @echo.get("/api/v1/cases")
    def seen():
        return jsonify(status=request.args.getlist("status"), query=request.query_string.decode())

    gateway_app = build("gateway")
    mount_services(gateway_app, {"cases": echo})
    from tests.conftest import make_principal
    issuer_token = gateway_app.extensions["caredesk.token_issuer"].issue(make_principal())[0]
    answer = gateway_app.test_client().get("/api/v1/cases?status=a&status=b&q=x",
                                           headers={"Authorization": f"Bearer {issuer_token}"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == ["a", "b"]


def test_a_201_says_where_the_new_record_lives(tmp_path, key_pair, token_issuer):
    cases_app = build_cases_app(tmp_path, key_pair)
    api = Api(cases_app, token_issuer)
    people = make_people()
    setup_queue(api, people)
    created = api.post("/cases", as_=people.initiator, json={"customer_id": str(CUSTOMER_ID), "subject": "SIM",
                                                             "queue": "delivery"})
    case = api.ok(created, 201)
    assert created.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert api.get(created.headers["Location"].removeprefix("/api/v1"), as_=people.initiator).status_code == 200
    # a comment has no address of its own: the list that holds it
    comment = api.post(f"/cases/{case['id']}/comments", as_=people.initiator, json={"body": "Called."})
    assert comment.status_code == 201 and comment.headers["Location"] == f"/api/v1/cases/{case['id']}/comments"


@pytest.mark.parametrize("name", list(COMPONENTS))
def test_a_body_that_is_not_json_is_415_and_malformed_json_a_plain_400(build, name, token_issuer):
    from tests.conftest import make_principal
    app = build(name)
    client = app.test_client()
    token = {"Authorization": f"Bearer {token_issuer.issue(make_principal(level=1))[0]}"}
    path = {"gateway": "/api/v1/auth/login", "customers": "/api/v1/customers", "cases": "/api/v1/cases",
            "notifications": "/api/v1/notifications/read-all"}[name]
    text = client.post(path, data="username=a", headers=token | {"Content-Type": "text/plain"})
    assert text.status_code == 415 and text.mimetype == "application/problem+json"
    broken = client.post(path, data="{oops", headers=token | {"Content-Type": "application/json"})
    if name != "notifications":  # read-all reads no body
        assert broken.status_code == 400 and broken.get_json()["detail"].startswith("The body is not valid JSON")


def test_a_case_action_refuses_a_body_it_cannot_read(tmp_path, key_pair, token_issuer):
    cases_app = build_cases_app(tmp_path, key_pair)
    api = Api(cases_app, token_issuer)
    people = make_people()
    setup_queue(api, people)
    case = new_case(api, people.initiator, queue="delivery")
    refused = cases_app.test_client().post(f"/api/v1/cases/{case['id']}/dispatch", data="<dispatch/>",
                                           headers=api.headers(people.initiator) | {"Content-Type": "application/xml"})
    assert refused.status_code == 415


def test_errors_have_one_shape_for_body_query_header_and_whole_object(tmp_path, key_pair, token_issuer):
    from services.kit.problems import one_shape
    assert one_shape({"json": {"name": ["Missing."]}, "query": {"page": ["Not a number."]},
                      "headers": {"If-Match": ["Bad."]}}) == {
        "name": ["Missing."], "page": ["Not a number."], "If-Match": ["Bad."]}
    assert one_shape({"json": ["Invalid input type."]}) == {"_schema": ["Invalid input type."]}
    assert one_shape({"address": {"city": ["Missing."]}}) == {"address": {"city": ["Missing."]}}
    cases_app = build_cases_app(tmp_path, key_pair)
    api = Api(cases_app, token_issuer)
    people = make_people()
    setup_queue(api, people)
    query = api.get("/cases", as_=people.initiator, query={"page": "x"})
    assert query.status_code == 422 and "page" in query.get_json()["errors"] and "query" not in query.get_json()["errors"]
    whole = api.post("/cases", as_=people.initiator, json=[1, 2])
    assert whole.status_code == 422 and list(whole.get_json()["errors"]) == ["_schema"]
    case = new_case(api, people.initiator)
    header = api.client.patch(f"/api/v1/cases/{case['id']}", json={"subject": "X"},
                              headers=api.headers(people.initiator) | {"If-Match": "yesterday"})
    assert header.status_code == 422 and list(header.get_json()["errors"]) == ["If-Match"]
    assert isinstance(header.get_json()["errors"]["If-Match"], list)
