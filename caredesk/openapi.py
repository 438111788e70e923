"""The public API as one OpenAPI 3.1 document, merged from every component's own document: the
paths under /api/v1 as the gateway routes them, shared components once, one bearer scheme.

Each component's document is the one its app serves at /openapi.json, built here in process (a
throwaway key pair and SQLite URLs that are never opened). The result is checked in as
gateway/openapi.json, which the gateway serves at /api/v1/openapi.json; rebuild it with
``caredesk openapi > gateway/openapi.json`` (a unit test fails while it is stale).
"""
from __future__ import annotations

import copy
import json
import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from caredesk.components import COMPONENTS
from services.kit.openapi import BEARER_SCHEME, RETRY_AFTER, problem_content

MERGED_FILE = Path(__file__).resolve().parent.parent / "gateway" / "openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMPONENT_KINDS = ("schemas", "responses", "parameters", "examples", "requestBodies", "headers")
SERVICE_UNAVAILABLE = "ServiceUnavailable"
GATEWAY_TIMEOUT = "GatewayTimeout"
DESCRIPTION = """\
Every call of Caredesk for people and programs, through the gateway: customers, cases and queues,
notifications, and the gateway's own login, tokens and directory.

**Authentication.** `POST /api/v1/auth/login` answers an access token (15 minutes) and a refresh
token; send the access token as `Authorization: Bearer <token>`. Integrations use an API token an
administrator creates (`POST /api/v1/auth/api-tokens`), limited to resources and to reading if so made.
In this page, *Authorize* takes either token and *Try it out* sends it.

**Errors** are `application/problem+json` (RFC 7807) with `type`, `title`, `status`, `detail`,
`correlation_id` and, for invalid fields, `errors` naming each field — for a body, a query string or a
header alike. 404 means missing *or* outside your reach.

**Changes** to an existing record send `If-Match` with the `ETag` read (428 without it, 412 when
stale); a creation answers 201.

**Lists** all answer one envelope: `items`, `total` (in the whole list), `page`, `per_page` and
`links` with `next` and `previous` (this request's path and query with another `page`; null on the
last and the first page). Every list takes `page` (from 1, default 1) and `per_page` (1 to 200,
default 50); anything else is a 422 naming the parameter. To read a whole list, follow `links.next`
until it is null.
"""


@contextmanager
def component_apps() -> Iterator[dict]:
    """Each component's app (name -> Flask app), built in process on a throwaway key pair and SQLite
    URLs that are never opened; disposed on leaving."""
    from gateway import create_app as create_gateway
    from gateway.auth.keys import ensure_key_pair
    from gateway.settings import load_gateway_settings
    from services.kit.settings import load_settings

    apps = {}
    previous_level = logging.root.manager.disable
    logging.disable(logging.INFO)  # the request log line of each app would go to stderr
    try:
        with tempfile.TemporaryDirectory(prefix="caredesk-openapi-") as folder:
            root = Path(folder)
            ensure_key_pair(root / "gateway.pem", root / "gateway.pub")
            for name, component in COMPONENTS.items():
                settings = load_settings(name, data_dir=root, database_url=f"sqlite:///{root / name}.sqlite3",
                                         broker_url="memory://", public_key_file=root / "gateway.pub")
                if name == "gateway":
                    apps[name] = create_gateway(load_gateway_settings(service=settings,
                                                                      private_key_file=root / "gateway.pem"))
                else:
                    apps[name] = component.module.create_app(settings)
            try:
                yield apps
            finally:
                for app in apps.values():
                    app.extensions["caredesk"].database.dispose()
    finally:
        logging.disable(previous_level)


def component_documents() -> dict[str, dict]:
    """Each component's OpenAPI document as its app serves it."""
    with component_apps() as apps:
        return {name: app.test_client().get("/openapi.json").get_json() for name, app in apps.items()}


def _rename_refs(node, renames: dict[str, str]):
    if isinstance(node, dict):
        return {key: (renames.get(value, value) if key == "$ref" and isinstance(value, str)
                      else _rename_refs(value, renames)) for key, value in node.items()}
    if isinstance(node, list):
        return [_rename_refs(value, renames) for value in node]
    return node


def _prefixed(service: str, name: str) -> str:
    return "".join(word.capitalize() for word in service.replace("-", "_").split("_")) + name


def merge(documents: dict[str, dict], *, routes: dict[str, str]) -> dict:
    """``documents``: component name -> its document; ``routes``: the gateway's top-level resource ->
    owning service. A component is shared once when every document holding its name holds the same
    one; otherwise each service's own is kept under a name prefixed with the service."""
    documents = copy.deepcopy(documents)
    kept: dict[str, dict] = {kind: {} for kind in COMPONENT_KINDS}
    owner_of: dict[tuple[str, str], str] = {}
    for service, document in documents.items():
        components = document.get("components", {})
        renames = {}
        for kind in COMPONENT_KINDS:
            for name, value in components.get(kind, {}).items():
                if name in kept[kind] and kept[kind][name] != value:
                    renames[f"#/components/{kind}/{name}"] = f"#/components/{kind}/{_prefixed(service, name)}"
        if renames:
            document = documents[service] = _rename_refs(document, renames)
            components = document.get("components", {})
            for kind in COMPONENT_KINDS:
                components[kind] = {renames.get(f"#/components/{kind}/{name}", f"#/components/{kind}/{name}")
                                    .rpartition("/")[2]: value for name, value in components.get(kind, {}).items()}
        for kind in COMPONENT_KINDS:
            for name, value in components.get(kind, {}).items():
                if name in kept[kind] and kept[kind][name] != value:
                    raise ValueError(f"{kind} {name} of {service} clashes with {owner_of[kind, name]}'s")
                kept[kind].setdefault(name, value)
                owner_of.setdefault((kind, name), service)
        schemes = components.get("securitySchemes", {})
        if set(schemes) != {BEARER_SCHEME}:
            raise ValueError(f"{service} documents the security schemes {sorted(schemes)}, not {BEARER_SCHEME}")

    kept["responses"][SERVICE_UNAVAILABLE] = {
        "description": "The service that owns this resource (or its database) is not reachable; nothing was changed",
        "headers": dict(RETRY_AFTER), "content": problem_content()}
    kept["responses"][GATEWAY_TIMEOUT] = {
        "description": "The service that owns this resource did not answer within the route's read timeout; "
                       "a write may or may not have been made: read before repeating it",
        "headers": dict(RETRY_AFTER), "content": problem_content()}
    paths: dict[str, dict] = {}
    tags: dict[str, dict] = {}
    for service, document in documents.items():
        for path, item in document.get("paths", {}).items():
            if not path.startswith("/api/v1/"):
                continue
            resource = path.split("/")[3]
            forwarded = service != "gateway"
            if forwarded and routes.get(resource) != service:
                raise ValueError(f"{service} documents {path}, which the gateway routes to "
                                 f"{routes.get(resource) or 'nobody'}")
            if path in paths:
                raise ValueError(f"{path} is documented by two components")
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                operation["x-caredesk-service"] = service
                responses = operation.setdefault("responses", {})
                if operation.get("security") != []:
                    # the gateway's per-user and per-token rate limits (gateway/limits.py)
                    responses.setdefault("429", {"$ref": "#/components/responses/TooManyRequests"})
                if forwarded:
                    responses.setdefault("503", {"$ref": f"#/components/responses/{SERVICE_UNAVAILABLE}"})
                    responses.setdefault("504", {"$ref": f"#/components/responses/{GATEWAY_TIMEOUT}"})
                operation["responses"] = dict(sorted(responses.items(),
                                                     key=lambda entry: (entry[0] == "default", entry[0])))
                for tag in operation.get("tags", []):
                    tags.setdefault(tag, {"name": tag, "x-caredesk-service": service})
            paths[path] = item
    components = {kind: dict(sorted(values.items())) for kind, values in kept.items() if values}
    components["securitySchemes"] = documents["gateway"]["components"]["securitySchemes"]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Caredesk API", "version": "v1", "description": DESCRIPTION},
        "tags": list(tags.values()),
        "security": [{BEARER_SCHEME: []}],
        "paths": paths,
        "components": components,
    }


def build_document() -> dict:
    from gateway.routing.proxy import RESOURCE_OWNERS

    documents = component_documents()
    ordered = {name: documents[name] for name in ("gateway", *[n for n in documents if n != "gateway"])}
    return merge(ordered, routes=RESOURCE_OWNERS)


def render(document: dict | None = None) -> str:
    return json.dumps(document or build_document(), indent=2, ensure_ascii=False) + "\n"
