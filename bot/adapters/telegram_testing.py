"""A Telegram Bot API for tests, shipped with the package like `bot.testing`.

`FakeTelegram` keeps chats, messages and pending updates the way the Bot API server does, and answers the
methods the bot uses (getMe, getUpdates with offsets and a long-poll timeout, sendMessage, sendPhoto,
editMessageText, answerCallbackQuery, setMyCommands, deleteWebhook, setWebhook) in Telegram's JSON shape,
errors included (`fail()`: 429 with retry_after, 403, 400 …). Two ways to reach it:
- `FakeBotAPIServer`: real HTTP on 127.0.0.1, for the real aiogram client (form and multipart bodies with
  JSON-encoded complex fields, as aiogram sends them);
- `RecordingSession`: an aiogram session that calls it directly, for `Dispatcher.feed_update` unit tests.

    telegram = FakeTelegram()
    volunteer = telegram.user(1001, "张三")
    group = telegram.group(-100, "志愿者群")
    telegram.say(group, volunteer, "签到 卫生整治")     # queued for getUpdates
    ...
    assert "签到成功" in telegram.texts(-100)[-1]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, InputFile, Update
from aiohttp import web

from bot.adapters.telegram import PLATFORM, TelegramAdapter, TelegramTransport
from bot.app import App
from bot.config import CommunityConfig
from bot.testing import local, make_config
from scheduler.clock import VirtualClock
from store import residents

TOKEN = "123456789:TEST-token-for-the-fake-bot-api-0000"
JsonDict = dict[str, Any]

_JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates", "reply_parameters"}
)
_INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"})
_BOOL_FIELDS = frozenset({"show_alert", "drop_pending_updates", "disable_notification", "protect_content"})


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call the bot made."""

    method: str
    params: JsonDict
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass(slots=True)
class _Failure:
    method: str
    chat_id: int | None
    status: int
    description: str
    parameters: JsonDict
    times: int


class Refused(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def error_payload(status: int, description: str, parameters: JsonDict | None = None) -> JsonDict:
    payload: JsonDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return payload


class FakeTelegram:
    """The Bot API's state and methods, without the HTTP."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        username: str = "PointsTestBot",
        privacy: bool = False,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.now = now
        bot_id = int(token.partition(":")[0])
        self.me: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "积分助手",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.chats: dict[int, JsonDict] = {}
        self.messages: dict[tuple[int, int], JsonDict] = {}
        self.updates: list[JsonDict] = []  # not yet confirmed by an offset
        self.offsets: list[int] = []  # every offset getUpdates was called with
        self.webhook: JsonDict | None = None
        self._failures: list[_Failure] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self.closing = False

    # --- people and chats ---------------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, *, username: str | None = None) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
        if username:
            user["username"] = username
        return user

    def group(self, chat_id: int, title: str, *, kind: str = "group") -> JsonDict:
        chat = {"id": chat_id, "type": kind, "title": title}
        self.chats[chat_id] = chat
        return chat

    def private(self, user: JsonDict) -> JsonDict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[user["id"]] = chat
        return chat

    def _chat(self, chat_id: int) -> JsonDict:
        if chat_id not in self.chats:
            raise Refused(400, "Bad Request: chat not found")
        return self.chats[chat_id]

    def _message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    # --- what people do: each becomes an update for getUpdates (or a webhook call) -------------------

    def push(self, kind: str, payload: JsonDict, *, queue: bool = True) -> JsonDict:
        """An update; queued for getUpdates, or with `queue=False` only returned (to feed or post it yourself)."""
        update = {"update_id": next(self._update_ids), kind: payload}
        if queue:
            self.updates.append(update)
            self._arrived.set()
        return update

    def say(
        self,
        chat: JsonDict,
        user: JsonDict,
        text: str,
        *,
        reply_to: JsonDict | None = None,
        date: float | None = None,
        queue: bool = True,
    ) -> JsonDict:
        """A person writes in a chat. Returns the update (queued for getUpdates unless `queue=False`)."""
        message: JsonDict = {
            "message_id": self._message_id(chat["id"]),
            "date": int(self.now() if date is None else date),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.messages[(chat["id"], message["message_id"])] = message
        return self.push("message", message, queue=queue)

    def press(self, message: JsonDict, user: JsonDict, data: str, *, queue: bool = True) -> JsonDict:
        """A person taps an inline button of a message the bot sent."""
        current = self.messages[(message["chat"]["id"], message["message_id"])]
        query = {
            "id": f"{next(self._callback_ids)}{user['id']}",
            "from": user,
            "chat_instance": str(message["chat"]["id"]),
            "message": current,
            "data": data,
        }
        return self.push("callback_query", query, queue=queue)

    def membership(self, chat: JsonDict, by: JsonDict, *, old: str, new: str, queue: bool = True) -> JsonDict:
        """The bot's own membership changed: added to a group (`left` → `member`), removed, blocked …"""

        def member(status: str) -> JsonDict:
            found: JsonDict = {"status": status, "user": self.me}
            if status == "kicked":
                found["until_date"] = 0
            return found

        event = {
            "chat": chat,
            "from": by,
            "date": int(self.now()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self.push("my_chat_member", event, queue=queue)

    def migrate(self, group: JsonDict, new_id: int, by: JsonDict) -> JsonDict:
        """The group becomes a supergroup with a new id: the service messages Telegram sends in both chats."""
        supergroup = self.group(new_id, group["title"], kind="supergroup")
        now = int(self.now())
        old_message = {
            "message_id": self._message_id(group["id"]),
            "date": now,
            "chat": group,
            "from": by,
            "migrate_to_chat_id": new_id,
        }
        new_message = {
            "message_id": self._message_id(new_id),
            "date": now,
            "chat": supergroup,
            "from": by,
            "migrate_from_chat_id": group["id"],
        }
        self.push("message", old_message)
        self.push("message", new_message)
        self.chats[group["id"]] = {**group, "migrated_to": new_id}
        return supergroup

    # --- what the bot did ---------------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[JsonDict]:
        return [c.params for c in self.calls if c.method == method and chat_id in (None, c.params.get("chat_id"))]

    def texts(self, chat_id: int) -> list[str]:
        return [str(p["text"]) for p in self.sent("sendMessage", chat_id)]

    def last(self, chat_id: int) -> JsonDict:
        """The newest message the bot sent to a chat, as it stands now (edits applied)."""
        ids = [m for (c, m), msg in self.messages.items() if c == chat_id and msg["from"]["id"] == self.me["id"]]
        return self.messages[(chat_id, max(ids))]

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        **parameters: Any,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) fail with this Telegram error."""
        self._failures.append(_Failure(method, chat_id, status, description, parameters, times))

    async def wait_for(self, check: Callable[[], object], within: float = 5.0) -> None:
        """Wait until `check()` is true (the bot works in the background)."""
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    # --- the API ------------------------------------------------------------------------------------

    async def call(self, method: str, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> tuple[int, JsonDict]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        if method != "getUpdates":
            self.calls.append(Call(method, params, files))
        for failure in self._failures:
            if failure.method == method and failure.chat_id in (None, params.get("chat_id")) and failure.times:
                failure.times -= 1
                return failure.status, error_payload(failure.status, failure.description, failure.parameters)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, error_payload(404, "Not Found: method not found")
        try:
            result = await handler(params, files)
        except Refused as refused:
            return refused.status, error_payload(refused.status, refused.description, refused.parameters)
        return 200, {"ok": True, "result": result}

    async def _api_getMe(self, params: JsonDict, files: object) -> JsonDict:
        return self.me

    async def _api_getUpdates(self, params: JsonDict, files: object) -> list[JsonDict]:
        if self.webhook is not None:
            raise Refused(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook")
        offset = int(params.get("offset", 0))
        self.offsets.append(offset)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed: gone for good
        deadline = time.monotonic() + float(params.get("timeout", 0))
        while not self.updates and not self.closing and (left := deadline - time.monotonic()) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                break
        return self.updates[: int(params.get("limit", 100))]

    async def _api_deleteWebhook(self, params: JsonDict, files: object) -> bool:
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: JsonDict, files: object) -> bool:
        self.webhook = params
        return True

    async def _api_setMyCommands(self, params: JsonDict, files: object) -> bool:
        for command in params.get("commands", []):
            if not (1 <= len(command["command"]) <= 32) or not command["command"].replace("_", "").isalnum():
                raise Refused(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def _api_answerCallbackQuery(self, params: JsonDict, files: object) -> bool:
        if len(str(params.get("text", ""))) > 200:
            raise Refused(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _post(self, chat_id: int, content: JsonDict) -> JsonDict:
        chat = self._chat(chat_id)
        if "migrated_to" in chat:
            raise Refused(
                400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat["migrated_to"]
            )
        message_id = self._message_id(chat_id)
        message: JsonDict = {"message_id": message_id, "date": int(self.now()), "chat": chat, "from": self.me}
        message.update(content)
        self.messages[(chat_id, message_id)] = message
        return message

    async def _api_sendMessage(self, params: JsonDict, files: object) -> JsonDict:
        text = str(params.get("text", ""))
        if not text:
            raise Refused(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise Refused(400, "Bad Request: message is too long")
        content: JsonDict = {"text": text}
        if params.get("entities"):
            content["entities"] = params["entities"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        return self._post(int(params["chat_id"]), content)

    async def _api_sendPhoto(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        photo = str(params.get("photo", ""))
        name = photo.removeprefix("attach://")
        if name not in files or not files[name][1]:
            raise Refused(400, "Bad Request: there is no photo in the request")
        size = {"file_id": f"photo{len(self.messages)}", "file_unique_id": "u", "width": 800, "height": 600}
        return self._post(int(params["chat_id"]), {"photo": [size]})

    async def _api_editMessageText(self, params: JsonDict, files: object) -> JsonDict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise Refused(400, "Bad Request: message to edit not found")
        message = self.messages[key]
        markup = params.get("reply_markup")
        if message.get("text") == params.get("text") and message.get("reply_markup") == markup:
            raise Refused(400, "Bad Request: message is not modified")
        message["text"] = params["text"]
        message["edit_date"] = int(self.now())
        if params.get("entities"):
            message["entities"] = params["entities"]
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message


def decode_form(fields: Any) -> tuple[JsonDict, dict[str, tuple[str, bytes]]]:
    """A Bot API request body as aiogram sends it: strings, with complex fields JSON-encoded; files apart."""
    params: JsonDict = {}
    files: dict[str, tuple[str, bytes]] = {}
    for key, value in fields.items():
        if isinstance(value, web.FileField):
            files[key] = (value.filename, value.file.read())
        elif key in _JSON_FIELDS or key in _BOOL_FIELDS:
            params[key] = json.loads(value)
        elif key in _INT_FIELDS and value.lstrip("-").isdigit():
            params[key] = int(value)
        else:
            params[key] = value
    return params, files


class FakeBotAPIServer:
    """`FakeTelegram` over HTTP on 127.0.0.1: point `POINTSBOT_TELEGRAM__API_BASE` at `url`."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram
        self.requests = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = cast(Any, site._server)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        self.telegram.closing = True
        self.telegram._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.match_info["token"] != self.telegram.token:
            return web.json_response(error_payload(401, "Unauthorized"), status=401)
        fields = await request.post()
        params, files = decode_form(fields)
        status, payload = await self.telegram.call(request.match_info["method"], params, files)
        return web.json_response(payload, status=status)


class RecordingSession(BaseSession):
    """An aiogram session that reaches no network: each call goes to a `FakeTelegram` and is recorded there."""

    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109  # aiogram's signature
    ) -> TelegramType:
        found: dict[str, InputFile] = {}
        params: JsonDict = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=found, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        files = {
            key: (file.filename or key, file.data if isinstance(file, BufferedInputFile) else b"")
            for key, file in found.items()
        }
        status, payload = await self.telegram.call(method.__api_method__, params, files)
        response = self.check_response(bot, method, status, json.dumps(payload))
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109  # aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the fake Bot API serves no files")
        yield b""  # an async generator, like the method it replaces

    async def close(self) -> None:
        pass


# --- a bot on the fake Telegram, fed updates by aiogram's feed_update -----------------------------------

GROUP_ID = -100  # the test community's volunteer group


def telegram_config(**sections: Any) -> CommunityConfig:
    """The test community, with its volunteer group on Telegram."""
    sections.setdefault("groups", [{"name": "志愿者群", "platform": "telegram", "chat_id": str(GROUP_ID)}])
    return make_config(**sections)


class Rig:
    """A bot fed updates through aiogram's `Dispatcher.feed_update`, its calls answered by a `FakeTelegram`."""

    def __init__(self, app: App, adapter: TelegramAdapter, telegram: FakeTelegram, clock: VirtualClock) -> None:
        self.app = app
        self.adapter = adapter
        self.transport = adapter.transport
        self.bot = adapter.bot
        self.telegram = telegram
        self.clock = clock
        self.config = app.configs[0]
        self.group = telegram.group(GROUP_ID, "志愿者群")
        self.volunteer = telegram.user(1001, "Zhang San")
        self.reviewer = telegram.user(2001, "Wang")
        self.stranger = telegram.user(3001, "Lurker")

    def at(self, when: str) -> datetime:
        moment = local(when, self.config)
        self.clock.set(moment)
        return moment

    async def feed(self, update: JsonDict) -> None:
        """Hand one update to aiogram, then let every reply and outbox row go out."""
        await self.adapter.updates.feed_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))
        await self.adapter.drain()
        await self.app.sender.deliver_due()

    async def say(self, chat: JsonDict, user: JsonDict, text: str, **kwargs: Any) -> JsonDict:
        update = self.telegram.say(chat, user, text, queue=False, **kwargs)
        await self.feed(update)
        return update

    async def open_private(self, user: JsonDict) -> None:
        """The person starts a private chat with the bot (/start)."""
        await self.say(self.telegram.private(user), user, "/start")

    async def bind(self, user: JsonDict, name: str) -> None:
        await bind(self.app, user, name)


async def bind(app: App, user: JsonDict, name: str) -> None:
    """Link a Telegram account to a resident of the (first) community, as a confirmed binding would."""
    now = app.clock.now()
    async with app.db.transaction() as tx:
        resident = await residents.find_by_name(tx, community_id=next(iter(app.communities)).id, name=name)
        account = await residents.ensure_account(
            tx, platform=PLATFORM, external_id=str(user["id"]), display_name=user["first_name"], at=now
        )
        await residents.bind_account(tx, account_id=account, resident_id=resident.id, by=None, at=now)


async def make_rig(database_url: str, config: CommunityConfig, telegram: FakeTelegram | None = None) -> Rig:
    clock = VirtualClock(local("2026-11-03 09:00", config))
    telegram = telegram or FakeTelegram(now=lambda: clock.now().timestamp())
    bot = Bot(TOKEN, session=RecordingSession(telegram))
    transport = TelegramTransport(bot, clock)
    await transport.identify()
    app = App(database_url=database_url, configs=[config], clock=clock, transports={PLATFORM: transport}, paced=False)
    transport.attach(app.db)
    await app.open()
    return Rig(app, TelegramAdapter(app, transport), telegram, clock)
