"""Flood limits: a burst from one account or one group gets a bounded number of answers, then silence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.flood import FloodLimits
from bot.testing import Harness
from bot.transcript import PRIVATE
from store.schema import inbox

LIMITS = FloodLimits(user_burst=4, user_refill=5.0, group_burst=6, group_refill=2.0, cooldown=60.0, repeat_window=30.0)


@pytest.fixture
async def guarded(database_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(database_url, flood=LIMITS)
    yield harness
    await harness.close()


async def test_a_flood_of_the_same_command_gets_one_answer(guarded: Harness) -> None:
    """Twenty 签到 in a row from one account: one answer, one check-in, nineteen times silence."""
    answers = [await guarded.say("张三", "签到") for _ in range(20)]
    assert "签到成功" in answers[0][0].text
    assert all(a == [] for a in answers[1:])
    async with guarded.app.db.snapshot() as tx:
        assert await tx.scalar(select(func.count()).select_from(inbox)) == 1  # the rest never reached the database


async def test_the_same_command_later_is_answered_again(guarded: Harness) -> None:
    """After the repeat window the same words are a new request and get their answer."""
    assert "签到成功" in await guarded.text("张三", "签到")
    guarded.clock.advance(timedelta(seconds=31))
    assert "您已经在值班了" in await guarded.text("张三", "签到")


async def test_a_refused_command_may_be_sent_again_at_once(guarded: Harness) -> None:
    """A refusal is not a repeat: once the group is registered, the same 签到 a moment later is carried out."""
    assert "本群还没有登记" in await guarded.text("张三", "签到", chat="新群")
    await guarded.text("王主任", "登记本群 值班", chat="新群")
    assert "签到成功" in await guarded.text("张三", "签到", chat="新群")
    assert await guarded.text("张三", "签到", chat="新群") == ""


async def test_the_same_command_after_something_else_is_answered(guarded: Harness) -> None:
    """Only a repeat straight after is ignored: 我的积分, then 明细, then 我的积分 again gets its answer."""
    assert "张三 的积分" in await guarded.text("张三", "我的积分", chat=PRIVATE)
    assert await guarded.text("张三", "我的积分", chat=PRIVATE) == ""
    await guarded.text("张三", "明细", chat=PRIVATE)
    assert "张三 的积分" in await guarded.text("张三", "我的积分", chat=PRIVATE)


async def test_many_different_commands_get_a_slow_down_then_silence(guarded: Harness) -> None:
    """Past the allowance one account is told once to slow down, then ignored until the cooldown ends."""
    words = ["帮助", "我的积分", "明细", "签到", "签退", "帮助 签到", "帮助 签退"]
    answers = [await guarded.text("张三", w, chat=PRIVATE) for w in words]
    assert all(answers[:4]) and "发得太快了" in answers[4] and answers[5:] == ["", ""]
    assert "签到成功" not in answers[4]
    guarded.clock.advance(timedelta(seconds=59))
    assert await guarded.text("张三", "我的积分 1", chat=PRIVATE) == ""
    guarded.clock.advance(timedelta(seconds=2))
    assert "张三 的积分" in await guarded.text("张三", "我的积分 2", chat=PRIVATE)


async def test_one_flooder_does_not_silence_others(guarded: Harness) -> None:
    """While one account is held back, another person in the same chat platform is answered."""
    for n in range(6):
        await guarded.say("张三", f"帮助 {n}", chat=PRIVATE)
    assert await guarded.text("张三", "帮助 9", chat=PRIVATE) == ""
    assert "签到成功" in await guarded.text("李四", "签到")


async def test_a_flooding_group_is_told_once_then_quiet(guarded: Harness) -> None:
    """Many people at once in one group: answers up to the group's allowance, one notice, then silence;
    private chats are not affected."""
    people = [f"居民{n}" for n in range(10)]
    answers = [await guarded.text(p, "帮助") for p in people]
    assert all(answers[:6]) and "本群消息太多" in answers[6] and answers[7:] == ["", "", ""]
    assert "帮助" in await guarded.text("居民9", "帮助", chat=PRIVATE)


async def test_chatter_does_not_count(guarded: Harness) -> None:
    """Ordinary talk in a group uses up nothing: commands after a long chat are answered."""
    for n in range(30):
        assert await guarded.say("张三", f"今天天气不错 {n}") == []
    assert "签到成功" in await guarded.text("张三", "签到")


async def test_the_running_bot_has_flood_limits_by_default(database_url: str) -> None:
    """An App built without saying otherwise (as `pointsbot run` builds it) guards against floods."""
    bot = await Harness.start(database_url)
    try:
        plain = App(database_url=database_url, configs=[bot.config], clock=bot.clock, transports={})
        assert plain.flood is not None and plain.flood.limits == FloodLimits()
        assert bot.app.flood is None  # the test harness turns them off unless asked
    finally:
        await bot.close()
