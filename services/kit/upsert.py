"""Set-based writes of read models: many rows, each kept only if it is newer than the stored one,
in as few statements as the rows allow (one, usually)."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_STATEMENTS: dict[tuple, object] = {}


def _statement(dialect: str, table: Table, columns: tuple[str, ...], key: str, version: str):
    """The upsert for rows naming ``columns``, built once: executed with a list of rows, SQLAlchemy
    sends them as multi-row INSERTs ("insertmanyvalues", brought on by the RETURNING) from one
    cached compiled form, where a statement built with ``.values(rows)`` would be compiled anew."""
    cache_key = (dialect, table, columns, key, version)
    statement = _STATEMENTS.get(cache_key)
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={column: statement.excluded[column] for column in columns if column != key},
            where=table.c[version] < statement.excluded[version]).returning(table.c[key])
        _STATEMENTS[cache_key] = statement
    return statement


def upsert_newer(session: Session, table: Table, rows: list[dict], *, key: str, version: str) -> None:
    """``INSERT … ON CONFLICT (key) DO UPDATE … WHERE stored.version < new.version`` for ``rows`` (dicts
    of column -> value, in the order the events arrived), with exactly the effect of writing them one
    by one: a row older than (or as old as) the stored one changes nothing, a column a row leaves out
    keeps its stored value (NULL in a new row). Several rows for one key go into successive
    statements, so the newest wins as it would one at a time; rows naming different columns go into
    different statements."""
    rounds: list[dict] = []  # each round holds one row per key, in arrival order
    for row in rows:
        for round_ in rounds:
            if row[key] not in round_:
                round_[row[key]] = row
                break
        else:
            rounds.append({row[key]: row})
    dialect = session.get_bind().dialect.name
    for round_ in rounds:
        shapes: dict[tuple, list[dict]] = {}
        for row in round_.values():
            shapes.setdefault(tuple(sorted(row)), []).append(row)
        for columns, same in shapes.items():
            session.execute(_statement(dialect, table, columns, key, version), same).all()
