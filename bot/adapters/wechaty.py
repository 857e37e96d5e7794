"""WeChat groups through a Wechaty puppet service.

`WechatyTransport` sends the bot's messages through the gateway (a reply in a room @mentions the asker;
a picture follows its text); `WechatyAdapter` turns the gateway's messages into `Incoming` and hands them to
the app, one at a time and in order. `run_wechaty` is `pointsbot run --adapter wechaty`.

Pacing is the core's (`bot/delivery.py`); this module only declares WeChat's limits: one message every
2 seconds per account, no bursts. Accounts that send faster get restricted by WeChat.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.adapters.wechaty_gateway import (
    ConnectionLost,
    Contact,
    Gateway,
    GatewayError,
    GatewayFailed,
    GatewayRefused,
    GatewayUnavailable,
    Member,
    Message,
    Room,
)
from bot.app import App
from bot.config import CommunityConfig, WechatySettings
from bot.messages import ChatKind, ChatRef, Incoming, Outgoing, UserRef
from bot.ports import RateLimits, SendError
from scheduler.clock import Clock, SystemClock

__all__ = ["PLATFORM", "Gateway", "GatewayRefused", "WechatyAdapter", "WechatyTransport", "run_wechaty", "serve"]

log = logging.getLogger(__name__)

PLATFORM = "wechat"
MENTION_END = "\u2005"  # WeChat ends an @mention with a four-per-em space
SEND_INTERVAL = 2.0  # seconds between two messages of one account
T = TypeVar("T")


class WechatyTransport:
    """Sends through the gateway. Errors become SendError: retried when nothing was sent, never resent blindly."""

    platform = PLATFORM
    ids_may_change = True  # a gateway that logs in again may give people new ids (see bot/dispatch.py)

    def __init__(self, gateway: Gateway, *, interval: float = SEND_INTERVAL) -> None:
        self.gateway = gateway
        self.limits = RateLimits(per_chat_interval=interval, overall_interval=interval, per_chat_burst=1)

    async def send(self, message: Outgoing) -> None:
        """Fails at once while the gateway is away: the Sender retries replies, the outbox retries the rest."""
        chat = message.chat
        if not self.gateway.ready:
            raise SendError("the WeChat gateway is not connected or not logged in", retry_after=15)
        mentions = () if chat.is_private else message.mentions
        text = "".join(f"@{m.name}{MENTION_END}" for m in mentions) + message.text
        try:
            await self.gateway.send_text(chat.id, text, [m.id for m in mentions])
        except GatewayUnavailable as error:
            raise SendError(str(error), retry_after=30) from None
        except ConnectionLost as error:
            raise SendError(f"{error}; it may or may not have arrived") from None
        except GatewayFailed as error:
            if not chat.is_private and not await self._still_in(chat.id):
                raise SendError(f"{error}; the bot is no longer in this group", chat_gone=True) from None
            raise SendError(str(error), retry_after=60) from None
        except GatewayError as error:
            raise SendError(str(error)) from None
        if message.image is not None:
            # A second WeChat message: it keeps the same distance (the Sender reserved the time for it).
            await asyncio.sleep(self.limits.overall_interval)
            try:
                await self.gateway.send_image(chat.id, message.image.name, message.image.data)
            except GatewayError as error:  # the text, sent already, says everything; the picture is extra
                log.warning("picture %s to %s not sent: %s", message.image.name, chat.title or chat.id, error)

    async def _still_in(self, room_id: str) -> bool:
        try:
            room = await self.gateway.room(room_id)
        except GatewayFailed:
            return False  # the gateway no longer knows the room
        except GatewayError:
            return True  # cannot tell: assume yes
        return self.gateway.self_id in room.member_ids

    async def can_reach_privately(self, user_id: str) -> bool:
        """WeChat lets the bot write privately to its friends only."""
        try:
            return (await self.gateway.contact(user_id)).friend
        except GatewayError:
            return False


class _Cache(Generic[T]):
    """Names for a few minutes: room topics and members change rarely, and every message needs them."""

    def __init__(self, clock: Clock, ttl: timedelta = timedelta(minutes=10), size: int = 5000) -> None:
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self._items: dict[tuple[str, ...], tuple[T, datetime]] = {}

    async def get(self, key: tuple[str, ...], load: Callable[[], Awaitable[T]]) -> T:
        now = self.clock.now()
        found = self._items.get(key)
        if found is not None and found[1] > now:
            return found[0]
        value = await load()
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (value, now + self.ttl)
        return value


class WechatyAdapter:
    """Feeds the gateway's messages to the app, one at a time, in the order they came."""

    def __init__(self, app: App, gateway: Gateway, *, attempts: int = 5, pause: float = 0.5) -> None:
        self.app = app
        self.gateway = gateway
        self.attempts = attempts
        self.pause = pause  # before the first retry; doubled each time
        self.bot_names = {c.bot_name for c in app.communities}
        self._rooms: _Cache[Room] = _Cache(app.clock)
        self._members: _Cache[Member] = _Cache(app.clock)
        self._contacts: _Cache[Contact] = _Cache(app.clock)

    async def run(self) -> None:
        """Handle messages until cancelled. A message is retried while the gateway is away, then dropped."""
        while True:
            message_id = await self.gateway.messages.get()
            for attempt in range(1, self.attempts + 1):
                try:
                    incoming = await self.incoming(message_id)
                    break
                except GatewayRefused:
                    raise
                except GatewayError as error:
                    if attempt == self.attempts:
                        log.error("WeChat message %s dropped after %s attempts: %s", message_id, attempt, error)
                        incoming = None
                        break
                    log.info("WeChat message %s waits for the gateway: %s", message_id, error)
                    await asyncio.sleep(self.pause * 2 ** (attempt - 1))  # time for a broken connection to show
                    await self.gateway.wait_ready(60)
            if incoming is None:
                continue
            try:
                await self.app.receive(incoming)
            except Exception:  # a bug must not stop the bot: log it and go on with the next message
                log.exception("handling WeChat message %s failed", message_id)

    async def incoming(self, message_id: str) -> Incoming | None:
        """The message as the core sees it; None for what the bot does not read (its own, pictures …)."""
        m = await self.gateway.message(message_id)
        me = self.gateway.self_id
        if not m.is_text or not m.text or not m.talker_id or m.talker_id == me:
            return None
        now = self.app.clock.now()
        sent_at = min(m.sent_at, now) if m.sent_at else now
        addressed = me is not None and me in m.mention_ids
        if m.room_id:
            topic = await self._topic(m.room_id)
            sender = UserRef(m.talker_id, await self._name(m.talker_id, m.room_id))
            chat = ChatRef(PLATFORM, m.room_id, ChatKind.GROUP, topic)
            text = await self._without_own_mention(m, me) if addressed else m.text
        else:
            sender = UserRef(m.talker_id, await self._name(m.talker_id))
            chat = ChatRef(PLATFORM, m.talker_id, ChatKind.PRIVATE, sender.name)
            text = m.text
        return Incoming(PLATFORM, chat, sender, text, m.id, sent_at, addressed=addressed)

    async def _topic(self, room_id: str) -> str:
        try:
            room = await self._rooms.get((room_id,), lambda: self.gateway.room(room_id))
        except GatewayFailed:  # the gateway does not know the room (any more): the id will do
            return ""
        return room.topic

    async def _name(self, contact_id: str, room_id: str = "") -> str:
        """How the person shows: their name in the room (群昵称) or their WeChat name; the id at worst."""
        try:
            if room_id:
                key = (room_id, contact_id)
                return (await self._members.get(key, lambda: self.gateway.member(*key))).shown_name
            contact = await self._contacts.get((contact_id,), lambda: self.gateway.contact(contact_id))
        except GatewayFailed:
            return contact_id
        return contact.name or contact_id

    async def _without_own_mention(self, m: Message, me: str | None) -> str:
        """Remove "@<the bot>" (by its WeChat name, its name in the room, or its configured name)."""
        names = set(self.bot_names)
        if me:
            try:
                own = await self._members.get((m.room_id, me), lambda: self.gateway.member(m.room_id, me))
                names |= {own.name, own.room_alias}
            except GatewayFailed:
                pass  # the configured names, and the mention ids, still tell
        return strip_mentions(m.text, [n for n in names if n], only_bot_mentioned=m.mention_ids == (me,))


def strip_mentions(text: str, names: Sequence[str], *, only_bot_mentioned: bool) -> str:
    """Drop every `@name` of the bot; when the bot is the only one mentioned, a leading `@…` + U+2005 too."""
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(re.escape(f"@{name}") + rf"(?:{MENTION_END}|\s|$)", " ", text)
    text = text.strip()
    if only_bot_mentioned and text.startswith("@") and MENTION_END in text:
        text = text.partition(MENTION_END)[2]  # a name we did not know (renamed in this room just now)
    return text.strip()


async def serve(app: App, gateway: Gateway, stop: asyncio.Event) -> None:
    """Run the gateway connection, the message handling and the app's jobs and outbox until `stop` is set.

    Raises GatewayRefused (after stopping everything) when the gateway refuses the token.
    """
    adapter = WechatyAdapter(app, gateway)
    connection = asyncio.ensure_future(gateway.run(stop))
    handling = asyncio.ensure_future(adapter.run())
    jobs = asyncio.ensure_future(app.serve(stop))
    try:
        await asyncio.wait({connection, handling}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()
        handling.cancel()
        results = await asyncio.gather(connection, handling, jobs, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result


async def run_wechaty(
    settings: WechatySettings,
    *,
    database_url: str,
    configs: Iterable[CommunityConfig],
) -> None:
    """`pointsbot run --adapter wechaty`: until SIGINT or SIGTERM."""
    gateway = Gateway(*settings.address, settings.token.get_secret_value())
    app = App(
        database_url=database_url,
        configs=list(configs),
        clock=SystemClock(),
        transports={PLATFORM: WechatyTransport(gateway)},
    )
    await app.open()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    names = ", ".join(c.name for c in app.communities)
    log.info("pointsbot for %s: connecting to the WeChat gateway at %s", names, settings.endpoint)
    try:
        await serve(app, gateway, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await app.close()
