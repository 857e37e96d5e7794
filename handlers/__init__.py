"""The commands the bot offers. This list is the one place where handler modules are registered."""

from __future__ import annotations

from bot.commands import Registry
from handlers import balance, binding, duty, groups, help, review

MODULES = (help, duty, balance, binding, review, groups)


def registry() -> Registry:
    return Registry.from_modules(MODULES)
