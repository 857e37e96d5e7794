"""Logs that never carry a secret.

Chat SDKs log request URLs, and a Telegram request URL contains the bot token; an exception from a database
driver may contain the connection URL with its password. The `Redactor` filter sits on the log handlers and
blanks out the secrets the installation was given, anything shaped like a Telegram bot token, and the
password of any URL, in the message, its arguments and any traceback, before a line is written anywhere.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

HIDDEN = "***"
_TELEGRAM_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.I)
_MIN_SECRET = 6  # shorter values would blank out ordinary words


class Redactor(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return without_password(_TELEGRAM_TOKEN.sub(HIDDEN, text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)  # formatters use this text rather than format again
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def without_password(url: str) -> str:
    """A URL fit to print: `postgresql://bot:***@host/db`."""
    return _URL_PASSWORD.sub(rf"\g<head>{HIDDEN}@", url)


def configure(level: int, secrets: Iterable[str], stream: TextIO | None = None) -> logging.Handler:
    """Log to `stream` (standard error) at `level`, through a Redactor that knows the given secrets."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
