"""Testing helpers that ship with the package: a community, a virtual clock, and a bot to talk to.

bot = await Harness.start(database_url)
await bot.at("2026-11-03 09:00")
assert "签到成功" in await bot.text("张三", "签到 卫生整治")
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import datetime
from typing import Any

from bot.adapters.memory import MemoryTransport
from bot.app import App
from bot.config import CommunityConfig, parse_community
from bot.flood import FloodLimits
from bot.messages import ChatKind, ChatRef, Incoming, Outgoing, UserRef
from bot.transcript import PRIVATE
from scheduler.clock import VirtualClock

GROUP = "志愿者群"


def make_config(**sections: Any) -> CommunityConfig:
    """A small test community; pass sections (e.g. `points={"auto_approve": True}`) to change it."""
    raw: dict[str, Any] = {
        "community": {"name": "测试社区", "bot_name": "积分助手"},
        "groups": [{"name": GROUP}, {"name": "居民群", "duty": False}],
        "staff": [
            {"name": "王主任", "roles": ["admin", "reviewer"]},
            {"name": "李审核", "roles": ["reviewer"], "household": "9-9-909"},
        ],
        "members": [
            {"name": "张三", "household": "1-1-101"},
            {"name": "李四", "household": "1-1-101"},
            {"name": "王五", "household": "2-2-202"},
        ],
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return parse_community(raw, source="test community")


def local(when: str, config: CommunityConfig) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=config.community.tz)


class Harness:
    """A bot on a virtual clock with an in-memory transport; say things as anyone and read the answers."""

    def __init__(self, app: App, clock: VirtualClock, transport: MemoryTransport, config: CommunityConfig) -> None:
        self.app = app
        self.clock = clock
        self.transport = transport
        self.config = config
        self._ids = itertools.count(1)
        self._run = uuid.uuid4().hex[:6]  # a second harness on the same database is not a redelivery

    @classmethod
    async def start(
        cls,
        database_url: str,
        config: CommunityConfig | None = None,
        *,
        start: str = "2026-11-03 09:00",
        transport: MemoryTransport | None = None,
        flood: FloodLimits | None = None,
    ) -> Harness:
        """Flood limits are off unless given: tests say many things at one instant of the virtual clock."""
        config = config or make_config()
        clock = VirtualClock(local(start, config))
        transport = transport or MemoryTransport("console")
        app = App(
            database_url=database_url,
            configs=[config],
            clock=clock,
            transports={"console": transport},
            paced=False,
            flood=flood,
            rng=random.Random(7),
        )
        await app.open()
        return cls(app, clock, transport, config)

    def message(self, who: str, text: str, *, chat: str = GROUP, message_id: str | None = None) -> Incoming:
        ref = (
            ChatRef("console", who, ChatKind.PRIVATE, who)
            if chat == PRIVATE
            else ChatRef("console", chat, ChatKind.GROUP, chat)
        )
        message_id = message_id or f"m{next(self._ids)}-{self._run}"
        return Incoming("console", ref, UserRef(who, who), text, message_id, self.clock.now())

    async def say(self, who: str, text: str, *, chat: str = GROUP, message_id: str | None = None) -> list[Outgoing]:
        """Everything the bot sends because of this message: replies, then outbox deliveries."""
        await self.app.receive(self.message(who, text, chat=chat, message_id=message_id))
        await self.app.deliver_all_due()
        return self.transport.take()

    async def text(self, who: str, text: str, *, chat: str = GROUP) -> str:
        """The texts the bot sent in answer, joined by newlines."""
        return "\n".join(m.text for m in await self.say(who, text, chat=chat))

    async def at(self, when: str) -> list[Outgoing]:
        """Move the clock forward (community time), running the jobs that fall due; returns what they sent."""
        await self.app.run_jobs_until(self.clock.now(), local(when, self.config))
        return self.transport.take()

    async def restart(self, when: str) -> list[Outgoing]:
        """The bot stops now and starts again at `when` (community time): nothing runs in between, then the
        start-up catches up. Returns what the start-up sent."""
        await self.app.close()
        self.clock.set(local(when, self.config))
        self.app = App(
            database_url=str(self.app.db.url.render_as_string(hide_password=False)),
            configs=[self.config],
            clock=self.clock,
            transports={"console": self.transport},
            paced=False,
        )
        await self.app.open()
        await self.app.deliver_all_due()
        return self.transport.take()

    async def close(self) -> None:
        await self.app.close()
