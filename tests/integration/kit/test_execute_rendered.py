"""``execute_rendered`` (services/kit/db.py): a statement built once runs from its text rendered once on
PostgreSQL, with the constants it holds itself, and through SQLAlchemy on SQLite; the same rows on both.
A statement whose parameter needs SQLAlchemy's processing is refused, not sent wrong."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import Column, Integer, String, Table, bindparam, case, insert, literal, select

from services.kit.db import Database, UtcDateTime, execute_rendered, new_metadata

metadata = new_metadata()
items = Table("rendered_items", metadata, Column("id", Integer, primary_key=True), Column("kind", String(20)),
              Column("seen_at", UtcDateTime()))

# constants of its own (the literal 10, the case's values and labels), and the caller's parameters
RANKED = select(items.c.id, case({"a": "first", "b": "second"}, value=items.c.kind, else_="other").label("rank"),
                (items.c.id + literal(10, Integer)).label("shifted")).where(
    items.c.kind.in_([bindparam("kind0", type_=String), bindparam("kind1", type_=String)])).order_by(items.c.id)


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, tmp_path):
    if request.param == "postgresql":
        request.applymarker(pytest.mark.integration)
        url = request.getfixturevalue("make_database")()
    else:
        url = f"sqlite:///{tmp_path / 'rendered.sqlite3'}"
    database = Database(url, metadata)
    metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(insert(items), [{"id": 1, "kind": "a"}, {"id": 2, "kind": "b"}, {"id": 3, "kind": "c"}])
    yield database
    database.engine.dispose()


def test_a_statement_with_constants_of_its_own_answers_as_sqlalchemy_does(database):
    with database.engine.connect() as connection:
        for kinds in (("a", "c"), ("b", "b")):
            params = {"kind0": kinds[0], "kind1": kinds[1]}
            rendered = [tuple(row) for row in execute_rendered(connection, RANKED, params)]
            assert rendered == [tuple(row) for row in connection.execute(RANKED, params)]
        rendered = execute_rendered(connection, RANKED, {"kind0": "a", "kind1": "c"}).all()
        assert [(row.id, row.rank, row.shifted) for row in rendered] == [(1, "first", 11), (3, "other", 13)]


def test_a_missing_parameter_is_an_error_not_a_default(database):
    with database.engine.connect() as connection, pytest.raises(Exception):
        execute_rendered(connection, RANKED, {"kind0": "a"}).all()


def test_a_parameter_that_needs_processing_is_refused_on_postgresql(database):
    statement = select(items.c.id).where(items.c.seen_at < bindparam("before", type_=UtcDateTime()))
    params = {"before": datetime(2030, 1, 1, tzinfo=timezone.utc)}
    with database.engine.connect() as connection:
        if database.is_postgresql:
            with pytest.raises(ValueError, match="before"):
                execute_rendered(connection, statement, params)
        else:
            assert execute_rendered(connection, statement, params).all() == []
