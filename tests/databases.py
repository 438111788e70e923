"""Migrated databases for tests without migrating per test: each test process (each xdist worker)
migrates a template once per service and copies it for every test that wants a fresh database.

    migrated_postgres_database(migrations_dir) -> url   CREATE DATABASE … TEMPLATE <migrated template>
    migrated_sqlite_database(migrations_dir, path) -> url   the migrated SQLite template copied to path
    drop_postgres_database_later(url)                    dropped by a background thread
    delete_rabbitmq_vhost_later(url)                     deleted by the same thread
    finish()                                             waits for those, drops the templates

A clone takes a fifth of a second where ``alembic upgrade head`` takes five to nine (a busy two-core
machine). Templates live as long as their process; ``tests/conftest.py`` calls :func:`finish` at
the end of the session (the databases are named ``caredesk_test_…`` like any test database).
"""
from __future__ import annotations

import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from services.kit import migrations
from tests import servers

_lock = threading.Lock()
_postgres_templates: dict[Path, str] = {}
_sqlite_templates: dict[Path, Path] = {}
_sqlite_folder: Path | None = None
_drops: "queue.Queue[Callable[[], None] | None]" = queue.Queue()
_dropper: threading.Thread | None = None


def worker() -> str:
    """``gw0``, ``gw1``… under pytest-xdist, ``main`` without it."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _label(migrations_dir: Path) -> str:
    return Path(migrations_dir).resolve().parent.name  # services/cases/migrations -> cases


def _execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(servers._psycopg_url(servers.postgres_url()), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


# -- PostgreSQL -------------------------------------------------------------------------------
def _postgres_template(migrations_dir: Path) -> str:
    key = Path(migrations_dir).resolve()
    with _lock:
        if key not in _postgres_templates:
            url = servers.create_postgres_database(
                name=f"{servers.NAME_PREFIX}tpl_{worker()}_{uuid.uuid4().hex[:8]}_{_label(key)}")
            migrations.upgrade(key, url)  # disposes its engine: nobody stays connected to the template
            _postgres_templates[key] = servers._database_name(url)
        return _postgres_templates[key]


def migrated_postgres_database(migrations_dir: Path) -> str:
    """A new database on the test server at the head of ``migrations_dir``; its URL."""
    template = _postgres_template(migrations_dir)
    name = servers.NAME_PREFIX + uuid.uuid4().hex[:12]
    for attempt in range(5):
        try:
            _execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            break
        except Exception as exc:  # noqa: BLE001 - only the "being accessed" race is retried
            # autovacuum may be visiting the template; PostgreSQL asks it to leave, and so do we
            if "is being accessed by other users" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return servers._with_path(servers.postgres_url(), "/" + name)


def _drop_loop() -> None:
    while True:
        drop = _drops.get()
        try:
            if drop is None:
                return
            drop()
        except Exception:  # noqa: BLE001 - a leftover test database or vhost is not a test failure
            pass
        finally:
            _drops.task_done()


def _later(drop: Callable[[], None]) -> None:
    global _dropper
    with _lock:
        if _dropper is None or not _dropper.is_alive():
            _dropper = threading.Thread(target=_drop_loop, name="drop-test-databases", daemon=True)
            _dropper.start()
    _drops.put(drop)


def drop_postgres_database_later(url: str) -> None:
    """Drop the database in the background (a DROP waits for a checkpoint: up to a second or two)."""
    _later(lambda: servers.drop_postgres_database(url))


def delete_rabbitmq_vhost_later(url: str) -> None:
    """Delete the vhost in the background (``rabbitmqctl`` boots an Erlang VM: a second or more)."""
    _later(lambda: servers.delete_rabbitmq_vhost(url))


# -- SQLite -----------------------------------------------------------------------------------
def _sqlite_template(migrations_dir: Path) -> Path:
    global _sqlite_folder
    key = Path(migrations_dir).resolve()
    with _lock:
        if key not in _sqlite_templates:
            if _sqlite_folder is None:
                _sqlite_folder = Path(tempfile.mkdtemp(prefix=f"caredesk-templates-{worker()}-"))
            path = _sqlite_folder / f"{_label(key)}.sqlite3"
            migrations.upgrade(key, f"sqlite:///{path}")
            _sqlite_templates[key] = path
        return _sqlite_templates[key]


def migrated_sqlite_database(migrations_dir: Path, path: Path) -> str:
    """``path`` becomes a SQLite database at the head of ``migrations_dir``; its URL."""
    template = _sqlite_template(migrations_dir)
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)  # a consistent copy, whatever journal mode the template was left in
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"


def _quietly(function: Callable[[str], None], argument: str) -> None:
    try:
        function(argument)
    except Exception:  # noqa: BLE001 - the server may be gone (a fault test stopped it)
        pass


# -- end of session ---------------------------------------------------------------------------
def finish() -> None:
    """Wait for the background drops, then drop this process's templates and template files."""
    global _sqlite_folder
    unused = servers.unused_rabbitmq_vhosts()
    if unused:  # side by side: each rabbitmqctl call mostly waits for its Erlang VM to boot
        with ThreadPoolExecutor(len(unused)) as pool:
            list(pool.map(lambda url: _quietly(servers.delete_rabbitmq_vhost, url), unused))
    if _dropper is not None and _dropper.is_alive():
        _drops.join()
        _drops.put(None)
    for name in _postgres_templates.values():
        try:
            servers.drop_postgres_database(servers._with_path(servers.postgres_url(), "/" + name))
        except Exception:  # noqa: BLE001 - the server may be gone (a fault test stopped it)
            pass
    _postgres_templates.clear()
    if _sqlite_folder is not None:
        shutil.rmtree(_sqlite_folder, ignore_errors=True)
        _sqlite_folder = None
    _sqlite_templates.clear()
