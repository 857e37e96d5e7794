"""Exchange days from the community's configuration."""

from __future__ import annotations

from datetime import date

from bot.calendar import exchange_days, is_exchange_day, next_exchange_day
from bot.config import ExchangeSection


def test_quarterly_by_default() -> None:
    """By default the 28th of March, June, September and December are exchange days."""
    exchange = ExchangeSection()
    assert exchange_days(exchange, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 3, 28),
        date(2026, 6, 28),
        date(2026, 9, 28),
        date(2026, 12, 28),
    ]
    assert is_exchange_day(exchange, date(2026, 12, 28))
    assert not is_exchange_day(exchange, date(2026, 11, 28))


def test_extra_dates_and_no_months() -> None:
    """Extra dates count as exchange days, also when no months are configured; the next one is found."""
    exchange = ExchangeSection(months=[], dates=[date(2026, 10, 26), date(2027, 1, 26)])
    assert exchange_days(exchange, date(2026, 1, 1), date(2027, 12, 31)) == [date(2026, 10, 26), date(2027, 1, 26)]
    assert next_exchange_day(exchange, date(2026, 10, 27)) == date(2027, 1, 26)
    assert next_exchange_day(exchange, date(2027, 1, 27)) is None


def test_year_boundary() -> None:
    """Listing across the new year keeps the order."""
    exchange = ExchangeSection(months=[1, 12], day=5)
    assert exchange_days(exchange, date(2026, 12, 1), date(2027, 1, 31)) == [date(2026, 12, 5), date(2027, 1, 5)]
