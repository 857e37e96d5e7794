"""The console: chat with the bot in a terminal, as any person of the community, in any of its groups.

Lines starting with `:` are for the console itself (`:user 张三`, `:group 志愿者群`, `:private`, `:help`,
`:quit`); everything else is a chat message. The bot's messages are printed like transcript lines.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import uuid
from collections.abc import Callable
from typing import TextIO

from bot.app import App
from bot.messages import ChatKind, ChatRef, Incoming, Outgoing, UserRef
from bot.ports import RateLimits
from bot.transcript import PRIVATE, render

PLATFORM = "console"


class ConsoleTransport:
    platform = PLATFORM
    limits = RateLimits()

    def __init__(self, bot_name: str, write: Callable[[str], None]) -> None:
        self.bot_name = bot_name
        self.write = write

    async def send(self, message: Outgoing) -> None:
        for line in render(message, self.bot_name):
            self.write(line)

    async def can_reach_privately(self, user_id: str) -> bool:
        return True


class Console:
    """Who is speaking, and where."""

    def __init__(self, user: str, group: str) -> None:
        self.user = user
        self.group = group
        self.private = False

    @property
    def where(self) -> str:
        return PRIVATE if self.private else self.group

    def prompt(self) -> str:
        return f"[{self.where}] {self.user}> "

    def message(self, text: str, app: App) -> Incoming:
        chat = (
            ChatRef(PLATFORM, self.user, ChatKind.PRIVATE, self.user)
            if self.private
            else ChatRef(PLATFORM, self.group, ChatKind.GROUP, self.group)
        )
        return Incoming(PLATFORM, chat, UserRef(self.user, self.user), text, uuid.uuid4().hex, app.clock.now())

    def meta(self, line: str) -> str | None:
        """Handle a `:` line; returns what to print, or None to quit."""
        word, _, arg = line[1:].strip().partition(" ")
        arg = arg.strip()
        if word in {"quit", "q", "exit", "退出"}:
            return None
        if word in {"user", "u", "我是"} and arg:
            self.user = arg
        elif word in {"group", "g", "群"} and arg:
            self.group, self.private = arg, False
        elif word in {"private", "p", "私聊"}:
            self.private = True
        else:
            return HELP
        return f"（现在是 {self.user}，在 {self.where}）"


HELP = """控制台命令 / console commands:
  :user 名字      换一个人说话 (speak as someone else)
  :group 群名     到另一个群 (move to another group)
  :private        和机器人私聊 (private chat with the bot)
  :quit           退出 (quit)
其余的每一行都是一条聊天消息，例如：签到 卫生整治 / Anything else is a chat message."""


async def run_console(
    app: App, console: Console, *, stdin: TextIO = sys.stdin, write: Callable[[str], None] = print
) -> None:
    """Read lines until end of input or `:quit`; the scheduler and outbox run meanwhile."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read_lines() -> None:  # a daemon thread, so a pending read never keeps the process alive
        for line in stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read_lines, name="console-input", daemon=True).start()
    stop = asyncio.Event()
    serving = asyncio.create_task(app.serve(stop))
    interactive = stdin.isatty()
    write(HELP)
    try:
        while True:
            if interactive:
                sys.stdout.write(console.prompt())
                sys.stdout.flush()
            line = await lines.get()
            if not line:
                break
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith(":"):
                said = console.meta(line)
                if said is None:
                    break
                write(said)
                continue
            if not interactive:
                write(f"[{console.where}] {console.user}: {line}")
            await app.receive(console.message(line, app))
            await app.sender.deliver_due()
    finally:
        stop.set()
        await serving
