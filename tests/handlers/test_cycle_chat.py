"""The monthly cycle as people meet it in the chat: the notice, objections, closing, ranks, reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import picture
from bot.messages import ChatKind, Outgoing
from bot.testing import Harness, make_config
from bot.transcript import PRIVATE

NOTICE_GROUPS = {"志愿者群", "居民群"}


def in_groups(sent: list[Outgoing]) -> list[Outgoing]:
    return [m for m in sent if m.chat.kind is ChatKind.GROUP]


async def _serve(bot: Harness, who: str, start: str, end: str) -> None:
    await bot.at(start)
    await bot.text(who, "签到 巡逻")
    await bot.at(end)
    await bot.text(who, "签退")


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """A month of service: 张三 2 points, 李四 (same household) 4, 王五 2; all approved."""
    harness = await Harness.start(database_url, make_config(), start="2026-11-02 09:00")
    await _serve(harness, "张三", "2026-11-03 09:00", "2026-11-03 10:00")
    await _serve(harness, "李四", "2026-11-04 09:00", "2026-11-04 11:00")
    await _serve(harness, "王五", "2026-11-05 09:00", "2026-11-05 10:00")
    await harness.text("王主任", "通过 1 2 3")
    yield harness
    await harness.close()


async def test_the_notice_lists_households_with_masked_names(bot: Harness) -> None:
    """On the 26th each notice group gets one notice: households, masked names, totals, how to object."""
    sent = in_groups(await bot.at("2026-11-26 09:00"))
    assert {m.chat.id for m in sent} == NOTICE_GROUPS and len(sent) == 2
    text = sent[0].text
    assert text.startswith("【测试社区 2026年11月积分公示】\n本期 10月26日–11月25日：2 户 3 人有积分记录，合计 8 分")
    assert "· 1-1-101：张* 2分、李* 4分，共 6 分" in text and "· 2-2-202：王* 2分，共 2 分" in text
    assert "请在 11月29日 09:00 前发「异议 您的问题」" in text
    assert "张三" not in text and "李四" not in text


async def test_names_in_full_when_the_community_says_so(database_url: str) -> None:
    """With mask_names = false the notice shows whole names."""
    bot = await Harness.start(database_url, make_config(schedule={"notice": {"mask_names": False}}))
    try:
        await bot.text("王主任", "补录 张三 巡逻 11-03 08:00 09:00")
        assert "张三 2分" in in_groups(await bot.at("2026-11-26 09:00"))[0].text
    finally:
        await bot.close()


async def test_an_objection_outside_the_window_gets_the_next_window(bot: Harness) -> None:
    """Before the notice, an objection is answered with the dates of the next window."""
    reply = await bot.text("张三", "异议 我的积分少了", chat=PRIVATE)
    assert reply == (
        "现在不在异议期。下一次公示在 11月26日 09:00，异议期到 11月29日 09:00。平时有问题，也可以直接找社区工作人员。"
    )


async def test_objection_settled_with_a_correction_then_the_period_closes(bot: Harness) -> None:
    """An objection reaches the reviewers; settling it with +1 corrects the notice's period and tells the
    resident; when the window ends the period closes with a final notice that counts the correction."""
    await bot.at("2026-11-26 09:00")
    sent = await bot.say("王五", "异议 11月20日的巡逻没有记上")
    assert sent[0].chat.id == "王五" and "已收到您的异议（编号 1），是关于 11月积分的" in sent[0].text
    assert "已私信给您" in sent[1].text and sent[1].chat.id == "志愿者群"
    assert {m.chat.id for m in sent[2:]} == {"王主任", "李审核"}
    assert "新的异议 1：王五（2-2-202）对 11月积分：11月20日的巡逻没有记上" in sent[2].text
    assert "1. 王五（2-2-202）11月：11月20日的巡逻没有记上" in await bot.text("李审核", "异议列表", chat=PRIVATE)
    assert "只有工作人员可以用" in await bot.text("张三", "异议列表", chat=PRIVATE)
    settled = await bot.say("李审核", "处理异议 1 ＋1 已核实，补记11月20日巡逻", chat=PRIVATE)
    assert "已处理第 1 条异议（王五）：已核实，补记11月20日巡逻。积分更正 +1 分。" in settled[0].text
    assert settled[1].chat.id == "王五" and "处理人：李审核" in settled[1].text
    assert "已经处理过了" in await bot.text("王主任", "处理异议 1 维持", chat=PRIVATE)
    final = in_groups(await bot.at("2026-11-29 09:00"))
    assert {m.chat.id for m in final} == NOTICE_GROUPS
    assert (
        "公示期内收到 1 条异议，都已处理。本期（10月26日–11月25日）积分已经确定：2 户 3 人，合计 9 分" in final[0].text
    )
    assert "现有 3 分" in await bot.text("王五", "我的积分", chat=PRIVATE)
    assert "已在 11月29日 09:00 结束，不再发布" in await bot.text("王主任", "公示 发布", chat=PRIVATE)


async def test_an_open_objection_holds_the_period_until_settled(bot: Harness) -> None:
    """A window that ends with an objection open tells reviewers once and keeps the period open; settling
    it afterwards closes the period at once."""
    await bot.at("2026-11-26 09:00")
    await bot.text("张三", "异议 李四的积分算错了", chat=PRIVATE)
    ended = await bot.at("2026-11-29 09:00")
    assert not in_groups(ended)
    assert {m.chat.id for m in ended} == {"王主任", "李审核"}
    assert "还有 1 条异议没有处理" in ended[0].text
    assert not await bot.at("2026-11-29 12:00")
    assert "现在不在异议期" in await bot.text("王五", "异议 还有问题", chat=PRIVATE)
    settled = await bot.say("王主任", "处理异议 1 -1 核实后多记了1分", chat=PRIVATE)
    assert "11月的异议都处理完了，本期积分已经确定" in settled[0].text
    assert {m.chat.id for m in in_groups(settled)} == NOTICE_GROUPS


async def test_staff_cannot_settle_their_own_objection(bot: Harness) -> None:
    """A reviewer's own objection is settled by someone else."""
    await bot.at("2026-11-26 09:00")
    await bot.text("李审核", "异议 我11月的巡逻没记", chat=PRIVATE)
    assert "是您自己提的异议，请另一位工作人员处理" in await bot.text("李审核", "处理异议 1 好的", chat=PRIVATE)


async def test_settle_needs_a_result_and_a_sensible_correction(bot: Harness) -> None:
    """A settlement without a result, or with a zero correction, shows the usage."""
    await bot.at("2026-11-26 09:00")
    await bot.text("张三", "异议 少了", chat=PRIVATE)
    assert "用法：处理异议 编号 [+分/-分] 结果" in await bot.text("王主任", "处理异议 1", chat=PRIVATE)
    assert "不能是 0" in await bot.text("王主任", "处理异议 1 +0 没变", chat=PRIVATE)
    assert "请写上处理结果" in await bot.text("王主任", "处理异议 1 +2", chat=PRIVATE)


async def test_preview_is_private_and_publishing_is_for_admins(bot: Harness) -> None:
    """公示 shows the coming notice to the asker only; only an admin may post it; posting twice sends once."""
    preview = await bot.say("李审核", "公示")
    assert preview[0].chat.id == "李审核" and "下一次公示是 11月的，将在 11月26日 09:00 发布" in preview[0].text
    assert (preview[0].image is not None) == (picture.find_font() is not None)
    assert preview[1].chat.id == "志愿者群" and preview[1].text.endswith("已私信发给您。")
    assert "发布公示要由管理员来发" in await bot.text("李审核", "公示 发布", chat=PRIVATE)
    assert "现在没有要发布的公示" in await bot.text("王主任", "公示 发布", chat=PRIVATE)
    await bot.at("2026-11-26 08:00")  # the period is over; the notice is due at 09:00
    published = await bot.say("王主任", "公示 发布", chat=PRIVATE)
    assert "11月积分公示已发布，发往 2 个群" in published[0].text
    assert {m.chat.id for m in in_groups(published)} == NOTICE_GROUPS
    assert not in_groups(await bot.at("2026-11-26 09:30"))  # the schedule finds it done
    assert "看不懂「明天」" in await bot.text("王主任", "公示 明天", chat=PRIVATE)


async def test_a_group_registered_later_gets_the_notice_on_request(bot: Harness) -> None:
    """After publishing, 公示 发布 reaches only the groups that have not had the notice."""
    await bot.at("2026-11-26 09:00")
    await bot.say("王主任", "登记本群 公示", chat="新群")
    sent = await bot.say("王主任", "公示 发布", chat=PRIVATE)
    assert "这次补发给还没收到的 1 个群" in sent[0].text
    assert [m.chat.id for m in in_groups(sent)] == ["新群"]


async def test_rank_with_ties_and_opt_out(bot: Harness) -> None:
    """A household's rank counts its members; equal points share a place; an opted-out resident is left out
    of rankings altogether and is told so."""
    assert "您家（1-1-101）2026年到现在共 6 分，在 2 户里排第 1 名" in await bot.text("张三", "排名", chat=PRIVATE)
    await bot.text("李四", "不参与排名", chat=PRIVATE)
    reply = await bot.text("张三", "排名", chat=PRIVATE)
    assert "共 2 分，在 2 户里排第 1 名" in reply and "再得 18 分就到 ★ 了" in reply
    assert "共 2 分，在 2 户里排第 1 名" in await bot.text("王五", "排名", chat=PRIVATE)
    assert "您选择了不参与排名" in await bot.text("李四", "排名", chat=PRIVATE)
    assert "还没有积分，所以还没有排名" in await bot.text("李审核", "排名", chat=PRIVATE)


async def test_annual_ranking_on_the_last_day_of_the_year(bot: Harness) -> None:
    """On 31 December at 10:00 the households of the year are ranked in every notice group, with stars."""
    await bot.at("2026-11-12 09:00")
    await bot.text("王主任", "补录 王五 敬老院探访 11-10 08:00 16:00")
    await bot.text("王主任", "补录 王五 巡逻 11-11 08:00 09:00")  # 18 more points: 20 in all
    sent = in_groups(await bot.at("2026-12-31 10:00"))
    ranking = [m for m in sent if "年度星级文明户公示" in m.text]
    assert {m.chat.id for m in ranking} == NOTICE_GROUPS
    text = ranking[0].text
    assert "【测试社区 2026年度星级文明户公示】" in text
    assert "按 2026年全年积分（2025年12月26日–2026年12月25日）排名，共 2 户" in text
    assert "1. 2-2-202 王* 20分 ★" in text and "2. 1-1-101 张*、李* 6分 —" in text


async def test_reminders_go_to_their_groups_on_their_days(database_url: str) -> None:
    """A configured reminder reaches the named group at its time on its days, and nowhere else."""
    config = make_config(
        schedule={"reminders": [{"time": "09:15", "days": ["mon", "wed"], "text": "9点15集合", "groups": ["居民群"]}]}
    )
    bot = await Harness.start(database_url, config, start="2026-11-01 12:00")  # a Sunday
    try:
        sent = in_groups(await bot.at("2026-11-04 12:00"))
        assert [(m.chat.id, m.text) for m in sent] == [("居民群", "9点15集合"), ("居民群", "9点15集合")]
    finally:
        await bot.close()


async def test_weekly_summary_to_staff(bot: Harness) -> None:
    """Monday morning each staff member gets last week's hours, what waits for review, open objections."""
    await _serve(bot, "张三", "2026-11-06 09:00", "2026-11-06 10:00")
    await bot.at("2026-11-26 09:00")
    await bot.text("王五", "异议 少了", chat=PRIVATE)
    sent = await bot.at("2026-11-30 08:30")
    summaries = [m for m in sent if m.text.startswith("【每周测评】11月23日")]
    assert {m.chat.id for m in summaries} == {"王主任", "李审核"}
    assert summaries[0].text == (
        "【每周测评】11月23日–11月29日：\n这一周没有志愿服务记录。\n"
        "等待审核 1 条，最早的是 11月6日 的。发「待审核」处理。\n还有 1 条异议没有处理，发「异议列表」查看。"
    )
