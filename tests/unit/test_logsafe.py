"""Secrets never reach a log line or an error message."""

from __future__ import annotations

import io
import logging

import pytest

from bot.config import ConfigError, Settings
from bot.logsafe import Redactor, configure, without_password

TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123"
GATEWAY = "puppet-token-4f1c2e9a"
ENV = {
    "POINTSBOT_TELEGRAM__TOKEN": TOKEN,
    "POINTSBOT_TELEGRAM__WEBHOOK_SECRET": "hook_secret_77_abcdef",
    "POINTSBOT_WECHATY__ENDPOINT": "127.0.0.1:8788",
    "POINTSBOT_WECHATY__TOKEN": GATEWAY,
    "POINTSBOT_DATABASE_URL": "postgresql+asyncpg://bot:db-pass-123@127.0.0.1/points",
}


@pytest.fixture
def logged() -> tuple[io.StringIO, logging.Logger]:
    """Logging configured as the bot configures it, writing into a buffer."""
    stream = io.StringIO()
    handler = configure(logging.DEBUG, Settings.from_env(ENV).secrets(), stream)
    yield stream, logging.getLogger("aiogram.session")  # type: ignore[misc]
    logging.getLogger().removeHandler(handler)


def test_settings_know_their_secrets() -> None:
    """Every token and the database password are the installation's secrets."""
    assert set(Settings.from_env(ENV).secrets()) == {TOKEN, "hook_secret_77_abcdef", GATEWAY, "db-pass-123"}


def test_messages_and_arguments_are_redacted(logged: tuple[io.StringIO, logging.Logger]) -> None:
    """A request URL with the bot token, a gateway token as an argument, a password in a URL: all blanked."""
    stream, log = logged
    log.info("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.warning("gateway %s refused token %r", "127.0.0.1:8788", GATEWAY)
    log.error("cannot connect to postgresql+asyncpg://bot:db-pass-123@127.0.0.1/points")
    out = stream.getvalue()
    assert TOKEN not in out and GATEWAY not in out and "db-pass-123" not in out
    assert "bot***/getUpdates" in out and "bot:***@127.0.0.1" in out and out.count("***") == 3


def test_tracebacks_are_redacted(logged: tuple[io.StringIO, logging.Logger]) -> None:
    """An exception whose text carries a secret is logged with the secret blanked."""
    stream, log = logged
    try:
        raise RuntimeError(f"401 Unauthorized for https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("sending failed")
    out = stream.getvalue()
    assert "RuntimeError: 401 Unauthorized" in out and TOKEN not in out


def test_unknown_telegram_tokens_are_redacted_by_shape() -> None:
    """A token the bot was not given (another bot's, pasted somewhere) is still recognised and blanked."""
    other = "987654321:ZZZyxwvutsrqponmlkjihgfedcba98765"
    assert Redactor().redact(f"url /bot{other}/getMe") == "url /bot***/getMe"


def test_short_or_empty_secrets_do_not_blank_ordinary_words() -> None:
    """A secret too short to be real does not turn every "bot" into stars."""
    assert Redactor(["", "bot"]).redact("the bot answered") == "the bot answered"


def test_printed_database_urls_hide_the_password() -> None:
    """The URL the console prints at start shows the user and host, never the password."""
    assert without_password("postgresql+asyncpg://bot:s3cret@db/points") == "postgresql+asyncpg://bot:***@db/points"
    assert (
        without_password("sqlite+aiosqlite:///data/pointsbot.sqlite3") == "sqlite+aiosqlite:///data/pointsbot.sqlite3"
    )


def test_config_errors_never_echo_the_token() -> None:
    """A malformed token is refused with what is expected, without repeating the value."""
    bad = "1234:shortbutsecretvalue"
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"POINTSBOT_TELEGRAM__TOKEN": bad})
    assert "POINTSBOT_TELEGRAM__TOKEN" in str(refused.value) and bad not in str(refused.value)
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"POINTSBOT_WECHATY__TOKEN": GATEWAY})  # the endpoint is missing
    assert GATEWAY not in str(refused.value)
