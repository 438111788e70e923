"""Notes (seed 001) through the API on SQLite: who writes, who sees what as the directory moves
people, who deletes, the deletion history, the report's options and its .xlsx export."""
from __future__ import annotations

import io
import uuid
from datetime import datetime

import pytest
from openpyxl import load_workbook

from services.kit.db import utcnow
from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A, DEPT_B

DEPT_C = uuid.UUID(int=0xC1)


def person(level: int, branch_id, department_id, name: str, **extra):
    return make_principal(level=level, branch_id=branch_id, department_id=department_id, username=name, **extra)


def note(client, headers, customer_id, text="Called: sends the quotation again", **extra):
    response = client.post(f"/api/v1/customers/{customer_id}/notes", headers=headers,
                           json={"text": text} | extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def seen(client, headers, customer_id) -> set[str]:
    response = client.get(f"/api/v1/customers/{customer_id}/notes?per_page=200", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["text"] for item in response.get_json()["items"]}


def reported(client, headers) -> set[str]:
    response = client.get("/api/v1/customers/notes-report?per_page=200", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["text"] for item in response.get_json()["items"]}


def test_note_keeps_text_location_next_treatment_author_and_time(client, admin, make_customer, directory):
    customer = make_customer()
    directory(admin[0], branch_id=BRANCH_A, department_id=DEPT_A, name="Ana Front")
    before = utcnow()
    body = note(client, admin[1], customer["id"], "Llamó: enviar de nuevo la cotización", location="Oficina",
                next_treatment="Llamar en 2 meses")
    assert body["text"] == "Llamó: enviar de nuevo la cotización"
    assert (body["location"], body["next_treatment"]) == ("Oficina", "Llamar en 2 meses")
    assert (body["author_id"], body["author_name"]) == (str(admin[0].user_id), "Ana Front")
    assert (body["branch_id"], body["department_id"]) == (str(BRANCH_A), str(DEPT_A))
    assert datetime.fromisoformat(body["created_at"]) >= before.replace(microsecond=0)


def test_user_without_department_cannot_write_notes(client, headers_for, make_customer, directory):
    customer = make_customer()
    nobody = person(1, BRANCH_A, None, "no.department")
    response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=headers_for(nobody),
                           json={"text": "hello"})
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/note-author-without-department")
    # the directory's current answer wins over the token's: department taken away since login
    moved = person(1, BRANCH_A, DEPT_A, "lost.department")
    directory(moved, branch_id=BRANCH_A, department_id=None)
    response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=headers_for(moved),
                           json={"text": "hello"})
    assert response.status_code == 403
    assert seen(client, headers_for(person(1, BRANCH_A, DEPT_A, "admin")), customer["id"]) == set()


def test_bad_note_names_each_field_and_writes_nothing(client, admin, make_customer):
    customer = make_customer()
    response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=admin[1],
                           json={"text": "  ", "location": "x" * 201, "colour": "red"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"text", "location", "colour"}
    assert seen(client, admin[1], customer["id"]) == set()


def test_visibility_matrix_follows_the_authors_current_branch_and_department(client, admin, headers_for,
                                                                             make_customer, directory):
    seller = person(4, BRANCH_A, DEPT_B, "seller")
    directory(seller, branch_id=seller.branch_id, department_id=seller.department_id)
    customer = make_customer(salesperson_id=str(seller.user_id))
    # writers of level 1 reach the card; what others see of their notes depends on their branch and department
    writers = {"a/a": person(1, BRANCH_A, DEPT_A, "w.aa"), "a/b": seller,
               "b/a": person(1, BRANCH_B, DEPT_A, "w.ba"), "b/c": person(1, BRANCH_B, DEPT_C, "w.bc")}
    for key, writer in writers.items():
        directory(writer, branch_id=writer.branch_id, department_id=writer.department_id)
        note(client, headers_for(writer), customer["id"], f"by {key}")
    readers = {
        person(1, BRANCH_B, DEPT_C, "company"): {"by a/a", "by a/b", "by b/a", "by b/c"},
        person(2, BRANCH_A, DEPT_C, "branch a"): {"by a/a", "by a/b"},
        person(2, BRANCH_B, DEPT_A, "branch b"): {"by b/a", "by b/c"},
        person(3, BRANCH_B, DEPT_A, "department a"): {"by a/a", "by b/a"},
        person(3, BRANCH_A, DEPT_C, "department c"): {"by b/c"},
        seller: {"by a/b"},  # level 4: own notes only
    }
    # the card's own list: whoever reaches the card sees the notes their level allows
    assert seen(client, headers_for(person(2, BRANCH_A, DEPT_C, "branch a")), customer["id"]) == {"by a/a", "by a/b"}
    assert seen(client, headers_for(seller), customer["id"]) == {"by a/b"}
    # the report reaches notes on any card, by the notes' own scope
    for reader, expected in readers.items():
        assert reported(client, headers_for(reader)) == expected, reader.username

    # the directory moves w.aa to branch B, department C: all their past notes move with them
    directory(writers["a/a"], branch_id=BRANCH_B, department_id=DEPT_C)
    assert reported(client, headers_for(person(2, BRANCH_A, DEPT_C, "branch a"))) == {"by a/b"}
    assert reported(client, headers_for(person(3, BRANCH_A, DEPT_A, "department a"))) == {"by b/a"}
    assert reported(client, headers_for(person(3, BRANCH_A, DEPT_C, "department c"))) == {
        "by a/a", "by b/c"}
    assert reported(client, headers_for(person(2, BRANCH_B, DEPT_A, "branch b"))) == {
        "by a/a", "by b/a", "by b/c"}


def test_only_level_one_with_the_permission_deletes_and_the_deletion_is_history(client, admin, headers_for,
                                                                              make_customer, directory):
    customer = make_customer()
    written = note(client, admin[1], customer["id"], "To be deleted", location="Casa del cliente")
    url = f"/api/v1/customers/{customer['id']}/notes/{written['id']}"
    branch_manager = person(2, BRANCH_A, DEPT_A, "manager", permissions=frozenset({"delete_notes"}))
    for who in (branch_manager, admin[0]):  # level 2 with the permission; level 1 without it
        response = client.delete(url, headers=headers_for(who) | {"If-Match": '"1"'})
        assert response.status_code == 403
        assert response.get_json()["type"].endswith("/note-deletion-forbidden")
    deleter = person(1, BRANCH_B, DEPT_B, "root", permissions=frozenset({"delete_notes"}))
    directory(deleter, branch_id=BRANCH_B, department_id=DEPT_B, name="Root Admin")
    assert client.delete(url, headers=headers_for(deleter)).status_code == 428
    assert client.delete(url, headers=headers_for(deleter) | {"If-Match": '"2"'}).status_code == 412
    assert client.delete(url, headers=headers_for(deleter) | {"If-Match": '"1"'}).status_code == 204
    assert client.get(url, headers=admin[1]).status_code == 404
    assert seen(client, admin[1], customer["id"]) == set()

    history = client.get(f"/api/v1/customers/{customer['id']}/note-deletions", headers=admin[1])
    assert history.status_code == 200
    [entry] = history.get_json()["items"]
    assert (entry["note_id"], entry["text"], entry["location"]) == (written["id"], "To be deleted",
                                                                   "Casa del cliente")
    assert (entry["deleted_by"], entry["deleted_by_name"]) == (str(deleter.user_id), "Root Admin")
    assert client.get(f"/api/v1/customers/{customer['id']}/note-deletions",
                      headers=headers_for(branch_manager)).status_code == 403


def test_notes_of_a_customer_out_of_reach_are_not_found(client, headers_for, make_customer):
    customer = make_customer()  # branch A
    outsider = person(2, BRANCH_B, DEPT_B, "outsider")
    assert client.get(f"/api/v1/customers/{customer['id']}/notes", headers=headers_for(outsider)).status_code == 404
    response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=headers_for(outsider),
                           json={"text": "x"})
    assert response.status_code == 404


def report(client, headers, **params):
    response = client.get("/api/v1/customers/notes-report", headers=headers, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_report_filters_last_three_and_group_by_department(client, admin, headers_for, make_customer, directory):
    ana, boris = person(1, BRANCH_A, DEPT_A, "ana"), person(4, BRANCH_A, DEPT_B, "boris")
    directory(ana, branch_id=BRANCH_A, department_id=DEPT_A)
    directory(boris, branch_id=BRANCH_A, department_id=DEPT_B)
    first = make_customer(salesperson_id=str(boris.user_id))
    second = make_customer(salesperson_id=str(boris.user_id))
    for n in range(5):
        note(client, headers_for(ana), first["id"], f"first {n}")
    note(client, headers_for(boris), first["id"], "first by boris")
    note(client, headers_for(boris), second["id"], "second by boris")

    everything = report(client, admin[1], per_page=100)
    assert everything["total"] == 7
    assert [i["text"] for i in everything["items"]][:2] == ["second by boris", "first by boris"]
    assert report(client, admin[1], customer_id=second["id"])["total"] == 1
    assert report(client, admin[1], author_id=str(ana.user_id))["total"] == 5
    assert report(client, admin[1], department_id=str(DEPT_B))["total"] == 2
    assert report(client, admin[1], branch_id=str(BRANCH_B))["total"] == 0
    today = utcnow().date().isoformat()
    assert report(client, admin[1], **{"from": today, "to": today})["total"] == 7
    assert report(client, admin[1], **{"from": "2001-01-01", "to": "2001-12-31"})["total"] == 0

    last_three = report(client, admin[1], last_three="true", per_page=100)
    assert sorted(i["text"] for i in last_three["items"]) == ["first 3", "first 4", "first by boris",
                                                              "second by boris"]

    grouped = report(client, admin[1], group_by="department", per_page=4)
    assert {(g["department_id"], g["notes"]) for g in grouped["groups"]} == {(str(DEPT_A), 5), (str(DEPT_B), 2)}
    assert sum(len(g["items"]) for g in grouped["groups"]) == 4
    departments = [i["department_id"] for i in grouped["items"]]
    assert departments == sorted(departments)

    # level 4 sees only their own notes in the report too
    assert report(client, headers_for(boris))["total"] == 2


def test_report_refuses_bad_filters_naming_each(client, admin, headers_for, make_customer):
    response = client.get("/api/v1/customers/notes-report", headers=admin[1],
                          query_string={"from": "2026-02-30", "group_by": "branch", "tz": "Mars/Base", "x": "1"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"from", "group_by", "tz", "x"}
    foreign = make_customer()
    response = client.get("/api/v1/customers/notes-report", headers=headers_for(person(2, BRANCH_B, DEPT_B, "b")),
                          query_string={"customer_id": foreign["id"]})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"customer_id"}


def test_xlsx_export_has_header_in_users_language_and_real_dates(client, admin, make_customer, directory):
    customer = make_customer(name="Nguyễn Văn An")
    directory(admin[0], branch_id=BRANCH_A, department_id=DEPT_A, name="Ana Front")
    for n in range(3):
        note(client, admin[1], customer["id"], f"nota {n}", location="Oficina")
    note(client, admin[1], customer["id"], "=HYPERLINK(\"http://evil\")", location="https://example.com")
    response = client.get("/api/v1/customers/notes-report.xlsx", headers=admin[1] | {"Accept-Language": "es-CO,es;q=0.9"},
                          query_string={"tz": "America/Bogota"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Language"] == "es"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Fecha", "Código de cliente", "Cliente")
    # text stays text: no formula, no link
    assert rows[1][6:8] == ("=HYPERLINK(\"http://evil\")", "https://example.com")
    assert sheet.cell(row=2, column=7).data_type == "s" and sheet.cell(row=2, column=8).hyperlink is None
    rows = [rows[0], *rows[2:]]
    assert [row[6] for row in rows[1:]] == ["nota 2", "nota 1", "nota 0"]
    assert all(row[2] == "Nguyễn Văn An" and row[5] == "Ana Front" for row in rows[1:])
    first = sheet.cell(row=2, column=1)
    assert first.is_date and isinstance(first.value, datetime)
    # Bogotá is UTC-5 all year
    assert abs((utcnow().replace(tzinfo=None) - first.value).total_seconds() - 5 * 3600) < 120

    english = client.get("/api/v1/customers/notes-report.xlsx", headers=admin[1] | {"Accept-Language": "ru"})
    assert load_workbook(io.BytesIO(english.data)).active.cell(row=1, column=1).value == "Дата"
