"""The kit's PostgreSQL plumbing for single statements: a pool of autocommit connections, and
psycopg cursors that describe their result's columns only when asked (issue 16, the read path)."""
from __future__ import annotations

import psycopg
from sqlalchemy import MetaData, text

from services.kit.db import Database


def test_single_statements_run_in_autocommit_on_a_pool_of_their_own(make_database):
    database = Database(make_database(), MetaData())
    try:
        with database.single_statement_connection() as connection:
            assert connection.connection.dbapi_connection.autocommit is True
            assert database.engine.pool.checkedout() == 0  # not switched to autocommit and back per use
            assert connection.execute(text("SELECT xact_start = query_start FROM pg_stat_activity "
                                           "WHERE pid = pg_backend_pid()")).scalar_one() is True
        with database.single_statement_session() as session:
            assert session.connection().connection.dbapi_connection.autocommit is True
        with database.engine.connect() as connection:  # the units of work keep their transactions
            assert connection.connection.dbapi_connection.autocommit is False
            connection.execute(text("SELECT 1"))
            assert connection.execute(text("SELECT xact_start < query_start FROM pg_stat_activity "
                                           "WHERE pid = pg_backend_pid()")).scalar_one() is True
    finally:
        database.dispose()


def test_a_cursor_describes_its_columns_as_psycopg_does_when_asked(make_database):
    database = Database(make_database(), MetaData())
    try:
        with database.engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()
            plain = psycopg.Cursor(connection.connection.dbapi_connection)
            query = "SELECT 1 AS a, 'x'::text AS b, now() AS c"
            cursor.execute(query)
            described = cursor.description
            plain.execute(query)
            expected = [(column.name, column.type_code) for column in plain.description]
            cursor.execute("SELECT 2 AS other")  # the description read later is still the first result's
            assert len(described) == 3
            assert [(column.name, column.type_code) for column in described] == expected
            assert [column[0] for column in described[-2:]] == ["b", "c"]
            assert [column.name for column in cursor.description] == ["other"]
            cursor.execute("SET TIME ZONE 'UTC'")
            assert cursor.description is None
            assert connection.execute(text("SELECT 1 AS one, 2 AS two")).mappings().one() == {"one": 1, "two": 2}
    finally:
        database.dispose()
