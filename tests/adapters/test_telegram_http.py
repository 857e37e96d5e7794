"""End to end over HTTP: the real aiogram client talks to a fake Bot API server on 127.0.0.1, by long polling
and by webhook; everything is asserted on what that server received."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters import telegram
from bot.adapters.telegram import PLATFORM, TelegramAdapter, TelegramTransport
from bot.adapters.telegram_testing import GROUP_ID, TOKEN, FakeBotAPIServer, FakeTelegram, bind, telegram_config
from bot.app import App
from bot.config import TelegramSettings
from bot.messages import Action, ChatKind, ChatRef, Image, Outgoing, UserRef
from bot.ports import Transport
from bot.testing import local
from scheduler.clock import VirtualClock

CONFIG = telegram_config()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(local("2026-11-03 09:00", CONFIG))


@pytest.fixture
async def api(clock: VirtualClock) -> AsyncIterator[FakeBotAPIServer]:
    server = FakeBotAPIServer(FakeTelegram(now=lambda: clock.now().timestamp()))
    await server.start()
    yield server
    await server.close()


class Running:
    """`pointsbot run --adapter telegram`, in this event loop, until `stop()`."""

    def __init__(self, settings: TelegramSettings, database_url: str, clock: VirtualClock) -> None:
        self.apps: list[App] = []
        self.stopping = asyncio.Event()

        def make_app(transports: Mapping[str, Transport]) -> App:
            app = App(database_url=database_url, configs=[CONFIG], clock=clock, transports=transports, paced=False)
            self.apps.append(app)
            return app

        self.task = asyncio.create_task(
            telegram.run(settings, make_app, clock=clock, stop=self.stopping, polling_timeout=1)
        )

    async def started(self, api: FakeBotAPIServer) -> App:
        await api.telegram.wait_for(lambda: api.telegram.offsets or api.telegram.webhook)
        return self.apps[0]

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.wait_for(self.task, 10)


async def test_a_morning_of_duty_by_long_polling(database_url: str, api: FakeBotAPIServer, clock: VirtualClock) -> None:
    """Bind, check in and out, tap 通过, ask 我的积分 — through getUpdates and the Bot API's HTTP methods."""
    tg = api.telegram
    group = tg.group(GROUP_ID, "志愿者群")
    volunteer, reviewer = tg.user(1001, "Zhang San"), tg.user(2001, "Wang")
    running = Running(TelegramSettings(token=TOKEN, api_base=api.url), database_url, clock)
    app = await running.started(api)
    try:
        await bind(app, reviewer, "王主任")
        tg.say(tg.private(reviewer), reviewer, "/start")
        tg.say(tg.private(volunteer), volunteer, "/start")
        tg.say(tg.private(volunteer), volunteer, "绑定 张三 1-1-101")
        await tg.wait_for(lambda: any("新的绑定申请 1" in t for t in tg.texts(2001)))
        tg.say(tg.private(reviewer), reviewer, "确认绑定 1")
        await tg.wait_for(lambda: any("绑定成功" in t for t in tg.texts(1001)))

        tg.fail("sendMessage", 429, "Too Many Requests: retry after 1", chat_id=GROUP_ID, retry_after=1)
        tg.say(group, volunteer, "签到 卫生整治")
        await tg.wait_for(lambda: any("签到成功" in t for t in tg.texts(GROUP_ID)))
        clock.set(local("2026-11-03 10:30", CONFIG))
        tg.say(group, volunteer, "签退")
        await tg.wait_for(lambda: any("90 分钟" in t for t in tg.texts(GROUP_ID)))

        tg.say(group, reviewer, "待审核")
        await tg.wait_for(lambda: tg.last(GROUP_ID).get("reply_markup"))
        listing = tg.last(GROUP_ID)
        tg.press(listing, reviewer, "通过 1")
        await tg.wait_for(lambda: tg.sent("editMessageText"))
        assert "已通过第 1 条" in tg.sent("answerCallbackQuery")[-1]["text"]
        assert "（王主任）" in tg.messages[(GROUP_ID, listing["message_id"])]["text"]
        await tg.wait_for(lambda: any("已通过审核" in t for t in tg.texts(1001)))

        tg.say(group, volunteer, "我的积分")
        await tg.wait_for(lambda: any("现有 3 分" in t for t in tg.texts(1001)))
        await tg.wait_for(lambda: "已私信告诉您" in tg.texts(GROUP_ID)[-1])
    finally:
        await running.stop()

    methods = [c.method for c in tg.calls]
    assert methods[0] == "getMe" and methods.count("setMyCommands") == 6
    assert methods.index("deleteWebhook") < methods.index("sendMessage")
    assert tg.offsets == sorted(tg.offsets) and tg.offsets[-1] > 1  # each batch confirmed by the next offset
    assert len([t for t in tg.texts(GROUP_ID) if "签到成功" in t]) == 2  # refused with 429, then sent again
    delivered = [m for (chat, _), m in tg.messages.items() if chat == GROUP_ID and "签到成功" in m.get("text", "")]
    assert len(delivered) == 1


@pytest.fixture
async def over_http(database_url: str, api: FakeBotAPIServer, clock: VirtualClock) -> AsyncIterator[TelegramAdapter]:
    """The adapter with aiogram's own HTTP session, pointed at the fake server (no polling)."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
    transport = TelegramTransport(bot, clock)
    await transport.identify()
    app = App(database_url=database_url, configs=[CONFIG], clock=clock, transports={PLATFORM: transport}, paced=False)
    transport.attach(app.db)
    await app.open()
    yield TelegramAdapter(app, transport)
    await app.close()
    await bot.session.close()


async def test_webhook_updates_need_the_secret(over_http: TelegramAdapter, api: FakeBotAPIServer) -> None:
    """Through aiohttp's test client: an update without the right secret is refused; with it, it is answered."""
    tg, adapter = api.telegram, over_http
    group, volunteer = tg.group(GROUP_ID, "志愿者群"), tg.user(1001, "Zhang San")
    await bind(adapter.app, volunteer, "张三")
    update = tg.say(group, volunteer, "签到", queue=False)
    async with TestClient(TestServer(adapter.webhook_app("s3cret-Token", "/hook"))) as client:
        for secret in ("", "wrong"):
            refused = await client.post("/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert refused.status == 401
        await adapter.drain()
        assert tg.texts(GROUP_ID) == []
        right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token"}
        for _ in range(2):  # Telegram delivers again when unsure: answered once
            accepted = await client.post("/hook", json=update, headers=right)
            assert accepted.status == 200
            await adapter.drain()
    assert len(tg.texts(GROUP_ID)) == 1 and "签到成功" in tg.texts(GROUP_ID)[0]


async def test_pictures_and_buttons_go_over_the_wire(over_http: TelegramAdapter, api: FakeBotAPIServer) -> None:
    """A photo travels as a multipart file part; buttons and mentions as JSON-encoded fields."""
    tg = api.telegram
    tg.group(GROUP_ID, "志愿者群")
    chat = ChatRef(PLATFORM, str(GROUP_ID), ChatKind.GROUP, "志愿者群")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    message = Outgoing(
        chat, "本月公示", (UserRef("1001", "张三"),), Image("notice.png", png), (Action("通过 1", "通过 1"),)
    )
    await over_http.transport.send(message)
    text, photo = tg.calls[-2:]
    assert text.params["reply_markup"] == {"inline_keyboard": [[{"text": "通过 1", "callback_data": "通过 1"}]]}
    assert text.params["entities"][0]["type"] == "text_mention" and text.params["entities"][0]["user"]["id"] == 1001
    assert photo.method == "sendPhoto" and list(photo.files.values()) == [("notice.png", png)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_run_in_webhook_mode_sets_the_webhook_and_listens(
    database_url: str, api: FakeBotAPIServer, clock: VirtualClock
) -> None:
    """With a webhook URL, `run` registers it (with a secret) and answers Telegram's calls on its path."""
    tg = api.telegram
    group, volunteer = tg.group(GROUP_ID, "志愿者群"), tg.user(1001, "Zhang San")
    port = _free_port()
    settings = TelegramSettings(
        token=TOKEN, api_base=api.url, webhook_url="https://bot.example.org/tg/hook", webhook_port=port
    )
    running = Running(settings, database_url, clock)
    app = await running.started(api)
    try:
        webhook: dict[str, Any] = tg.webhook or {}
        assert webhook["url"] == "https://bot.example.org/tg/hook" and len(webhook["secret_token"]) >= 32
        await bind(app, volunteer, "张三")
        update = tg.say(group, volunteer, "签到", queue=False)
        headers = {"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/tg/hook", json=update, headers=headers) as response,
        ):
            assert response.status == 200
        await tg.wait_for(lambda: tg.texts(GROUP_ID))
        assert "签到成功" in tg.texts(GROUP_ID)[0]
    finally:
        await running.stop()
    assert "deleteWebhook" not in [c.method for c in tg.calls]


async def test_tests_cannot_reach_the_internet() -> None:
    """A bot left pointing at api.telegram.org fails at once in the tests, as does any other outside host."""
    bot = Bot(TOKEN)
    try:
        with pytest.raises(TelegramNetworkError, match=r"api\.telegram\.org") as raised:
            await bot.get_me()
    finally:
        await bot.session.close()
    causes: list[BaseException] = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or getattr(error, "os_error", None)
    assert any("must not reach the internet" in str(cause) for cause in causes), causes
    with pytest.raises(OSError, match="must not reach the internet"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
