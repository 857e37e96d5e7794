"""The schedule in community.toml: bad input is refused at start with the file, the key and what is expected."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.config import SAMPLE_CONFIG, ConfigError, load_community
from bot.replay import replay

HEAD = '[community]\nname = "测试社区"\n\n[[groups]]\nname = "志愿者群"\n\n'


def _refused(tmp_path: Path, body: str) -> str:
    path = tmp_path / "community.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_community(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid configuration")
    return message


def test_defaults_follow_the_seeds() -> None:
    """Without a [schedule], the notice is on the period's start day at 09:00 with 3 days to object."""
    config = load_community(SAMPLE_CONFIG)
    assert config.notice_day == 26
    assert config.schedule.notice.time == time(9, 0) and config.schedule.notice.objection_days == 3
    assert config.schedule.catch_up_days == 2
    assert config.schedule.weekly.day == "mon" and config.schedule.weekly.time == time(8, 30)


def test_notice_day_31_is_refused(tmp_path: Path) -> None:
    """A notice on the 31st would skip February (and four other months): only 1–28 is accepted."""
    message = _refused(tmp_path, "[schedule.notice]\nday = 31\n")
    assert "[schedule.notice] day: a day of the month from 1 to 28" in message
    assert "February has no day 31" in message and "(got 31)" in message


def test_a_time_without_a_zone_is_refused(tmp_path: Path) -> None:
    """A date-time without a zone where a time of day belongs could mean any moment: refused."""
    message = _refused(tmp_path, "[schedule.notice]\ntime = 2026-11-26T09:00:00\n")
    assert '[schedule.notice] time: a time of day like "09:00"' in message
    assert "without a zone could mean any moment" in message


def test_a_date_time_among_exchange_dates_is_refused(tmp_path: Path) -> None:
    """An exchange day written with a time and no zone is refused: the day is what counts."""
    message = _refused(tmp_path, "[exchange]\ndates = [2026-12-20T09:00:00]\n")
    assert "[exchange] dates.0: a date like 2026-12-20" in message


@pytest.mark.parametrize("value", ['"9点"', '"25:00"', '"9:5"'])
def test_an_unreadable_time_is_refused(tmp_path: Path, value: str) -> None:
    """Times are written like "09:00"."""
    assert '[exchange] announce_time: a time of day like "09:00"' in _refused(
        tmp_path, f"[exchange]\nannounce_time = {value}\n"
    )


def test_an_unknown_group_in_a_reminder_is_refused(tmp_path: Path) -> None:
    """A reminder may only name groups the file lists; the message lists them."""
    message = _refused(tmp_path, '[[schedule.reminders]]\ntime = "09:15"\ntext = "集合"\ngroups = ["值班群"]\n')
    assert "[[schedule.reminders]] #1 groups: no group named '值班群' in [[groups]]" in message
    assert "志愿者群" in message


def test_a_ranking_date_missing_from_some_years_is_refused(tmp_path: Path) -> None:
    """02-29 exists one year in four: refused like 02-30."""
    assert "[schedule.ranking] date:" in _refused(tmp_path, '[schedule.ranking]\ndate = "02-29"\n')


def test_star_thresholds_must_increase(tmp_path: Path) -> None:
    """Star levels are thresholds in increasing order."""
    assert "[schedule.ranking] stars:" in _refused(tmp_path, "[schedule.ranking]\nstars = [50, 20]\n")


def test_an_unknown_weekday_is_refused(tmp_path: Path) -> None:
    """Weekdays are written mon … sun."""
    message = _refused(tmp_path, '[schedule.weekly]\nday = "monday"\n')
    assert "[schedule.weekly] day:" in message and "'mon'" in message


async def test_an_exchange_date_in_the_past_is_refused_at_start(tmp_path: Path) -> None:
    """An extra exchange day already past when it first appears stops the bot, naming the file and the date;
    a date accepted while it was coming does not stop a later restart once it has passed."""
    path = tmp_path / "community.toml"
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    path.write_text(HEAD + "[exchange]\ndates = [2026-10-26, 2026-12-20]\n", encoding="utf-8")
    config = load_community(path)
    assert config.exchange.dates == [date(2026, 10, 26), date(2026, 12, 20)]
    with pytest.raises(ConfigError) as caught:
        await replay("@2026-11-03 09:00\n", config=config, database_url=database)
    assert str(caught.value) == (
        f"{path}: invalid configuration\n"
        "  [exchange] dates: 2026-10-26 is already past (today is 2026-11-03); remove it, or write a coming date"
    )
    path.write_text(HEAD + "[exchange]\ndates = [2026-12-20]\n", encoding="utf-8")
    await replay("@2026-11-03 09:00\n", config=load_community(path), database_url=database, emit=lambda _: None)
    await replay("@2027-01-10 09:00\n", config=load_community(path), database_url=database, emit=lambda _: None)
