"""Fault runs: the customers service producing ``customer.created.v1`` and the cases service
consuming it, in either run mode, with the processes of ``tests.faults.probe`` to kill.

``pipeline`` is parametrised over the modes: ``embedded`` (SQLite files and the embedded broker in
the test's folder) and ``production`` (a database per service and a vhost on the real servers).
Tests that stop or freeze a server use private servers instead (``tests.faults.servers``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from caredesk.components import COMPONENTS
from services.kit.db import Database
from services.kit.messaging.topology import connect, queue_name
from services.kit.settings import load_settings
from tests.databases import migrated_sqlite_database
from tests.faults.checker import REPORTED, Figures, check
from tests.faults.probe import create_effects_table
from tests.integration.conftest import (  # noqa: F401 - fixtures used by the production mode
    ServiceUnderTest, broker_url, make_database, make_processes, make_settings,
    postgres_server, pytest_runtest_makereport, rabbitmq_server, wait_until,
)

HANDLER = "replicate_customer"
ROUTING_KEYS = ["customer.created.v1", "customer.updated.v1"]
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0  # the first retry waits 2 s, the second 4 s: long enough to see traffic pass them


@dataclass
class Pipeline:
    mode: str
    customers: ServiceUnderTest
    cases: ServiceUnderTest

    @property
    def queue(self) -> str:
        return queue_name(self.cases.settings, HANDLER)

    def check(self, scenario: str, **kwargs) -> Figures:
        return check(f"{self.mode} {scenario}", self.customers.database, self.cases.database, HANDLER,
                     ROUTING_KEYS, **kwargs)

    def lost(self) -> int:
        return self.check("progress").lost

    def wait_drained(self, *, timeout: float, since: float | None = None) -> float:
        """Wait until every committed event is applied; seconds from ``since`` (default: now)."""
        since = time.monotonic() if since is None else since
        wait_until(lambda: self.customers.unsent_outbox() == 0 and self.lost() == 0, timeout=timeout,
                   interval=0.2, what="every committed event to be applied")
        return time.monotonic() - since


def pytest_terminal_summary(terminalreporter):
    """The figures of every fault run, at the end of the test output (CI shows them)."""
    if REPORTED:
        terminalreporter.section("faults: lost, duplicate effects, redeliveries, recovery")
        for line in REPORTED:
            terminalreporter.write_line(line)


def _embedded_service(name: str, data_dir) -> ServiceUnderTest:
    component = COMPONENTS[name]
    url = migrated_sqlite_database(component.migrations, data_dir / (name + ".sqlite3"))
    settings = load_settings(name, data_dir=data_dir, database_url=url, broker_url="embedded://",
                             consumer_max_attempts=MAX_ATTEMPTS, consumer_backoff_seconds=BACKOFF_SECONDS)
    return ServiceUnderTest(component, settings, Database(settings.database_url, component.metadata))


def _production_service(name: str, make_database, make_settings) -> ServiceUnderTest:
    component = COMPONENTS[name]
    url = make_database(component.migrations)
    settings = make_settings(name, url, consumer_max_attempts=MAX_ATTEMPTS, consumer_backoff_seconds=BACKOFF_SECONDS)
    return ServiceUnderTest(component, settings, Database(url, component.metadata))


@pytest.fixture(params=["embedded", "production"])
def pipeline(request, tmp_path) -> Pipeline:
    if request.param == "embedded":
        data_dir = tmp_path / "var"
        data_dir.mkdir()
        customers, cases = (_embedded_service(name, data_dir) for name in ("customers", "cases"))
    else:
        make_database, make_settings = (request.getfixturevalue(name) for name in ("make_database", "make_settings"))
        customers, cases = (_production_service(name, make_database, make_settings) for name in ("customers", "cases"))
    cases.declare_topology()
    create_effects_table(cases.database)
    yield Pipeline(request.param, customers, cases)
    for service in (customers, cases):
        service.database.dispose()


def ready(pipeline: Pipeline) -> int:
    with connect(pipeline.cases.settings) as connection:
        return connection.default_channel.queue_declare(queue=pipeline.queue, passive=True).message_count
