"""The commands the bot offers. This list is the one place where handler modules are registered."""

from __future__ import annotations

from bot.commands import Registry
from handlers import (
    balance,
    binding,
    certificate,
    duty,
    groups,
    help,
    households,
    notices,
    objections,
    privacy,
    review,
    rule_items,
    shop,
    staff,
)

MODULES = (
    help,
    duty,
    balance,
    binding,
    review,
    groups,
    rule_items,
    shop,
    households,
    certificate,
    staff,
    privacy,
    notices,
    objections,
)


def registry() -> Registry:
    return Registry.from_modules(MODULES)
