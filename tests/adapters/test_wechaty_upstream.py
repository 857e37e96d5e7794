"""The WeChat adapter against the real upstream gateway: wechaty-puppet-service's PuppetServer under Node.

`make upstream` (part of `make test`) installs the pinned npm packages into tests/upstream/node_modules.
The mock puppet logs a contact in and says `@积分助手 签到` in a mock room; the bot must answer through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.wechaty import PLATFORM, WechatyTransport, serve
from bot.adapters.wechaty_gateway import Gateway
from bot.app import App
from bot.messages import ChatKind, ChatRef, Image, Outgoing
from bot.testing import make_config
from scheduler.clock import SystemClock
from store import residents

UPSTREAM = Path(__file__).resolve().parents[1] / "upstream"
TOKEN = "insecure_pointsbot-upstream-test"
ROOM = "upstream-room@chatroom"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed: the upstream Wechaty gateway needs it")


class UpstreamGateway:
    """The Node process: commands in as JSON lines, events out as JSON lines."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port

    async def command(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command, ensure_ascii=False) + "\n").encode())
        await self.process.stdin.drain()
        await self.next_event("done")

    async def next_event(self, kind: str, seconds: float = 20.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(seconds):
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    raise AssertionError("the upstream gateway exited")
                event: dict[str, Any] = json.loads(line)
                if event["event"] == kind:
                    return event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def upstream() -> AsyncIterator[UpstreamGateway]:
    if not (UPSTREAM / "node_modules" / "wechaty-puppet-service").is_dir():
        pytest.fail("the upstream npm packages are not installed: run `make upstream` (make test does)")
    assert NODE is not None
    port = free_port()
    env = {**os.environ, "WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER": "true", "WECHATY_LOG": "silent"}
    process = await asyncio.create_subprocess_exec(
        NODE, "gateway.mjs", str(port), TOKEN,
        cwd=UPSTREAM, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    gateway = UpstreamGateway(process, port)
    try:
        await gateway.next_event("listening", 60)
        yield gateway
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_the_bot_answers_through_the_upstream_gateway(database_url: str, upstream: UpstreamGateway) -> None:
    """A mock resident's `@积分助手 签到` in a mock room reaches the bot, whose reply goes back through the
    upstream server with the resident's mention id; a picture goes through as a file box."""
    await upstream.command(op="contact", id="wxid_wang", name="王桂荣")
    await upstream.command(op="room", id=ROOM, topic="红帮带志愿者群", members=["wxid_wang"])
    await upstream.command(op="login")
    config = make_config(
        groups=[{"name": "红帮带志愿者群", "platform": PLATFORM, "chat_id": ROOM}],
        members=[{"name": "王桂荣", "household": "5-1-101"}],
    )
    gateway = Gateway("127.0.0.1", upstream.port, TOKEN, call_timeout=10.0)
    transport = WechatyTransport(gateway, interval=0.1)
    app = App(
        database_url=database_url, configs=[config], clock=SystemClock(), transports={PLATFORM: transport}, paced=False
    )
    await app.open()
    now = datetime.now(UTC)
    async with app.db.transaction() as tx:
        resident = await residents.find_by_name(tx, community_id=next(iter(app.communities)).id, name="王桂荣")
        account = await residents.ensure_account(
            tx, platform=PLATFORM, external_id="wxid_wang", display_name="", at=now
        )
        await residents.bind_account(tx, account_id=account, resident_id=resident.id, by=None, at=now)
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, gateway, stop))
    try:
        assert await gateway.wait_ready(20)
        await upstream.command(
            op="say", **{"from": "wxid_wang"}, room=ROOM, text="@积分助手\u2005签到", mentions=["wxid_bot"]
        )
        reply = await upstream.next_event("sent")
        assert reply["conversation"] == ROOM and reply["mentions"] == ["wxid_wang"]
        assert reply["text"].startswith("@王桂荣\u2005签到成功")

        png = b"\x89PNG\r\n\x1a\n" + bytes(200)
        chat = ChatRef(PLATFORM, ROOM, ChatKind.GROUP, "红帮带志愿者群")
        await transport.send(Outgoing(chat, "十一月公示", image=Image("notice.png", png)))
        assert (await upstream.next_event("sent"))["text"] == "十一月公示"
        picture = await upstream.next_event("file")
        assert (picture["conversation"], picture["name"], picture["size"]) == (ROOM, "notice.png", len(png))
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, 10)
        await app.close()
