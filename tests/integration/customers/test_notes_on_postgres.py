"""Notes on PostgreSQL: visibility resolved in SQL from the directory replica as users move, the
report's options, and an export of 50,000 notes from a server-side cursor, read back. (Its speed
and the API process's memory at 100,000 and 500,000 notes: bench/notes_export.py.)"""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert, text

from services.customers.models import directory_users
from services.kit.db import utcnow
from tests.conftest import make_principal

pytestmark = pytest.mark.integration

EXPORT_ROWS = 50_000


@pytest.fixture
def database(app):
    return app.extensions["caredesk"].database


@pytest.fixture
def directory(database):
    """``directory(principal, branch_id, department_id, version)``: the replica's row for the user."""
    table = directory_users

    def put(principal, branch_id, department_id, version: int = 1) -> None:
        row = {"id": principal.user_id, "username": principal.username, "full_name": principal.username.title(),
               "email": None, "level": principal.level, "branch_id": branch_id, "department_id": department_id,
               "permissions": [], "queues": [], "is_active": True, "directory_version": version,
               "updated_at": utcnow()}
        with database.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.id == principal.user_id))
            connection.execute(insert(table).values(**row))
    return put


def report(client, headers, **params) -> dict:
    response = client.get("/api/v1/customers/notes-report", headers=headers, query_string={"per_page": 100} | params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_moved_author_takes_the_visibility_of_past_notes_along(client, headers, branch, make_customer, directory):
    other_branch, dept_x, dept_y = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    author = make_principal(level=2, branch_id=branch, department_id=dept_x, username="mover",
                            permissions=frozenset({"edit_customers"}))
    directory(author, branch, dept_x)
    customer = make_customer(by=headers(author))
    for n in range(3):
        response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=headers(author),
                               json={"text": f"nota {n}"})
        assert response.status_code == 201, response.get_json()
    here = make_principal(level=2, branch_id=branch, department_id=uuid.uuid4())
    there = make_principal(level=2, branch_id=other_branch, department_id=uuid.uuid4())
    dept_y_reader = make_principal(level=3, branch_id=branch, department_id=dept_y)
    assert report(client, headers(here))["total"] == 3
    assert report(client, headers(there), author_id=str(author.user_id))["total"] == 0
    assert report(client, headers(dept_y_reader), author_id=str(author.user_id))["total"] == 0

    directory(author, other_branch, dept_y, version=2)
    assert report(client, headers(here), author_id=str(author.user_id))["total"] == 0
    assert report(client, headers(there), author_id=str(author.user_id))["total"] == 3
    assert report(client, headers(dept_y_reader), author_id=str(author.user_id))["total"] == 3
    assert report(client, headers(there), author_id=str(author.user_id), group_by="department")["groups"] == [
        {"department_id": str(dept_y), "notes": 3, "items": report(client, headers(there),
                                                                  author_id=str(author.user_id))["items"]}]


@pytest.fixture
def many_notes(database, branch, make_customer, manager, directory):
    """EXPORT_ROWS notes on 1,000 customers of the test's branch, by 20 authors, one a minute back."""
    authors = [make_principal(level=3, branch_id=branch, department_id=uuid.uuid4(), username=f"author{n}")
               for n in range(20)]
    for author in authors:
        directory(author, author.branch_id, author.department_id)
    customer = make_customer()
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO customers (id, code, kind, name, search_name, status, region, address, description, "
            "campaigns, branch_id, department_id, version, created_at, updated_at) "
            "SELECT gen_random_uuid(), :prefix || n, 'person', 'Cliente ' || n, ' cliente ' || n || ' ', 'active', "
            "'', '', '', '[]', :branch, :department, 1, now(), now() FROM generate_series(1, 999) AS n"),
            {"prefix": customer["code"] + "-", "branch": branch, "department": manager[0].department_id})
        connection.execute(text(
            "INSERT INTO notes (id, customer_id, text, location, next_treatment, author_id, written_branch_id, "
            "written_department_id, created_at, version) "
            "SELECT gen_random_uuid(), c.ids[1 + n % 1000], 'Llamó al cliente, nota número ' || n, 'Oficina', "
            "'Llamar de nuevo', (:authors)[1 + n % 20], :branch, :department, "
            "now() - make_interval(mins => n), 1 "
            "FROM generate_series(1, :rows) AS n, "
            "(SELECT array_agg(id ORDER BY code) AS ids FROM customers WHERE code LIKE :like OR code = :code) AS c"),
            {"authors": [a.user_id for a in authors], "branch": branch, "department": authors[0].department_id,
             "rows": EXPORT_ROWS, "like": customer["code"] + "-%", "code": customer["code"]})
    return authors


def test_report_options_on_many_notes(client, manager, many_notes):
    everything = report(client, manager[1], per_page=10)
    assert everything["total"] == EXPORT_ROWS
    last_three = report(client, manager[1], last_three="true", per_page=10)
    assert last_three["total"] == 3 * 1000
    grouped = report(client, manager[1], group_by="department", per_page=10)
    assert len(grouped["groups"]) == 20 and sum(g["notes"] for g in grouped["groups"]) == EXPORT_ROWS
    one = many_notes[0]
    assert report(client, manager[1], department_id=str(one.department_id))["total"] == EXPORT_ROWS // 20


def test_export_streams_every_note_from_a_server_side_cursor(client, manager, many_notes, database):
    cursors = []

    def note_cursor(_connection, cursor, statement, *_args):
        if "FROM notes" in statement:
            cursors.append(type(cursor).__name__)

    event.listen(database.engine, "before_cursor_execute", note_cursor)
    try:
        response = client.get("/api/v1/customers/notes-report.xlsx", headers=manager[1] | {"Accept-Language": "vi"},
                              query_string={"tz": "Asia/Ho_Chi_Minh"})
        workbook = response.data  # the body is written while it is read
    finally:
        event.remove(database.engine, "before_cursor_execute", note_cursor)
    assert response.status_code == 200
    assert cursors == ["ServerCursor"]  # rows fetched in batches, never the whole report at once
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    assert next(rows)[:3] == ("Ngày", "Mã khách hàng", "Khách hàng")
    first = next(rows)
    assert isinstance(first[0], datetime) and first[6].startswith("Llamó al cliente, nota número ")
    assert abs(first[0] - (utcnow() + timedelta(hours=7)).replace(tzinfo=None)) < timedelta(minutes=5)
    assert 2 + sum(1 for _ in rows) == EXPORT_ROWS + 1
