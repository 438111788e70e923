"""The SLA clock as a value: started by a dispatch, paused by a return or a close, decided by an
acceptance and a close, marked by the periodic check; each change gives a new clock."""
from __future__ import annotations

from datetime import timedelta

from services.cases.sla.calendar import ALWAYS, BusinessCalendar
from services.cases.sla.clock import SlaClock
from services.cases.sla.targets import SlaTargets
from tests.unit.cases.domain.factories import MONDAY_9

HOUR = 3600
TARGETS = SlaTargets(acceptance_seconds=HOUR, resolution_seconds=8 * HOUR, warning_percent=50)
OFFICE = BusinessCalendar(working_days=frozenset({0, 1, 2, 3, 4}), hours=((9 * 60, 18 * 60),))


def started(at=MONDAY_9, calendar=ALWAYS) -> SlaClock:
    return SlaClock().dispatched(at=at, calendar=calendar, targets=TARGETS)


def test_a_new_clock_has_not_started_and_ignores_pauses_and_closes():
    clock = SlaClock()
    assert not clock.is_running
    assert clock.returned(at=MONDAY_9) == clock and clock.closed(at=MONDAY_9) == clock


def test_the_first_dispatch_starts_the_clock_with_the_targets_instants():
    clock = started()
    assert clock.is_running and clock.started_at == MONDAY_9 and clock.paused_seconds == 0.0
    assert clock.acceptance_warning_at == MONDAY_9 + timedelta(minutes=30)
    assert clock.acceptance_due_at == MONDAY_9 + timedelta(hours=1)
    assert clock.resolution_due_at == MONDAY_9 + timedelta(hours=8)
    assert clock.targets() == TARGETS


def test_instants_count_business_time_of_the_calendar():
    friday_17 = MONDAY_9 + timedelta(days=4, hours=8)
    clock = started(at=friday_17, calendar=OFFICE)
    assert clock.acceptance_due_at == friday_17 + timedelta(hours=1)
    assert clock.resolution_due_at == MONDAY_9 + timedelta(days=7, hours=7)  # 1 h on Friday, 7 h on Monday


def test_a_return_pauses_and_the_next_dispatch_shifts_the_instants_by_the_pause():
    clock = started().returned(at=MONDAY_9 + timedelta(minutes=20))
    assert not clock.is_running and clock.paused_at == MONDAY_9 + timedelta(minutes=20)
    again = clock.dispatched(at=MONDAY_9 + timedelta(minutes=50), calendar=ALWAYS, targets=TARGETS)
    assert again.is_running and again.started_at == MONDAY_9 and again.paused_seconds == 30 * 60
    assert again.acceptance_due_at == MONDAY_9 + timedelta(minutes=90)


def test_a_redispatch_takes_the_new_targets():
    tighter = SlaTargets(acceptance_seconds=HOUR // 2, resolution_seconds=HOUR)
    clock = started().dispatched(at=MONDAY_9 + timedelta(minutes=5), calendar=ALWAYS, targets=tighter)
    assert clock.acceptance_due_at == MONDAY_9 + timedelta(minutes=30) and clock.targets().warning_percent == 80


def test_acceptance_is_decided_once_by_the_first_acceptance():
    late = started().accepted(at=MONDAY_9 + timedelta(hours=2))
    assert late.acceptance_met is False
    assert late.accepted(at=MONDAY_9).acceptance_met is False
    assert started().accepted(at=MONDAY_9 + timedelta(minutes=59)).acceptance_met is True
    assert SlaClock().accepted(at=MONDAY_9).acceptance_met is None  # no target, nothing to decide


def test_a_close_decides_resolution_when_the_pause_began():
    returned = started().returned(at=MONDAY_9 + timedelta(hours=7))
    closed = returned.closed(at=MONDAY_9 + timedelta(hours=20))
    assert closed.resolution_met is True and closed.paused_at == MONDAY_9 + timedelta(hours=7)
    assert started().closed(at=MONDAY_9 + timedelta(hours=9)).resolution_met is False


def test_a_reopen_runs_the_clock_again_and_reopens_a_met_resolution_only():
    met = started().closed(at=MONDAY_9 + timedelta(hours=1))
    reopened = met.reopened(at=MONDAY_9 + timedelta(hours=3), calendar=ALWAYS)
    assert reopened.is_running and reopened.resolution_met is None
    assert reopened.resolution_due_at == MONDAY_9 + timedelta(hours=10)  # the 2 h closed do not count
    breached = started().marked("resolution", "breach", at=MONDAY_9 + timedelta(hours=8))
    again = breached.closed(at=MONDAY_9 + timedelta(hours=9)).reopened(at=MONDAY_9 + timedelta(hours=9),
                                                                         calendar=ALWAYS)
    assert again.resolution_met is False and again.resolution_breached_at == MONDAY_9 + timedelta(hours=8)


def test_the_check_marks_warnings_and_breaches():
    clock = started()
    warned = clock.marked("acceptance", "warning", at=MONDAY_9 + timedelta(minutes=30))
    assert warned.acceptance_warned_at == MONDAY_9 + timedelta(minutes=30) and warned.acceptance_met is None
    breached = warned.marked("acceptance", "breach", at=MONDAY_9 + timedelta(hours=1))
    assert (breached.acceptance_breached_at, breached.acceptance_met) == (MONDAY_9 + timedelta(hours=1), False)
    assert clock == started()  # a clock never changes in place
