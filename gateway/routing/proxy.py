"""Forwards /api/v1/<resource>/... to the owning service, passing the caller's token and correlation id."""
from __future__ import annotations

import logging

import requests
from flask import Blueprint, Response, current_app, g, request, stream_with_context

from services.kit.problems import NotFound, problem_response

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


@blp.route("/api/v1/<resource>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], endpoint="forward_root")
@blp.route("/api/v1/<resource>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def forward(resource: str, rest: str = ""):
    owner = RESOURCE_OWNERS.get(resource)
    if owner is None:
        raise NotFound(f"There is no API resource '{resource}'.")
    base = current_app.extensions["caredesk.service_urls"][owner]
    url = f"{base}/api/v1/{resource}" + (f"/{rest}" if rest else "")
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers["X-Correlation-ID"] = g.correlation_id
    session: requests.Session = current_app.extensions["caredesk.http"]
    try:
        upstream = session.request(request.method, url, params=request.args, data=request.get_data(),
                                   headers=headers, stream=True, timeout=(3, 60), allow_redirects=False)
    except requests.RequestException as exc:
        log.warning("%s service unreachable: %s", owner, exc)
        response = problem_response(status=503, title="Service Unavailable", type_="dependency-down",
                                    detail=f"The {owner} service is not reachable; nothing was changed. Try again.")
        response.headers["Retry-After"] = "5"
        return response
    response_headers = [(k, v) for k, v in upstream.raw.headers.items() if k.lower() not in HOP_BY_HOP]
    return Response(stream_with_context(upstream.iter_content(chunk_size=64 * 1024)),
                    status=upstream.status_code, headers=response_headers)


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
