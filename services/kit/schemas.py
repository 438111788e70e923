"""Response shapes every service's API shares."""
from __future__ import annotations

from marshmallow import Schema, fields


class PageSchema(Schema):
    """One page of a list: its items, the total count, the page number and its size."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A named page schema of ``item_schema`` items (the name is what OpenAPI shows)."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))})
