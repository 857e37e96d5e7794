"""The platform-neutral shapes of what comes in and what goes out.

Every adapter turns its platform's events into `Incoming` and sends `Outgoing`; nothing in the core
knows which chat platform a message came from beyond the `platform` string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ChatKind(StrEnum):
    GROUP = "group"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on one platform: a group, or the private chat with one user (then `id` is the user's id)."""

    platform: str
    id: str
    kind: ChatKind
    title: str = ""

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class UserRef:
    """A chat account. `id` is the platform's stable id; `name` is only for display, never identity."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One chat message that reached the bot."""

    platform: str
    chat: ChatRef
    sender: UserRef
    text: str
    message_id: str
    sent_at: datetime  # aware, UTC
    addressed: bool = False  # the platform says the bot was @mentioned


@dataclass(frozen=True, slots=True)
class Image:
    """A picture to post after a text, e.g. the monthly notice table."""

    name: str
    data: bytes
    mime: str = "image/png"


@dataclass(frozen=True, slots=True)
class Action:
    """A one-tap choice offered with a message: pressing it is the same as the presser typing `command`.

    Platforms with buttons (Telegram's inline keyboard) show them; the others leave them out, since the
    message text always says what to type. With `ask` set, pressing first asks the presser this question
    and their answer completes the command (`驳回 12` + the reason). Actions whose commands take the same
    arguments (`通过 12`, `驳回 12`) concern one item: a platform shows them together, and once one of them
    is done the others go too.
    """

    label: str
    command: str
    ask: str = ""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message the bot sends."""

    chat: ChatRef
    text: str
    mentions: tuple[UserRef, ...] = ()
    image: Image | None = None
    actions: tuple[Action, ...] = ()
    refused: bool = False  # the answer says the command was not done (not allowed, wrong arguments, …)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler returns.

    `private` asks for the answer to go to the asker's private chat where the platform allows it; in a
    group the bot then posts `group_note` (or nothing) instead of the answer itself.
    """

    text: str
    private: bool = False
    group_note: str = ""
    image: Image | None = None
    actions: tuple[Action, ...] = ()
