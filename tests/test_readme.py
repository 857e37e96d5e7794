"""The README tells the truth about the commands and the Quick start."""

from __future__ import annotations

import re
from pathlib import Path

import handlers
from bot.commands import command_table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_command_table_matches_the_code() -> None:
    """The README's command and permission table is exactly the one the registry prints."""
    assert command_table(handlers.registry()) in README


def test_quick_start_is_two_commands() -> None:
    """The Quick start shows exactly `make demo` and `make test`."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)", section, re.M)
    assert commands == ["make demo", "make test"]
