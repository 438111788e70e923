"""Small HTTP helpers shared by the services' views: optimistic-concurrency headers."""
from __future__ import annotations

from flask import request

from services.kit.problems import InvalidFields, PreconditionRequired


def etag_of(version: int) -> str:
    return f'"{version}"'


def expected_version() -> int:
    """The version the client read, from ``If-Match``; 428 when absent, 422 when unreadable."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired("Send the ETag you read as 'If-Match' to change this record.")
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidFields({"If-Match": ["Expected the ETag of the record, such as \"3\"."]})
    return int(value)
