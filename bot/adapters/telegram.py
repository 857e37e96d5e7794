"""Telegram through aiogram 3: groups and private chats, long polling or a webhook, one-tap review buttons.

Updates become the core's platform-neutral `Incoming`; the core's `Outgoing` become Telegram messages.
Identity is the Telegram user id, never a username or a display name. Updates are handled one at a time
and in order (a 签到 and its 签退 from a backlog after a restart must not swap), and their replies are sent
in the background, in order per chat, paced by the core's `Sender` to Telegram's limits.

Buttons: an `Action` becomes an inline button whose callback data is its command; pressing it is the
presser typing that command (the update's callback id makes a redelivered press a duplicate). When the
command is done the message is edited: the buttons of that item go and a line says who decided. An action
that needs more words (`驳回 12` needs a reason) asks with a reply-to-this-message question; the presser's
reply completes the command.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    User,
)
from aiogram.utils.formatting import Text, TextMention
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.app import App
from bot.commands import Community
from bot.config import ConfigError, TelegramSettings
from bot.i18n import Translator
from bot.messages import Action, ChatKind, ChatRef, Incoming, Outgoing, UserRef
from bot.parse import parse
from bot.ports import RateLimits, SendError
from scheduler.clock import Clock
from store import chats, groups, residents
from store.db import Database

log = logging.getLogger(__name__)

PLATFORM = "telegram"
# 20 messages a minute in one group, 30 a second overall (we keep to 25); one chat gets one message every 3 s.
LIMITS = RateLimits(per_chat_interval=3.0, overall_interval=1 / 25, per_chat_burst=1)
MAX_TEXT = 4096  # characters in one message
MAX_CALLBACK_DATA = 64  # bytes
MAX_ALERT = 200  # characters in a callback answer
ASK = "ask:"  # callback data prefix of a button that asks a question before it acts
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_START = re.compile(r"^/start(@\w+)?(\s|$)", re.IGNORECASE)
_GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.KICKED)


def make_bot(settings: TelegramSettings) -> Bot:
    """A Bot for the configured token, talking to api.telegram.org or to a self-hosted Bot API server."""
    api = TelegramAPIServer.from_base(settings.api_base) if settings.api_base else None
    session = AiohttpSession(api=api) if api else AiohttpSession()
    return Bot(settings.token.get_secret_value(), session=session)


def chat_ref(chat: Chat) -> ChatRef:
    if chat.type == ChatType.PRIVATE:
        title = " ".join(part for part in (chat.first_name, chat.last_name) if part)
        return ChatRef(PLATFORM, str(chat.id), ChatKind.PRIVATE, title)
    return ChatRef(PLATFORM, str(chat.id), ChatKind.GROUP, chat.title or "")


def user_ref(user: User) -> UserRef:
    return UserRef(str(user.id), user.full_name)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages at line ends where possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        chunks.append(text)
    return chunks


def _item(command: str) -> str:
    """What a command is about: its arguments (`通过 12` and `驳回 12` are both about record 12)."""
    return command.partition(" ")[2].strip()


def _command(data: str) -> str:
    return data.removeprefix(ASK)


def keyboard_rows(actions: Iterable[Action]) -> list[list[InlineKeyboardButton]]:
    """One row per item: the actions about one record side by side."""
    rows: list[list[InlineKeyboardButton]] = []
    previous: str | None = None
    for action in actions:
        data = (ASK if action.ask else "") + action.command
        if len(data.encode()) > MAX_CALLBACK_DATA:
            log.warning("action %r left out: its command is too long for a Telegram button", action.command)
            continue
        item = _item(action.command)
        button = InlineKeyboardButton(text=action.label, callback_data=data)
        if rows and item and item == previous and len(rows[-1]) < 4:
            rows[-1].append(button)
        else:
            rows.append([button])
        previous = item
    return rows[:50]


def _render(text: str, mentions: Sequence[UserRef]) -> Text:
    """The text, after mentions that notify each person by user id (no username needed)."""
    parts: list[Any] = []
    for person in mentions:
        if person.id.lstrip("-").isdigit():
            user = User(id=int(person.id), is_bot=False, first_name=person.name or person.id)
            parts += [TextMention("@" + (person.name or person.id), user=user), " "]
    return Text(*parts, text)


@dataclass(slots=True)
class Shown:
    """A message with buttons as the bot last showed it, so that an edit keeps what is still open."""

    text: str
    entities: list[MessageEntity] | None
    rows: list[list[InlineKeyboardButton]]

    @classmethod
    def of(cls, message: Message) -> Shown | None:
        if message.text is None or message.reply_markup is None:
            return None
        return cls(message.text, message.entities, [list(row) for row in message.reply_markup.inline_keyboard])


class TelegramTransport:
    """Sends the core's messages to Telegram and remembers who may be written to privately."""

    platform = PLATFORM
    limits = LIMITS

    def __init__(self, bot: Bot, clock: Clock) -> None:
        self.bot = bot
        self.clock = clock
        self.me: User | None = None
        self.bot_names: tuple[str, ...] = ()
        self._db: Database | None = None
        self._reachable: dict[str, bool] = {}
        self.shown: OrderedDict[tuple[str, int], Shown] = OrderedDict()

    async def identify(self) -> User:
        """Ask Telegram who the bot is (getMe): `/checkin@ThisBot` is ours, `/checkin@OtherBot` is not."""
        try:
            self.me = await self.bot.me()
        except TelegramUnauthorizedError:
            raise ConfigError(
                "Telegram refused the bot token (401 Unauthorized); check POINTSBOT_TELEGRAM__TOKEN"
            ) from None
        except TelegramNetworkError as error:
            where = urlsplit(self.bot.session.api.base).netloc
            raise ConfigError(f"cannot reach the Telegram Bot API at {where}: {error.message}") from None
        self.bot_names = (self.me.username,) if self.me.username else ()
        if self.me.can_read_all_group_messages is False:
            log.warning(
                "privacy mode is on for @%s: in groups it sees only /commands, replies to it and mentions, "
                "not 签到 — turn it off with @BotFather (/setprivacy) or make the bot a group admin",
                self.me.username,
            )
        return self.me

    def attach(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        assert self._db is not None, "TelegramTransport.attach(db) first"
        return self._db

    # --- private chats -----------------------------------------------------------------------------

    async def can_reach_privately(self, user_id: str) -> bool:
        if user_id not in self._reachable:
            async with self.db.snapshot() as tx:
                self._reachable[user_id] = bool(await chats.reachable(tx, platform=PLATFORM, user_id=user_id))
        return self._reachable[user_id]

    async def remember_private(self, user_id: str, reachable: bool) -> None:
        """The person opened a private chat with the bot (or blocked it): kept across restarts."""
        if self._reachable.get(user_id) == reachable:
            return
        async with self.db.transaction() as tx:
            await chats.set_reachable(tx, platform=PLATFORM, user_id=user_id, reachable=reachable, at=self.clock.now())
        self._reachable[user_id] = reachable

    # --- sending -----------------------------------------------------------------------------------

    async def send(self, message: Outgoing) -> None:
        try:
            try:
                await self._send(message, int(message.chat.id))
            except TelegramMigrateToChat as error:
                new_id = str(error.migrate_to_chat_id)
                await self.moved(message.chat.id, new_id)
                await self._send(message, int(new_id))
        except TelegramAPIError as error:
            raise await self._send_error(message.chat, error) from None

    async def _send_error(self, chat: ChatRef, error: TelegramAPIError) -> SendError:
        reason = f"{type(error).__name__}: {error.message}".replace(self.bot.token, "***")
        if isinstance(error, TelegramRetryAfter):
            return SendError(reason, retry_after=float(error.retry_after))
        if isinstance(error, TelegramForbiddenError):  # removed from the group, or blocked by the person
            if chat.is_private:
                await self.remember_private(chat.id, False)
            return SendError(reason, chat_gone=True)
        if isinstance(error, TelegramBadRequest):
            return SendError(reason, chat_gone="chat not found" in error.message.lower())
        if isinstance(error, TelegramEntityTooLarge):
            return SendError(reason)
        if isinstance(error, TelegramNetworkError | TelegramServerError):
            return SendError(reason, retry_after=5.0)
        return SendError(reason)

    async def _send(self, message: Outgoing, chat_id: int) -> None:
        rows = keyboard_rows(message.actions)
        chunks = split_text(message.text)
        for number, chunk in enumerate(chunks):
            first, last = number == 0, number == len(chunks) - 1
            content = _render(chunk, message.mentions if first else ())
            markup = InlineKeyboardMarkup(inline_keyboard=rows) if last and rows else None
            kwargs = content.as_kwargs(replace_parse_mode=False)
            sent = await self.bot.send_message(chat_id=chat_id, reply_markup=markup, **kwargs)
            if markup is not None:
                await self._offered(message, sent, Shown(kwargs["text"], kwargs["entities"] or None, rows))
        if message.image is not None:
            photo = BufferedInputFile(message.image.data, filename=message.image.name)
            await self.bot.send_photo(chat_id=chat_id, photo=photo)

    async def _offered(self, message: Outgoing, sent: Message, shown: Shown) -> None:
        self.remember_shown(str(sent.chat.id), sent.message_id, shown)
        questions = {a.command: a.ask for a in message.actions if a.ask}
        if questions:
            async with self.db.transaction() as tx:
                await chats.offer(
                    tx,
                    platform=PLATFORM,
                    chat_id=str(sent.chat.id),
                    message_id=str(sent.message_id),
                    questions=questions,
                    at=self.clock.now(),
                )

    def remember_shown(self, chat_id: str, message_id: int, shown: Shown) -> None:
        self.shown[(chat_id, message_id)] = shown
        self.shown.move_to_end((chat_id, message_id))
        while len(self.shown) > 500:
            self.shown.popitem(last=False)

    async def moved(self, old_id: str, new_id: str) -> None:
        """The group became a supergroup with a new id: it stays registered, under the new id."""
        async with self.db.transaction() as tx:
            group = await groups.move(tx, platform=PLATFORM, old_external_id=old_id, new_external_id=new_id)
        if group is not None:
            log.info("group %s moved from %s to %s", group.name, old_id, new_id)


class TelegramAdapter:
    """Turns Telegram updates into the core's messages, and runs the bot by long polling or a webhook."""

    def __init__(self, app: App, transport: TelegramTransport) -> None:
        self.app = app
        self.transport = transport
        self.bot = transport.bot
        self.updates = Dispatcher(disable_fsm=True)
        router = Router(name="pointsbot")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_button)
        router.my_chat_member.register(self.on_membership)
        self.updates.include_router(router)
        self._order = asyncio.Lock()  # one update at a time, in the order Telegram gives them
        self._tails: dict[str, asyncio.Task[None]] = {}  # the last sending task of each chat
        self._tasks: set[asyncio.Task[None]] = set()

    # --- updates -----------------------------------------------------------------------------------

    async def on_message(self, message: Message) -> None:
        chat = chat_ref(message.chat)
        if message.migrate_to_chat_id is not None:
            await self.transport.moved(chat.id, str(message.migrate_to_chat_id))
            return
        if message.migrate_from_chat_id is not None:
            await self.transport.moved(str(message.migrate_from_chat_id), chat.id)
            return
        user, text = message.from_user, message.text
        if user is None or user.is_bot or not text:
            return
        if message.sender_chat is not None:  # an anonymous group admin or a channel: nobody we can tell apart
            if self._is_command(text):
                t = await self._translator(chat, None)
                self._send_later(chat.id, [Outgoing(chat, t("telegram.anonymous"))])
            return
        if chat.is_private:
            await self.transport.remember_private(str(user.id), True)
        if self._is_start(text):
            text = "/help"  # Telegram's first words to a bot (and its deep links): show what it can do
        answered = await self._answered_question(message, chat)
        if answered is not None and self._is_command(text):
            answered = None  # they typed a whole command instead of the answer
        if answered is not None:
            text = f"{answered.command} {text}"
        incoming = Incoming(PLATFORM, chat, user_ref(user), text, str(message.message_id), message.date)
        outs = await self._handle(incoming)
        self._send_later(chat.id, outs)
        if answered is not None and answered.origin_message_id and outs and not any(o.refused for o in outs):
            result = "\n".join(o.text for o in outs if o.chat.id == chat.id)
            origin = int(answered.origin_message_id)
            self._later(chat.id, self._settle(chat, origin, answered.command, result, user, None))

    async def on_button(self, query: CallbackQuery) -> None:
        message = query.message
        if not query.data or message is None:
            await self._answer(query)
            return
        chat = chat_ref(message.chat)
        command = _command(query.data)
        if query.data.startswith(ASK):
            async with self.app.db.snapshot() as tx:
                question = await chats.question_for(
                    tx, platform=PLATFORM, chat_id=chat.id, message_id=str(message.message_id), command=command
                )
            if question is not None:
                if isinstance(message, Message) and (shown := Shown.of(message)) is not None:
                    self.transport.shown.setdefault((chat.id, message.message_id), shown)
                self._later(chat.id, self._ask(query, chat, message.message_id, command, question))
                return
            # A button older than the questions we keep: the core explains what the command still needs.
        presser = user_ref(query.from_user)
        incoming = Incoming(PLATFORM, chat, presser, command, f"cb:{query.id}", self.app.clock.now())
        outs = await self._handle(incoming)
        here = [o for o in outs if o.chat.id == chat.id]
        elsewhere = [o for o in outs if o.chat.id != chat.id]
        self._later(chat.id, self._pressed(query, chat, command, here))
        self._send_later(chat.id, elsewhere)

    async def on_membership(self, event: ChatMemberUpdated) -> None:
        chat = chat_ref(event.chat)
        status, before = event.new_chat_member.status, event.old_chat_member.status
        if chat.is_private:  # the person started the bot, or blocked it
            await self.transport.remember_private(chat.id, status not in _GONE)
            return
        if status in _GONE:
            await self.app.sender.chat_gone(chat)
            return
        if before in _GONE:
            await self._greet(chat, admin=status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR))

    # --- the pieces --------------------------------------------------------------------------------

    async def _handle(self, incoming: Incoming) -> list[Outgoing]:
        async with self._order:
            return await self.app.handle(incoming)

    def _is_start(self, text: str) -> bool:
        start = _START.match(text)
        if start is None:
            return False
        target = start.group(1)
        return target is None or target[1:].lower() in {name.lower() for name in self.transport.bot_names}

    def _is_command(self, text: str) -> bool:
        registry = self.app.registry
        parsed = parse(text, bot_names=self.app.dispatcher.bot_names, known_words=registry.words)
        return parsed is not None and registry.find(parsed.word) is not None

    async def _answered_question(self, message: Message, chat: ChatRef) -> chats.Asked | None:
        """The question this message answers, if it is a reply by the person asked to one the bot asked."""
        target, user = message.reply_to_message, message.from_user
        me = self.transport.me
        if target is None or user is None or me is None or target.from_user is None or target.from_user.id != me.id:
            return None
        async with self.app.db.snapshot() as tx:
            return await chats.asked(
                tx, platform=PLATFORM, chat_id=chat.id, message_id=str(target.message_id), user_id=str(user.id)
            )

    async def _community(self, chat: ChatRef, user_id: str | None) -> Community | None:
        """The community this chat (or else this person) belongs to; the only one if nothing tells."""
        community_id: int | None = None
        async with self.app.db.snapshot() as tx:
            if not chat.is_private:
                group = await groups.for_chat(tx, platform=PLATFORM, external_id=chat.id)
                community_id = group.community_id if group else None
            if community_id is None and user_id is not None:
                actor = await residents.actor_for(tx, platform=PLATFORM, external_id=user_id)
                community_id = actor.community_id if actor else None
        communities = self.app.communities
        return communities.by_id.get(community_id or -1) or communities.default

    async def _translator(self, chat: ChatRef, user_id: str | None) -> Translator:
        community = await self._community(chat, user_id)
        return community.t if community else Translator()

    async def _name(self, user: User) -> str:
        """The presser as the community knows them (their resident name), else as Telegram shows them."""
        async with self.app.db.snapshot() as tx:
            actor = await residents.actor_for(tx, platform=PLATFORM, external_id=str(user.id))
        return actor.name if actor else user.full_name

    async def _answer(self, query: CallbackQuery, text: str = "", *, alert: bool = False) -> None:
        if len(text) > MAX_ALERT:
            text = text[: MAX_ALERT - 1] + "…"
        try:
            await self.bot.answer_callback_query(query.id, text=text or None, show_alert=alert or None)
        except TelegramAPIError as error:  # too old to answer (a redelivery after a restart): nothing to do
            log.info("callback %s not answered: %s", query.id, error.message)

    async def _pressed(self, query: CallbackQuery, chat: ChatRef, command: str, here: list[Outgoing]) -> None:
        """After a button did its command: a pop-up for the presser, and the message shows who decided."""
        text = "\n".join(o.text for o in here)
        if not here or any(o.refused for o in here):
            await self._answer(query, text, alert=bool(text))
            return
        await self._answer(query, text)
        message = query.message
        assert message is not None
        fallback = Shown.of(message) if isinstance(message, Message) else None
        await self._settle(chat, message.message_id, command, text, query.from_user, fallback)

    async def _settle(
        self, chat: ChatRef, message_id: int, command: str, result: str, user: User, fallback: Shown | None
    ) -> None:
        """Edit a message with buttons once one was acted on: that item's buttons go, a line says who did it."""
        shown = self.transport.shown.get((chat.id, message_id)) or fallback
        if shown is None:
            return
        item = _item(command)
        rows = [
            [b for b in row if _command(b.callback_data or "") != command]
            for row in shown.rows
            if not (item and any(_item(_command(b.callback_data or "")) == item for b in row))
        ]
        rows = [row for row in rows if row]
        t = await self._translator(chat, str(user.id))
        line = t("telegram.decided", result=result, who=await self._name(user))
        text = (shown.text + "\n" + line)[:MAX_TEXT]
        settled = Shown(text, shown.entities, rows)
        self.transport.remember_shown(chat.id, message_id, settled)
        try:
            await self.bot.edit_message_text(
                text=text,
                chat_id=int(chat.id),
                message_id=message_id,
                entities=shown.entities,
                reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
            )
        except TelegramAPIError as error:
            log.info("message %s in %s not updated: %s", message_id, chat.id, error.message)

    async def _ask(self, query: CallbackQuery, chat: ChatRef, origin: int, command: str, question: str) -> None:
        """Put the button's question to the presser, as a message they answer by replying to it."""
        await self._answer(query)
        presser = user_ref(query.from_user)
        content = _render(question, () if chat.is_private else (presser,)).as_kwargs(replace_parse_mode=False)
        try:
            sent = await self.bot.send_message(
                chat_id=int(chat.id), reply_markup=ForceReply(force_reply=True, selective=True), **content
            )
        except TelegramAPIError as error:
            log.warning("question for %s in %s not sent: %s", command, chat.id, error.message)
            return
        async with self.app.db.transaction() as tx:
            await chats.ask(
                tx,
                platform=PLATFORM,
                chat_id=chat.id,
                message_id=str(sent.message_id),
                command=command,
                question=question,
                user_id=presser.id,
                origin_message_id=str(origin),
                at=self.app.clock.now(),
            )

    async def _greet(self, chat: ChatRef, *, admin: bool) -> None:
        """Added to a group: say hello, and how to start if the group is not registered."""
        async with self.app.db.snapshot() as tx:
            group = await groups.for_chat(tx, platform=PLATFORM, external_id=chat.id)
        community = await self._community(chat, None)
        t = community.t if community else Translator()
        me = self.transport.me
        lines = [t("telegram.hello", bot=community.bot_name if community else me.full_name if me else "")]
        if group is None or not group.active:
            lines.append(t("groups.registration_hint"))
        if me is not None and me.can_read_all_group_messages is False and not admin:
            lines.append(t("telegram.privacy_hint"))
        self._send_later(chat.id, [Outgoing(chat, "\n".join(lines))])

    # --- sending in the background, in order per chat ------------------------------------------------

    def _send_later(self, key: str, outs: list[Outgoing]) -> None:
        if outs:
            self._later(key, self.app.sender.send_now(outs))

    def _later(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        previous = self._tails.get(key)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await work
            except Exception:
                log.exception("sending to %s failed", key)

        task = asyncio.create_task(run())
        self._tails[key] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if self._tails.get(key) is finished:
                del self._tails[key]

        task.add_done_callback(done)

    async def drain(self) -> None:
        """Wait until every reply handed to the background has been sent."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    # --- the command menu --------------------------------------------------------------------------

    async def set_commands(self) -> None:
        """The `/` menu in both languages: everyone's commands for all, staff commands for group admins."""
        registry = self.app.registry
        default = self.app.communities.default
        default_language = default.config.community.language if default else "zh_CN"
        everyone = [spec for spec in registry.commands if not spec.staff_only]
        for scope, specs in (
            (BotCommandScopeDefault(), everyone),
            (BotCommandScopeAllChatAdministrators(), registry.commands),
        ):
            for code, language in ((None, default_language), ("zh", "zh_CN"), ("en", "en")):
                t = Translator(language)
                commands = [
                    BotCommand(command=spec.name, description=t(f"cmd.{spec.name}.summary")[:256])
                    for spec in specs
                    if COMMAND_NAME.fullmatch(spec.name)
                ]
                await self.bot.set_my_commands(commands=commands, scope=scope, language_code=code)

    # --- running -----------------------------------------------------------------------------------

    async def poll(self, stop: asyncio.Event, *, polling_timeout: int = 30) -> None:
        """Long polling until `stop` is set; stopped with `stop_polling()`, never by cancelling it."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(
            self.updates.start_polling(
                self.bot,
                polling_timeout=polling_timeout,
                handle_as_tasks=False,  # in order; an update counts as received only once it was handled
                handle_signals=False,
                close_bot_session=False,
            )
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([polling, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            await self.updates.stop_polling()
        stopping.cancel()
        await polling

    def webhook_app(self, secret: str, path: str = "/") -> web.Application:
        """An aiohttp application that takes Telegram's webhook calls; a call without `secret` is refused."""
        app = web.Application()
        handler = SimpleRequestHandler(
            dispatcher=self.updates, bot=self.bot, handle_in_background=False, secret_token=secret
        )
        app.router.add_route("POST", path, handler.handle)
        return app

    async def serve_webhook(self, settings: TelegramSettings, stop: asyncio.Event) -> None:
        """Listen for Telegram's webhook calls until `stop` is set."""
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
        runner = web.AppRunner(self.webhook_app(secret, urlsplit(settings.webhook_url).path or "/"))
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            await self.bot.set_webhook(
                url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=self.updates.resolve_used_update_types(),
            )
            log.info("webhook set; listening on %s:%s", settings.webhook_host, settings.webhook_port)
            await stop.wait()
        finally:
            await runner.cleanup()


async def run(
    settings: TelegramSettings,
    make_app: Callable[[Mapping[str, TelegramTransport]], App],
    *,
    clock: Clock,
    stop: asyncio.Event,
    bot: Bot | None = None,
    polling_timeout: int = 30,
) -> None:
    """The Telegram bot, until `stop` is set: getMe, the app, the command menu, then polling or the webhook."""
    bot = bot or make_bot(settings)
    transport = TelegramTransport(bot, clock)
    try:
        await transport.identify()
        app = make_app({PLATFORM: transport})
        transport.attach(app.db)
        await app.open()
        try:
            adapter = TelegramAdapter(app, transport)
            await adapter.set_commands()
            serving = asyncio.create_task(app.serve(stop))
            try:
                if settings.webhook_url:
                    await adapter.serve_webhook(settings, stop)
                else:
                    await adapter.poll(stop, polling_timeout=polling_timeout)
            finally:
                stop.set()
                await adapter.drain()
                await serving
        finally:
            await app.close()
    finally:
        await bot.session.close()
