"""Reading the dates and times staff type when recording a service after the fact."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import TimeFormatError, parse_span

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 5, 20, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("tokens", "start", "end"),
    [
        (["09:00", "10:30"], "2026-11-05 09:00", "2026-11-05 10:30"),
        (["09:00-10:30"], "2026-11-05 09:00", "2026-11-05 10:30"),
        (["11-03", "9:00", "10:30"], "2026-11-03 09:00", "2026-11-03 10:30"),
        (["11月3日", "9点", "10点半"], "2026-11-03 09:00", "2026-11-03 10:30"),
        (["2026-11-03", "09:00~10:30"], "2026-11-03 09:00", "2026-11-03 10:30"),
        (["昨天", "14:00", "15:00"], "2026-11-04 14:00", "2026-11-04 15:00"),
        (["12-31", "09:00", "10:00"], "2025-12-31 09:00", "2025-12-31 10:00"),  # no year: the last such day
        (["11-03", "22:00", "11-04", "02:00"], "2026-11-03 22:00", "2026-11-04 02:00"),
    ],
)
def test_spans(tokens: list[str], start: str, end: str) -> None:
    """Common ways of writing a date and two times give the intended local span."""
    got_start, got_end = parse_span(tokens, now=NOW, tz=TZ)
    assert got_start == datetime.fromisoformat(start).replace(tzinfo=TZ)
    assert got_end == datetime.fromisoformat(end).replace(tzinfo=TZ)


@pytest.mark.parametrize("tokens", [["09:00"], ["25:00", "26:00"], ["02-30", "09:00", "10:00"], ["下午", "3点"]])
def test_bad_spans(tokens: list[str]) -> None:
    """Missing, impossible or unreadable times are refused, naming what could not be read."""
    with pytest.raises(TimeFormatError):
        parse_span(tokens, now=NOW, tz=TZ)
