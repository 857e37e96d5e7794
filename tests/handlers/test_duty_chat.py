"""Volunteers check in and out from the group chat."""

from __future__ import annotations

from bot.testing import Harness, local, make_config
from bot.transcript import PRIVATE
from store import reports


async def test_check_in_and_out_earns_points_after_review(bot: Harness) -> None:
    """A 90-minute session earns 3 points once a reviewer approves it, with the reviewer's name on it."""
    await bot.at("2026-11-03 09:15")
    assert "签到成功：卫生整治，开始时间 09:15" in await bot.text("张三", "签到 卫生整治")
    await bot.at("2026-11-03 10:45")
    reply = await bot.text("张三", "签退")
    assert "09:15 到 10:45，共 90 分钟" in reply and "可得 3 分" in reply
    assert "1. 张三 卫生整治 11月3日 09:15–10:45 90分钟 3分" in await bot.text("王主任", "待审核")
    approved = await bot.say("王主任", "通过 1")
    assert "3 分已到账" in approved[0].text
    assert approved[1].chat.id == "张三" and "审核人：王主任" in approved[1].text
    points = await bot.text("张三", "我的积分", chat=PRIVATE)
    assert "现有 3 分" in points and "本期（10月26日–11月25日）得分：3 分" in points
    assert "王主任" in await bot.text("张三", "明细", chat=PRIVATE)


async def test_what_was_done_goes_on_the_record(bot: Harness) -> None:
    """签退 with a few words keeps them as the record's content: in the reply, the reviewer's list and the export."""
    await bot.text("张三", "签到 卫生整治")
    await bot.at("2026-11-03 10:00")
    assert "服务内容：清理了3号楼楼道" in await bot.text("张三", "签退 清理了3号楼楼道")
    assert "张三 卫生整治（清理了3号楼楼道）" in await bot.text("王主任", "待审核")
    async with bot.app.db.snapshot() as tx:
        rows = await reports.service_rows(
            tx,
            community_id=next(iter(bot.app.communities)).id,
            start=local("2026-11-01 00:00", bot.config),
            end=local("2026-12-01 00:00", bot.config),
        )
    assert [(r.activity, r.content) for r in rows] == [("卫生整治", "清理了3号楼楼道")]


async def test_second_check_in_shows_the_open_session(bot: Harness) -> None:
    """Checking in twice is refused with the time of the first check-in."""
    await bot.text("张三", "签到 巡逻")
    await bot.at("2026-11-03 09:40")
    assert "您已经在值班了：巡逻，11月3日 09:00 签到的" in await bot.text("张三", "签到")


async def test_check_out_without_check_in(bot: Harness) -> None:
    """Checking out while not on duty gets a clear refusal."""
    assert "您现在没有在值班" in await bot.text("张三", "签退")


async def test_short_session_is_recorded_without_points(bot: Harness) -> None:
    """A 20-minute session is kept but earns nothing, and the reply says why."""
    await bot.text("张三", "签到")
    await bot.at("2026-11-03 09:20")
    reply = await bot.text("张三", "签退")
    assert "共 20 分钟" in reply and "要满 30 分钟才计分" in reply
    assert "现在没有等待审核的记录" in await bot.text("王主任", "待审核")


async def test_auto_approve_credits_at_once(database_url: str) -> None:
    """With auto_approve on, points are credited at check-out without a reviewer."""
    bot = await Harness.start(database_url, make_config(points={"auto_approve": True}))
    try:
        await bot.text("张三", "签到")
        await bot.at("2026-11-03 10:00")
        assert "已得 2 分，已经到账" in await bot.text("张三", "签退")
        assert "现有 2 分" in await bot.text("张三", "积分", chat=PRIVATE)
    finally:
        await bot.close()


async def test_forgotten_check_out_is_closed_by_the_job(bot: Harness) -> None:
    """A session left open past 8 hours is closed at the cap by the scheduled job and the volunteer is told."""
    await bot.text("张三", "签到 值守")
    sent = await bot.at("2026-11-03 17:30")
    assert [m.chat.id for m in sent] == ["张三"]
    assert "已按 8 小时帮您签退" in sent[0].text
    listing = await bot.text("王主任", "待审核")
    assert "张三 值守 11月3日 09:00–17:00 480分钟 16分（忘记签退，已按上限截断）" in listing
    assert "您现在没有在值班" in await bot.text("张三", "签退")


async def test_late_check_out_is_capped(bot: Harness) -> None:
    """Checking out after more than 8 hours records 8 hours and says staff will check."""
    await bot.text("张三", "签到")
    bot.clock.set(bot.clock.now().replace(hour=bot.clock.now().hour + 9))  # jobs skipped on purpose
    reply = await bot.text("张三", "签退")
    assert "先按 8 小时记录" in reply and "共 480 分钟" in reply


async def test_english_community(database_url: str) -> None:
    """A community whose language is en gets English replies to the same commands."""
    bot = await Harness.start(database_url, make_config(community={"name": "Test", "language": "en"}))
    try:
        assert "Checked in: volunteering, started at 09:00" in await bot.text("张三", "/checkin")
        assert "You are already on duty" in await bot.text("张三", "签到")
    finally:
        await bot.close()
