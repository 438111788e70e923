"""The case search's text (``q``) on SQLite and PostgreSQL alike (the unit suite's table), the
trigram index PostgreSQL answers it from, and revision 0012's backfill of the search column."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from services.cases import MIGRATIONS
from services.cases.models import Case
from services.kit import migrations
from tests.unit.cases.conftest import make_people, setup_queue
from tests.unit.cases.test_case_text_search import SEARCHES, found_by, make_cases

pytestmark = pytest.mark.integration


def test_case_search_folds_alike_on_both_backends(backend_api):
    people = make_people("delivery")
    setup_queue(backend_api, people)
    cases = make_cases(backend_api, people)
    for q, found in SEARCHES:
        assert found_by(backend_api, people, cases, q) == found, (backend_api.backend, q)


def test_the_case_search_can_use_its_trigram_index(pg_app):
    with pg_app.extensions["caredesk"].database.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(connection.scalars(text("EXPLAIN SELECT id FROM cases WHERE search_text LIKE '%perez%'")))
    assert "ix_cases_search_text_trgm" in plan, plan


def test_revision_0012_backfills_the_cases_made_before_it(backend_api):
    people = make_people("delivery")
    setup_queue(backend_api, people)
    cases = make_cases(backend_api, people)
    database = backend_api.app.extensions["caredesk"].database
    url = database.engine.url.render_as_string(hide_password=False)
    database.dispose()
    config = migrations.alembic_config(MIGRATIONS, url)
    command.downgrade(config, "0011")  # the cases as they were before the search column
    command.upgrade(config, "head")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = dict(connection.execute(select(Case.subject, Case.search_text)).all())
    finally:
        engine.dispose()
    assert stored["José Pérez asks for a refund"] == " jose perez asks for a refund дмитрий иванов "
    assert stored["SIM to deliver"] == " sim to deliver дмитрий иванов calle mayor 5 bogota basico "
    assert found_by(backend_api, people, cases, "елка") == {"elka"}
