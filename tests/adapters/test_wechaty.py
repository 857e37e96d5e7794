"""The WeChat adapter over a real gRPC connection to a fake Wechaty puppet service on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.adapters.wechaty import PLATFORM, WechatyTransport, serve
from bot.adapters.wechaty_fake import FakeGateway
from bot.adapters.wechaty_gateway import Gateway, GatewayRefused
from bot.app import App
from bot.messages import ChatKind, ChatRef, Image, Outgoing
from bot.ports import SendError
from bot.testing import make_config
from scheduler.clock import SystemClock
from store import residents
from store.schema import accounts, audit_log, chat_groups

TOKEN = "test-gateway-token"
ROOM = "20001@chatroom"
MENTION = "\u2005"


def wechat_config():  # type: ignore[no-untyped-def]
    return make_config(groups=[{"name": "红帮带志愿者群", "platform": PLATFORM, "chat_id": ROOM}])


@dataclass
class Bot:
    fake: FakeGateway
    gateway: Gateway
    app: App
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def bind(self, name: str, wechat_id: str) -> None:
        """Link a resident of the test community to a WeChat id, as a confirmed binding would."""
        now = datetime.now(UTC)
        community = next(iter(self.app.communities))
        async with self.app.db.transaction() as tx:
            resident = await residents.find_by_name(tx, community_id=community.id, name=name)
            account = await residents.ensure_account(
                tx, platform=PLATFORM, external_id=wechat_id, display_name=name, at=now
            )
            await residents.bind_account(tx, account_id=account, resident_id=resident.id, by=None, at=now)

    async def answer(self, talker: str, text: str, *, room: str = ROOM, mentions: tuple[str, ...] = ()) -> str:
        """What the bot sends back (texts joined) after `talker` says `text`."""
        before = len(self.fake.sent)
        self.fake.say(talker, text, room=room, mentions=mentions)
        await self.fake.wait_sent(before + 1)
        await asyncio.sleep(0.05)  # anything else it sends at once
        return "\n".join(s.text for s in self.fake.sent[before:])


def make_gateway(port: int, token: str = TOKEN) -> Gateway:
    return Gateway("127.0.0.1", port, token, ding_interval=0.2, dead_after=0.6, call_timeout=2.0, backoff=(0.05, 0.2))


async def start_bot(database_url: str, fake: FakeGateway, *, token: str = TOKEN, interval: float = 0.0) -> Bot:
    gateway = make_gateway(fake.port, token)
    app = App(
        database_url=database_url,
        configs=[wechat_config()],
        clock=SystemClock(),
        transports={PLATFORM: WechatyTransport(gateway, interval=interval)},
        paced=interval > 0,
    )
    await app.open()
    stop = asyncio.Event()
    return Bot(fake, gateway, app, stop, asyncio.create_task(serve(app, gateway, stop)))


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    gateway = FakeGateway(TOKEN)
    gateway.add_contact("wxid_zhang", "张三")
    gateway.add_contact("wxid_wang", "王主任")
    gateway.add_contact("wxid_new", "小孙", friend=False)
    gateway.add_room(ROOM, "红帮带志愿者群", ["wxid_zhang", "wxid_wang", "wxid_new"])
    gateway.add_room("30001@chatroom", "锦园3号楼", ["wxid_zhang", "wxid_wang"])
    await gateway.start()
    gateway.login()
    yield gateway
    await gateway.stop()


@pytest.fixture
async def bot(database_url: str, fake: FakeGateway) -> AsyncIterator[Bot]:
    running = await start_bot(database_url, fake)
    await running.bind("张三", "wxid_zhang")
    await running.bind("王主任", "wxid_wang")
    assert await running.gateway.wait_ready(5)
    yield running
    running.stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(running.task, 5)
    await running.app.close()


async def test_room_message_that_mentions_the_bot_is_answered_with_a_mention(bot: Bot) -> None:
    """`@积分助手 签到` in a room checks in, and the reply @mentions the asker by text and by id."""
    bot.fake.say("wxid_zhang", f"@积分助手{MENTION}签到 卫生整治", room=ROOM, mentions=["wxid_bot"])
    [reply] = await bot.fake.wait_sent(1)
    assert reply.conversation_id == ROOM
    assert reply.mention_ids == ("wxid_zhang",)
    assert reply.text.startswith(f"@张三{MENTION}") and "签到成功：卫生整治" in reply.text


async def test_a_command_word_without_mention_works_and_chatter_is_ignored(bot: Bot) -> None:
    """In a room a message that starts with a command word is a command; other talk gets no answer."""
    bot.fake.say("wxid_zhang", "大家早上好", room=ROOM)
    assert "签到成功" in await bot.answer("wxid_zhang", "签到")
    assert len(bot.fake.sent) == 1  # nothing for the greeting, nothing for the bot's own message coming back


async def test_the_bot_renamed_in_the_room_is_still_addressed(bot: Bot) -> None:
    """A mention by the bot's room nickname (not its configured name) is stripped like any mention of it."""
    bot.fake.aliases[(ROOM, "wxid_bot")] = "社区小助手"
    text = await bot.answer("wxid_zhang", f"@社区小助手{MENTION}签到", mentions=("wxid_bot",))
    assert "签到成功" in text


async def test_private_message_is_answered_privately_without_mention(bot: Bot) -> None:
    """A private message gets a private answer, with no @mention."""
    bot.fake.say("wxid_zhang", "我的积分")
    [reply] = await bot.fake.wait_sent(1)
    assert reply.conversation_id == "wxid_zhang" and reply.mention_ids == ()
    assert reply.text.startswith("张三 的积分")


async def test_unbound_person_gets_one_short_reply_on_how_to_bind(bot: Bot) -> None:
    """Someone not bound yet who checks in is told how to bind, not met with silence."""
    text = await bot.answer("wxid_new", "签到")
    assert text.startswith(f"@小孙{MENTION}") and "绑定 姓名 门牌号" in text


async def test_a_wechat_room_is_registered_under_its_topic(bot: Bot) -> None:
    """`登记本群` from an admin in a new WeChat room registers it under the room's topic, audited."""
    other = "30001@chatroom"
    assert "还没有登记" in await bot.answer("wxid_zhang", "签到", room=other)
    text = await bot.answer("wxid_wang", f"@积分助手{MENTION}登记本群 值班", room=other, mentions=("wxid_bot",))
    assert "本群已登记到测试社区：值班群" in text
    async with bot.app.db.snapshot() as tx:
        names = (await tx.execute(select(chat_groups.c.name).where(chat_groups.c.external_id == other))).scalars()
        assert list(names) == ["锦园3号楼"]
        actions = (await tx.execute(select(audit_log.c.action, audit_log.c.platform))).all()
        assert ("register_group", PLATFORM) in actions
    assert "签到成功" in await bot.answer("wxid_zhang", "签到", room=other)


async def test_wrong_token_is_refused(database_url: str, fake: FakeGateway) -> None:
    """A gateway that refuses the token stops the bot with a message that says so, without retrying forever."""
    running = await start_bot(database_url, fake, token="not-the-token")
    try:
        with pytest.raises(GatewayRefused, match="refused the token"):
            await asyncio.wait_for(running.task, 5)
        assert fake.refused == 1 and fake.event_calls == 0
    finally:
        await running.app.close()


async def test_gateway_killed_and_restarted(bot: Bot) -> None:
    """When the gateway dies the bot reconnects with back-off, starts the puppet again and answers again."""
    await bot.fake.stop()
    await asyncio.sleep(0.3)  # a few refused connection attempts
    assert not bot.gateway.ready
    await bot.fake.start()
    await bot.fake.wait_for(lambda: bot.fake.streams == 1)
    assert await bot.gateway.wait_ready(5)
    assert bot.gateway.connections == 2 and bot.fake.start_calls == 2
    assert "签到成功" in await bot.answer("wxid_zhang", "签到")


async def test_a_message_caught_in_a_restart_is_handled_once(bot: Bot) -> None:
    """A message whose payload the gateway could not give before dying is handled after the reconnect, once;
    the same message announced again after the new login gets no second answer."""
    bot.fake.hold_payloads = asyncio.Event()
    message_id = bot.fake.say("wxid_zhang", "签到", room=ROOM)
    await asyncio.sleep(0.1)  # the bot is waiting for the payload
    await bot.fake.stop()
    bot.fake.hold_payloads = None
    await bot.fake.start()
    [reply] = await bot.fake.wait_sent(1)
    assert "签到成功" in reply.text
    bot.fake.announce(message_id)  # a puppet that replays recent messages after logging in again
    await asyncio.sleep(0.3)
    assert len(bot.fake.sent) == 1


async def test_a_silent_stream_is_detected_by_ding_and_replaced(bot: Bot) -> None:
    """When dings get no dong the bot gives the stream up and connects again; answered dings keep it."""
    bot.fake.answer_dings = False
    await bot.fake.wait_for(lambda: bot.fake.event_calls >= 2, 5)
    assert bot.fake.dings >= 2
    bot.fake.answer_dings = True
    calls = bot.fake.event_calls
    await asyncio.sleep(1.0)
    assert bot.fake.event_calls == calls
    assert "签到成功" in await bot.answer("wxid_zhang", "签到")


async def test_logout_and_login_with_a_new_id(bot: Bot) -> None:
    """After the gateway logs out nothing is sent; after it logs in again (even with a new own id) the bot
    answers and still knows when it is mentioned."""
    transport = bot.app.transports[PLATFORM]
    assert isinstance(transport, WechatyTransport)
    bot.fake.logout()
    await bot.fake.wait_for(lambda: not bot.gateway.ready, 2)
    with pytest.raises(SendError) as refused:
        await transport.send(Outgoing(ChatRef(PLATFORM, ROOM, ChatKind.GROUP), "你好"))
    assert refused.value.retry_after is not None  # retried later by the outbox, never lost
    bot.fake.add_contact("wxid_bot2", "积分助手")
    bot.fake.rooms[ROOM].member_ids.append("wxid_bot2")
    bot.fake.login("wxid_bot2")
    assert await bot.gateway.wait_ready(2)
    text = await bot.answer("wxid_zhang", f"@积分助手{MENTION}我的积分", mentions=("wxid_bot2",))
    assert "张三 的积分" in text


async def test_picture_follows_its_text_at_the_paced_distance(database_url: str, fake: FakeGateway) -> None:
    """A message with a picture is sent as text, then the PNG as a file box, one interval apart; the next
    message keeps the distance too."""
    running = await start_bot(database_url, fake, interval=0.2)
    try:
        assert await running.gateway.wait_ready(5)
        chat = ChatRef(PLATFORM, ROOM, ChatKind.GROUP, "红帮带志愿者群")
        png = b"\x89PNG\r\n\x1a\nfake"
        await running.app.sender.send_now(
            [Outgoing(chat, "十一月公示", image=Image("notice.png", png)), Outgoing(chat, "请大家查看")]
        )
        text, picture, after = await fake.wait_sent(3)
        assert text.text == "十一月公示" and after.text == "请大家查看"
        assert picture.file is not None and picture.file["name"] == "notice.png"
        assert base64.b64decode(picture.file["base64"]) == png
        assert picture.at - text.at >= 0.19 and after.at - picture.at >= 0.15
    finally:
        running.stop.set()
        await asyncio.wait_for(running.task, 5)
        await running.app.close()


async def test_replies_are_paced_one_interval_apart(database_url: str, fake: FakeGateway) -> None:
    """Two answers in a row leave the account at least one interval apart (WeChat: 2 s; here 0.2 s)."""
    running = await start_bot(database_url, fake, interval=0.2)
    try:
        await running.bind("张三", "wxid_zhang")
        assert await running.gateway.wait_ready(5)
        fake.say("wxid_zhang", "签到", room=ROOM)
        fake.say("wxid_zhang", "签退", room=ROOM)
        first, second = await fake.wait_sent(2)
        assert second.at - first.at >= 0.19
        assert WechatyTransport(running.gateway).limits.overall_interval == 2.0  # the default for real accounts
    finally:
        running.stop.set()
        await asyncio.wait_for(running.task, 5)
        await running.app.close()


async def test_a_room_the_bot_left_is_reported_gone(bot: Bot) -> None:
    """Sending to a room the bot is no longer in fails with chat_gone, so the core marks the group inactive."""
    transport = bot.app.transports[PLATFORM]
    bot.fake.rooms[ROOM].member_ids.remove("wxid_bot")
    with pytest.raises(SendError) as gone:
        await transport.send(Outgoing(ChatRef(PLATFORM, ROOM, ChatKind.GROUP), "公示"))
    assert gone.value.chat_gone


async def test_private_reach_follows_wechat_friendship(bot: Bot) -> None:
    """The bot writes privately only to its WeChat friends."""
    transport = bot.app.transports[PLATFORM]
    assert await transport.can_reach_privately("wxid_zhang")
    assert not await transport.can_reach_privately("wxid_new")
    assert not await transport.can_reach_privately("wxid_nobody")


async def test_a_changed_wechat_id_is_rebound_only_when_staff_confirm(bot: Bot) -> None:
    """A new WeChat id with a bound resident's name is offered to the admins, never bound by the name alone;
    once an admin confirms, the new id works and the old one no longer does."""
    bot.fake.add_contact("wxid_zhang_new", "张三")
    bot.fake.rooms[ROOM].member_ids.append("wxid_zhang_new")
    before = len(bot.fake.sent)
    bot.fake.say("wxid_zhang_new", "签到", room=ROOM)
    sent = await bot.fake.wait_sent(before + 2)
    reply, notice = sent[before], sent[before + 1]
    assert "已经请工作人员核对了（编号 1）" in reply.text and "1-1-101" not in reply.text
    assert notice.conversation_id == "wxid_wang" and "确认绑定 1" in notice.text and "张三（1-1-101）" in notice.text
    assert "正在核对（编号 1）" in await bot.answer("wxid_zhang_new", "签到")
    assert "（换号" in await bot.answer("wxid_wang", "绑定申请", room="")
    confirmed = await bot.answer("wxid_wang", "确认绑定 1", room="")
    assert "原来的聊天账号已解除绑定" in confirmed
    assert "签到成功" in await bot.answer("wxid_zhang_new", "签到")
    assert "还没有绑定" in await bot.answer("wxid_zhang", "我的积分", room="")
    async with bot.app.db.snapshot() as tx:
        bound = (await tx.execute(select(accounts.c.external_id).where(accounts.c.resident_id.is_not(None)))).scalars()
        assert "wxid_zhang" not in list(bound)


def test_transport_declares_wechat_limits() -> None:
    """One message per 2 s per account, no bursts, and ids that may change across logins."""
    transport = WechatyTransport(Gateway("127.0.0.1", 1, TOKEN))
    assert (transport.limits.overall_interval, transport.limits.per_chat_burst) == (2.0, 1)
    assert transport.ids_may_change
