"""The token check sent ahead of a single-statement read (``single_statement_read`` in services/kit/app.py):
on PostgreSQL in one round trip with the view's statement (psycopg's pipeline mode), on SQLite the two
in turn; on both, a revoked, disabled or stale token gets the 401 alone, whatever the view does (answers,
raises, answers 404, runs no statement or several, swallows the refusal), and a write is never pipelined."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import jsonify
from sqlalchemy import Column, Integer, String, Table, func, insert, select, text, update

from services.kit.app import (
    ServiceContext, create_service_app, single_statement_connection, single_statement_read,
    single_statement_session,
)
from services.kit.auth import TokenVerifier
from services.kit.db import Database, new_metadata
from services.kit.directory_replica import define_revoked_tokens, define_users_replica, TokenGuard
from services.kit.input import Blueprint
from services.kit.problems import DomainError, Unauthorized
from services.kit.settings import load_settings
from tests.conftest import make_principal


class NoteNotFound(DomainError):
    type, status, title = "not-found", 404, "Not found"


metadata = new_metadata()
users = define_users_replica(metadata)
revoked = define_revoked_tokens(metadata)
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(200), nullable=False))

blp = Blueprint("notes", __name__, url_prefix="/notes")


@blp.route("/<int:note_id>", methods=["GET"])
@single_statement_read
def read_note(note_id: int):
    with single_statement_connection() as connection:
        row = connection.execute(select(notes.c.text).where(notes.c.id == note_id)).first()
    if row is None:
        raise NoteNotFound(f"No note {note_id}.")
    return jsonify(text=row.text)


@blp.route("/by-session/<int:note_id>", methods=["GET"])
@single_statement_read
def read_note_in_session(note_id: int):
    with single_statement_session() as session:
        found = session.execute(select(notes.c.text).where(notes.c.id == note_id)).scalar()
    return jsonify(text=found)


@blp.route("/shared-transaction", methods=["GET"])
@single_statement_read
def shared_transaction():
    """Whether this statement ran in the check's implicit transaction: one Sync for both."""
    with single_statement_connection() as connection:
        shared = connection.execute(text("SELECT transaction_timestamp() <> statement_timestamp()")).scalar()
    return jsonify(shared=shared)


@blp.route("/several", methods=["GET"])
@single_statement_read
def several_statements():
    with single_statement_connection() as connection:
        first = connection.execute(select(func.count()).select_from(notes)).scalar()
        texts = connection.execute(select(notes.c.text).order_by(notes.c.id)).scalars().all()
    return jsonify(count=first, texts=texts)


@blp.route("/none", methods=["GET"])
@single_statement_read
def no_statement():
    return jsonify(secret="answered without reading anything")


@blp.route("/raises", methods=["GET"])
@single_statement_read
def raises():
    raise RuntimeError("the view failed before reading")


@blp.route("/bad-statement", methods=["GET"])
@single_statement_read
def bad_statement():
    with single_statement_connection() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    return jsonify(unreachable=True)


@blp.route("/swallows/<int:note_id>", methods=["GET"])
@single_statement_read
def swallows_the_refusal(note_id: int):
    try:
        with single_statement_connection() as connection:
            row = connection.execute(select(notes.c.text).where(notes.c.id == note_id)).first()
        return jsonify(text=row.text)
    except Unauthorized:
        return jsonify(text="the view carried on")


@blp.route("", methods=["POST"])
@single_statement_read
def write_note():
    """Marked, but a POST is a write: its token is checked before the view runs."""
    with single_statement_connection() as connection:
        connection.execute(insert(notes).values(text="written"))
        connection.commit()
    return jsonify(written=True), 201


SECRET = "the note's private text"


@pytest.fixture(params=["postgresql", pytest.param("sqlite")])
def backend(request, tmp_path, key_pair):
    """The app on a real PostgreSQL database (integration) or a SQLite file, with the replica
    filled for one active user and one note."""
    if request.param == "postgresql":
        request.applymarker(pytest.mark.integration)
        url = request.getfixturevalue("make_database")()
    else:
        url = f"sqlite:///{tmp_path / 'notes.sqlite3'}"
    database = Database(url, metadata)
    metadata.create_all(database.engine)
    settings = load_settings("customers", data_dir=tmp_path, database_url=url, broker_url="memory://",
                             public_key_file=key_pair[1])
    context = ServiceContext(settings=settings, database=database, verifier=TokenVerifier.from_file(key_pair[1]),
                             token_guard=TokenGuard(database, users=users, revoked=revoked))
    app = create_service_app(context, title="notes", blueprints=[blp])
    principal = make_principal(username="ana.front")
    with database.engine.begin() as connection:
        connection.execute(insert(users).values(
            id=principal.user_id, username="ana.front", full_name="Ana", email=None, level=1,
            branch_id=principal.branch_id, department_id=principal.department_id, permissions=[], queues=[],
            is_active=True, directory_version=1, token_version=0, updated_at=datetime.now(timezone.utc)))
        connection.execute(insert(notes).values(text=SECRET))  # id 1
    yield app, database, principal
    database.dispose()


def _get(app, token_issuer, principal, path, *, token_id: str | None = None, method="GET"):
    token = token_issuer.issue(principal, token_id=token_id)[0]
    return app.test_client().open(path, method=method, headers={"Authorization": f"Bearer {token}"})


def _revoke(database, token_id: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(insert(revoked).values(token_id=token_id,
                                                  expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))


def _change_user(database, principal, **values) -> None:
    with database.engine.begin() as connection:
        connection.execute(update(users).where(users.c.id == principal.user_id).values(**values))


def _assert_refused(response, detail_part: str) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert detail_part in body["detail"]
    assert SECRET not in response.get_data(as_text=True)
    assert "text" not in body and "secret" not in body


def test_an_accepted_token_reads_through_the_check_sent_ahead(backend, token_issuer):
    app, database, principal = backend
    for path in ("/notes/1", "/notes/by-session/1"):
        response = _get(app, token_issuer, principal, path)
        assert response.status_code == 200 and response.get_json() == {"text": SECRET}
    assert _get(app, token_issuer, principal, "/notes/2").status_code == 404
    assert _get(app, token_issuer, principal, "/notes/several").get_json() == {"count": 1, "texts": [SECRET]}
    assert _get(app, token_issuer, principal, "/notes/none").status_code == 200
    assert _get(app, token_issuer, principal, "/notes/raises").status_code == 500
    assert _get(app, token_issuer, principal, "/notes/bad-statement").status_code in (500, 503)
    assert _get(app, token_issuer, principal, "/notes/1").status_code == 200  # the connection came back clean
    if database.is_postgresql:
        assert database._single_statements.pool.checkedout() == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite runs the two in turn
def test_on_postgresql_the_check_and_the_read_share_one_round_trip(backend, token_issuer):
    app, database, principal = backend
    assert _get(app, token_issuer, principal, "/notes/shared-transaction").get_json() == {"shared": True}
    with database.single_statement_connection() as connection:  # a statement alone is its own transaction
        assert connection.execute(text("SELECT transaction_timestamp() <> statement_timestamp()")).scalar() is False
        connection.execute(text("SELECT 1"))  # the pooled connection left pipeline mode and answers as before


REFUSALS = {
    "revoked": ("This token was revoked", lambda database, principal: _revoke(database, "tok-1")),
    "disabled": ("disabled", lambda database, principal: _change_user(database, principal, is_active=False)),
    "stale": ("changed since this token was issued",
              lambda database, principal: _change_user(database, principal, token_version=1)),
}
# whatever the view would have answered: data, 404, a raised error, a failed statement, no
# statement, several, or carrying on after the refusal reached it
ANSWERS = ["/notes/1", "/notes/by-session/1", "/notes/2", "/notes/raises", "/notes/bad-statement", "/notes/none",
           "/notes/several", "/notes/swallows/1"]


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_a_refused_token_gets_the_401_alone_whatever_the_view_does(backend, token_issuer, refusal):
    app, database, principal = backend
    detail, refuse = REFUSALS[refusal]
    refuse(database, principal)
    for path in ANSWERS:
        _assert_refused(_get(app, token_issuer, principal, path, token_id="tok-1"), detail)
    if database.is_postgresql:
        assert database._single_statements.pool.checkedout() == 0
    other = make_principal(username="someone.else")  # not in the replica: refused by nothing here
    assert _get(app, token_issuer, other, "/notes/1").status_code == 200


def test_a_write_on_a_marked_route_is_checked_before_it_runs(backend, token_issuer):
    app, database, principal = backend
    _revoke(database, "tok-1")
    _assert_refused(_get(app, token_issuer, principal, "/notes", token_id="tok-1", method="POST"), "revoked")
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(notes)).scalar() == 1
    assert _get(app, token_issuer, principal, "/notes", method="POST").status_code == 201
