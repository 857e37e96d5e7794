"""Pure rules: no I/O, no clock, no database. Everything here is a function of its arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def points_for(minutes: int, *, minutes_per_point: int, min_minutes: int) -> int:
    """Whole blocks of `minutes_per_point`; nothing for a session shorter than `min_minutes`."""
    if minutes < min_minutes or minutes <= 0:
        return 0
    return minutes // minutes_per_point


def session_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes between two moments, never negative."""
    return max(0, int((end - start).total_seconds() // 60))


@dataclass(frozen=True, slots=True)
class Period:
    """One points period, named after the month whose notice publishes it.

    With the seeds' default start day 26, period "2026-11" runs from 26 October 00:00 to 25 November
    23:59:59 local time and is published on 26 November. With start day 1 a period is a calendar month.
    """

    label: str
    start: datetime  # aware, local time zone, inclusive
    end: datetime  # aware, local time zone, exclusive

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


def _month_add(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def period_by_label(label: str, *, start_day: int, tz: ZoneInfo) -> Period:
    year, month = (int(part) for part in label.split("-"))
    if start_day == 1:
        start_year, start_month = year, month
    else:
        start_year, start_month = _month_add(year, month, -1)
    end_year, end_month = _month_add(start_year, start_month, 1)
    start = datetime.combine(date(start_year, start_month, start_day), time(), tzinfo=tz)
    end = datetime.combine(date(end_year, end_month, start_day), time(), tzinfo=tz)
    return Period(label=f"{year:04d}-{month:02d}", start=start, end=end)


def period_of(moment: datetime, *, start_day: int, tz: ZoneInfo) -> Period:
    """The period a moment (any time zone) falls in, judged by the community's local calendar."""
    local = moment.astimezone(tz)
    year, month = local.year, local.month
    if start_day != 1 and local.day >= start_day:
        year, month = _month_add(year, month, 1)
    return period_by_label(f"{year:04d}-{month:02d}", start_day=start_day, tz=tz)


@dataclass(frozen=True, slots=True)
class CommunityRules:
    """The rules one community runs by, taken from its configuration and handed to the services."""

    tz: ZoneInfo
    minutes_per_point: int = 30
    min_minutes: int = 30
    max_session_hours: int = 8
    auto_approve: bool = False
    period_start_day: int = 26

    def points_for(self, minutes: int) -> int:
        return points_for(minutes, minutes_per_point=self.minutes_per_point, min_minutes=self.min_minutes)

    def period_of(self, moment: datetime) -> Period:
        return period_of(moment, start_day=self.period_start_day, tz=self.tz)

    def period(self, label: str) -> Period:
        return period_by_label(label, start_day=self.period_start_day, tz=self.tz)

    @property
    def max_session_minutes(self) -> int:
        return self.max_session_hours * 60


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
