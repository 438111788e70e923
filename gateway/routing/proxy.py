"""Forwards /api/v1/<resource>/... to the owning service, passing the caller's token and correlation id."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlencode

import urllib3
from flask import Blueprint, Flask, Response, current_app, g, request, stream_with_context
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import Map, Rule

from gateway.routing.policies import RoutePolicies
from gateway.routing.upstream import Forwarder, UpstreamFailure
from services.kit.problems import DomainError, NotFound

log = logging.getLogger("caredesk.gateway.proxy")

# Which service owns which top-level resource of the public API.
RESOURCE_OWNERS = {
    "customers": "customers",
    "cases": "cases",
    "queues": "cases",
    "case-types": "cases",
    "notifications": "notifications",
}
FORWARDED_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match",
                             "Accept-Language", "X-Correlation-ID")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length",
              "proxy-authenticate", "proxy-authorization", "te", "trailers", "upgrade"}

blp = Blueprint("proxy", __name__)


def resource_of_request() -> str | None:
    """The resource an API token's scope must name: the owning service of a forwarded path, the
    directory for its own routes, none for login, logout, who-am-I and the token routes (which an
    API token may not manage anyway)."""
    parts = request.path.split("/")
    if len(parts) < 4 or parts[1:3] != ["api", "v1"]:
        return None
    if parts[3] == "directory":
        return "directory"
    if parts[3] == "customer-cards":  # composed from every service, anchored on the customer
        return "customers"
    return RESOURCE_OWNERS.get(parts[3])


class BodyTooLarge(DomainError):
    type, status, title = "body-too-large", 413, "Content Too Large"


def refuse_large_body(max_bytes: int) -> None:
    """413 before anything is read or forwarded when the declared length is over this route's limit;
    a body sent without a length (chunked) is read no further than one byte past the limit, then
    refused with the same 413."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyTooLarge(f"The body is {request.content_length} bytes; this route takes at most {max_bytes}.",
                           max_bytes=max_bytes)
    # one byte over the limit is read, so a longer body without a length is known to be too long
    request.max_content_length = max_bytes + 1
    try:
        too_long = len(request.get_data(cache=True)) > max_bytes
    except RequestEntityTooLarge:
        too_long = True
    if too_long:
        raise BodyTooLarge(f"The body is over this route's limit of {max_bytes} bytes.", max_bytes=max_bytes)


# Only the services' resources are forwarded: a wrong method on one of the gateway's own paths
# (/auth, /directory, /customer-cards) is its own 405, not a forward.
OWNED = "any(" + ", ".join(f"'{name}'" for name in RESOURCE_OWNERS) + "):resource"
FORWARDED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
MERGED_DOCUMENT = Path(__file__).resolve().parent.parent / "openapi.json"


def forwarded_paths(document: dict) -> Map:
    """The services' documented paths with the methods each takes, as werkzeug rules: the gateway
    answers a wrong method with 405 and Allow itself, before authentication, as a service would."""
    rules = []
    for path, item in document.get("paths", {}).items():
        parts = path.split("/")
        if len(parts) < 4 or parts[3] not in RESOURCE_OWNERS:
            continue
        methods = [method.upper() for method in item if method.upper() in FORWARDED_METHODS]
        if methods:
            rules.append(Rule(re.sub(r"\{(\w+)\}", r"<\1>", path), methods=methods))
    return Map(rules, strict_slashes=False)


def install_method_guard(app: Flask, document_file: Path = MERGED_DOCUMENT) -> None:
    """Run first of every request hook (before authentication): a forwarded path the services
    document, asked with a method none of them takes, is a 405 naming the methods it takes. The
    document is read at the first forwarded request (``caredesk openapi`` builds the gateway while
    it rewrites that file); without it, every method is forwarded and the service answers."""
    loaded: list[Map] = []

    def paths() -> Map:
        if not loaded:
            try:
                loaded.append(forwarded_paths(json.loads(document_file.read_text())))
            except (OSError, ValueError) as error:
                log.warning("no merged OpenAPI document (%s): wrong methods are left to the services", error)
                loaded.append(Map([]))
        return loaded[0]

    def refuse_wrong_method() -> None:
        if request.endpoint not in ("proxy.forward", "proxy.forward_root") or request.method == "OPTIONS":
            return
        adapter = paths().bind("localhost")
        try:
            adapter.match(request.path, method=request.method)
        except MethodNotAllowed as error:
            raise MethodNotAllowed(valid_methods=error.valid_methods,
                                   description="This path does not take that method; Allow names the ones it takes.")
        except Exception:  # noqa: BLE001 - an undocumented path: its service answers
            return

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_wrong_method)


@blp.route(f"/api/v1/<{OWNED}>", methods=FORWARDED_METHODS, endpoint="forward_root")
@blp.route(f"/api/v1/<{OWNED}>/<path:rest>", methods=FORWARDED_METHODS)
def forward(resource: str, rest: str = ""):
    owner = RESOURCE_OWNERS.get(resource)
    if owner is None:
        raise NotFound(f"There is no API resource '{resource}'.")
    base = current_app.extensions["caredesk.service_urls"][owner]
    below = f"{resource}/{rest}" if rest else resource
    url = f"{base}/api/v1/{below}"
    policies: RoutePolicies = current_app.extensions["caredesk.route_policies"]
    refuse_large_body(policies.max_body_bytes.lookup(below))
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers["X-Correlation-ID"] = g.correlation_id
    if request.args:  # every value of a repeated query parameter (?status=a&status=b) goes along
        url = f"{url}?{urlencode(list(request.args.items(multi=True)))}"
    timeouts = policies.timeouts.lookup(below)
    forwarder: Forwarder = current_app.extensions["caredesk.forwarder"]
    try:
        upstream = forwarder.send(request.method, url, headers=headers, body=request.get_data() or None,
                                  timeouts=timeouts)
    except urllib3.exceptions.HTTPError as error:
        failure = UpstreamFailure.of(owner, error, timeouts)
        log.warning("%s service %s: %s", owner, failure.reason, error)
        return failure.response(policies.retry_after_seconds)
    response_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
    return Response(stream_with_context(upstream.stream(64 * 1024, decode_content=True)),
                    status=upstream.status, headers=response_headers)


# Read without login by what the URL carries (the owning service checks it): calendar feeds with
# their revocable token (calendar applications send no bearer token), and the signed, expiring
# link of a satisfaction survey (customers have no account).
PUBLIC_ENDPOINTS = {"proxy.calendar_feed", "proxy.survey_answer"}


@blp.route("/api/v1/notifications/calendar/feed/<string:token>.ics", methods=["GET"], endpoint="calendar_feed")
def calendar_feed(token: str):
    return forward("notifications", f"calendar/feed/{token}.ics")


@blp.route("/api/v1/notifications/surveys/answer/<string:token>", methods=["GET", "POST"], endpoint="survey_answer")
def survey_answer(token: str):
    return forward("notifications", f"surveys/answer/{token}")
