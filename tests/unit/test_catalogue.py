"""The message catalogue: every sentence in both languages, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import handlers
from bot.i18n import LANGUAGES, catalogue, placeholders

ROOT = Path(__file__).resolve().parents[2]
KEY_LITERAL = re.compile(
    r"""(?:\bt|ctx\.t|\.t|Phrase|Error|UsageError|BindingProblem)\(\s*f?["']([a-z_]+(?:\.[a-z_{}\.]+)+)["']"""
)
CLASS_KEY = re.compile(r"""^\s+key = ["']([a-z_.]+)["']""", re.M)


def test_every_key_has_every_language() -> None:
    """No sentence is missing its Chinese or English version."""
    for key, texts in catalogue().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key


def test_languages_use_the_same_placeholders() -> None:
    """Both languages of a sentence take the same values."""
    for key, texts in catalogue().items():
        assert placeholders(texts["zh_CN"]) == placeholders(texts["en"]), key


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for folder in ("bot", "handlers", "store", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            keys.update(KEY_LITERAL.findall(source))
            keys.update(CLASS_KEY.findall(source))
    return keys


def test_every_literal_key_exists() -> None:
    """Every catalogue key written out in the code is in the catalogue (f-string keys are checked by prefix)."""
    known = set(catalogue())
    for key in sorted(_used_keys()):
        if "{" in key:
            prefix = key.split("{")[0]
            assert any(k.startswith(prefix) for k in known), key
        else:
            assert key in known, key


@pytest.mark.parametrize("part", ["usage", "summary", "example"])
def test_every_command_has_help(part: str) -> None:
    """Each command has a usage line, a summary and an example in the catalogue."""
    for spec in handlers.registry().commands:
        assert f"cmd.{spec.name}.{part}" in catalogue(), spec.name
