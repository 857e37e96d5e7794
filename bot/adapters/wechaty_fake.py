"""A Wechaty puppet service for tests: a gRPC server on 127.0.0.1, written by hand on grpclib.

wechaty-grpc ships only the client stub, so the routes below are written out: the event stream, Start,
Stop, Ding, the payloads and sending. They behave like the upstream server (wechaty-puppet-service's
PuppetServer) where the bot can tell: the token is checked in the `authorization` header, the event stream
opens with a heartbeat and repeats the login, a second event stream is refused while one is open, a ding is
answered by a dong, and the bot's own messages come back as message events.

    fake = FakeGateway("token")
    fake.add_contact("wxid_zhang", "张三")
    fake.add_room("r1@chatroom", "志愿者群", ["wxid_zhang"])
    await fake.start()
    fake.login()
    fake.say("wxid_zhang", "@积分助手\u2005签到", room="r1@chatroom", mentions=[fake.bot_id])
    sent = await fake.wait_sent(1)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from grpclib.protocol import H2Protocol
from grpclib.server import Server, Stream
from wechaty_grpc.wechaty import puppet as pb

from bot.adapters.wechaty_gateway import TEXT_MESSAGE


@dataclass(frozen=True, slots=True)
class Sent:
    """What the bot sent through the gateway."""

    conversation_id: str
    text: str = ""
    mention_ids: tuple[str, ...] = ()
    file: dict[str, Any] | None = None  # the FileBox JSON of a picture
    at: float = 0.0  # time.monotonic() when it arrived


class _Connection(H2Protocol):
    """grpclib's connection, remembering its socket so that the fake gateway can drop it."""

    def __init__(self, protocol: H2Protocol, sockets: set[asyncio.BaseTransport]) -> None:
        super().__init__(protocol.handler, protocol.config, protocol.h2_config)
        self.sockets = sockets

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sockets.add(transport)
        super().connection_made(transport)


class _Server(Server):
    """grpclib's server, whose `drop` cuts every connection the way a crashed process does."""

    sockets: set[asyncio.BaseTransport]

    def _protocol_factory(self) -> H2Protocol:
        return _Connection(super()._protocol_factory(), self.sockets)

    def drop(self) -> None:
        for transport in self.sockets:
            transport.close()
        self.sockets.clear()


class FakeGateway:
    def __init__(self, token: str, *, bot_id: str = "wxid_bot", bot_name: str = "积分助手") -> None:
        self.token = token
        self.bot_id = bot_id
        self.port = 0
        self.contacts: dict[str, pb.ContactPayloadResponse] = {}
        self.rooms: dict[str, pb.RoomPayloadResponse] = {}
        self.aliases: dict[tuple[str, str], str] = {}
        self.messages: dict[str, pb.MessagePayloadResponse] = {}
        self.sent: list[Sent] = []
        self.logged_in_as: str | None = None
        self.answer_dings = True
        self.hold_payloads: asyncio.Event | None = None  # when set to an unset Event, payload calls wait for it
        self.event_calls = 0
        self.start_calls = 0
        self.dings = 0
        self.refused = 0
        self._streams: set[asyncio.Queue[pb.EventResponse]] = set()
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._changed = asyncio.Event()
        self.add_contact(bot_id, bot_name)

    # --- the world the gateway sees -------------------------------------------------------------------

    def add_contact(self, contact_id: str, name: str, *, friend: bool = True) -> None:
        self.contacts[contact_id] = pb.ContactPayloadResponse(id=contact_id, name=name, friend=friend)

    def add_room(self, room_id: str, topic: str, member_ids: Iterable[str], *, with_bot: bool = True) -> None:
        members = [*member_ids, *([self.bot_id] if with_bot else [])]
        self.rooms[room_id] = pb.RoomPayloadResponse(id=room_id, topic=topic, member_ids=members)

    def login(self, contact_id: str | None = None) -> None:
        self.logged_in_as = contact_id or self.bot_id
        self._emit(pb.EventType.EVENT_TYPE_LOGIN, {"contactId": self.logged_in_as})

    def logout(self) -> None:
        who, self.logged_in_as = self.logged_in_as, None
        self._emit(pb.EventType.EVENT_TYPE_LOGOUT, {"contactId": who, "data": "logged out"})

    def say(self, talker_id: str, text: str, *, room: str = "", mentions: Iterable[str] = ()) -> str:
        """A person writes: the message is stored and announced on the event stream; returns its id."""
        message_id = f"msg-{next(self._ids)}"
        self.messages[message_id] = pb.MessagePayloadResponse(
            id=message_id,
            text=text,
            timestamp=int(time.time() * 1000),
            type=TEXT_MESSAGE,
            from_id=talker_id,
            room_id=room,
            to_id="" if room else (self.logged_in_as or self.bot_id),
            mention_ids=list(mentions),
        )
        self.announce(message_id)
        return message_id

    def announce(self, message_id: str) -> None:
        """Emit the message event (again, for a redelivery)."""
        self._emit(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": message_id})

    async def wait_sent(self, count: int, seconds: float = 5.0) -> list[Sent]:
        """Wait until the bot has sent at least `count` messages in all; returns them all."""
        await self.wait_for(lambda: len(self.sent) >= count, seconds)
        return list(self.sent)

    async def wait_for(self, condition: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until `condition()` holds, checking whenever the gateway was called."""
        async with asyncio.timeout(seconds):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    # --- the server -----------------------------------------------------------------------------------

    async def start(self, port: int | None = None) -> None:
        """Listen on 127.0.0.1 (a free port the first time; the same port again after `stop`)."""
        self._server = _Server([self])
        self._server.sockets = set()
        await self._server.start("127.0.0.1", self.port if port is None else port)
        listening = self._server._server  # grpclib keeps the asyncio server here; it knows the bound port
        assert isinstance(listening, asyncio.Server)
        self.port = listening.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Go away the way a crashed gateway does: connections dropped, streams cut."""
        if self._server is not None:
            self._server.close()
            self._server.drop()
            await self._server.wait_closed()
            self._server = None
        self._streams.clear()

    @property
    def streams(self) -> int:
        return len(self._streams)

    def _emit(self, kind: pb.EventType, payload: dict[str, Any]) -> None:
        event = pb.EventResponse(type=kind, payload=json.dumps(payload, ensure_ascii=False))
        for queue in self._streams:
            queue.put_nowait(event)

    def _touch(self) -> None:
        self._changed.set()

    def __mapping__(self) -> dict[str, Handler]:
        def unary(call: Callable[[Any], Coroutine[Any, Any, Any]], request: type, reply: type) -> Handler:
            async def handle(stream: Stream[Any, Any]) -> None:
                self._check_token(stream)
                message = await stream.recv_message()
                await stream.send_message(await call(message))
                self._touch()

            return Handler(handle, Cardinality.UNARY_UNARY, request, reply)

        routes = {
            "Start": unary(self._start, pb.StartRequest, pb.StartResponse),
            "Stop": unary(self._stop, pb.StopRequest, pb.StopResponse),
            "Ding": unary(self._ding, pb.DingRequest, pb.DingResponse),
            "MessagePayload": unary(self._message_payload, pb.MessagePayloadRequest, pb.MessagePayloadResponse),
            "RoomPayload": unary(self._room_payload, pb.RoomPayloadRequest, pb.RoomPayloadResponse),
            "RoomMemberPayload": unary(
                self._room_member_payload, pb.RoomMemberPayloadRequest, pb.RoomMemberPayloadResponse
            ),
            "ContactPayload": unary(self._contact_payload, pb.ContactPayloadRequest, pb.ContactPayloadResponse),
            "MessageSendText": unary(self._send_text, pb.MessageSendTextRequest, pb.MessageSendTextResponse),
            "MessageSendFile": unary(self._send_file, pb.MessageSendFileRequest, pb.MessageSendFileResponse),
        }
        mapping = {f"/wechaty.Puppet/{name}": handler for name, handler in routes.items()}
        mapping["/wechaty.Puppet/Event"] = Handler(
            self._event, Cardinality.UNARY_STREAM, pb.EventRequest, pb.EventResponse
        )
        return mapping

    def _check_token(self, stream: Stream[Any, Any]) -> None:
        given = stream.metadata.get("authorization") if stream.metadata else None
        if given != f"Wechaty {self.token}":
            self.refused += 1
            self._touch()
            raise GRPCError(Status.UNAUTHENTICATED, f"Invalid Wechaty TOKEN {given!r}")

    async def _event(self, stream: Stream[Any, Any]) -> None:
        self._check_token(stream)
        await stream.recv_message()
        if self._streams:
            raise GRPCError(Status.ALREADY_EXISTS, "GrpcServerImpl.event() can not call twice.")
        self.event_calls += 1
        queue: asyncio.Queue[pb.EventResponse] = asyncio.Queue()
        self._streams.add(queue)
        self._touch()
        try:
            hello = json.dumps({"data": "Wechaty Puppet gRPC stream connect successfully"})
            await stream.send_message(pb.EventResponse(type=pb.EventType.EVENT_TYPE_HEARTBEAT, payload=hello))
            if self.logged_in_as:
                self._emit(pb.EventType.EVENT_TYPE_LOGIN, {"contactId": self.logged_in_as})
            while True:
                await stream.send_message(await queue.get())
        finally:
            self._streams.discard(queue)
            self._touch()

    async def _start(self, _: pb.StartRequest) -> pb.StartResponse:
        self.start_calls += 1
        return pb.StartResponse()

    async def _stop(self, _: pb.StopRequest) -> pb.StopResponse:
        return pb.StopResponse()

    async def _ding(self, request: pb.DingRequest) -> pb.DingResponse:
        self.dings += 1
        if self.answer_dings:
            self._emit(pb.EventType.EVENT_TYPE_DONG, {"data": request.data})
        return pb.DingResponse()

    async def _message_payload(self, request: pb.MessagePayloadRequest) -> pb.MessagePayloadResponse:
        if self.hold_payloads is not None:
            await self.hold_payloads.wait()
        return self._found(self.messages, request.id)

    async def _room_payload(self, request: pb.RoomPayloadRequest) -> pb.RoomPayloadResponse:
        return self._found(self.rooms, request.id)

    async def _room_member_payload(self, request: pb.RoomMemberPayloadRequest) -> pb.RoomMemberPayloadResponse:
        contact = self._found(self.contacts, request.member_id)
        alias = self.aliases.get((request.id, request.member_id), "")
        return pb.RoomMemberPayloadResponse(id=contact.id, name=contact.name, room_alias=alias)

    async def _contact_payload(self, request: pb.ContactPayloadRequest) -> pb.ContactPayloadResponse:
        return self._found(self.contacts, request.id)

    async def _send_text(self, request: pb.MessageSendTextRequest) -> pb.MessageSendTextResponse:
        self._can_send(request.conversation_id)
        self.sent.append(Sent(request.conversation_id, request.text, tuple(request.mentonal_ids), at=time.monotonic()))
        own = self.say(self.logged_in_as or self.bot_id, request.text, room=self._room_of(request.conversation_id))
        return pb.MessageSendTextResponse(id=own)

    async def _send_file(self, request: pb.MessageSendFileRequest) -> pb.MessageSendFileResponse:
        self._can_send(request.conversation_id)
        self.sent.append(Sent(request.conversation_id, file=json.loads(request.filebox), at=time.monotonic()))
        return pb.MessageSendFileResponse(id=f"file-{next(self._ids)}")

    def _can_send(self, conversation_id: str) -> None:
        if not self.logged_in_as:
            raise GRPCError(Status.UNKNOWN, "not logged in")
        room = self.rooms.get(conversation_id)
        if room is not None and self.logged_in_as not in room.member_ids:
            raise GRPCError(Status.UNKNOWN, "not a member of this room")

    def _room_of(self, conversation_id: str) -> str:
        return conversation_id if conversation_id in self.rooms else ""

    @staticmethod
    def _found(table: dict[str, Any], key: str) -> Any:
        if key not in table:
            raise GRPCError(Status.UNKNOWN, f"no payload found for id {key}")
        return table[key]
