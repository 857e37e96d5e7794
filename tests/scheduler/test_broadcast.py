"""A notice to many groups: one picture stored, sent once per group, resumed after a stop, failures handled."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot import picture
from bot.messages import ChatKind
from bot.ports import SendError
from bot.testing import Harness, local, make_config
from scheduler.setup import due_between
from store import groups, outbox
from store.schema import images

MANY = 250


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(database_url, make_config(), start="2026-11-20 09:00")
    await harness.text("王主任", "补录 张三 巡逻 11-19 09:00 10:00")
    yield harness
    await harness.close()


async def _queue_the_notice(bot: Harness) -> None:
    """Run the jobs due at 09:00 on the 26th without sending anything yet, as if the process stopped there."""
    moment = local("2026-11-26 09:00", bot.config)
    for due, spec in due_between(bot.app.jobs, bot.clock.now(), moment):
        bot.clock.set(due)
        await spec.run(due)
    bot.clock.set(moment)


async def test_many_groups_one_picture_resumed_after_a_stop(bot: Harness) -> None:
    """250 more groups: the picture is stored once; the sender stops after one pass; after a restart the rest
    go out, and no group gets the notice twice."""
    community = bot.app.communities.default
    assert community is not None
    async with bot.app.db.transaction() as tx:
        for number in range(MANY):
            await groups.register(
                tx,
                community_id=community.id,
                platform="console",
                external_id=f"楼栋群{number:03d}",
                name=f"楼栋群{number:03d}",
                duty=False,
                notice=True,
                by=None,
                at=bot.clock.now(),
            )
    await _queue_the_notice(bot)
    async with bot.app.db.snapshot() as tx:
        stored = await tx.scalar(select(func.count()).select_from(images))
        assert stored == (1 if picture.find_font() else 0)
    assert 0 < await bot.app.sender.deliver_due() < MANY + 2  # one pass of the sender, then the process stops
    first = bot.transport.take()
    rest = await bot.restart("2026-11-26 09:05")
    delivered = Counter(m.chat.id for m in [*first, *rest] if "2026年11月积分公示" in m.text)
    assert delivered == Counter({"志愿者群": 1, "居民群": 1, **{f"楼栋群{n:03d}": 1 for n in range(MANY)}})
    assert len({m.image.data for m in first if m.image}) == (1 if picture.find_font() else 0)
    async with bot.app.db.snapshot() as tx:
        assert set(await outbox.counts(tx)) == {"sent"}


async def test_a_notice_cut_off_mid_send_is_reported_not_resent(bot: Harness) -> None:
    """A row claimed by a process that died is never sent again; after the lease the admin is told where."""
    await _queue_the_notice(bot)
    async with bot.app.db.transaction() as tx:
        items = await outbox.due(tx, now=bot.clock.now(), platforms=["console"])
        cut = next(i for i in items if i.message.chat.id == "居民群")
        assert await outbox.claim(tx, item_id=cut.id, by="dead process", now=bot.clock.now())
    sent = await bot.restart("2026-11-26 09:10")
    assert [m.chat.id for m in sent if m.chat.kind is ChatKind.GROUP] == ["志愿者群"]
    reports = [m for m in sent if m.chat.id == "王主任" and "可能没有发出去" in m.text]
    assert len(reports) == 1 and "发往「居民群」的月度积分公示" in reports[0].text
    assert await bot.restart("2026-11-26 09:20") == []


async def test_a_flood_wait_is_retried_and_sent_once(bot: Harness) -> None:
    """The platform asks to wait: the notice reaches that group later, once."""
    bot.transport.failures["居民群"] = SendError("too many requests", retry_after=30)
    sent = await bot.at("2026-11-26 09:00")
    assert [m.chat.id for m in sent if m.chat.kind is ChatKind.GROUP] == ["志愿者群"]
    later = await bot.at("2026-11-26 09:15")
    assert [m.chat.id for m in later if m.chat.kind is ChatKind.GROUP] == ["居民群"]


async def test_a_group_the_bot_was_removed_from_is_dropped(bot: Harness) -> None:
    """A group that no longer takes the bot is marked inactive and the admin told; next month skips it."""
    bot.transport.failures["居民群"] = SendError("bot was kicked", chat_gone=True)
    sent = await bot.at("2026-11-26 09:00")
    assert [m.chat.id for m in sent if m.chat.kind is ChatKind.GROUP] == ["志愿者群"]
    assert any(m.chat.id == "王主任" and "居民群" in m.text for m in sent)
    december = await bot.at("2026-12-26 09:00")
    assert [m.chat.id for m in december if "12月积分公示】" in m.text] == ["志愿者群"]
