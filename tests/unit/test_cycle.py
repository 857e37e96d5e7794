"""The cycle's pure rules: which period a notice publishes, masked names, rankings with ties and stars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cycle import (
    Tally,
    by_household,
    days_later,
    last_ended_period,
    local_at,
    mask_name,
    points_year,
    rank,
    stars_for,
)
from bot.rules import CommunityRules

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = CommunityRules(tz=SHANGHAI)


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张*丰"), ("张三", "张*"), ("欧阳小明", "欧**明"), ("王", "*"), ("Alice", "A***e"), (" 李四 ", "李*")],
)
def test_names_are_masked(name: str, masked: str) -> None:
    """Public notices keep the first and last character of a name (two-character names: the first)."""
    assert mask_name(name) == masked


def test_the_notice_on_the_26th_publishes_the_period_that_just_ended() -> None:
    """At 09:00 on 26 November the notice is for 26 October – 25 November (period 2026-11)."""
    period = last_ended_period(at("2026-11-26 09:00"), RULES)
    assert period.label == "2026-11"
    assert period.start == at("2026-10-26 00:00") and period.last_day.isoformat() == "2026-11-25"


def test_calendar_month_periods() -> None:
    """With periods starting on the 1st, a notice on 3 January publishes December."""
    rules = CommunityRules(tz=SHANGHAI, period_start_day=1)
    assert last_ended_period(at("2027-01-03 09:00"), rules).label == "2026-12"


@pytest.mark.parametrize(
    ("moment", "year"),
    [("2026-12-31 10:00", 2026), ("2027-01-10 10:00", 2026), ("2027-03-01 10:00", 2026), ("2026-12-20 10:00", 2025)],
)
def test_points_year_is_the_last_complete_one(moment: str, year: int) -> None:
    """The annual ranking counts the year whose December period ended most recently."""
    assert points_year(at(moment), RULES) == year


def test_window_ends_at_the_same_local_time_across_daylight_saving() -> None:
    """Three days after 09:00 on 30 October in New York is 09:00 on 2 November, 73 hours later."""
    new_york = ZoneInfo("America/New_York")
    start = at("2026-10-30 09:00", new_york)
    end = days_later(start, 3, new_york)
    assert end.astimezone(new_york).time() == time(9, 0)
    assert (end - start.astimezone(UTC)).total_seconds() == 73 * 3600


def test_local_at_is_utc() -> None:
    """Moments computed from the local calendar are UTC, so they compare correctly across zone changes."""
    assert local_at(date(2026, 11, 26), time(9, 0), SHANGHAI) == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def test_stars_from_thresholds() -> None:
    """Each threshold reached is one star."""
    assert [stars_for(p, [20, 50, 100]) for p in (0, 19, 20, 49, 50, 100, 999)] == [0, 0, 1, 1, 2, 3, 3]


def test_ties_share_a_place_and_are_listed_by_door_number() -> None:
    """Equal points share a rank (1, 2, 2, 4); within a tie, door numbers in reading order."""
    tallies = [
        Tally("10-1-101", "10-1-101", ("甲",), 30),
        Tally("3-2-501", "3-2-501", ("乙",), 30),
        Tally("1-1-101", "1-1-101", ("丙",), 50),
        Tally("#7", "", ("丁",), 10),
        Tally("2-1-101", "2-1-101", ("戊",), 0),
    ]
    standings = rank(tallies, [20, 50])
    assert [(s.rank, s.tally.key, s.stars) for s in standings] == [
        (1, "1-1-101", 2),
        (2, "3-2-501", 1),
        (2, "10-1-101", 1),
        (4, "#7", 0),
    ]


@given(st.lists(st.tuples(st.sampled_from(["1-1-101", "2-1-101", "10-1-1", "3-3-3", ""]), st.integers(-5, 60))))
def test_ranking_does_not_depend_on_input_order(items: list[tuple[str, int]]) -> None:
    """The same tallies in any order give the same ranking, and places never decrease down the list."""
    tallies = [Tally(f"{label}#{i}", label, (f"n{i}",), points) for i, (label, points) in enumerate(items)]
    forward, backward = rank(tallies, [10, 30]), rank(list(reversed(tallies)), [10, 30])
    assert forward == backward
    assert all(a.rank <= b.rank and a.tally.points >= b.tally.points for a, b in pairwise(forward))
    assert all(s.tally.points > 0 for s in forward)


def test_households_in_door_number_order() -> None:
    """3-2-501 comes before 10-1-101; residents without a household come last."""
    order = by_household(
        [
            Tally("#1", "", ("无",), 1),
            Tally("10-1-101", "10-1-101", ("甲",), 1),
            Tally("3-2-501", "3-2-501", ("乙",), 1),
        ]
    )
    assert [t.key for t in order] == ["3-2-501", "10-1-101", "#1"]


def test_exchange_announcement_names_the_catalogue() -> None:
    """An exchange-day announcement lists what can be had and for how many points, counting what it leaves out."""
    from bot.i18n import Translator
    from bot.notices import CATALOGUE_ITEMS, catalogue_text
    from store.shop import Product

    t = Translator("zh_CN")
    items = [Product(i, f"P{i:02d}", f"商品{i}", 10 + i, "goods", "个", 0, 0, True) for i in range(CATALOGUE_ITEMS + 3)]
    text = catalogue_text(t, items)
    assert text.startswith("可以兑换：商品0 10分/个、商品1 11分/个")
    assert f"商品{CATALOGUE_ITEMS - 1}" in text and f"商品{CATALOGUE_ITEMS}" not in text
    assert "，另有 3 样" in text
    assert catalogue_text(t, []) == ""
