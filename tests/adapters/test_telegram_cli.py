"""`pointsbot run --adapter telegram` as an operator starts it, in a subprocess, against a fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.telegram_testing import TOKEN, FakeBotAPIServer, FakeTelegram


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPIServer]:
    server = FakeBotAPIServer(FakeTelegram())
    await server.start()
    yield server
    await server.close()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POINTSBOT_")}
    env["POINTSBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    env.update(extra)
    return env


async def _pointsbot(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--adapter",
        "telegram",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_runs_until_sigterm(tmp_path: Path, api: FakeBotAPIServer) -> None:
    """With a token it registers its menu, polls, and on SIGTERM stops polling and exits 0."""
    env = _env(tmp_path, POINTSBOT_TELEGRAM__TOKEN=TOKEN, POINTSBOT_TELEGRAM__API_BASE=api.url)
    process = await _pointsbot(tmp_path, env)
    try:
        await api.telegram.wait_for(lambda: api.telegram.offsets, within=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert "setMyCommands" in [c.method for c in api.telegram.calls]
    assert TOKEN not in stderr.decode()


async def test_without_a_token_it_says_what_to_set(tmp_path: Path) -> None:
    """No token configured: the bot says which variable to set instead of starting."""
    process = await _pointsbot(tmp_path, _env(tmp_path))
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2 and "POINTSBOT_TELEGRAM__TOKEN" in stderr.decode()
