"""Flood limits: how much one chat account, and one group, may ask of the bot.

A person who sends the same command ten times because the network is slow gets one answer: once a command has
been carried out, the same words sent again straight after it, by the same account in the same chat, are
ignored for a while. A command that was refused may be sent again at once, and so may one the person sent
something else in between: something may have changed (the group was registered, a private chat opened).
Someone who sends many commands quickly gets answers until their allowance runs out, then one "slow down" and
silence for a while; a group that floods the bot is treated the same way. Everything is kept in memory
and measured on the bot's clock, so a virtual clock makes it exact in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.messages import Incoming
from scheduler.clock import Clock


@dataclass(frozen=True, slots=True)
class FloodLimits:
    user_burst: int = 8  # commands one account may send back to back
    user_refill: float = 4.0  # seconds until one more is allowed
    group_burst: int = 30  # commands one group may send back to back
    group_refill: float = 1.0
    cooldown: float = 60.0  # seconds of silence once an allowance has run out
    repeat_window: float = 30.0  # a command carried out and sent again straight after, within this: ignored


class Verdict(Enum):
    PASS = "pass"
    SLOW_DOWN_USER = "slow_down_user"  # answer once that this person should slow down
    SLOW_DOWN_GROUP = "slow_down_group"  # answer once that this group should slow down
    IGNORE = "ignore"


@dataclass(slots=True)
class _Allowance:
    """A token bucket that, once empty, stays shut for a cooldown."""

    tokens: float
    at: float
    shut_until: float = 0.0

    def refill(self, now: float, burst: int, refill: float) -> None:
        self.tokens = min(float(burst), self.tokens + (now - self.at) / refill)
        self.at = now


@dataclass(slots=True)
class _Latest:
    """An account's latest command that was let through."""

    chat: str
    command: str
    at: float
    carried_out: bool = False

    def repeated_by(self, chat: str, command: str, now: float, window: float) -> bool:
        return self.carried_out and (self.chat, self.command) == (chat, command) and now - self.at < window


def _allowance(
    table: dict[tuple[str, str], _Allowance], key: tuple[str, str], now: float, burst: int, refill: float
) -> _Allowance:
    allowance = table.get(key)
    if allowance is None:
        allowance = table[key] = _Allowance(tokens=float(burst), at=now)
    elif now >= allowance.at:
        allowance.refill(now, burst, refill)
    return allowance


class FloodGuard:
    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._users: dict[tuple[str, str], _Allowance] = {}
        self._groups: dict[tuple[str, str], _Allowance] = {}
        self._latest: dict[tuple[str, str], _Latest] = {}  # (platform, user) -> the account's latest command
        self._checks = 0

    def check(self, msg: Incoming, command: str) -> Verdict:
        """Whether to handle this command (`command` is its normalised text, to recognise repeats)."""
        limits = self.limits
        now = self.clock.now().timestamp()
        self._prune(now)
        latest = self._latest.get((msg.platform, msg.sender.id))
        if latest is not None and latest.repeated_by(msg.chat.id, command, now, limits.repeat_window):
            return Verdict.IGNORE
        user = _allowance(self._users, (msg.platform, msg.sender.id), now, limits.user_burst, limits.user_refill)
        group = None
        if not msg.chat.is_private:
            group = _allowance(self._groups, (msg.platform, msg.chat.id), now, limits.group_burst, limits.group_refill)
        checks = (
            (user, limits.user_burst, Verdict.SLOW_DOWN_USER),
            (group, limits.group_burst, Verdict.SLOW_DOWN_GROUP),
        )
        for allowance, burst, verdict in checks:
            if allowance is None:
                continue
            if now < allowance.shut_until:
                return Verdict.IGNORE
            if allowance.tokens < 1:
                allowance.shut_until = now + limits.cooldown
                allowance.tokens, allowance.at = float(burst), allowance.shut_until  # full again after it
                return verdict
        user.tokens -= 1
        if group is not None:
            group.tokens -= 1
        self._latest[(msg.platform, msg.sender.id)] = _Latest(msg.chat.id, command, now)
        return Verdict.PASS

    def carried_out(self, msg: Incoming, command: str) -> None:
        """The command was carried out (not refused): the same words straight after are a repeat."""
        latest = self._latest.get((msg.platform, msg.sender.id))
        if latest is not None and (latest.chat, latest.command) == (msg.chat.id, command):
            latest.carried_out = True

    def _prune(self, now: float) -> None:
        """Forget people and groups that have been quiet long enough to be back at a full allowance."""
        self._checks += 1
        if self._checks % 1000:
            return
        limits = self.limits
        quiet = limits.cooldown + max(limits.user_burst * limits.user_refill, limits.group_burst * limits.group_refill)
        for table in (self._users, self._groups):
            for key in [k for k, a in table.items() if now - max(a.at, a.shut_until) > quiet]:
                del table[key]
        for speaker in [k for k, latest in self._latest.items() if now - latest.at > limits.repeat_window]:
            del self._latest[speaker]
