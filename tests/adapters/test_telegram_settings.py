"""POINTSBOT_TELEGRAM__… settings: what the README promises, and bad values refused by name."""

from __future__ import annotations

import pytest

from bot.adapters.telegram_testing import TOKEN
from bot.config import ConfigError, Settings


def test_webhook_settings_come_from_the_environment() -> None:
    """Token, API base and the webhook's URL, secret, host and port are read from POINTSBOT_TELEGRAM__…."""
    settings = Settings.from_env(
        {
            "POINTSBOT_TELEGRAM__TOKEN": TOKEN,
            "POINTSBOT_TELEGRAM__API_BASE": "http://127.0.0.1:8081",
            "POINTSBOT_TELEGRAM__WEBHOOK_URL": "https://bot.example.org/telegram",
            "POINTSBOT_TELEGRAM__WEBHOOK_SECRET": "a-long-enough_secret-123",
            "POINTSBOT_TELEGRAM__WEBHOOK_HOST": "0.0.0.0",
            "POINTSBOT_TELEGRAM__WEBHOOK_PORT": "8443",
        }
    )
    telegram = settings.telegram
    assert telegram is not None and telegram.api_base == "http://127.0.0.1:8081"
    assert (telegram.webhook_url, telegram.webhook_host, telegram.webhook_port) == (
        "https://bot.example.org/telegram",
        "0.0.0.0",
        8443,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("WEBHOOK_SECRET", "short"), ("WEBHOOK_SECRET", "has spaces in it, not allowed"), ("WEBHOOK_URL", "bot.org")],
)
def test_bad_webhook_values_are_refused_by_name(key: str, value: str) -> None:
    """A webhook secret Telegram would refuse, or a URL without its scheme, stops the start naming the variable."""
    with pytest.raises(ConfigError, match=f"POINTSBOT_TELEGRAM__{key}"):
        Settings.from_env({"POINTSBOT_TELEGRAM__TOKEN": TOKEN, f"POINTSBOT_TELEGRAM__{key}": value})
