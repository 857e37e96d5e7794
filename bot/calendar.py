"""The community's calendar: which days are exchange days. Pure functions of the configuration."""

from __future__ import annotations

from datetime import date, timedelta

from bot.config import ExchangeSection


def is_exchange_day(exchange: ExchangeSection, day: date) -> bool:
    """An exchange day: the configured day of a configured month, or one of the extra dates."""
    return (day.month in exchange.months and day.day == exchange.day) or day in exchange.dates


def exchange_days(exchange: ExchangeSection, first: date, last: date) -> list[date]:
    """Every exchange day from `first` to `last`, both included, in order."""
    found = {d for d in exchange.dates if first <= d <= last}
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        if month in exchange.months:
            candidate = date(year, month, exchange.day)
            if first <= candidate <= last:
                found.add(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(found)


def next_exchange_day(exchange: ExchangeSection, today: date) -> date | None:
    """The first exchange day on or after `today` within the coming two years, if any."""
    upcoming = exchange_days(exchange, today, today + timedelta(days=731))
    return upcoming[0] if upcoming else None
