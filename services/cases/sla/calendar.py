"""Business time: working days, working hours, holidays and a time zone, and arithmetic over them.

SLA targets are counted in business time only: a case dispatched on Friday at 17:00 with a
two-hour acceptance target in a 09:00-18:00 Monday-Friday calendar is due on Monday at 10:00.
Hours are wall-clock times of the calendar's zone (``zoneinfo``), so a daylight-saving change
moves the UTC instants, not the working day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A calendar whose next working minute is further away than this is broken, not merely sparse.
MAX_DAYS_WITHOUT_WORK = 3 * 366


class CalendarWithoutWorkingTime(ValueError):
    """The calendar has no working minute in reach (no working day, no hours, or all holidays)."""


def parse_hhmm(value: str) -> int:
    """``"09:30"`` -> 570 minutes after midnight; ``"24:00"`` is the end of the day."""
    hours, _, minutes = value.partition(":")
    total = int(hours) * 60 + int(minutes or 0)
    if not 0 <= total <= MINUTES_PER_DAY or not 0 <= int(minutes or 0) < 60:
        raise ValueError(f"{value!r} is not a time of day (HH:MM, 00:00-24:00)")
    return total


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of one calendar. Defaults: every day, all day, UTC (the 24x7 calendar).

    ``working_days`` are ISO weekdays counted from Monday = 0; ``hours`` are (start, end) minute
    offsets within a day, sorted and not overlapping; ``holidays`` are local dates without work.
    """

    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset(range(7))
    hours: tuple[tuple[int, int], ...] = ((0, MINUTES_PER_DAY),)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        previous_end = -1
        for start, end in self.hours:
            if not 0 <= start < end <= MINUTES_PER_DAY or start < previous_end:
                raise ValueError("working hours must be sorted, non-overlapping intervals within a day")
            previous_end = end
        if not self.working_days or not self.hours:
            raise CalendarWithoutWorkingTime("a calendar needs at least one working day and one interval")
        ZoneInfo(self.time_zone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of a local day, as UTC instants (empty on days off)."""
        if not self.is_working_day(day):
            return []
        zone, midnight = self.zone, datetime.combine(day, time())
        return [((midnight + timedelta(minutes=start)).replace(tzinfo=zone).astimezone(timezone.utc),
                 (midnight + timedelta(minutes=end)).replace(tzinfo=zone).astimezone(timezone.utc))
                for start, end in self.hours]

    def _local_day(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); zero when end is not after start."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        total = 0.0
        day, last = self._local_day(start) - timedelta(days=1), self._local_day(end) + timedelta(days=1)
        while day <= last:
            for opens, closes in self.working_intervals(day):
                overlap = (min(closes, end) - max(opens, start)).total_seconds()
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of working time have passed since ``start``.

        Zero seconds from outside working hours stays at ``start``; a positive amount always ends
        inside (or at the end of) a working interval.
        """
        start = _aware(start).astimezone(timezone.utc)
        remaining = max(float(seconds), 0.0)
        if remaining == 0:
            return start
        day = self._local_day(start) - timedelta(days=1)
        idle_days = 0
        while True:
            intervals = self.working_intervals(day)
            idle_days = idle_days + 1 if not intervals else 0
            if idle_days > MAX_DAYS_WITHOUT_WORK:
                raise CalendarWithoutWorkingTime(f"no working time within {MAX_DAYS_WITHOUT_WORK} days")
            for opens, closes in intervals:
                if closes <= start:
                    continue
                begin = max(opens, start)
                available = (closes - begin).total_seconds()
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)


ALWAYS = BusinessCalendar()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
