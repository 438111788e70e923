"""The merged OpenAPI document: current with every component's own document, valid OpenAPI 3.1,
complete for every operation, and served with Swagger UI by the gateway without a token."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from caredesk.components import COMPONENTS
from caredesk.openapi import MERGED_FILE, component_apps, component_documents, merge, render
from gateway import create_app
from gateway.routing.proxy import RESOURCE_OWNERS
from gateway.settings import load_gateway_settings

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    return component_documents()


@pytest.fixture(scope="module")
def merged(documents) -> dict:
    return merge(documents, routes=RESOURCE_OWNERS)


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_checked_in_document_is_current(merged):
    assert MERGED_FILE.read_text(encoding="utf-8") == render(merged), \
        "a component's OpenAPI document changed: rebuild with  caredesk openapi > gateway/openapi.json"


@pytest.mark.parametrize("name", ["gateway", "customers", "cases", "notifications"])
def test_each_component_document_is_valid_openapi_3_1(documents, name):
    assert documents[name]["openapi"] == "3.1.0"
    validate(documents[name])


def test_merged_document_is_valid_openapi_3_1(merged):
    validate(merged)
    print(f"\nmerged OpenAPI: {len(merged['paths'])} paths, {len(list(operations(merged)))} operations, "
          f"{len(merged['components']['schemas'])} schemas")


def test_every_service_path_is_in_the_merged_document_as_the_gateway_routes_it(documents, merged):
    for name, document in documents.items():
        for path, item in document["paths"].items():
            assert path.startswith("/api/v1/")
            assert name == "gateway" or RESOURCE_OWNERS[path.split("/")[3]] == name
            for method in METHODS:
                if method in item:
                    assert merged["paths"][path][method]["x-caredesk-service"] == name


def test_shared_components_are_kept_once_and_refs_resolve(merged):
    text = json.dumps(merged)
    assert "Problem" in merged["components"]["schemas"]
    assert not [name for name in merged["components"]["schemas"] if name.endswith("Problem") and name != "Problem"]
    for kind, name in set(re.findall(r'"#/components/(\w+)/([\w.-]+)"', text)):
        assert name in merged["components"][kind], f"{kind}/{name} is referenced but not defined"
    assert list(merged["components"]["securitySchemes"]) == ["bearerAuth"]
    assert merged["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert merged["security"] == [{"bearerAuth": []}]


def _resolve(document: dict, answer: dict) -> dict:
    if "$ref" in answer:
        return document["components"]["responses"][answer["$ref"].rpartition("/")[2]]
    return answer


def test_every_operation_has_an_id_and_its_problem_answers(merged):
    ids, gaps = set(), []
    for method, path, operation in operations(merged):
        where = f"{method.upper()} {path}"
        assert operation["operationId"] not in ids
        ids.add(operation["operationId"])
        responses = operation["responses"]
        public = operation.get("security") == []
        if not public and not {"401", "403"} <= set(responses):
            gaps.append(f"{where}: 401/403 undocumented")
        if "{" in path and "404" not in responses:
            gaps.append(f"{where}: 404 undocumented")
        if "requestBody" in operation and not {"400", "422"} <= set(responses):
            gaps.append(f"{where}: 400/422 undocumented")
        for status, answer in responses.items():
            if status.startswith("4"):
                assert list(_resolve(merged, answer)["content"]) == ["application/problem+json"], where
        if operation.get("x-caredesk-service") != "gateway":
            assert {"503", "504"} <= set(responses)
        if not public:
            assert "429" in responses and "Retry-After" in _resolve(merged, responses["429"])["headers"]
    assert not gaps, "\n".join(gaps)


def test_every_operation_has_a_summary(merged):
    missing = [f"{method.upper()} {path}" for method, path, operation in operations(merged)
               if not operation.get("summary", "").strip()]
    assert not missing, "give these views a docstring (its first paragraph is the summary):\n" + "\n".join(missing)


def request_bodies(document: dict):
    for method, path, operation in operations(document):
        for content_type, media in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{method.upper()} {path} ({content_type})", media


@pytest.mark.parametrize("name", list(COMPONENTS))
def test_every_request_body_has_an_example(documents, name):
    missing = [where for where, media in request_bodies(documents[name])
               if "example" not in media and "examples" not in media]
    assert not missing, ("give these bodies an example the API accepts (@blp.arguments(..., example={...})):\n"
                         + "\n".join(missing))


def test_every_request_body_example_loads_with_its_own_marshmallow_schema(documents):
    """What the views themselves read the body with accepts the documented example (the merged
    document's JSON Schema check is the next test); a multipart example holds the form's fields and
    the file's name."""
    loaded = 0
    with component_apps() as apps:
        for name, app in apps.items():
            for endpoint, view in app.view_functions.items():
                parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
                body = [p for p in parameters if p.get("in") in ("json", "form", "files")]
                example = next((p["example"] for p in body if "example" in p), None)
                if not body:
                    continue
                assert example is not None, f"{name} {endpoint}: no example"
                schemas = {p["in"]: p["schema"]() if isinstance(p["schema"], type) else p["schema"] for p in body}
                if "files" in schemas:
                    assert set(example) <= set(schemas["files"].fields) | set(schemas.get("form", schemas["files"]).fields)
                    example = {key: value for key, value in example.items() if key not in schemas["files"].fields}
                    schema = schemas["form"]
                else:
                    schema = schemas["json"]
                errors = schema.validate(example)
                assert not errors, f"{name} {endpoint}: {errors}"
                loaded += 1
    assert loaded == sum(len(list(request_bodies(document))) for document in documents.values())
    print(f"\n{loaded} request body examples loaded")


def test_request_body_examples_conform_to_their_schemas(merged):
    tried = 0
    for method, path, operation in operations(merged):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "example" in media:
                schema = {**media["schema"], "components": merged["components"]}
                errors = [e.message for e in Draft202012Validator(schema).iter_errors(media["example"])]
                assert not errors, f"{method.upper()} {path}: {errors}"
                tried += 1
    assert tried == len(list(request_bodies(merged)))
    print(f"\n{tried} request bodies with an example")


def test_public_operations_are_only_login_and_what_their_url_carries(merged):
    public = sorted(f"{m.upper()} {p}" for m, p, o in operations(merged) if o.get("security") == [])
    assert public == ["GET /api/v1/notifications/calendar/feed/{token}.ics",
                      "GET /api/v1/notifications/surveys/answer/{token}",
                      "POST /api/v1/auth/login", "POST /api/v1/auth/refresh",
                      "POST /api/v1/notifications/surveys/answer/{token}"]


@pytest.fixture
def gateway(component_settings, key_pair):
    return create_app(load_gateway_settings(service=component_settings("gateway"),
                                            private_key_file=key_pair[0])).test_client()


def test_gateway_serves_the_merged_document_without_a_token(gateway):
    response = gateway.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_data() == MERGED_FILE.read_bytes()
    again = gateway.get("/api/v1/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_docs_page_loads_swagger_ui_from_the_gateway_only(gateway):
    page = gateway.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http" not in html.replace('data-spec-url="/api/v1/openapi.json"', "")
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/api/docs/") for source in sources)
    for source in sources:
        asset = gateway.get(source)
        assert asset.status_code == 200 and len(asset.get_data()) > 0, source
    bundle = gateway.get("/api/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)
    assert "SwaggerUIBundle" in bundle
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert gateway.get("/api/docs/assets/../../openapi.json").status_code == 404
    assert gateway.get("/api/docs/assets/package.json").status_code == 404


def test_every_creation_links_to_the_operations_on_what_it_created(merged):
    """The links Schemathesis' stateful phase follows: each resolves to an operation whose every
    path parameter it fills, the created id among them, and a change gets the creation's ETag."""
    by_id = {operation["operationId"]: (method, path, operation) for method, path, operation in operations(merged)}
    created = merged["paths"]["/api/v1/customers"]["post"]["responses"]["201"]["links"]
    assert created["get_customers_customer_id"]["parameters"] == {"path.customer_id": "$response.body#/id"}
    assert created["patch_customers_customer_id"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    assert "post_customers_customer_id_lines" in created
    line = merged["paths"]["/api/v1/customers/{customer_id}/lines"]["post"]["responses"]["201"]["links"]
    assert line["get_customers_customer_id_lines_line_id"]["parameters"] == {
        "path.customer_id": "$request.path.customer_id", "path.line_id": "$response.body#/id"}
    count = 0
    for _method, path, operation in operations(merged):
        for link in operation["responses"].get("201", {}).get("links", {}).values():
            _target_method, target_path, _target = by_id[link["operationId"]]
            assert {f"path.{name}" for name in re.findall(r"\{(\w+)\}", target_path)} == {
                key for key in link["parameters"] if key.startswith("path.")}, (path, link)
            count += 1
    assert count >= 80


def test_the_gateway_documents_the_429_of_its_rate_limits_on_every_authenticated_route(documents):
    for method, path, operation in operations(documents["gateway"]):
        if operation.get("security") != []:
            assert "429" in operation["responses"], (method, path)
