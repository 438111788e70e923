"""Real PostgreSQL and RabbitMQ: a database per service (cloned from a migrated template) and a
vhost per test,
and the ``caredesk`` command run as processes against them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import func, select

from caredesk.components import COMPONENTS, Component
from services.kit.db import Database
from services.kit.messaging.topology import connect, declare
from services.kit.settings import ServiceSettings, load_settings
from tests.waiting import wait_until  # noqa: F401 - imported from here by many tests
from tests.databases import delete_rabbitmq_vhost_later, drop_postgres_database_later, migrated_postgres_database
from tests.servers import (
    create_postgres_database, create_rabbitmq_vhost, require_postgres, require_rabbitmq,
)

REPO = Path(__file__).resolve().parents[2]
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.01


# -- servers ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server() -> str:
    return require_postgres()


@pytest.fixture(scope="session")
def rabbitmq_server() -> str:
    return require_rabbitmq()


@pytest.fixture
def make_database(postgres_server) -> Callable[..., str]:
    """``make_database(migrations_dir=None) -> url``: a fresh database (a clone of this worker's
    migrated template of ``migrations_dir``, or empty), dropped after the test."""
    made: list[str] = []

    def make(migrations_dir: Path | None = None) -> str:
        url = create_postgres_database() if migrations_dir is None else migrated_postgres_database(migrations_dir)
        made.append(url)
        return url

    yield make
    for url in made:
        drop_postgres_database_later(url)


@pytest.fixture
def broker_url(rabbitmq_server) -> str:
    """A throwaway vhost on the real broker."""
    url = create_rabbitmq_vhost()
    yield url
    delete_rabbitmq_vhost_later(url)


def ready_messages(settings: ServiceSettings, queue: str) -> int:
    """Messages waiting in ``queue`` (not delivered to a consumer), asked of the broker itself:
    ``rabbitmqctl list_queues`` reports quorum queues' counts seconds late."""
    with connect(settings) as connection:
        return connection.default_channel.queue_declare(queue=queue, passive=True).message_count


# -- services ---------------------------------------------------------------------------------
@dataclass
class ServiceUnderTest:
    """One service wired to its own test database and the test vhost."""

    component: Component
    settings: ServiceSettings
    database: Database

    def declare_topology(self) -> None:
        """What ``caredesk init`` does on the broker: exchanges, handler queues, dead-letter queues."""
        with connect(self.settings) as connection:
            declare(connection, self.settings, self.component.handlers)

    def count(self, table, *where) -> int:
        with self.database.session() as session:
            return session.scalar(select(func.count()).select_from(table).where(*where))

    def unsent_outbox(self) -> int:
        return self.count(self.database.outbox, self.database.outbox.c.sent_at.is_(None))


@pytest.fixture
def make_settings(tmp_path, broker_url) -> Callable[..., ServiceSettings]:
    def make(service: str, database_url: str, **overrides) -> ServiceSettings:
        values = dict(data_dir=tmp_path, database_url=database_url, broker_url=broker_url,
                      consumer_max_attempts=MAX_ATTEMPTS, consumer_backoff_seconds=BACKOFF_SECONDS)
        return load_settings(service, **(values | overrides))
    return make


@pytest.fixture
def make_service(make_database, make_settings) -> Callable[[str], ServiceUnderTest]:
    """``make_service("cases")``: the service's database created and migrated, its settings, an engine."""
    made: list[ServiceUnderTest] = []

    def make(name: str) -> ServiceUnderTest:
        component = COMPONENTS[name]
        url = make_database(component.migrations)
        settings = make_settings(name, url)
        service = ServiceUnderTest(component, settings, Database(url, component.metadata))
        made.append(service)
        return service

    yield make
    for service in made:
        service.database.dispose()


@pytest.fixture
def customers(make_service) -> ServiceUnderTest:
    return make_service("customers")


@pytest.fixture
def cases(make_service) -> ServiceUnderTest:
    return make_service("cases")


# -- processes --------------------------------------------------------------------------------
class Processes:
    """Child processes of one test, with the services' settings in their environment; all are
    stopped at the end of the test, and their logs are printed when it fails."""

    def __init__(self, folder: Path, services: list[ServiceUnderTest]) -> None:
        self.folder = folder
        self.services = services
        self.extra_env: dict[str, str] = {}
        self.started: list[tuple[str, subprocess.Popen, Path]] = []

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for service in self.services:
            settings = service.settings
            env[f"CAREDESK_{settings.service.upper()}_DATABASE_URL"] = settings.database_url
            env["CAREDESK_BROKER_URL"] = settings.broker_url
            env["CAREDESK_DATA_DIR"] = str(settings.data_dir)
            env["CAREDESK_CONSUMER_MAX_ATTEMPTS"] = str(settings.consumer_max_attempts)
            env["CAREDESK_CONSUMER_BACKOFF_SECONDS"] = str(settings.consumer_backoff_seconds)
            env["CAREDESK_EXCHANGE"] = settings.exchange
            env["CAREDESK_QUEUE_PREFIX"] = settings.queue_prefix
        env["PYTHONUNBUFFERED"] = "1"
        return env | self.extra_env

    def start(self, label: str, *args: str) -> subprocess.Popen:
        """``start("relay", "-m", "caredesk.cli", "relay", "customers")``: python with these arguments."""
        log_path = self.folder / f"{label}-{len(self.started)}.log"
        log = log_path.open("wb")
        process = subprocess.Popen([sys.executable, *args], cwd=REPO, env=self.env(), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.started.append((label, process, log_path))
        return process

    def caredesk(self, label: str, *args: str) -> subprocess.Popen:
        return self.start(label, "-m", "caredesk.cli", *args)

    def run_caredesk(self, *args: str, timeout: float = 60) -> str:
        """Run a ``caredesk`` command to the end; its standard output (fails on a non-zero exit)."""
        done = subprocess.run([sys.executable, "-m", "caredesk.cli", *args], cwd=REPO, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"caredesk {' '.join(args)} exited {done.returncode}: {done.stderr}"
        return done.stdout

    @staticmethod
    def stop(process: subprocess.Popen, *, timeout: float = 15) -> int:
        """SIGTERM (the processes stop cleanly on it), SIGKILL if that takes too long."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait(timeout=timeout)

    def log(self, label: str) -> str:
        """What the processes started under ``label`` have logged so far."""
        return "".join(path.read_text(errors="replace") for name, _process, path in self.started if name == label)

    def logs(self) -> str:
        return "\n".join(f"--- {label} (exit {process.poll()}) ---\n{path.read_text(errors='replace')[-6000:]}"
                         for label, process, path in self.started)

    def stop_all(self) -> None:
        for _label, process, _path in self.started:
            self.stop(process, timeout=10)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test shows the logs of the processes it started."""
    report = yield
    if report.when == "call" and report.failed:
        for processes in getattr(item, "caredesk_processes", []):
            report.sections.append(("caredesk processes", processes.logs()))
    return report


@pytest.fixture
def make_processes(request, tmp_path) -> Callable[..., Processes]:
    made: list[Processes] = []
    request.node.caredesk_processes = made

    def make(*services: ServiceUnderTest) -> Processes:
        processes = Processes(tmp_path, list(services))
        made.append(processes)
        return processes

    yield make
    for processes in made:
        processes.stop_all()
