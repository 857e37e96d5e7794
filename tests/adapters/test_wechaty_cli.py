"""`pointsbot run --adapter wechaty` as a user runs it: a subprocess talking to a gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.adapters.wechaty_fake import FakeGateway

TOKEN = "5f0c7e1a-test-gateway"


async def run_bot(fake: FakeGateway, tmp_path: Path, token: str = TOKEN) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POINTSBOT_")}
    env.update(
        POINTSBOT_WECHATY__ENDPOINT=f"127.0.0.1:{fake.port}",
        POINTSBOT_WECHATY__TOKEN=token,
        POINTSBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--adapter", "wechaty",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_run_answers_through_the_gateway_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The command connects, answers a private message, and exits cleanly on SIGTERM (docker stop)."""
    fake = FakeGateway(TOKEN)
    fake.add_contact("wxid_guest", "访客")
    await fake.start()
    fake.login()
    bot = await run_bot(fake, tmp_path)
    try:
        await fake.wait_for(lambda: fake.start_calls == 1, 30)
        fake.say("wxid_guest", "帮助")
        [reply] = await fake.wait_sent(1, 30)
        assert reply.conversation_id == "wxid_guest" and "帮助" in reply.text
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 0, stderr.decode()
        assert "connected to the WeChat gateway" in stderr.decode() and TOKEN not in stderr.decode()
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await fake.stop()


async def test_run_with_a_refused_token_exits_with_the_reason(tmp_path: Path) -> None:
    """A token the gateway refuses ends the command with exit code 2 and says what to check."""
    fake = FakeGateway(TOKEN)
    await fake.start()
    bot = await run_bot(fake, tmp_path, token="0d9e-wrong-token")
    try:
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 2
        assert "refused the token" in stderr.decode() and "POINTSBOT_WECHATY__TOKEN" in stderr.decode()
        assert "0d9e-wrong-token" not in stderr.decode()
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await fake.stop()


async def test_run_without_gateway_settings_says_what_is_missing(tmp_path: Path) -> None:
    """Without the endpoint and token the command says which variables to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POINTSBOT_")}
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--adapter", "wechaty",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 2 and "POINTSBOT_WECHATY__ENDPOINT" in stderr.decode()
