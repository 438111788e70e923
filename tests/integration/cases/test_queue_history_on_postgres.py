"""Queue history on PostgreSQL: the unit suite's known timeline and access rules on the real
database, and the snapshot job run by two beats at once in the same slot leaving one row per queue."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.cases import clock
from services.cases.queues.history import take_snapshots
from services.cases.queues.models import QueueSnapshot
from services.cases.tasks import PERIODIC_JOBS
from services.kit.tasks import run_periodic_job
from tests.unit.cases import test_queue_history
from tests.unit.cases.conftest import FrozenClock, make_people, setup_queue

pytestmark = pytest.mark.integration


@pytest.fixture
def frozen_clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


@pytest.fixture
def people(pg_api):
    people = make_people("delivery")
    setup_queue(pg_api, people)
    return people


def test_history_figures_on_postgres(pg_api, people, frozen_clock):
    test_queue_history.test_the_job_twice_in_a_slot_keeps_one_row_and_history_adds_the_timeline(
        pg_api, people, frozen_clock)


def test_history_access_and_bad_periods_on_postgres(pg_api, people):
    test_queue_history.test_only_members_supervisors_and_administrators_read_history_and_others_get_404(pg_api, people)
    test_queue_history.test_bad_periods_are_422_naming_each_parameter(pg_api, people)


def test_two_runs_at_once_in_one_slot_leave_one_row_and_the_lease_lets_one_beat_run(pg_api, people):
    database = pg_api.app.extensions["caredesk"].database
    at = datetime(2026, 3, 2, 10, 7, tzinfo=timezone.utc)
    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(lambda n: take_snapshots(database, now=at + timedelta(seconds=n), minutes=15), range(4)))
    assert sum(created) == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(QueueSnapshot)) == 1

    [job] = [job for job in PERIODIC_JOBS if job.name == "cases.queue_snapshots"]
    with ThreadPoolExecutor(3) as pool:
        ran = list(pool.map(lambda _: run_periodic_job(database, job), range(3)))
    assert ran.count(True) == 1
