"""Response shapes every service's API shares, and the one way every list is paged.

Every list answers the same envelope: ``items``, ``total``, ``page``, ``per_page`` and ``links``
(``next`` and ``previous``: the URL of the neighbouring page, null at the ends). Every list takes the
same query parameters with the same limits: ``page`` from 1 (default 1) and ``per_page`` from 1 to
MAX_PER_PAGE (default DEFAULT_PER_PAGE). One default for every list, so that a client learns it once:
50 fills a screen of the console and keeps an answer small; a caller that needs a whole small list
(a reason tree, the queues, a queue's members) asks ``per_page=200`` or follows ``links.next``.

A view builds the envelope with :func:`page_from_query` (count and LIMIT/OFFSET in SQL) or, for a
list the service already holds in memory and that is bounded by nature, :func:`page_from_list`.
"""
from __future__ import annotations

from math import ceil
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from flask import has_request_context, request
from marshmallow import Schema, fields, pre_dump, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000  # beyond it an OFFSET only costs the database: filter instead


class PageQuerySchema(Schema):
    """The paging parameters every list takes; a list's own query schema extends it."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "The page, from 1"})
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"Items per page, 1 to {MAX_PER_PAGE} "
                                                       f"(default {DEFAULT_PER_PAGE})"})


class PageLinksSchema(Schema):
    next = fields.String(allow_none=True, metadata={
        "description": "The next page: this request's path and query with another page (null on the last page)"})
    previous = fields.String(allow_none=True, metadata={
        "description": "The previous page (null on the first page)"})


def page_links(*, page: int, per_page: int, total: int) -> dict:
    """Links to the neighbouring pages, relative to this request: its path (the gateway forwards
    ``/api/v1/...`` to the same path of the service, so it is the path the client called) and every
    other query parameter, repeated ones included, with ``page`` replaced; null at the ends (and
    outside a request)."""
    if not has_request_context():
        return {"next": None, "previous": None}
    last = max(1, ceil(total / per_page)) if per_page else 1

    def link(to: int) -> str:
        query = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
        return f"{request.path}?{urlencode(query + [('page', str(to))])}"

    return {"next": link(page + 1) if page * per_page < total else None,
            "previous": link(min(page - 1, last)) if page > 1 else None}


def envelope(items: list, *, total: int, page: int, per_page: int, **extra: Any) -> dict:
    """One page of a list as every list answers it (``extra`` members, such as a folder's counts, beside)."""
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "links": page_links(page=page, per_page=per_page, total=total)} | extra


def page_from_query(session: Session, statement: Select, *, page: int, per_page: int, scalars: bool = True,
                    item: Callable[[Any], Any] | None = None, **extra: Any) -> dict:
    """One page of ``statement`` (already ordered): its total counted and its rows fetched with
    LIMIT/OFFSET by the database; ``scalars`` takes the first column of each row (an entity),
    ``item`` turns each into what the answer shows."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    paged = statement.limit(per_page).offset((page - 1) * per_page)
    rows = list(session.scalars(paged).unique() if scalars else session.execute(paged))
    items = [item(row) for row in rows] if item else rows
    return envelope(items, total=total or 0, page=page, per_page=per_page, **extra)


def page_from_list(items: Iterable, *, page: int, per_page: int, item: Callable[[Any], Any] | None = None,
                   **extra: Any) -> dict:
    """One page of a list already in memory (a tree built in Python, the members the directory
    names, the queues a caller watches): for lists bounded by nature, never for a table's rows.
    ``item`` turns each of the page's entries (only those) into what the answer shows."""
    every = list(items)
    start = (page - 1) * per_page
    shown = every[start:start + per_page]
    return envelope([item(entry) for entry in shown] if item else shown, total=len(every), page=page,
                    per_page=per_page, **extra)


class PageSchema(Schema):
    """One page of a list: its items, the total count, the page number, its size and the links to
    the neighbouring pages."""

    total = fields.Integer(metadata={"description": "Items in the whole list"})
    page = fields.Integer()
    per_page = fields.Integer()
    links = fields.Nested(PageLinksSchema)

    @pre_dump
    def _with_links(self, data, **_kwargs):
        # the read side (queries.py) does not see the request: the links are added here when a
        # page was built without them
        if isinstance(data, dict) and "links" not in data and {"total", "page", "per_page"} <= data.keys():
            data = data | {"links": page_links(page=data["page"], per_page=data["per_page"], total=data["total"])}
        return data


def page_of(item_schema: type[Schema] | Schema, name: str) -> type[Schema]:
    """A named page schema of ``item_schema`` items (the name is what OpenAPI shows)."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))})
