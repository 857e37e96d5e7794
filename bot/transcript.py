"""Transcripts: conversations written as text, replayed through the real bot on a virtual clock.

    # a comment
    @2026-11-03 09:00                 sets the clock (community time zone); jobs due in between run
    @2026-11-28 08:00 restart         the bot was down since the line before and starts again now
    [志愿者群] 张三: 签到 卫生整治     a message in group 志愿者群 from console user 张三
    [私聊] 张三: 我的积分              a message in 张三's private chat with the bot

The output is the transcript itself, every input line as written, each followed by what the bot sent:
`[志愿者群] 积分助手: @张三 …`, private messages as `[私聊 张三] 积分助手: …`, further lines of a message
indented by four spaces. Lines the bot wrote are skipped when a transcript is read, so an output can be
replayed again and must come out the same: that is how transcripts are tested.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import ChatKind, ChatRef, Incoming, Outgoing, UserRef

PRIVATE = "私聊"
INDENT = "    "
_CLOCK = re.compile(r"^@(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?::\d{2})?(\s+(?:restart|重启))?\s*$")
_MESSAGE = re.compile(r"^\[([^\]]+)\]\s*([^:：]+?)\s*[:：]\s?(.*)$")


class TranscriptError(ValueError):
    def __init__(self, line_number: int, message: str) -> None:
        super().__init__(f"line {line_number}: {message}")


@dataclass(frozen=True, slots=True)
class ClockLine:
    moment: datetime
    restart: bool = False  # the bot was down until `moment`: nothing ran in between; it starts again now


@dataclass(frozen=True, slots=True)
class MessageLine:
    chat: str  # group name, or PRIVATE
    user: str
    text: str


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    raw: str
    item: ClockLine | MessageLine | None  # None: comment or blank, echoed only


def read(lines: Iterable[str], *, tz: ZoneInfo, bot_names: Iterable[str]) -> list[Line]:
    """Parse a transcript; lines the bot wrote (its name as speaker, or indented) are dropped."""
    bots = set(bot_names)
    parsed: list[Line] = []
    for number, raw in enumerate(lines, start=1):
        raw = raw.rstrip("\r\n")
        stripped = raw.strip()
        if raw.startswith(INDENT):
            continue  # a further line of something the bot said
        if not stripped or stripped.startswith("#"):
            parsed.append(Line(number, raw, None))
            continue
        if stripped.startswith("@"):
            match = _CLOCK.match(stripped)
            if not match:
                raise TranscriptError(
                    number, f"a clock line looks like @2026-11-03 09:00 (or @… restart), not {stripped!r}"
                )
            try:
                moment = datetime.fromisoformat(f"{match.group(1)} {match.group(2).zfill(5)}").replace(tzinfo=tz)
            except ValueError:
                raise TranscriptError(number, f"no such date or time: {stripped!r}") from None
            parsed.append(Line(number, raw, ClockLine(moment, restart=match.group(3) is not None)))
            continue
        match = _MESSAGE.match(stripped)
        if not match:
            raise TranscriptError(
                number, f"expected '[group] name: message', '@date time' or '# comment', got {stripped!r}"
            )
        chat, user, text = (part.strip() for part in match.groups())
        if user in bots:
            continue  # the bot's own output from an earlier run
        if chat.startswith(PRIVATE) and chat != PRIVATE:
            continue  # "[私聊 张三] …" is only ever the bot writing to 张三
        parsed.append(Line(number, raw, MessageLine(chat, user, text)))
    return parsed


def incoming(line: MessageLine, *, at: datetime, platform: str = "console") -> Incoming:
    if line.chat == PRIVATE:
        chat = ChatRef(platform, line.user, ChatKind.PRIVATE, line.user)
    else:
        chat = ChatRef(platform, line.chat, ChatKind.GROUP, line.chat)
    return Incoming(
        platform=platform,
        chat=chat,
        sender=UserRef(line.user, line.user),
        text=line.text,
        message_id=uuid.uuid4().hex,
        sent_at=at,
    )


def render(message: Outgoing, bot_name: str) -> list[str]:
    """A message the bot sent, as transcript lines."""
    chat = f"{PRIVATE} {message.chat.id}" if message.chat.kind is ChatKind.PRIVATE else message.chat.id
    mentions = "".join(f"@{m.name} " for m in message.mentions)
    first, *rest = (mentions + message.text).split("\n")
    lines = [f"[{chat}] {bot_name}: {first}"] + [f"{INDENT}{line}" for line in rest]
    if message.image is not None:
        lines.append(f"{INDENT}[图片 {message.image.name}]")
    return lines
