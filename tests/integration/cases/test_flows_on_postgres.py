"""The unit suite's end-to-end flows again, on PostgreSQL: the same API, the real database's SQL
(partial index, row locks, JSON columns, time zones)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.cases import clock
from tests.unit.cases import test_sim_delivery_flow, test_sla_check
from tests.unit.cases.conftest import FrozenClock, make_people, setup_queue

pytestmark = pytest.mark.integration


@pytest.fixture
def frozen_clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


def test_sim_delivery_flow_on_postgres(pg_api, frozen_clock):
    test_sim_delivery_flow.test_sim_delivery_flow(pg_api, frozen_clock)


def test_sla_warnings_breaches_and_pause_on_postgres(pg_api, frozen_clock):
    people = make_people("delivery")
    setup_queue(pg_api, people)
    queue = test_sla_check.make_sla_queue(pg_api, people)
    test_sla_check.test_warning_breach_and_escalation_once_each_and_never_while_paused(
        pg_api, people, queue, frozen_clock)
