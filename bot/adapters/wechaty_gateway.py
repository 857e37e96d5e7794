"""The connection to a Wechaty puppet service: the gateway that holds a WeChat login and speaks gRPC.

Any Wechaty gateway (`wechaty gateway`, the wechaty/wechaty docker image, a hosted puppet service) speaks
one protocol: an event stream (`Event`) that pushes what happens, and calls that read payloads and send
messages. We speak it with wechaty-grpc's generated client stub over grpclib, in plaintext, so the gateway
runs with WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true. The token goes in the `authorization`
header as `Wechaty <token>`, the way the upstream server checks it.

Python's own Wechaty client (wechaty, wechaty-puppet-service) is not used: the `wechaty` package does not
import on Python 3.11 or newer, `wechaty-puppet-service` imports `telnetlib` (gone in Python 3.13), stops the
gateway's puppet on every start, asks a discovery service on the internet when no endpoint is set, and has
no reconnect or watchdog. The README says more.

`Gateway.run` keeps one connection open: it opens the event stream, starts the puppet, sends a `ding` when
the stream has been quiet and expects the `dong` back, and reconnects with back-off when the gateway goes
away or stops answering. Everything else in the bot sees plain values (`Message`, `Room` …), never a
protobuf object.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import EventResponse, EventType

log = logging.getLogger(__name__)

T = TypeVar("T")

# The upstream gateway writes TypeScript wechaty-puppet's message type numbers into the `type` field
# (Text = 7), not the numbering that wechaty-grpc's .proto declares (where 7 would be VIDEO).
TEXT_MESSAGE = 7

QR_CODE_PAGE = "https://wechaty.js.org/qrcode/"


class GatewayError(Exception):
    """A call to the gateway did not work."""


class GatewayRefused(GatewayError):
    """The gateway refused our token: nothing will work until the configuration is fixed."""


class GatewayUnavailable(GatewayError):
    """Not connected, or the gateway is not logged in to WeChat: the call was not made."""


class GatewayFailed(GatewayError):
    """The gateway answered the call with an error (the puppet could not do it)."""


class ConnectionLost(GatewayError):
    """The connection broke during the call: whether it took effect is unknown."""


class DeadStream(Exception):
    """The event stream stopped answering, even to a ding."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    type: int
    talker_id: str
    room_id: str  # empty for a private message
    listener_id: str
    text: str
    mention_ids: tuple[str, ...]
    sent_at: datetime | None  # aware UTC, when the gateway says

    @property
    def is_text(self) -> bool:
        return self.type == TEXT_MESSAGE


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    topic: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    friend: bool


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    room_alias: str  # the name this member gave themselves in the room (群昵称), if any

    @property
    def shown_name(self) -> str:
        return self.room_alias or self.name


def _time(value: int) -> datetime | None:
    """The gateway's message time: milliseconds since 1970 (older puppets: seconds)."""
    if value <= 0:
        return None
    seconds = value / 1000 if value > 10**11 else float(value)
    return datetime.fromtimestamp(seconds, tz=UTC)


class Gateway:
    """One Wechaty puppet service, reached over gRPC, kept connected by `run`."""

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        *,
        ding_interval: float = 15.0,
        dead_after: float = 45.0,
        call_timeout: float = 20.0,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.host, self.port = host, port
        self.endpoint = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._metadata = {"authorization": f"Wechaty {token}"}
        self.ding_interval = ding_interval
        self.dead_after = dead_after
        self.call_timeout = call_timeout
        self.backoff = backoff
        self.self_id: str | None = None  # the bot's own WeChat id, from the latest login
        self.messages: asyncio.Queue[str] = asyncio.Queue()  # ids of messages the gateway announced
        self.connections = 0  # how many times a connection was made (1 + reconnections)
        self._stub: PuppetStub | None = None
        self._ready = asyncio.Event()  # connected and logged in
        self._last_seen = 0.0

    # --- the connection -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop` is set. Raises GatewayRefused when the token is refused."""
        low, high = self.backoff
        delay = low
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            started = loop.time()
            reason = await self._until(stop, self._session())
            if stop.is_set():
                break
            if loop.time() - started > self.dead_after:
                delay = low  # it was a working connection: try again quickly
            wait = delay * random.uniform(1.0, 1.25)  # jitter, not cryptography
            log.warning("WeChat gateway %s: %s; connecting again in %.0f s", self.endpoint, reason, wait)
            await self._until(stop, asyncio.sleep(wait))
            delay = min(high, delay * 2)

    async def _until(self, stop: asyncio.Event, work: Awaitable[None]) -> str:
        """Run `work` until it ends or `stop` is set; returns why it ended. GatewayRefused escapes."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            return "stopped"
        error = task.exception()
        if isinstance(error, GRPCError) and error.status is Status.UNAUTHENTICATED:
            # Not the gateway's own words: they repeat the token.
            raise GatewayRefused(
                f"the WeChat gateway at {self.endpoint} refused the token; "
                "check POINTSBOT_WECHATY__TOKEN against the gateway's WECHATY_TOKEN"
            ) from None
        if isinstance(error, GatewayRefused):
            raise error
        if error is None:
            return "the connection ended"
        return _describe(error)

    async def _session(self) -> None:
        """One connection: event stream first (as the upstream client does), then Start, then watch."""
        channel = Channel(self.host, self.port)
        calls = PuppetStub(channel, metadata=self._metadata, timeout=self.call_timeout)
        stream = PuppetStub(channel, metadata=self._metadata)  # no deadline: the stream stays open
        loop = asyncio.get_running_loop()
        try:
            async with contextlib.aclosing(stream.event()) as events:
                first = await asyncio.wait_for(anext(events), self.call_timeout)
                self._on_event(first, loop.time())
                await calls.start()
                self._stub = calls
                self.connections += 1
                self._update_ready()
                log.info("connected to the WeChat gateway at %s", self.endpoint)
                reader = asyncio.ensure_future(self._read(events))
                watchdog = asyncio.ensure_future(self._watch(calls))
                try:
                    done, _ = await asyncio.wait({reader, watchdog}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in (reader, watchdog):
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await task
                for task in done:
                    task.result()  # re-raise what ended the session
        finally:
            self._stub = None
            self._update_ready()
            channel.close()

    async def _read(self, events: AsyncIterator[EventResponse]) -> None:
        loop = asyncio.get_running_loop()
        async for event in events:
            self._on_event(event, loop.time())

    async def _watch(self, calls: PuppetStub) -> None:
        """Ding when the stream has been quiet; a stream that stays silent past `dead_after` is dead."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.ding_interval)
            quiet = loop.time() - self._last_seen
            if quiet >= self.dead_after:
                raise DeadStream(f"no event for {quiet:.0f} s, not even an answer to a ding")
            if quiet >= self.ding_interval:
                await calls.ding(data="pointsbot")

    def _on_event(self, event: EventResponse, now: float) -> None:
        self._last_seen = now
        try:
            payload: dict[str, Any] = json.loads(event.payload) if event.payload else {}
        except ValueError:
            log.warning("WeChat gateway sent an event (type %s) that is not JSON; ignored", event.type)
            return
        kind = event.type
        if kind == EventType.EVENT_TYPE_MESSAGE:
            message_id = payload.get("messageId")
            if message_id:
                self.messages.put_nowait(str(message_id))
        elif kind == EventType.EVENT_TYPE_LOGIN:
            self.self_id = str(payload.get("contactId") or "") or None
            log.info("the WeChat gateway is logged in as %s", self.self_id)
            self._update_ready()
        elif kind == EventType.EVENT_TYPE_LOGOUT:
            log.warning("the WeChat gateway logged out (%s); waiting for it to log in again", payload.get("data", ""))
            self.self_id = None
            self._update_ready()
        elif kind == EventType.EVENT_TYPE_SCAN:
            if payload.get("qrcode"):
                log.warning(
                    "the WeChat gateway needs a login: open %s%s and scan it with the bot's WeChat",
                    QR_CODE_PAGE,
                    quote(str(payload["qrcode"]), safe=""),
                )
        elif kind == EventType.EVENT_TYPE_ERROR:
            log.warning("the WeChat gateway reports an error: %s", payload.get("data", payload))
        else:  # heartbeat, dong, ready, room and friendship events: signs of life
            log.debug("WeChat gateway event %s: %s", kind, event.payload)

    def _update_ready(self) -> None:
        if self._stub is not None and self.self_id:
            self._ready.set()
        else:
            self._ready.clear()

    @property
    def ready(self) -> bool:
        """Connected and logged in to WeChat."""
        return self._ready.is_set()

    async def wait_ready(self, seconds: float) -> bool:
        """Wait up to `seconds` for a logged-in connection; whether there is one."""
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), seconds)
        return self._ready.is_set()

    # --- calls --------------------------------------------------------------------------------------

    async def _call(self, what: str, call: Callable[[PuppetStub], Awaitable[T]]) -> T:
        stub = self._stub
        if stub is None:
            raise GatewayUnavailable(f"{what}: not connected to the WeChat gateway")
        try:
            return await call(stub)
        except GRPCError as error:
            if error.status is Status.UNAUTHENTICATED:
                raise GatewayRefused(f"{what}: the gateway refused the token") from None
            raise GatewayFailed(f"{what}: {error.status.name} {error.message or ''}".strip()) from None
        except (StreamTerminatedError, ProtocolError, OSError, TimeoutError) as error:
            raise ConnectionLost(f"{what}: {_describe(error)}") from None

    async def message(self, message_id: str) -> Message:
        p = await self._call("message payload", lambda s: s.message_payload(id=message_id))
        return Message(
            id=p.id or message_id,
            type=int(p.type),
            talker_id=p.from_id,
            room_id=p.room_id,
            listener_id=p.to_id,
            text=p.text,
            mention_ids=tuple(p.mention_ids),
            sent_at=_time(int(p.timestamp)),
        )

    async def room(self, room_id: str) -> Room:
        p = await self._call("room payload", lambda s: s.room_payload(id=room_id))
        return Room(id=p.id or room_id, topic=p.topic, member_ids=tuple(p.member_ids))

    async def member(self, room_id: str, contact_id: str) -> Member:
        p = await self._call("room member", lambda s: s.room_member_payload(id=room_id, member_id=contact_id))
        return Member(id=p.id or contact_id, name=p.name, room_alias=p.room_alias)

    async def contact(self, contact_id: str) -> Contact:
        p = await self._call("contact payload", lambda s: s.contact_payload(id=contact_id))
        return Contact(id=p.id or contact_id, name=p.name, friend=bool(p.friend))

    async def send_text(self, conversation_id: str, text: str, mention_ids: Sequence[str] = ()) -> None:
        self._require_login("send text")
        await self._call(
            "send text",
            lambda s: s.message_send_text(conversation_id=conversation_id, text=text, mentonal_ids=list(mention_ids)),
        )

    async def send_image(self, conversation_id: str, name: str, data: bytes) -> None:
        """A picture, as a base64 FileBox (`boxType` too, for gateways older than file-box 1.0)."""
        self._require_login("send picture")
        box = json.dumps({"type": 1, "boxType": 1, "name": name, "base64": base64.b64encode(data).decode("ascii")})
        await self._call("send picture", lambda s: s.message_send_file(conversation_id=conversation_id, filebox=box))

    def _require_login(self, what: str) -> None:
        if not self.self_id:
            raise GatewayUnavailable(f"{what}: the WeChat gateway is not logged in")


def _describe(error: BaseException) -> str:
    if isinstance(error, GRPCError):
        return f"{error.status.name} {error.message or ''}".strip()
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the gateway running?)"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
