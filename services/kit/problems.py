"""RFC 7807 problem details: domain errors and every HTTP error leave as application/problem+json."""
from __future__ import annotations

import logging

from flask import Flask, Response, g, json, request
from marshmallow import INCLUDE, Schema, ValidationError, fields
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from services.kit.logging import current_correlation_id

log = logging.getLogger("caredesk.problems")

PROBLEM_BASE = "https://caredesk.dev/problems/"
REQUEST_LOCATIONS = {"json", "query", "form", "headers", "files", "path"}


class DomainError(Exception):
    """A broken rule: subclasses set ``type``, ``status`` and ``title``; extras go into the body."""

    type = "domain-error"
    status = 400
    title = "Request refused"

    def __init__(self, detail: str | None = None, **extra) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(DomainError):
    type, status, title = "not-found", 404, "Not found"


class Forbidden(DomainError):
    type, status, title = "forbidden", 403, "Forbidden"


class Unauthorized(DomainError):
    type, status, title = "unauthorized", 401, "Authentication required"


class Conflict(DomainError):
    type, status, title = "conflict", 409, "Conflict"


class StaleVersion(DomainError):
    type, status, title = "stale-version", 412, "The record changed since you read it"


def ensure_version(current: int, expected: int | None, *, what: str) -> None:
    """Optimistic concurrency: refuse (412, with ``current_version``) a change made from a version of
    ``what`` other than its ``current`` one. ``expected`` None: the caller sent no If-Match where
    the route allows that (case actions)."""
    if expected is not None and expected != current:
        raise StaleVersion(f"{what} is at version {current}; you read version {expected}. Read it again.",
                           current_version=current)


class PreconditionRequired(DomainError):
    type, status, title = "precondition-required", 428, "If-Match header required"


def ensure_put_version(current: int, expected: int | None, *, what: str) -> None:
    """A PUT that creates its record when there is none yet (a template, my preferences, my
    mailbox): a record that does not exist is at version 0, and creating it needs no If-Match
    (``"0"`` is taken too); replacing one that exists needs its current ETag (428 without it,
    412 when stale), like any other change."""
    if expected is None and current:
        raise PreconditionRequired(f"{what} exists: send the ETag you read as 'If-Match' to replace it.")
    ensure_version(current, expected, what=what)


class TooManyRequests(DomainError):
    """Carries ``retry_after`` (seconds), sent as the Retry-After header."""

    type, status, title = "too-many-requests", 429, "Too many attempts"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class DependencyDown(DomainError):
    """A server the request needs (the broker) does not answer; ``retry_after`` goes out as Retry-After."""

    type, status, title = "dependency-down", 503, "Service Unavailable"
    retry_after = 5


class EventTooLarge(DomainError):
    """The change would announce an event larger than the broker takes: refused before anything is
    written, so the relay is never handed a message it cannot publish."""

    type, status, title = "event-too-large", 413, "Content Too Large"


class InvalidFields(DomainError):
    type, status, title = "invalid-fields", 422, "Some fields are invalid"

    def __init__(self, errors: dict, detail: str | None = None) -> None:
        super().__init__(detail or "Correct the fields listed in errors.", errors=errors)


class ProblemSchema(Schema):
    """Every error answer (RFC 7807, application/problem+json); a problem may add members of its
    own (``errors`` for field errors, ``retry_after``, ``allowed_actions``...)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "A URI naming the kind of problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "What happened, in plain words"})
    instance = fields.String(allow_none=True, metadata={"description": "The path asked for"})
    correlation_id = fields.String(allow_none=True, metadata={"description": "Quote it to support"})
    errors = fields.Dict(metadata={"description": "One shape for every kind of input: each member names a field "
                                                  "of the body, a query parameter or a header (If-Match) and "
                                                  "holds a list of messages; nested fields and list positions are "
                                                  "nested objects of the same shape; a rule about the whole object "
                                                  "is under \"_schema\""})


PROBLEM_RESPONSES = {
    "DEFAULT_ERROR": "A problem (RFC 7807)",
    "UNPROCESSABLE_ENTITY": "Some fields are invalid: a problem naming each field in errors",
}


def document_problems(spec) -> None:
    """The OpenAPI document tells the truth about errors: problem+json with its schema (replacing
    flask-smorest's generic error response, which the services never send)."""
    spec.components.schema("Problem", schema=ProblemSchema)
    for name, description in PROBLEM_RESPONSES.items():
        spec.components.responses[name] = {"description": description, "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    spec.components.schemas.pop("Error", None)


def problem_response(*, status: int, title: str, type_: str, detail: str | None = None, **extra) -> Response:
    body = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path if request else None,
        "correlation_id": current_correlation_id(),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    if "errors" in body:
        body["errors"] = _with_text_keys(body["errors"])
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _with_text_keys(errors):
    """Field errors with every key as text: marshmallow keys a list's items by position, and a
    position beside a name ({0: …, "_schema": …}) cannot be sorted into JSON."""
    if isinstance(errors, dict):
        return {str(key): _with_text_keys(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_with_text_keys(value) for value in errors]
    return errors


WHOLE_OBJECT = "_schema"  # marshmallow's key for a rule about the whole object, used everywhere


def one_shape(messages) -> dict:
    """One ``errors`` shape wherever the fields came from (body, query string, headers): webargs
    keys them by location, which is dropped and the locations merged; a message about a whole
    location goes under ``_schema``."""
    if not isinstance(messages, dict) or not set(messages) <= REQUEST_LOCATIONS:
        return messages if isinstance(messages, dict) else {WHOLE_OBJECT: _as_list(messages)}
    merged: dict = {}
    for location_errors in messages.values():
        if not isinstance(location_errors, dict):
            location_errors = {WHOLE_OBJECT: _as_list(location_errors)}
        for field, field_errors in location_errors.items():
            if field in merged and isinstance(merged[field], list) and isinstance(field_errors, list):
                merged[field] = merged[field] + field_errors
            else:
                merged[field] = field_errors
    return merged


def _as_list(messages) -> list:
    return list(messages) if isinstance(messages, (list, tuple)) else [str(messages)]


def _slug(title: str) -> str:
    return "-".join(title.lower().replace("'", "").split())


def register_problem_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        response = problem_response(status=error.status, title=error.title, type_=error.type,
                                    detail=error.detail, **error.extra)
        if isinstance(error, (TooManyRequests, DependencyDown)):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError):
        return problem_response(status=422, title=InvalidFields.title, type_=InvalidFields.type,
                                detail="Correct the fields listed in errors.", errors=error.normalized_messages())

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        # webargs (flask-smorest) puts marshmallow's field messages on the 422 it raises
        data = getattr(error, "data", None) or {}
        if error.code == 422 and "messages" in data:
            errors = one_shape(data["messages"])
            return problem_response(status=422, title=InvalidFields.title, type_=InvalidFields.type,
                                    detail="Correct the fields listed in errors.", errors=errors)
        response = problem_response(status=error.code or 500, title=error.name, type_=_slug(error.name),
                                    detail=error.description)
        # a 405 names the methods the path takes (Allow), as RFC 9110 asks
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_down(error: OperationalError | PoolTimeout):
        # a pool timeout (every pooled connection busy past pool_timeout) is the database being out
        # of reach for this request just as an outage is: nothing was done, try again shortly
        busy = isinstance(error, PoolTimeout)
        log.warning("database %s: %s", "connections all busy" if busy else "unavailable",
                    error if busy else error.orig)
        if g.get("committed_write"):
            # the change is saved: a 503 would invite a repeat of it
            return problem_response(status=202, title="Saved", type_="saved-not-read",
                                    detail="The change was saved, but reading it back failed: read it again "
                                           "instead of sending it again.")
        detail = ("Every database connection is busy; nothing was changed. Try again." if busy
                  else "The database is not reachable; nothing was changed. Try again.")
        response = problem_response(status=503, title="Service Unavailable", type_="dependency-down", detail=detail)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return problem_response(status=500, title="Internal Server Error", type_="internal-error",
                                detail="Something went wrong on our side; quote the correlation id.")
