"""Notes and knowledge articles searched on PostgreSQL exactly as on SQLite (the unit suite's table,
tests/unit/customers/test_text_search.py), answered from the trigram indexes; and revision 0012's
backfill of the notes' search column, on both backends."""
from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from services.customers import MIGRATIONS, create_app
from services.customers.notes.models import Note
from services.kit import migrations
from services.kit.settings import load_settings
from tests.conftest import make_principal
from tests.databases import migrated_sqlite_database
from tests.unit.customers.test_text_search import CASES, TEXTS

pytestmark = pytest.mark.integration


@pytest.fixture
def notes(client, manager, make_customer):
    customer = make_customer()
    names = {}
    for name, body in TEXTS.items():
        response = client.post(f"/api/v1/customers/{customer['id']}/notes", headers=manager[1],
                               json={"text": body, "location": "Oficina Bogotá" if name == "jose" else ""})
        assert response.status_code == 201, response.get_json()
        names[response.get_json()["id"]] = name
    return customer, names


def test_notes_are_searched_folded_on_postgres(client, manager, notes):
    customer, names = notes
    for q, found in CASES:
        listed = client.get(f"/api/v1/customers/{customer['id']}/notes", headers=manager[1], query_string={"q": q})
        assert {names[item["id"]] for item in listed.get_json()["items"]} == found, q
        report = client.get("/api/v1/customers/notes-report", headers=manager[1],
                            query_string={"q": q, "customer_id": customer["id"]})
        assert {names[item["id"]] for item in report.get_json()["items"]} == found, q


def test_the_notes_search_can_use_its_trigram_index(app):
    database = app.extensions["caredesk"].database
    with database.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(connection.scalars(text(
            "EXPLAIN SELECT id FROM notes WHERE search_text LIKE '%perez%' AND search_text LIKE '% jo%'")))
    assert "ix_notes_search_text_trgm" in plan, plan


def test_knowledge_articles_are_searched_folded_on_postgres(client, headers, branch):
    admin = headers(make_principal(level=1, branch_id=branch, department_id=uuid.uuid4(),
                                   permissions=frozenset({"edit_customers"})))
    marker = uuid.uuid4().hex[:8]  # the module's database is shared: look only at this test's articles
    reason = client.post("/api/v1/customers/interaction-reasons", headers=admin, json={"name": f"Billing {marker}"})
    assert reason.status_code == 201, reason.get_json()
    ids = {}
    for name, body in TEXTS.items():
        response = client.post("/api/v1/customers/knowledge-articles", headers=admin, json={
            "reason_id": reason.get_json()["id"], "title": body.split(":")[0], "body": body})
        assert response.status_code == 201, response.get_json()
        ids[response.get_json()["id"]] = name
    for q, found in (("jose perez", {"jose"}), ("pere", {"jose"}), ("ЁЛКА", {"elka"}), ("елка", {"elka"}),
                     ("nguyen", {"nguyen"}), ("nguyen jose", set())):
        answer = client.get("/api/v1/customers/knowledge-articles", headers=admin,
                            query_string={"q": q, "reason_id": reason.get_json()["id"]})
        assert {ids[item["id"]] for item in answer.get_json()["items"]} == found, q


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_revision_0012_backfills_the_notes_written_before_it(backend, make_database, key_pair, token_issuer,
                                                              tmp_path):
    url = make_database(MIGRATIONS) if backend == "postgresql" else \
        migrated_sqlite_database(MIGRATIONS, tmp_path / "customers.sqlite3")
    settings = load_settings("customers", data_dir=tmp_path, database_url=url, broker_url="memory://",
                             public_key_file=key_pair[1])
    app = create_app(settings)
    client = app.test_client()
    editor = make_principal(level=1, branch_id=uuid.uuid4(), department_id=uuid.uuid4(),
                            permissions=frozenset({"edit_customers"}))
    bearer = {"Authorization": f"Bearer {token_issuer.issue(editor)[0]}"}
    customer = client.post("/api/v1/customers", headers=bearer, json={
        "code": "C-1", "kind": "person", "name": "José Pérez", "country": "CO"}).get_json()
    for body in TEXTS.values():
        assert client.post(f"/api/v1/customers/{customer['id']}/notes", headers=bearer,
                           json={"text": body}).status_code == 201
    app.extensions["caredesk"].database.dispose()
    config = migrations.alembic_config(MIGRATIONS, url)
    command.downgrade(config, "0012")  # the notes as they were before the search column
    command.upgrade(config, "head")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = set(connection.scalars(select(Note.search_text)))
    finally:
        engine.dispose()
    assert stored == {" llamo jose perez reenviar la cotizacion ", " елка клиент просит перезвонить ",
                      " nguyen van an muon doi goi cuoc "}
    app = create_app(settings)
    found = app.test_client().get(f"/api/v1/customers/{customer['id']}/notes", headers=bearer,
                                  query_string={"q": "ЁЛКА"}).get_json()
    assert [item["text"] for item in found["items"]] == [TEXTS["elka"]]
    app.extensions["caredesk"].database.dispose()
