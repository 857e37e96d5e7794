"""Staff review service records and record services after the fact."""

from __future__ import annotations

from bot.testing import Harness
from bot.transcript import PRIVATE


async def _session(bot: Harness, who: str, until: str) -> None:
    await bot.text(who, "签到 巡逻")
    await bot.at(until)
    await bot.text(who, "签退")


async def test_reject_keeps_reason_for_the_volunteer(bot: Harness) -> None:
    """A rejected record credits nothing and the volunteer is told the reason privately."""
    await _session(bot, "张三", "2026-11-03 10:00")
    sent = await bot.say("王主任", "驳回 1 当天没有安排巡逻")
    assert "已驳回第 1 条" in sent[0].text
    assert sent[1].chat.id == "张三" and "原因：当天没有安排巡逻" in sent[1].text
    assert "现有 0 分" in await bot.text("张三", "积分", chat=PRIVATE)
    assert "已经处理过了（已驳回，审核人：王主任）" in await bot.text("李审核", "通过 1")


async def test_reject_needs_a_reason(bot: Harness) -> None:
    """Rejecting without a reason is refused, asking for one."""
    await _session(bot, "张三", "2026-11-03 10:00")
    assert "驳回时请写上原因" in await bot.text("王主任", "驳回 1")


async def test_reviewer_cannot_approve_own_record(bot: Harness) -> None:
    """A reviewer's own service must be approved by someone else."""
    await _session(bot, "李审核", "2026-11-03 10:00")
    assert "是您自己的服务记录" in await bot.text("李审核", "通过 1")
    assert "已通过第 1 条" in await bot.text("王主任", "通过 1")


async def test_approve_several_at_once(bot: Harness) -> None:
    """Several numbers in one 通过 are handled one by one, each with its own answer."""
    await bot.text("张三", "签到")
    await bot.text("李四", "签到")
    await bot.at("2026-11-03 10:00")
    await bot.text("张三", "签退")
    await bot.text("李四", "签退")
    reply = await bot.text("王主任", "通过 1、2 99")
    assert "已通过第 1 条" in reply and "已通过第 2 条" in reply and "没有第 99 条记录" in reply
    household = await bot.text("张三", "积分", chat=PRIVATE)
    assert "全家（1-1-101）合计：4 分" in household


async def test_approving_twice_credits_once(bot: Harness) -> None:
    """The second approval of the same record says it was handled and credits nothing more."""
    await _session(bot, "张三", "2026-11-03 10:00")
    await bot.text("王主任", "通过 1")
    assert "已经处理过了（已通过，审核人：王主任）" in await bot.text("李审核", "通过 1")
    assert "现有 2 分" in await bot.text("张三", "积分", chat=PRIVATE)


async def test_record_after_the_fact(bot: Harness) -> None:
    """补录 creates an approved record for someone else, with the recorder as reviewer."""
    await bot.at("2026-11-05 20:00")
    reply = await bot.text("王主任", "补录 王五 敬老院探访 11-03 09:00 10:30")
    assert "已补录：王五 敬老院探访，11月3日 09:00 到 10:30，共 90 分钟" in reply
    assert "3 分已到账，审核人：王主任" in reply
    assert "敬老院探访 +3 分（王主任）" in await bot.text("王五", "明细", chat=PRIVATE)


async def test_record_refuses_bad_input(bot: Harness) -> None:
    """Unknown names, unreadable times, future times and reversed spans each get a clear answer."""
    assert "没有找到居民「赵六」" in await bot.text("王主任", "补录 赵六 巡逻 09:00 10:00")
    assert "用法：补录 姓名 活动 [日期] 开始 结束" in await bot.text("王主任", "补录 王五 巡逻")
    assert "看不懂时间" in await bot.text("王主任", "补录 王五 巡逻 25:00 26:00")
    assert "不能补录将来的服务" in await bot.text("王主任", "补录 王五 巡逻 10:00 11:00")
    assert "结束时间要晚于开始时间" in await bot.text("王主任", "补录 王五 巡逻 08:00 07:00")


async def test_recording_own_service_waits_for_another_reviewer(bot: Harness) -> None:
    """Staff recording their own service get a pending record, not points."""
    await bot.at("2026-11-03 12:00")
    assert "请另一位工作人员审核" in await bot.text("李审核", "补录 李审核 巡逻 09:00 10:00")


async def test_namesakes_are_told_apart_by_household(bot: Harness) -> None:
    """When two residents share a name, staff are asked to add the household, and can."""
    await bot.text("新张三", "绑定 张三 8-8-808", chat=PRIVATE)
    await bot.text("王主任", "确认绑定 1")
    await bot.at("2026-11-03 12:00")
    reply = await bot.text("王主任", "补录 张三 巡逻 09:00 10:00")
    assert "有不止一位「张三」：张三(1-1-101)、张三(8-8-808)" in reply
    assert "已补录：张三 巡逻" in await bot.text("王主任", "补录 张三(8-8-808) 巡逻 09:00 10:00")


async def test_pending_list_offers_one_tap_approval(bot: Harness) -> None:
    """Each pending record comes with actions that approve it, or reject it after asking for the reason."""
    await _session(bot, "张三", "2026-11-03 10:00")
    listing = await bot.say("王主任", "待审核")
    assert [(a.label, a.command) for a in listing[0].actions] == [("通过 1", "通过 1"), ("驳回 1", "驳回 1")]
    assert "为什么驳回第 1 条（张三 " in listing[0].actions[1].ask
