"""The real PostgreSQL and RabbitMQ for integration and e2e tests: a database and a vhost per test.

Plain functions, so any conftest can wrap them in fixtures of the scope it needs:

    require_postgres() / require_rabbitmq()      skip (fail with CI=true) when the server is down
    create_postgres_database() -> url           CREATE DATABASE caredesk_test_<hex>
    drop_postgres_database(url)                 DROP DATABASE ... WITH (FORCE)
    create_rabbitmq_vhost() -> amqp url         a fresh vhost (made VHOST_BATCH at a time)
    delete_rabbitmq_vhost(url)                  rabbitmqctl delete_vhost

The servers come from ``CAREDESK_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) and ``CAREDESK_TEST_RABBITMQ_URL`` (default
``amqp://guest:guest@127.0.0.1:5672/``). Vhosts are made with ``rabbitmqctl``, so the broker must
be on this machine (or reachable by ``rabbitmqctl``'s node name).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
NAME_PREFIX = "caredesk_test_"


def postgres_url() -> str:
    """The maintenance database URL of the test PostgreSQL server."""
    return os.environ.get("CAREDESK_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def rabbitmq_url() -> str:
    """The URL of the test RabbitMQ server (its vhost is only used to check the server answers)."""
    return os.environ.get("CAREDESK_TEST_RABBITMQ_URL") or DEFAULT_RABBITMQ_URL


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> None:
    """A missing server fails the run in CI (a skipped suite would look green) and skips elsewhere."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: integration tests never skip)", pytrace=False)
    pytest.skip(reason)


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def _rabbitmqctl(*args: str, timeout: float = 60) -> str:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


# -- PostgreSQL -------------------------------------------------------------------------------
def require_postgres() -> str:
    """The server URL, once PostgreSQL answers; otherwise skip (or fail in CI)."""
    import psycopg

    url = postgres_url()
    problem = None
    try:
        with psycopg.connect(_psycopg_url(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        problem = f"PostgreSQL at {url} does not answer: {type(exc).__name__}: {exc}".strip()
    if problem:
        unavailable(problem)
    return url


def create_postgres_database(name: str | None = None) -> str:
    """A new empty database on the test server; returns its URL (``postgresql://…/caredesk_test_<hex>``)."""
    import psycopg

    server = postgres_url()
    name = name or NAME_PREFIX + uuid.uuid4().hex[:12]
    assert name.startswith(NAME_PREFIX), name
    with psycopg.connect(_psycopg_url(server), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_path(server, "/" + name)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by :func:`create_postgres_database`, closing its leftover connections."""
    import psycopg

    name = _database_name(url)
    if not name.startswith(NAME_PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a test database")
    with psycopg.connect(_psycopg_url(postgres_url()), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- RabbitMQ ---------------------------------------------------------------------------------
def require_rabbitmq() -> str:
    """The server URL, once RabbitMQ answers and ``rabbitmqctl`` is there; otherwise skip (or fail in CI)."""
    url = rabbitmq_url()
    parts = urlsplit(url)
    problem = None
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=3):
            pass
        from kombu import Connection

        with Connection(url, connect_timeout=3) as connection:
            connection.connect()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        problem = f"RabbitMQ at {parts.hostname}:{parts.port or 5672} does not answer: {type(exc).__name__}: {exc}"
    if problem:
        unavailable(problem)
    if shutil.which("rabbitmqctl") is None:
        unavailable("rabbitmqctl is not on PATH: the tests need it for their own vhosts")
    return url


def vhost_of(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


VHOST_BATCH = 6
_vhosts: list[str] = []
_vhosts_lock = threading.Lock()


def _add_vhosts(count: int) -> list[str]:
    """``count`` new vhosts open to the URL's user, in one ``rabbitmqctl import_definitions`` (each
    ``rabbitmqctl`` call boots an Erlang VM: a second or two, where add_vhost + set_permissions
    per test took two calls)."""
    user = urlsplit(rabbitmq_url()).username or "guest"
    names = [NAME_PREFIX + uuid.uuid4().hex[:12] for _ in range(count)]
    definitions = {"vhosts": [{"name": name} for name in names],
                   "permissions": [{"user": user, "vhost": name, "configure": ".*", "write": ".*", "read": ".*"}
                                   for name in names]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="caredesk-vhosts-") as file:
        json.dump(definitions, file)
        file.flush()
        os.chmod(file.name, 0o644)  # the broker's node reads it, as its own user
        _rabbitmqctl("import_definitions", file.name)
    return names


def create_rabbitmq_vhost() -> str:
    """A new vhost on the test broker (never used before), open to the URL's user; returns the broker
    URL with that vhost. They are made a batch at a time; :func:`unused_rabbitmq_vhosts` gives back
    the rest at the end of the session."""
    with _vhosts_lock:
        if not _vhosts:
            _vhosts.extend(_add_vhosts(VHOST_BATCH))
        vhost = _vhosts.pop()
    return _with_path(rabbitmq_url(), "/" + quote(vhost, safe=""))


def unused_rabbitmq_vhosts() -> list[str]:
    """The URLs of the vhosts made in advance and never handed out (for deletion)."""
    with _vhosts_lock:
        left, _vhosts[:] = list(_vhosts), []
    return [_with_path(rabbitmq_url(), "/" + quote(vhost, safe="")) for vhost in left]


def delete_rabbitmq_vhost(url: str) -> None:
    """Delete a vhost made by :func:`create_rabbitmq_vhost`, with its queues and messages."""
    vhost = vhost_of(url)
    if not vhost.startswith(NAME_PREFIX):
        raise ValueError(f"refusing to delete vhost {vhost!r}: not a test vhost")
    _rabbitmqctl("delete_vhost", vhost)
