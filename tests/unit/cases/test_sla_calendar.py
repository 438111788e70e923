"""Business-time arithmetic of SLA calendars: weekends, holidays, breaks, time zones, daylight
saving, and the pause that moves due instants."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.cases.sla.calendar import ALWAYS, BusinessCalendar, CalendarWithoutWorkingTime
from services.cases.sla.targets import SlaTargets, compute_instants

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS = frozenset(range(5))
OFFICE = BusinessCalendar(time_zone="Europe/Moscow", working_days=WEEKDAYS, hours=((9 * 60, 18 * 60),),
                          holidays=frozenset({date(2026, 3, 9)}))  # the Monday after 8 March


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MOSCOW)


def hours(value: float) -> float:
    return value * 3600


def test_time_left_on_friday_carries_over_the_weekend():
    assert OFFICE.add_business_seconds(msk(2026, 3, 13, 17, 0), hours(2)) == msk(2026, 3, 16, 10, 0)


def test_a_holiday_counts_as_a_day_off():
    # Friday 6 March 17:00 + 2 h: one hour on Friday, Monday 9 March is a holiday, one hour on Tuesday.
    assert OFFICE.add_business_seconds(msk(2026, 3, 6, 17, 0), hours(2)) == msk(2026, 3, 10, 10, 0)
    assert OFFICE.business_seconds(msk(2026, 3, 6, 17, 0), msk(2026, 3, 10, 10, 0)) == hours(2)


def test_a_case_dispatched_outside_hours_starts_counting_at_opening():
    assert OFFICE.add_business_seconds(msk(2026, 3, 14, 12, 0), 30 * 60) == msk(2026, 3, 16, 9, 30)  # Saturday
    assert OFFICE.add_business_seconds(msk(2026, 3, 16, 7, 0), hours(1)) == msk(2026, 3, 16, 10, 0)
    assert OFFICE.add_business_seconds(msk(2026, 3, 16, 19, 0), hours(1)) == msk(2026, 3, 17, 10, 0)


def test_a_target_ending_at_closing_time_is_due_at_closing_time():
    assert OFFICE.add_business_seconds(msk(2026, 3, 16, 9, 0), hours(9)) == msk(2026, 3, 16, 18, 0)


def test_a_lunch_break_does_not_count():
    split = BusinessCalendar(time_zone="Europe/Moscow", working_days=WEEKDAYS, hours=((540, 780), (840, 1080)))
    assert split.add_business_seconds(msk(2026, 3, 16, 12, 30), hours(1)) == msk(2026, 3, 16, 14, 30)
    assert split.business_seconds(msk(2026, 3, 16, 12, 0), msk(2026, 3, 16, 15, 0)) == hours(2)


def test_working_hours_follow_daylight_saving_time():
    berlin = BusinessCalendar(time_zone="Europe/Berlin", working_days=WEEKDAYS, hours=((540, 1080),))
    # Friday 27 March 17:00 CET (UTC+1) + 2 h -> Monday 30 March 10:00 CEST (UTC+2) = 08:00 UTC
    due = berlin.add_business_seconds(datetime(2026, 3, 27, 16, 0, tzinfo=timezone.utc), hours(2))
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc)


def test_the_round_the_clock_calendar_is_plain_time():
    start = datetime(2026, 3, 14, 23, 0, tzinfo=timezone.utc)
    assert ALWAYS.add_business_seconds(start, hours(5)) == start + timedelta(hours=5)
    assert ALWAYS.business_seconds(start, start + timedelta(days=2)) == hours(48)


def test_business_seconds_is_zero_backwards_and_outside_hours():
    assert OFFICE.business_seconds(msk(2026, 3, 16, 12, 0), msk(2026, 3, 16, 11, 0)) == 0
    assert OFFICE.business_seconds(msk(2026, 3, 14, 9, 0), msk(2026, 3, 15, 23, 0)) == 0  # a weekend


def test_a_calendar_without_working_time_is_refused():
    with pytest.raises(CalendarWithoutWorkingTime):
        BusinessCalendar(working_days=frozenset())
    with pytest.raises(ValueError):
        BusinessCalendar(hours=((600, 540),))
    every_day_a_holiday = BusinessCalendar(working_days=frozenset({0}), holidays=frozenset(
        date(2026, 1, 5) + timedelta(weeks=week) for week in range(400)))
    with pytest.raises(CalendarWithoutWorkingTime):
        every_day_a_holiday.add_business_seconds(datetime(2026, 1, 1, tzinfo=timezone.utc), 60)


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                          timezones=st.just(timezone.utc)),
       seconds=st.integers(min_value=1, max_value=hours(200)))
def test_adding_then_measuring_gives_back_the_same_business_time(start, seconds):
    due = OFFICE.add_business_seconds(start, seconds)
    assert due > start
    assert OFFICE.business_seconds(start, due) == pytest.approx(seconds, abs=1e-3)


def test_a_pause_moves_the_due_instants_by_the_business_time_paused():
    targets = SlaTargets(acceptance_seconds=int(hours(2)), resolution_seconds=int(hours(8)), warning_percent=75)
    started = msk(2026, 3, 13, 16, 0)  # Friday 16:00
    plain = compute_instants(OFFICE, started_at=started, paused_seconds=0, targets=targets)
    assert plain.acceptance_due_at == msk(2026, 3, 13, 18, 0)
    assert plain.acceptance_warning_at == msk(2026, 3, 13, 17, 30)
    assert plain.resolution_due_at == msk(2026, 3, 16, 15, 0)
    # Returned to the initiator on Friday 17:00, dispatched again on Tuesday 10:00: the pause is
    # one hour on Friday and nine on Monday (the weekend costs nothing).
    paused = OFFICE.business_seconds(msk(2026, 3, 13, 17, 0), msk(2026, 3, 17, 10, 0))
    assert paused == hours(11)
    moved = compute_instants(OFFICE, started_at=started, paused_seconds=paused, targets=targets)
    assert moved.acceptance_due_at == msk(2026, 3, 17, 11, 0)   # 1 h used before, 1 h left from 10:00
    assert moved.resolution_due_at == msk(2026, 3, 17, 17, 0)   # 1 h used, 7 h left: Tuesday 10:00 + 7 h
