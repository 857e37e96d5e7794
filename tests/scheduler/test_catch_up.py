"""Exactly once, on time, after any restart: the database decides, whichever process or pass gets there."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.adapters.memory import MemoryTransport
from bot.app import App
from bot.messages import ChatKind, Outgoing
from bot.testing import Harness, local, make_config
from bot.transcript import PRIVATE
from scheduler.clock import VirtualClock
from store import schedule
from store.schema import chat_groups, residents

GROUPS = {"志愿者群", "居民群"}


def in_groups(sent: list[Outgoing]) -> list[Outgoing]:
    return [m for m in sent if m.chat.kind is ChatKind.GROUP]


def group_posts(sent: list[Outgoing], marker: str) -> Counter[str]:
    return Counter(m.chat.id for m in sent if m.chat.kind is ChatKind.GROUP and marker in m.text)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(database_url, make_config(), start="2026-11-03 09:00")
    await harness.text("张三", "签到 巡逻")
    await harness.at("2026-11-03 11:00")
    await harness.text("张三", "签退")
    await harness.text("王主任", "通过 1")
    yield harness
    await harness.close()


async def test_down_from_the_25th_to_the_28th_sends_the_notice_at_start(bot: Harness) -> None:
    """Back within two days of the 26th, the bot posts the notice at start, once per group, and the
    objection window runs its full three days from then."""
    await bot.at("2026-11-25 20:00")
    sent = await bot.restart("2026-11-28 08:00")
    assert group_posts(sent, "2026年11月积分公示") == Counter(dict.fromkeys(GROUPS, 1))
    assert "请在 12月1日 09:00 前" in sent[0].text  # three full days, to the notice's time of day
    assert not [m for m in sent if m.chat.kind is ChatKind.PRIVATE]  # nothing to report: nothing was missed
    assert await bot.restart("2026-11-28 08:05") == []
    assert not in_groups(await bot.at("2026-11-30 20:00"))  # the window is still open
    assert not in_groups(await bot.at("2026-12-01 08:59"))
    assert group_posts(await bot.at("2026-12-01 09:00"), "11月积分公示结束") == Counter(dict.fromkeys(GROUPS, 1))


async def test_a_notice_older_than_the_grace_is_reported_not_posted(bot: Harness) -> None:
    """Back more than two days after the 26th: nothing stale goes to the groups; the admin is told once and
    can publish by hand, which posts it once."""
    await bot.at("2026-11-25 20:00")
    sent = await bot.restart("2026-11-28 10:00")
    assert [m.chat.id for m in sent] == ["王主任"]
    assert "11月26日 09:00 的11月积分公示" in sent[0].text and "「公示 发布」" in sent[0].text
    assert await bot.restart("2026-11-28 10:05") == []
    preview = await bot.text("王主任", "公示", chat=PRIVATE)
    assert "11月积分公示本该在 11月26日 09:00 发布，但还没有发出去" in preview
    published = await bot.say("王主任", "公示 发布", chat=PRIVATE)
    assert "11月积分公示已发布，发往 2 个群。异议期到 12月2日 09:00" in published[0].text
    assert group_posts(published, "2026年11月积分公示") == Counter(dict.fromkeys(GROUPS, 1))
    await bot.at("2026-11-28 10:10")  # the same command straight after would be taken for a flood
    assert "已于 11月28日 10:05 发到全部 2 个群，不用再发" in await bot.text("王主任", "公示 发布", chat=PRIVATE)


async def test_on_time_then_restarts_post_nothing_twice(bot: Harness) -> None:
    """A notice posted on time is not posted again by a restart, a second pass or a manual publish."""
    first = await bot.at("2026-11-26 09:30")
    assert group_posts(first, "2026年11月积分公示") == Counter(dict.fromkeys(GROUPS, 1))
    assert await bot.restart("2026-11-26 09:31") == []
    for spec in bot.app.jobs:  # every job firing again, as a second scheduler would
        await spec.run(bot.clock.now())
    await bot.app.deliver_all_due()
    assert bot.transport.take() == []
    assert await bot.restart("2026-11-27 12:00") == []


async def test_time_travel_and_start_up_post_the_same(database_url: str) -> None:
    """Jumping over the 26th with the clock (November) and starting up on the 26th after being down
    (December) post the same messages to the same chats; only the times follow the real posting time."""
    harness = await Harness.start(database_url, make_config(exchange={"months": []}), start="2026-11-24 09:00")
    try:
        travelled = await harness.at("2026-11-26 10:00")
        await harness.at("2026-12-22 09:00")
        started = await harness.restart("2026-12-26 10:00")
    finally:
        await harness.close()

    def shape(sent: list[Outgoing], month: str) -> list[tuple[str, str]]:
        return sorted((m.chat.id, m.text.split("\n")[0].replace(month, "M月")) for m in sent)

    assert shape(travelled, "11月") == shape(started, "12月") != []


async def test_two_bots_on_one_database_post_each_notice_once(database_url: str) -> None:
    """Two bot processes start at the same moment on one database and live through the same month: every
    notice reaches every group once, and nobody is created twice."""
    config = make_config(exchange={"dates": ["2026-11-28"]})
    transports = [MemoryTransport(), MemoryTransport()]
    apps = [
        App(
            database_url=database_url,
            configs=[config],
            clock=VirtualClock(local("2026-11-20 09:00", config)),
            transports={"console": transport},
            paced=False,
        )
        for transport in transports
    ]
    try:
        await asyncio.gather(*(app.open() for app in apps))
        async with apps[0].db.snapshot() as tx:
            assert await tx.scalar(select(func.count()).select_from(residents)) == 5
            assert await tx.scalar(select(func.count()).select_from(chat_groups)) == 2
        start, end = local("2026-11-20 09:00", config), local("2026-11-30 10:00", config)
        await asyncio.gather(*(app.run_jobs_until(start, end) for app in apps))
        sent = transports[0].take() + transports[1].take()
        for marker in ("2026年11月积分公示", "【兑换日预告】", "【今天是积分兑换日】", "11月积分公示结束"):
            assert group_posts(sent, marker) == Counter(dict.fromkeys(GROUPS, 1)), marker
        weekly = Counter(m.chat.id for m in sent if "【每周测评】" in m.text)
        assert weekly == Counter({"王主任": 2, "李审核": 2})  # Mondays 23 and 30 November
    finally:
        for app in apps:
            await app.close()


async def test_two_bots_coming_back_late_report_once(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes starting together after the grace has passed tell the admin once, not twice, even when
    both read how far the schedule had got before either moved it on: the claim in the database decides."""
    config = make_config()
    first = await Harness.start(database_url, config, start="2026-11-20 09:00")
    await first.close()
    since = local("2026-11-20 09:00", config)

    async def both_read_the_old_mark(tx: object, *, community_id: int, now: object) -> datetime:
        return since

    monkeypatch.setattr(schedule, "checked_until", both_read_the_old_mark)
    transports = [MemoryTransport(), MemoryTransport()]
    apps = [
        App(
            database_url=database_url,
            configs=[config],
            clock=VirtualClock(local("2026-11-28 10:00", config)),
            transports={"console": transport},
            paced=False,
        )
        for transport in transports
    ]
    try:
        await asyncio.gather(*(app.open() for app in apps))
        await asyncio.gather(*(app.deliver_all_due() for app in apps))
        sent = transports[0].take() + transports[1].take()
        assert [m.chat.id for m in sent] == ["王主任"] and "11月26日 09:00 的11月积分公示" in sent[0].text
        async with apps[0].db.snapshot() as tx:
            runs = await schedule.runs(tx, community_id=apps[0].communities.default.id)  # type: ignore[union-attr]
        assert [(r.job, r.occurrence, r.outcome.value) for r in runs] == [
            ("weekly_summary", "2026-11-16", "missed"),  # Monday the 23rd, five days ago
            ("monthly_notice", "2026-11", "missed"),
        ]
    finally:
        for app in apps:
            await app.close()
