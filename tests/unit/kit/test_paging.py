"""The kit's paging: a query is counted and paged by the database, a list in memory is sliced, and the
links keep the request's path and every other parameter."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert, select
from sqlalchemy.orm import Session

from services.kit.schemas import page_from_list, page_from_query, page_links

rows = Table("rows", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    rows.metadata.create_all(engine)
    with Session(engine) as session:
        session.execute(insert(rows), [{"id": n, "name": f"row {n}"} for n in range(1, 8)])
        yield session


def test_a_query_is_counted_and_paged_in_sql(session):
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_args: statements.append(statement))
    page = page_from_query(session, select(rows.c.name).order_by(rows.c.id), page=2, per_page=3)
    assert (page["items"], page["total"], page["page"], page["per_page"]) == (["row 4", "row 5", "row 6"], 7, 2, 3)
    assert page["links"] == {"next": None, "previous": None}  # outside a request there is nowhere to link
    counted, paged = statements
    assert "count(" in counted.lower() and "LIMIT" in paged and "OFFSET" in paged


def test_rows_are_turned_into_items_and_a_page_past_the_end_is_empty(session):
    statement = select(rows.c.id, rows.c.name).order_by(rows.c.id)
    page = page_from_query(session, statement, page=1, per_page=2, scalars=False, item=lambda row: row.name.upper())
    assert page["items"] == ["ROW 1", "ROW 2"]
    assert page_from_query(session, statement, page=9, per_page=2)["items"] == []


def test_a_list_in_memory_is_sliced_and_only_the_page_is_turned_into_items():
    turned = []
    page = page_from_list(range(5), page=2, per_page=2, item=lambda n: turned.append(n) or n * 10)
    assert (page["items"], page["total"], turned) == ([20, 30], 5, [2, 3])


@pytest.mark.parametrize(("page", "total", "expected"), [
    (1, 5, {"next": 2, "previous": None}), (2, 5, {"next": 3, "previous": 1}), (3, 5, {"next": None, "previous": 2}),
    (1, 0, {"next": None, "previous": None}), (7, 5, {"next": None, "previous": 3})])
def test_links_lead_to_the_neighbouring_pages_and_are_null_at_the_ends(page, total, expected):
    with Flask(__name__).test_request_context(f"/api/v1/things?status=a&page={page}&status=b&q=x%20y"):
        links = page_links(page=page, per_page=2, total=total)
    assert links == {name: None if to is None else f"/api/v1/things?status=a&status=b&q=x+y&page={to}"
                     for name, to in expected.items()}
