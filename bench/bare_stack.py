"""The web stack with none of Caredesk in it: the "bare stack" of bench/api_writes.py and of
bench/take_next.py's http mode.

A Flask app that gunicorn serves exactly as ``caredesk serve`` serves a component (gthread, the same
workers and threads), with one psycopg connection per thread. What a benchmark measures through it
is what HTTP, gunicorn, Flask and psycopg cost on their own for the same SQL: the most any Flask
service of ours could reach on this machine.

- ``POST /write/<phase>/<index>`` parses its JSON body as the API would, writes the rows of one
  recorded API transaction (the floor's upserts, one transaction) and answers the body back.
- ``POST /take-next`` with ``{"agent": id, "queues": [ids]}`` runs take_next.py's raw claim with
  its timeline line and outbox event (:func:`take_next.claim_with_writes`) and answers the claimed
  case's id, or 204 once the queues are empty.
- ``GET /cases/<id>`` reads the case's row (``SELECT * FROM cases WHERE id = %s``, in autocommit) and
  answers it as JSON: the bare read of bench/api_reads.py, everything a read by id needs of the
  stack, with nothing of Caredesk (no token, no scope, no ORM, no schema, no log line).
- ``GET /relay/<path>`` relays the GET to ``BARE_STACK_RELAY_TO``/<path> with the caller's
  Authorization on urllib3's keep-alive pool (sent once more when a kept-alive connection broke
  under it, as the gateway does) and streams the answer back: a hop with nothing of the gateway in
  it (no token check, no rate limits, no log line), the bare hop of bench/api_reads.py.

``<phase>`` names the transactions that api_writes pickled into ``BARE_STACK_ROWS_DIR``; each worker
process reads them at its first request of the phase (a few milliseconds in a phase of seconds).
``BARE_STACK_DATABASE_URL`` is the database written to.
"""
from __future__ import annotations

import os
import pickle
import threading
import uuid
from pathlib import Path

import psycopg
import psycopg.rows
import urllib3
from flask import Flask, Response, jsonify, request
from psycopg.types.json import Jsonb

from take_next import claim_with_writes  # bench/ is gunicorn's working directory (its --chdir)

app = Flask(__name__)
_phases: dict[str, dict] = {}
_loading = threading.Lock()
_local = threading.local()
_relay = urllib3.PoolManager(maxsize=32)


def _connection() -> psycopg.Connection:
    if getattr(_local, "connection", None) is None:
        _local.connection = psycopg.connect(os.environ["BARE_STACK_DATABASE_URL"])
    return _local.connection


def _reading_connection() -> psycopg.Connection:
    if getattr(_local, "reading", None) is None:
        _local.reading = psycopg.connect(os.environ["BARE_STACK_DATABASE_URL"], autocommit=True,
                                         row_factory=psycopg.rows.dict_row)
    return _local.reading


def _recorded(phase: str) -> dict:
    """The phase's statements and transactions, as api_writes recorded them."""
    with _loading:
        if phase not in _phases:
            with open(Path(os.environ["BARE_STACK_ROWS_DIR"]) / f"{phase}.pickle", "rb") as file:
                recorded = pickle.load(file)
            _phases[phase] = {"statements": recorded["statements"], "transactions": [
                [(table, tuple(Jsonb(value) if isinstance(value, (dict, list)) else value for value in row))
                 for table, row in transaction]
                for transaction in recorded["transactions"]]}
        return _phases[phase]


@app.post("/write/<phase>/<int:index>")
def write(phase: str, index: int):
    body = request.get_json()
    recorded = _recorded(phase)
    connection = _connection()
    with connection.cursor() as cursor:
        for table, row in recorded["transactions"][index]:
            cursor.execute(recorded["statements"][table], row)
    connection.commit()
    return jsonify(body), 201


@app.post("/take-next")
def take_next():
    body = request.get_json()
    row = claim_with_writes(_connection(), uuid.UUID(body["agent"]), [uuid.UUID(queue) for queue in body["queues"]])
    if row is None:
        return "", 204
    return jsonify(id=str(row[0]), number=row[1], subject=row[2], priority=row[3])


@app.get("/cases/<uuid:case_id>")
def read_case(case_id: uuid.UUID):
    row = _reading_connection().execute("SELECT * FROM cases WHERE id = %s", (case_id,)).fetchone()
    if row is None:
        return jsonify(status=404), 404
    return jsonify(row)


@app.get("/relay/<path:rest>")
def relay(rest: str):
    def attempt() -> urllib3.BaseHTTPResponse:
        return _relay.request("GET", f"{os.environ['BARE_STACK_RELAY_TO']}/{rest}", retries=False,
                              headers={"Authorization": request.headers.get("Authorization", "")},
                              preload_content=False)
    try:
        upstream = attempt()
    except urllib3.exceptions.ProtocolError:  # a kept-alive connection the service had closed
        upstream = attempt()
    return Response(upstream.stream(64 * 1024), status=upstream.status,
                    content_type=upstream.headers.get("Content-Type"))


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")
