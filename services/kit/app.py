"""The Flask app factory every service uses: correlation ids, auth, problems, health, metrics, OpenAPI."""
from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from flask import Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from webargs.flaskparser import is_json_request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, UnsupportedMediaType
from werkzeug.http import unquote_etag

from services.kit.auth import Principal, TokenVerifier, bearer_token
from services.kit.db import Database
from services.kit.directory_replica import TokenGuard, replica_token_guard
from services.kit.logging import configure_logging, set_correlation_id
from services.kit.messaging.topology import connect
from services.kit.metrics import install_metrics, request_seconds
from services.kit.openapi import (
    BEARER_SCHEME, OperationCompleter, document_problem_answers, link_created_resources, text_rule_property,
)
from services.kit.problems import document_problems, register_problem_handlers
from services.kit.settings import ServiceSettings, load_settings
from services.kit.uow import UnitOfWork
from services.kit.web_security import install_web_security

PUBLIC_ENDPOINTS = {"healthz", "readyz", "metrics", "static"}
CORRELATION_HEADER = "X-Correlation-ID"
# The name most proxies and clients use for the same thing: taken when no correlation id is sent,
# and echoed beside it on every answer.
REQUEST_ID_HEADER = "X-Request-Id"
# An id a client chose goes into logs and headers: plain characters, bounded, or a fresh one instead.
ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")

log = logging.getLogger("caredesk.http")


@dataclass
class ServiceContext:
    """What the views of one service need; the one place tests swap parts."""

    settings: ServiceSettings
    database: Database
    verifier: TokenVerifier | None
    # refuses a validly signed token that was revoked or whose user's access changed since
    token_guard: TokenGuard | None = None


def service_context() -> ServiceContext:
    return current_app.extensions["caredesk"]


def current_principal() -> Principal:
    return g.principal


def single_statement_read(view: Callable) -> Callable:
    """Marks a GET view whose answer is read in one statement on :func:`single_statement_session`
    or :func:`single_statement_connection` (more are allowed, each its own round trip). The request's
    token check is then sent ahead on that same connection: on PostgreSQL the check and the view's
    statement go in one round trip (psycopg's pipeline mode), and the check refuses before the
    view's result is handed on; on SQLite the two run in turn. Whatever the view does, the check is
    settled before an answer is made (:class:`ServiceApp`). Never for a view that writes: a write
    must follow its token check, so other methods on the route are checked first as usual."""
    view.single_statement_read = True
    return view


@contextmanager
def single_statement_connection() -> Iterator[Connection]:
    """The connection for this request's single-statement read (``Database.single_statement_connection``):
    in a :func:`single_statement_read` view, the one its token check was sent on, kept open by the kit."""
    ahead = g.get("token_check_ahead")
    if ahead is None:
        with service_context().database.single_statement_connection() as connection:
            yield connection
    else:
        yield ahead.connection


@contextmanager
def single_statement_session() -> Iterator[Session]:
    """A session for this request's single-statement read (``Database.single_statement_session``),
    in a :func:`single_statement_read` view on the connection its token check was sent on."""
    ahead = g.get("token_check_ahead")
    database = service_context().database
    with (database.single_statement_session() if ahead is None
          else database.single_statement_session(bind=ahead.connection)) as session:
        yield session


class TokenCheckAhead:
    """A request's token check sent ahead on the connection its single-statement read will use."""

    def __init__(self, guard: TokenGuard, database: Database, principal: Principal) -> None:
        self.connection = database.single_statement_connection()
        try:
            self._row = guard.send_ahead(self.connection, principal)
        except BaseException:
            self.connection.close()
            raise

    def settle(self) -> None:
        """Raise the check's refusal (or failure) if any, and give the connection back."""
        try:
            self._row.settle()
        finally:
            self.connection.close()


def settle_token_check() -> None:
    ahead = g.pop("token_check_ahead", None)
    if ahead is not None:
        ahead.settle()


class ServiceApp(Flask):
    """Flask that settles a token check sent ahead (:func:`single_statement_read`) before it makes
    any answer: after the view returns, and before any error (the view's, a 404, a 422, a failed
    scope check) is turned into one. A refused token gets the 401 alone, never the view's data,
    status or errors."""

    def dispatch_request(self):
        answer = super().dispatch_request()
        settle_token_check()
        return answer

    def handle_user_exception(self, e: Exception):
        try:
            settle_token_check()
        except Exception as refusal:  # noqa: BLE001 - the refusal (or the check's failure) answers instead
            e = refusal
        return super().handle_user_exception(e)


def new_uow() -> UnitOfWork:
    """A unit of work for this request: its actor and correlation id go into every event."""
    ctx = service_context()
    principal = g.get("principal")
    return UnitOfWork(ctx.database, producer=ctx.settings.service,
                      actor=str(principal.user_id) if principal else None,
                      correlation_id=g.correlation_id, max_event_bytes=ctx.settings.max_event_bytes,
                      on_commit=_committed)


def _committed() -> None:
    """This request's change is in the database: a later database failure must not say otherwise."""
    g.committed_write = True


def read_back(read: Callable[[], object], *, written: Callable[[], object], attempts: int = 3):
    """The answer to a committed write, read again: a dead pooled connection is retried on a fresh
    one; if the database still does not answer (or every pooled connection stays busy), the answer
    is built from what was written (never a 503, which would invite the client to repeat a change
    that is saved)."""
    for attempt in range(attempts):
        try:
            return read()
        except (OperationalError, PoolTimeout) as error:
            log.warning("read-back after commit failed (attempt %d): %s", attempt + 1, error)
            if attempt + 1 < attempts:
                time.sleep(0.05 * 2 ** attempt)
    return written()


def broker_reachable(settings: ServiceSettings) -> bool:
    connection = connect(settings)
    try:
        connection.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
    finally:
        connection.release()


def request_id() -> str:
    """The request's id: the client's X-Correlation-ID or X-Request-Id when it is a sensible one,
    else a new UUID."""
    for header in (CORRELATION_HEADER, REQUEST_ID_HEADER):
        sent = request.headers.get(header)
        if sent and ACCEPTED_REQUEST_ID.fullmatch(sent):
            return sent
    return str(uuid.uuid4())


# A body the views read: JSON; files and the survey page's answers as forms (their views say so).
READABLE_BODIES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def refuse_unknown_body_types() -> None:
    """A body in a type no view reads (text/plain, XML...) is a 415, also on a route that takes no
    body (a case action): it is refused, not ignored. Views with a JSON body check it themselves
    (services/kit/input.py); a wrong method stays a 405."""
    if request.routing_exception is not None or request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return
    if is_json_request(request) or request.mimetype in READABLE_BODIES:
        return
    raise UnsupportedMediaType("Send the body as application/json.")


# Headers a 304 keeps (RFC 9110 15.4.5): the validators and caching, nothing that describes a body.
BODY_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "Content-Language", "Content-Encoding")


def not_modified(response: Response) -> Response:
    """A 200 answer to GET whose ETag the client already holds (If-None-Match, weak comparison, or
    ``*``) becomes 304 with no body: every versioned record of every service, with no view doing it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or not request.if_none_match:
        return response
    etag = response.headers.get("ETag")
    if not etag or not request.if_none_match.contains_weak(unquote_etag(etag)[0]):
        return response
    response.close()  # a streamed body (the gateway's relay) lets go of its source
    response.response = []
    response.status_code = 304
    for name in BODY_HEADERS:
        response.headers.pop(name, None)
    return response


def locate_created(response: Response) -> Response:
    """A 201 says where the new record lives (Location), unless the view named it already: the
    collection's path and the record's id (or code) when that path is a route of the service, else
    the collection that lists it (for records with no address of their own). Streamed answers (the
    gateway's relay) carry the service's own."""
    if response.status_code != 201 or "Location" in response.headers or response.is_streamed \
            or not response.is_json:
        return response
    body = response.get_json(silent=True)
    key = (body.get("id") or body.get("code")) if isinstance(body, dict) else None
    adapter = current_app.url_map.bind("localhost")
    candidates = ([f"{request.path.rstrip('/')}/{key}"] if key is not None else []) + [request.path]
    for candidate in candidates:
        try:
            adapter.match(candidate, method="GET")
        except MethodNotAllowed:
            if candidate == request.path:
                continue  # the collection is not readable: no better address to give
        except HTTPException:
            continue
        response.headers["Location"] = candidate
        break
    return response


def create_service_app(context: ServiceContext, *, title: str, blueprints: list,
                       public_endpoints: set[str] = frozenset(), public_blueprints: set[str] = frozenset(),
                       resource_of: Callable[[], str | None] | None = None, rate_limited: bool = False) -> Flask:
    """``resource_of``: the resource an API token's scope must name for this request (default: the
    service itself); ``rate_limited``: its authenticated routes may answer 429, documented so."""
    settings = context.settings
    resource_of = resource_of or (lambda: settings.service)
    configure_logging(settings.service, settings.log_level)
    app = ServiceApp(settings.service)
    app.config.update(
        API_TITLE=title, API_VERSION="v1", OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        API_SPEC_OPTIONS={"security": [{BEARER_SCHEME: []}]},
    )
    app.extensions["caredesk"] = context
    install_web_security(app, cors_origins=settings.cors_origins)  # its preflight precedes authentication
    install_metrics(app, settings.service)
    allowed_anonymous = PUBLIC_ENDPOINTS | set(public_endpoints) | {"api-docs.openapi_json"}

    def is_public(endpoint: str) -> bool:
        return endpoint in allowed_anonymous or endpoint.partition(".")[0] in public_blueprints

    api = Api(app, spec_kwargs={"extra_plugins": [OperationCompleter(app, is_public, rate_limited=rate_limited)]})
    api.ma_plugin.converter.add_attribute_function(text_rule_property)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    link_created_resources(api.spec)
    document_problems(api.spec)
    document_problem_answers(api.spec)
    register_problem_handlers(app)  # after flask-smorest, whose own HTTP error handler it replaces

    @app.before_request
    def _identify():
        g.correlation_id = request_id()
        set_correlation_id(g.correlation_id)
        if request.endpoint in allowed_anonymous or request.endpoint is None or request.blueprint in public_blueprints:
            return None
        principal = context.verifier.verify(bearer_token(request.headers.get("Authorization")))
        guard = context.token_guard
        if guard is not None and request.method in ("GET", "HEAD") \
                and getattr(app.view_functions.get(request.endpoint), "single_statement_read", False):
            g.token_check_ahead = TokenCheckAhead(guard, context.database, principal)
        elif guard is not None:
            guard(principal)
        g.principal = principal
        principal.check_scope(resource_of(), request.method)
        return None

    app.before_request(refuse_unknown_body_types)

    @app.teardown_request
    def _settle_unsettled(_error):
        # an answer that left without dispatch or error handling (a BaseException): the connection
        # still goes back with its pipeline ended
        try:
            settle_token_check()
        except Exception:  # noqa: BLE001 - no answer to give any more
            pass

    app.after_request(not_modified)
    app.after_request(locate_created)

    @app.after_request
    def _tag(response):
        response.headers[CORRELATION_HEADER] = response.headers[REQUEST_ID_HEADER] = g.get("correlation_id", "")
        log.info("%s %s -> %s", request.method, request.path, response.status_code,
                 extra={"method": request.method, "path": request.path, "status": response.status_code,
                        "duration_ms": round(request_seconds() * 1000, 1)})
        return response

    @app.get("/healthz")
    def healthz():
        return jsonify(status="alive", service=settings.service)

    @app.get("/readyz")
    def readyz():
        checks = {"database": "ok", "broker": "ok"}
        try:
            with context.database.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - reported, not raised
            checks["database"] = "unreachable"
        if not broker_reachable(settings):
            checks["broker"] = "unreachable"
        ready = all(value == "ok" for value in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

    return app


def build_service_app(service: str, *, metadata, title: str, blueprints: list,
                      settings: ServiceSettings | None = None, public_endpoints: set[str] = frozenset()) -> Flask:
    """The composition root of one service: its settings, database, token verifier and views."""
    settings = settings or load_settings(service)
    database = Database(settings.database_url, metadata)
    context = ServiceContext(settings=settings, database=database,
                             verifier=TokenVerifier.from_file(settings.public_key_file),
                             token_guard=replica_token_guard(database))
    return create_service_app(context, title=title, blueprints=blueprints, public_endpoints=public_endpoints)
