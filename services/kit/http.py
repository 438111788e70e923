"""Small HTTP helpers shared by the services' views: ids in paths, and optimistic concurrency
(``ETag`` out, ``If-Match`` in)."""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, request
from werkzeug.routing import UUIDConverter

from services.kit.problems import InvalidFields, NotFound, PreconditionRequired

# -- ids in paths -----------------------------------------------------------------------------------


class MalformedId(str):
    """A path segment that should have been a UUID."""


class IdConverter(UUIDConverter):
    """``<id:name>``: a record's UUID in a path, the one way every service's API takes ids.

    A malformed id answers **404** (a problem, "no such record"), exactly as a well-formed id that
    names nothing or something out of the caller's reach does: the caller learns nothing from the
    difference, and there is one rule for clients in every service. It is refused after
    authentication, so an anonymous caller gets 401 first (a plain UUIDConverter would answer 404
    before the token is looked at). OpenAPI documents it as a UUID (a UUIDConverter subclass)."""

    regex = r"[^/]+"

    def to_python(self, value: str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return MalformedId(value)


def install_id_converter(blueprint: Blueprint) -> None:
    """``<id:name>`` in the blueprint's routes, a malformed one refused with 404 after the app's
    authentication. Call it right after creating the blueprint, before its routes."""
    blueprint.record_once(lambda state: state.app.url_map.converters.setdefault("id", IdConverter))
    blueprint.before_request(_refuse_malformed_ids)


def _refuse_malformed_ids() -> None:
    malformed = [name for name, value in (request.view_args or {}).items() if isinstance(value, MalformedId)]
    if malformed:
        raise NotFound(f"No such record: {', '.join(malformed)} is not an id.")


# -- ETag / If-Match --------------------------------------------------------------------------------
def etag_of(version: int) -> str:
    return f'"{version}"'


def with_etag(body, version: int, status: int = 200) -> tuple:
    """A view's answer carrying the record's version as its ``ETag`` (what ``If-Match`` sends back)."""
    return body, status, {"ETag": etag_of(version)}


def no_content(version: int) -> Response:
    """204 after a change that leaves nothing to show, with the record's new version as its ETag."""
    return Response(status=204, headers={"ETag": etag_of(version)})


def expected_version() -> int:
    """The version the client read, from ``If-Match``; 428 when absent, 422 when unreadable."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired("Send the ETag you read as 'If-Match' to change this record.")
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidFields({"If-Match": ["Expected the ETag of the record, such as \"3\"."]})
    return int(value)


def optional_expected_version() -> int | None:
    """``If-Match`` where a route takes it but does not require it (case actions): None when absent."""
    return expected_version() if request.headers.get("If-Match") else None


def put_expected_version() -> int | None:
    """``If-Match`` of a PUT that creates its record when there is none (a template, preferences, a
    mailbox): None when absent, which only creating allows (``kit.problems.ensure_put_version``
    answers 428 when the record exists). OpenAPI documents it as optional, with 412 and 428."""
    return optional_expected_version()
