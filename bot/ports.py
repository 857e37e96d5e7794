"""What the core needs from a chat platform. Each adapter implements `Transport`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import Outgoing


@dataclass(frozen=True, slots=True)
class RateLimits:
    """How fast a platform lets one bot account send. 0 means no limit."""

    per_chat_interval: float = 0.0  # seconds between two messages to the same chat
    overall_interval: float = 0.0  # seconds between any two messages
    per_chat_burst: int = 1  # messages a chat may receive back to back before the interval applies


class SendError(Exception):
    """Sending failed. `retry_after` set: try again later; unset: give up on this message."""

    def __init__(self, reason: str, *, retry_after: float | None = None, chat_gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.chat_gone = chat_gone  # the bot was removed from the chat, or it no longer exists


class Transport(Protocol):
    """A chat platform. Optional attributes the core reads when present: `bot_names` (more names people
    @mention the bot by) and `ids_may_change` (True on WeChat: a person's id may change when the bot's
    account logs in again, so an unbound account that carries a bound resident's name is offered to staff
    as that resident's new account)."""

    platform: str
    limits: RateLimits

    async def send(self, message: Outgoing) -> None:
        """Deliver one message; raise SendError when the platform refuses it."""

    async def can_reach_privately(self, user_id: str) -> bool:
        """Whether the bot may start a private chat with this user now."""
