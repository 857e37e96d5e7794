"""A bot wired to a fake Telegram: the real aiogram dispatcher and the real core, nothing reaching the network."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.telegram_testing import Rig, make_rig, telegram_config


@pytest.fixture
async def rig(database_url: str) -> AsyncIterator[Rig]:
    rig = await make_rig(database_url, telegram_config())
    await rig.bind(rig.volunteer, "张三")
    await rig.bind(rig.reviewer, "王主任")
    yield rig
    await rig.adapter.drain()
    await rig.app.close()
