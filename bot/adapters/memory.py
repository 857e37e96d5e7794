"""An in-memory transport: records what the bot sends. For tests, benchmarks and transcripts."""

from __future__ import annotations

from collections.abc import Iterable

from bot.messages import Outgoing
from bot.ports import RateLimits, SendError


class MemoryTransport:
    def __init__(
        self,
        platform: str = "console",
        *,
        reachable: Iterable[str] | None = None,
        limits: RateLimits | None = None,
    ) -> None:
        self.platform = platform
        self.limits = limits or RateLimits()
        self.sent: list[Outgoing] = []
        self.reachable = None if reachable is None else set(reachable)  # None: everyone
        self.failures: dict[str, SendError] = {}  # chat id -> error to raise on the next send there

    async def send(self, message: Outgoing) -> None:
        error = self.failures.pop(message.chat.id, None)
        if error is not None:
            raise error
        self.sent.append(message)

    async def can_reach_privately(self, user_id: str) -> bool:
        return self.reachable is None or user_id in self.reachable

    def take(self) -> list[Outgoing]:
        """What was sent since the last call."""
        sent, self.sent = self.sent, []
        return sent
