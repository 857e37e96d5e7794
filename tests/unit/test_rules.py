"""Pure rules: points for minutes, and which period a moment belongs to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules import period_of, points_for, session_minutes

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("minutes", "points"),
    [(0, 0), (29, 0), (30, 1), (59, 1), (60, 2), (89, 2), (90, 3), (480, 16)],
)
def test_points_are_whole_blocks(minutes: int, points: int) -> None:
    """One point per whole 30 minutes, nothing under the 30-minute minimum."""
    assert points_for(minutes, minutes_per_point=30, min_minutes=30) == points


def test_minimum_can_exceed_block() -> None:
    """With a 60-minute minimum, a 45-minute session earns nothing even though it holds a whole block."""
    assert points_for(45, minutes_per_point=30, min_minutes=60) == 0
    assert points_for(60, minutes_per_point=30, min_minutes=60) == 2


def test_session_minutes_never_negative() -> None:
    """A check-out stamped before its check-in counts as zero minutes."""
    start = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert session_minutes(start, start - timedelta(minutes=5)) == 0
    assert session_minutes(start, start + timedelta(minutes=90, seconds=59)) == 90


@pytest.mark.parametrize(
    ("local_time", "label"),
    [
        ("2026-11-25 23:59:59", "2026-11"),
        ("2026-11-26 00:00:00", "2026-12"),
        ("2026-12-26 00:00:00", "2027-01"),  # the year boundary
        ("2027-01-25 12:00:00", "2027-01"),
        ("2027-02-26 08:00:00", "2027-03"),  # February has no 29th-31st trouble with day 26
    ],
)
def test_period_of_with_start_day_26(local_time: str, label: str) -> None:
    """Periods run from the 26th 00:00 to the 25th 23:59:59 local time and are named after their end month."""
    moment = datetime.fromisoformat(local_time).replace(tzinfo=SHANGHAI)
    period = period_of(moment, start_day=26, tz=SHANGHAI)
    assert period.label == label
    assert period.start <= moment < period.end


def test_period_is_decided_in_local_time() -> None:
    """25 Nov 16:30 UTC is 26 Nov 00:30 in Shanghai, so it is already in the next period."""
    moment = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    assert period_of(moment, start_day=26, tz=SHANGHAI).label == "2026-12"
    assert period_of(moment, start_day=26, tz=ZoneInfo("UTC")).label == "2026-11"


def test_calendar_month_periods() -> None:
    """With start day 1 a period is a calendar month."""
    period = period_of(datetime(2026, 2, 14, tzinfo=SHANGHAI), start_day=1, tz=SHANGHAI)
    assert (period.label, period.start.day, period.last_day.day) == ("2026-02", 1, 28)


@given(
    # Hypothesis takes naive bounds and attaches the zone itself.
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001
    start_day=st.integers(min_value=1, max_value=28),
    zone=st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin"]),
)
def test_every_moment_is_in_its_period(moment: datetime, start_day: int, zone: str) -> None:
    """Whatever the zone (with or without daylight saving) and start day, a moment lies inside its period."""
    tz = ZoneInfo(zone)
    period = period_of(moment, start_day=start_day, tz=tz)
    assert period.start <= moment < period.end
    assert period.start.day == start_day
