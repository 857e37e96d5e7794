"""The monthly cycle as pure rules: when notices fall, which period they publish, masked names, star rankings.

No I/O, no clock: every function here is a function of its arguments, so the scheduler, the handlers and
the tests agree on the calendar by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules import CommunityRules, Period

SCAN_DAYS = 800  # how far ahead a calendar rule is searched: enough for yearly and quarterly days


def local_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `day` in `tz`, as a UTC moment. A time the clocks skip (spring forward) moves forward by the
    gap; a time that happens twice (fall back) means the first of the two. Once a day, never backwards.

    UTC because Python compares two datetimes of the same zone by their wall-clock reading: across the
    autumn change 02:00+01:00 would sort before 02:45+02:00.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)  # fold=0: the offset before any change


def next_on_days(start: datetime, at: time, tz: ZoneInfo, on: Callable[[date], bool]) -> datetime | None:
    """The first moment (UTC) at or after `start` that is `at` local time on a day `on` accepts."""
    start = start.astimezone(UTC)
    first = start.astimezone(tz).date() - timedelta(days=1)  # a shifted gap time may land on the next date
    for offset in range(SCAN_DAYS):
        day = first + timedelta(days=offset)
        if on(day):
            moment = local_at(day, at, tz)
            if moment >= start:
                return moment
    return None


def days_later(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The same local time `days` calendar days later (not 24-hour days: a window opened at 09:00 ends at
    09:00, also across a daylight-saving change)."""
    return (moment.astimezone(tz) + timedelta(days=days)).astimezone(UTC)


# --- which period a notice publishes ------------------------------------------------------------------------


def month_of(label: str) -> int:
    """The month number of a period label: "2026-11" → 11."""
    return int(label[5:])


def previous_period(period: Period, rules: CommunityRules) -> Period:
    return rules.period_of(period.start - timedelta(seconds=1))


def last_ended_period(moment: datetime, rules: CommunityRules) -> Period:
    """The newest period that has ended at `moment`: the one a notice at that moment publishes."""
    return previous_period(rules.period_of(moment), rules)


def points_year(moment: datetime, rules: CommunityRules) -> int:
    """The year whose periods (YYYY-01 … YYYY-12) were complete most recently at `moment`.

    Annual rankings count the periods labelled with the year, so they agree with the monthly notices.
    """
    label = last_ended_period(moment, rules).label
    year = int(label[:4])
    return year if month_of(label) == 12 else year - 1


def running_year(moment: datetime, rules: CommunityRules) -> int:
    """The year of the period running at `moment`: the one a resident's 排名 counts so far."""
    return int(rules.period_of(moment).label[:4])


def year_span(year: int, rules: CommunityRules) -> tuple[datetime, datetime]:
    """First and last moment (exclusive end) of a points year, local time."""
    return rules.period(f"{year:04d}-01").start, rules.period(f"{year:04d}-12").end


# --- names in public ------------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*, 欧阳小明 → 欧**明: enough for neighbours to recognise themselves, not more."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- ranking --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """Points of one household (or of a resident without one) over some span."""

    key: str  # household label, or "#<resident id>" for a resident without a household
    label: str  # what people read: the household label, or "" for none
    names: tuple[str, ...]
    points: int


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    stars: int
    tally: Tally


def stars_for(points: int, thresholds: Sequence[int]) -> int:
    """How many thresholds the points reach: [20, 50, 100] and 60 points give 2 stars."""
    return sum(1 for threshold in thresholds if points >= threshold)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders 3-2-501 before 10-1-101, the way people read door numbers."""
    parts: list[tuple[int, int | str]] = []
    number = ""
    for char in text + "\0":
        if char.isdigit():
            number += char
            continue
        if number:
            parts.append((0, int(number)))
            number = ""
        if char != "\0":
            parts.append((1, char))
    return tuple(parts)


def by_household(tallies: Iterable[Tally]) -> list[Tally]:
    """In the order of door numbers, residents without a household last, by name."""
    return sorted(tallies, key=lambda t: (t.label == "", _natural(t.label), t.names, t.key))


def rank(tallies: Iterable[Tally], thresholds: Sequence[int]) -> list[Standing]:
    """Households with points, best first. Equal points share a rank (1, 2, 2, 4) and are listed by door
    number, so the same numbers always give the same list."""
    ordered = sorted(
        (t for t in tallies if t.points > 0),
        key=lambda t: (-t.points, t.label == "", _natural(t.label), t.names, t.key),
    )
    standings: list[Standing] = []
    for position, tally in enumerate(ordered, start=1):
        same = bool(standings) and standings[-1].tally.points == tally.points
        place = standings[-1].rank if same else position
        standings.append(Standing(place, stars_for(tally.points, thresholds), tally))
    return standings


def place_of(key: str, standings: Sequence[Standing]) -> Standing | None:
    return next((s for s in standings if s.tally.key == key), None)
