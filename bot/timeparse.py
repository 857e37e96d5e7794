"""Reading the dates and times staff type: `09:00`, `9点半`, `11-03`, `11月3日`, `2026-11-03`, `昨天`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2})|点(半|(\d{1,2})分?)?|时)$")
_RANGE = re.compile(r"^(.+?)[-~到至](.+)$")
_DATE_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DATE_SHORT = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
_RELATIVE = {"今天": 0, "today": 0, "昨天": -1, "yesterday": -1, "前天": -2}


class TimeFormatError(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


def parse_time(text: str) -> time:
    match = _TIME.match(text)
    if not match:
        raise TimeFormatError(text)
    hour = int(match.group(1))
    minute = int(match.group(2) or 0)
    if match.group(3) == "半":
        minute = 30
    elif match.group(4):
        minute = int(match.group(4))
    if hour > 23 or minute > 59:
        raise TimeFormatError(text)
    return time(hour, minute)


def parse_date(text: str, *, today: date) -> date:
    """A date; without a year, the most recent such day not after today."""
    if text.lower() in _RELATIVE:
        return today + timedelta(days=_RELATIVE[text.lower()])
    try:
        if match := _DATE_FULL.match(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _DATE_SHORT.match(text):
            candidate = date(today.year, int(match.group(1)), int(match.group(2)))
            return candidate if candidate <= today else candidate.replace(year=today.year - 1)
    except ValueError:
        raise TimeFormatError(text) from None
    raise TimeFormatError(text)


def _time_range(token: str) -> tuple[str, str] | None:
    match = _RANGE.match(token)
    if match and _TIME.match(match.group(1)) and _TIME.match(match.group(2)):
        return match.group(1), match.group(2)
    return None


def looks_like_date_or_time(token: str) -> bool:
    token = unicodedata.normalize("NFKC", token)
    return bool(
        _TIME.match(token)
        or _DATE_FULL.match(token)
        or _DATE_SHORT.match(token)
        or token.lower() in _RELATIVE
        or _time_range(token)
    )


def parse_span(tokens: Sequence[str], *, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """`[date] start end`, `[date] start-end` or `date start date end`, in local time; returned in UTC."""
    today = now.astimezone(tz).date()
    parts: list[str] = []
    for token in (unicodedata.normalize("NFKC", t) for t in tokens):
        pair = _time_range(token)
        parts.extend(pair if pair else (token,))
    day = today
    moments: list[datetime] = []
    for part in parts:
        if _TIME.match(part):
            moments.append(datetime.combine(day, parse_time(part), tzinfo=tz))
        else:
            day = parse_date(part, today=today)
    if len(moments) != 2:
        raise TimeFormatError(" ".join(tokens) or "-")
    start, end = moments
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
