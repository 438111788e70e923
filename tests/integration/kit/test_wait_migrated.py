"""`caredesk wait-migrated`, every pod's init container in Kubernetes: it waits while the database
lacks this release's migrations and lets the pod start once the init Job has run them, or when a
newer release has migrated further (expand/contract keeps this one working)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from caredesk.components import COMPONENTS
from services.kit import migrations
from services.kit.db import make_engine

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def wait_migrated(url: str, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "caredesk.cli", "wait-migrated", *extra],
                          env=env | {"CAREDESK_CASES_DATABASE_URL": url}, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_an_empty_database_keeps_the_pod_waiting_until_the_timeout(make_database):
    done = wait_migrated(make_database(), "--timeout", "3")
    assert done.returncode == 1
    assert "cases: still waiting for" in done.stdout


def test_the_pod_starts_once_the_init_job_has_migrated(make_database):
    url = make_database()
    migrating = threading.Timer(3.0, migrations.upgrade, args=(COMPONENTS["cases"].migrations, url))
    migrating.start()
    started = time.monotonic()
    done = wait_migrated(url, "--timeout", "120", timeout=150)
    migrating.join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "cases: migrated"
    assert time.monotonic() - started >= 3.0


def test_a_database_migrated_by_a_newer_release_lets_the_older_pods_start(make_database):
    url = make_database(COMPONENTS["cases"].migrations)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'"))
    engine.dispose()
    assert wait_migrated(url, "--timeout", "5").returncode == 0
