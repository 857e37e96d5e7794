"""Triggers give deterministic fire times: asserted from a fixed start, never waited for."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.memory import MemoryTransport
from bot.app import App
from bot.testing import make_config
from scheduler.clock import VirtualClock
from scheduler.setup import DailyTrigger, EveryTrigger, LiveSchedule, fire_times

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def monthly(tz: ZoneInfo, day: int = 26, at: time = time(9, 0)) -> DailyTrigger:
    return DailyTrigger(tz, at, lambda d: d.day == day)


@pytest.mark.parametrize(
    ("tz", "expected_utc"),
    [
        (SHANGHAI, datetime(2026, 11, 26, 1, 0, tzinfo=UTC)),
        (ZoneInfo("UTC"), datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 11, 26, 14, 0, tzinfo=UTC)),  # EST, after the November change
    ],
)
def test_next_notice_from_a_fixed_start(tz: ZoneInfo, expected_utc: datetime) -> None:
    """From 3 November the next notice is the 26th at 09:00 in the community's own zone."""
    start = datetime(2026, 11, 3, 12, 0, tzinfo=tz)
    nxt = monthly(tz).get_next_fire_time(None, start)
    assert nxt == expected_utc
    assert nxt is not None and nxt.astimezone(tz).time() == time(9, 0)


def test_one_notice_a_month_whatever_its_length() -> None:
    """Day 26 falls once in every month of a year, February included; day 28 too."""
    for day in (26, 28):
        times = fire_times(
            monthly(SHANGHAI, day),
            datetime(2026, 12, 31, tzinfo=SHANGHAI),
            datetime(2027, 12, 31, tzinfo=SHANGHAI),
        )
        assert [t.astimezone(SHANGHAI).date() for t in times] == [date(2027, m, day) for m in range(1, 13)]


def test_a_26th_on_a_sunday_still_fires() -> None:
    """26 April 2026 is a Sunday: the notice goes out that day, not the next working day."""
    times = fire_times(monthly(SHANGHAI), datetime(2026, 4, 1, tzinfo=SHANGHAI), datetime(2026, 4, 30, tzinfo=SHANGHAI))
    assert [t.astimezone(SHANGHAI) for t in times] == [datetime(2026, 4, 26, 9, 0, tzinfo=SHANGHAI)]
    assert times[0].astimezone(SHANGHAI).weekday() == 6


def test_the_year_boundary() -> None:
    """From mid-December: the 26th, then 26 January of the next year; the 12-31 ranking in between."""
    ranking = DailyTrigger(SHANGHAI, time(10, 0), lambda d: (d.month, d.day) == (12, 31))
    start, end = datetime(2026, 12, 20, tzinfo=SHANGHAI), datetime(2027, 2, 1, tzinfo=SHANGHAI)
    assert [t.astimezone(SHANGHAI).date() for t in fire_times(monthly(SHANGHAI), start, end)] == [
        date(2026, 12, 26),
        date(2027, 1, 26),
    ]
    assert fire_times(ranking, start, end) == [datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)]


def test_daylight_saving_in_new_york_keeps_local_time() -> None:
    """Across both changes of 2026 the notice stays at 09:00 local time, so its UTC hour moves."""
    times = fire_times(
        monthly(NEW_YORK), datetime(2026, 1, 1, tzinfo=NEW_YORK), datetime(2026, 12, 31, tzinfo=NEW_YORK)
    )
    assert len(times) == 12
    assert {t.astimezone(NEW_YORK).time() for t in times} == {time(9, 0)}
    assert [t.astimezone(UTC).hour for t in times] == [14, 14, 13, 13, 13, 13, 13, 13, 13, 13, 14, 14]


def test_a_time_the_clocks_skip_fires_once_later() -> None:
    """02:30 does not exist in Berlin on 29 March 2026: the job runs once, at 03:30 summer time."""
    daily = DailyTrigger(BERLIN, time(2, 30))
    times = fire_times(daily, datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN), datetime(2026, 3, 30, 12, 0, tzinfo=BERLIN))
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ]


def test_a_time_that_happens_twice_fires_once() -> None:
    """02:30 happens twice in Berlin on 25 October 2026: the job runs once, at the first one."""
    daily = DailyTrigger(BERLIN, time(2, 30))
    times = fire_times(
        daily, datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN), datetime(2026, 10, 26, 12, 0, tzinfo=BERLIN)
    )
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_every_quarter_hour_through_the_long_night() -> None:
    """On the 25-hour day of the autumn change a 15-minute job runs 100 times, always moving forward."""
    every = EveryTrigger(BERLIN, 15)
    start = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    times = fire_times(every, start, datetime(2026, 10, 26, 0, 0, tzinfo=BERLIN))
    assert len(times) == 100
    assert all(a < b for a, b in pairwise(times))


def test_fire_times_refuse_a_time_without_a_zone() -> None:
    """Asking for fire times between naive datetimes is refused: they could mean any moment."""
    with pytest.raises(ValueError, match="without a zone"):
        fire_times(monthly(SHANGHAI), datetime(2026, 11, 1), datetime(2026, 12, 1))  # noqa: DTZ001  # the point of the test


async def test_live_schedule_knows_the_next_notice(sqlite_url: str) -> None:
    """The live scheduler, given the community's jobs, has the next notice at 09:00 on the 26th, Shanghai time."""
    clock = VirtualClock(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI))
    app = App(database_url=sqlite_url, configs=[make_config()], clock=clock, transports={"console": MemoryTransport()})
    await app.open()
    schedule = LiveSchedule(app.jobs, clock)
    schedule.start()
    try:
        nxt = {name.split(":", 1)[1]: at for name, at in schedule.next_fire_times().items()}
        assert nxt["monthly_notice"] is not None
        assert nxt["monthly_notice"].astimezone(SHANGHAI).date() >= date(2026, 11, 26)
        assert nxt["monthly_notice"].astimezone(SHANGHAI).day == 26
        assert nxt["monthly_notice"].astimezone(SHANGHAI).time() == time(9, 0)
        jobs = {job.id.split(":", 1)[1]: job for job in schedule.scheduler.get_jobs()}
        assert jobs["monthly_notice"].coalesce is True and jobs["monthly_notice"].max_instances == 1
        assert jobs["monthly_notice"].misfire_grace_time == 2 * 24 * 3600
    finally:
        schedule.shutdown()
        await app.close()
