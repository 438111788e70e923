"""Browser-facing rules on every answer of every component: cross-origin calls only from the origins
configured in ``CAREDESK_CORS_ORIGINS`` (none by default), and headers that keep an answer from being
sniffed into another type, framed by another site or leaking its address as a referrer.

CORS: a listed origin gets ``Access-Control-Allow-Origin`` naming it (never ``*``) and may read the
headers a client needs (ETag, Location, Retry-After, the request ids). Credentials are not allowed:
the API takes bearer tokens, not cookies, so another site's page can never ride on a console
session. A preflight (OPTIONS with ``Access-Control-Request-Method``) is answered before
authentication, since browsers send it without the token: 204 for a listed origin, 403 otherwise.
"""
from __future__ import annotations

from flask import Flask, Response, request

from services.kit.problems import problem_response

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
FRAME_ANCESTORS = "frame-ancestors 'none'"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, If-Match, If-None-Match, " \
                  "X-Correlation-ID, X-Request-Id"
EXPOSED_HEADERS = "ETag, Location, Retry-After, Allow, Content-Disposition, X-Correlation-ID, X-Request-Id"
PREFLIGHT_MAX_AGE = "600"


def install_web_security(app: Flask, *, cors_origins: tuple[str, ...]) -> None:
    """Call before any other ``before_request`` of the app (the preflight precedes authentication)."""
    allowed = frozenset(cors_origins)

    @app.before_request
    def _preflight():
        origin = request.headers.get("Origin")
        if request.method != "OPTIONS" or not origin or "Access-Control-Request-Method" not in request.headers:
            return None
        if origin.lower() not in allowed:
            return problem_response(status=403, title="Forbidden", type_="origin-not-allowed",
                                    detail="Cross-origin calls are not allowed from this origin.")
        return Response(status=204, headers={
            "Access-Control-Allow-Methods": ALLOWED_METHODS, "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE})

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        policy = response.headers.get("Content-Security-Policy")
        if not policy:
            response.headers["Content-Security-Policy"] = FRAME_ANCESTORS
        elif "frame-ancestors" not in policy:
            response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {FRAME_ANCESTORS}"
        origin = request.headers.get("Origin")
        if allowed:
            response.vary.add("Origin")
        if origin and origin.lower() in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        else:  # nor passed on from a service behind the gateway
            for name in ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
                         "Access-Control-Expose-Headers"):
                response.headers.pop(name, None)
        return response
