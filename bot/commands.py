"""Commands: what a person can type, who may type it, and the handler that answers.

Handlers declare themselves with `@command(...)` next to their code; `handlers/__init__.py` is the one
explicit place that lists the modules whose commands the bot offers. Usage lines, examples and one-line
summaries live in the message catalogue under `cmd.<name>.*`, in both languages.
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from bot.i18n import Translator
from bot.messages import Incoming, Reply
from bot.roles import EVERYONE_BOUND, Role
from bot.rules import CommunityRules

if TYPE_CHECKING:
    from bot.config import CommunityConfig
    from store.db import Tx
    from store.groups import Group
    from store.residents import Actor


@dataclass(frozen=True, slots=True)
class Community:
    """A community as the running bot knows it: its row id, its configuration, its rules and language."""

    id: int
    config: CommunityConfig
    rules: CommunityRules
    t: Translator

    @property
    def name(self) -> str:
        return self.config.community.name

    @property
    def bot_name(self) -> str:
        return self.config.community.bot_name


@dataclass(slots=True)
class Context:
    """Everything a handler may use. The transaction commits after the handler returns."""

    tx: Tx
    community: Community
    actor: Actor | None
    group: Group | None
    args: tuple[str, ...]
    rest: str
    now: datetime
    command: Command
    registry: Registry
    rng: random.Random = field(default_factory=random.SystemRandom)  # secrets; tests and transcripts seed one

    @property
    def t(self) -> Translator:
        return self.community.t

    @property
    def rules(self) -> CommunityRules:
        return self.community.rules

    def me(self) -> Actor:
        """The bound actor; the dispatcher guarantees one for commands that need binding."""
        assert self.actor is not None
        return self.actor


class Handler(Protocol):
    def __call__(self, msg: Incoming, ctx: Context, /) -> Awaitable[Reply]: ...


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    handler: Handler
    roles: frozenset[Role]  # any one of these allows it; empty: anyone, bound or not
    before_registration: bool = False  # usable in a group that is not registered yet (help, registration)
    private_only: bool = False  # its answer names residents or carries a secret: never in a group
    heavy: bool = False  # reads a whole community or draws a picture: the database works off the event loop

    @property
    def needs_binding(self) -> bool:
        return bool(self.roles)

    @property
    def offloaded(self) -> bool:
        """Staff commands list and sum across the community; residents' commands touch their own rows."""
        return self.heavy or self.staff_only

    @property
    def staff_only(self) -> bool:
        return bool(self.roles) and not (self.roles & EVERYONE_BOUND)

    def allows(self, roles: Iterable[Role]) -> bool:
        return not self.roles or bool(self.roles & set(roles))


_SPEC = "__pointsbot_command__"


def command(
    name: str,
    *aliases: str,
    roles: Iterable[Role] = EVERYONE_BOUND,
    before_registration: bool = False,
    private_only: bool = False,
    heavy: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a handler as a command. `roles=()` opens it to everyone, bound or not; `private_only` refuses
    it in groups before the handler runs; `heavy` marks a resident's command that reads the whole community."""

    def decorate(handler: Handler) -> Handler:
        spec = Command(
            name=name,
            aliases=tuple(a.lower() for a in (*aliases, name)),
            handler=handler,
            roles=frozenset(roles),
            before_registration=before_registration,
            private_only=private_only,
            heavy=heavy,
        )
        setattr(handler, _SPEC, spec)
        return handler

    return decorate


@dataclass(slots=True)
class Registry:
    commands: list[Command] = field(default_factory=list)
    _by_word: dict[str, Command] = field(default_factory=dict)

    @classmethod
    def from_modules(cls, modules: Sequence[ModuleType]) -> Registry:
        registry = cls()
        for module in modules:
            for value in vars(module).values():
                spec = getattr(value, _SPEC, None)
                if isinstance(spec, Command):
                    registry.add(spec)
        return registry

    def add(self, spec: Command) -> None:
        for word in spec.aliases:
            if word in self._by_word and self._by_word[word] is not spec:
                raise ValueError(f"command word {word!r} is used by both {self._by_word[word].name} and {spec.name}")
            self._by_word[word] = spec
        self.commands.append(spec)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self._by_word)

    def find(self, word: str) -> Command | None:
        return self._by_word.get(word.lower())

    def get(self, name: str) -> Command:
        for spec in self.commands:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def suggest(self, word: str, roles: Iterable[Role]) -> list[Command]:
        """Commands whose words look like `word`, among those the person may use."""
        allowed = {w: c for w, c in self._by_word.items() if c.allows(roles)}
        close = difflib.get_close_matches(word.lower(), list(allowed), n=3, cutoff=0.5)
        if not close:  # Chinese words are short: also try "contains one another"
            close = [w for w in allowed if len(word) >= 1 and (word in w or w in word)][:3]
        found: list[Command] = []
        for w in close:
            if allowed[w] not in found:
                found.append(allowed[w])
        return found

    def usable_by(self, roles: Iterable[Role]) -> list[Command]:
        return [c for c in self.commands if c.allows(roles)]


def command_table(registry: Registry) -> str:
    """The command and permission table, as Markdown, from the registry itself (the README prints it)."""
    zh, en = Translator("zh_CN"), Translator("en")
    rows = ["| 命令 | command | who may use it | what it does |", "| --- | --- | --- | --- |"]
    for spec in registry.commands:
        if not spec.roles:
            who = "anyone"
        elif spec.roles & EVERYONE_BOUND:
            who = "any bound resident"
        else:
            who = ", ".join(sorted(role.value for role in spec.roles))
        if spec.private_only:
            who += ", in a private chat"
        cells = [
            f"`{zh(f'cmd.{spec.name}.usage')}`",
            f"`{en(f'cmd.{spec.name}.usage')}`",
            who,
            f"{zh(f'cmd.{spec.name}.summary')} / {en(f'cmd.{spec.name}.summary')}",
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)
