"""The message catalogue: every sentence a person reads, in Chinese and English.

Sentences live in `bot/locales/*.toml`, one file per area, each key holding both languages side by side:

    [duty.checked_in]
    zh_CN = "{name} 签到成功，开始时间 {start}。"
    en = "{name} checked in at {start}."

Datetimes passed as values are shown in the community's time zone.
"""

from __future__ import annotations

import datetime as dt
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("zh_CN", "en")


@cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """All keys of all locale files: key -> language -> template."""
    entries: dict[str, dict[str, str]] = {}
    for file in sorted(resources.files("bot.locales").iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".toml"):
            continue
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        _flatten(data, "", entries, file.name)
    return entries


def _flatten(node: Mapping[str, Any], prefix: str, out: dict[str, dict[str, str]], source: str) -> None:
    if any(lang in node for lang in LANGUAGES):
        if prefix in out:
            raise ValueError(f"{source}: message key {prefix!r} is defined twice")
        out[prefix] = {lang: str(text) for lang, text in node.items()}
        return
    for key, value in node.items():
        if not isinstance(value, Mapping):
            raise ValueError(f"{source}: {prefix}{key} must be a table of languages")
        _flatten(value, f"{prefix}.{key}" if prefix else key, out, source)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A sentence still to be rendered: lets a domain error carry words without knowing the language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Translator:
    """Renders catalogue sentences for one language and time zone."""

    def __init__(self, language: str = "zh_CN", tz: ZoneInfo | None = None) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
        self.language = language
        self.tz = tz or ZoneInfo("Asia/Shanghai")

    def __call__(self, key: str, /, **params: Any) -> str:
        template = catalogue()[key][self.language]
        return template.format(**{name: self.show(value) for name, value in params.items()})

    def has(self, key: str) -> bool:
        return key in catalogue()

    def show(self, value: Any) -> str:
        if isinstance(value, Phrase):
            return self(value.key, **value.params)
        if isinstance(value, dt.datetime):
            return self.datetime(value)
        if isinstance(value, dt.date):
            return self.date(value)
        return str(value)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def datetime(self, moment: dt.datetime) -> str:
        local = self.local(moment)
        if self.language == "zh_CN":
            return f"{local.month}月{local.day}日 {local:%H:%M}"
        return f"{local:%b} {local.day}, {local:%H:%M}"

    def time(self, moment: dt.datetime) -> str:
        return f"{self.local(moment):%H:%M}"

    def date(self, day: dt.date | dt.datetime) -> str:
        if isinstance(day, dt.datetime):
            day = self.local(day).date()
        if self.language == "zh_CN":
            return f"{day.year}年{day.month}月{day.day}日"
        return f"{day:%b} {day.day}, {day.year}"

    def short_date(self, day: dt.date | dt.datetime) -> str:
        if isinstance(day, dt.datetime):
            day = self.local(day).date()
        if self.language == "zh_CN":
            return f"{day.month}月{day.day}日"
        return f"{day:%b} {day.day}"

    def points(self, value: int) -> str:
        return f"{value:+d}" if value else "0"
