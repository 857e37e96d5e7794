"""Binding chat accounts to residents, and registering groups."""

from __future__ import annotations

from bot.testing import Harness
from bot.transcript import PRIVATE


async def test_binding_request_confirmed_by_admin(bot: Harness) -> None:
    """A request reaches the admins; once confirmed, the person is told and can use the bot."""
    sent = await bot.say("小孙", "绑定 孙丽 7-3-202", chat=PRIVATE)
    assert "已收到绑定申请（编号 1）" in sent[0].text
    assert [m.chat.id for m in sent[1:]] == ["王主任"] and "确认绑定 1" in sent[1].text
    assert "1. 孙丽，7-3-202" in await bot.text("王主任", "绑定申请", chat=PRIVATE)
    confirmed = await bot.say("王主任", "确认绑定 1", chat=PRIVATE)
    assert "孙丽（7-3-202）绑定成功。这是新登记的居民。" in confirmed[0].text
    assert confirmed[1].chat.id == "小孙" and "绑定成功" in confirmed[1].text
    assert "孙丽 的积分" in await bot.text("小孙", "我的积分", chat=PRIVATE)


async def test_binding_to_an_existing_resident_who_already_has_an_account(bot: Harness) -> None:
    """Confirming a request for a resident already linked on this platform is refused: one account each."""
    await bot.text("假张三", "绑定 张三 1-1-101", chat=PRIVATE)
    assert "已经绑定了别的聊天账号" in await bot.text("王主任", "确认绑定 1")
    assert "假张三" not in await bot.text("张三", "我的积分", chat=PRIVATE)


async def test_only_admins_confirm(bot: Harness) -> None:
    """A reviewer who is not an admin cannot confirm bindings; a resident cannot bind themselves."""
    await bot.text("小孙", "绑定 孙丽 7-3-202", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("李审核", "确认绑定 1")
    assert "只有工作人员" in await bot.text("小孙", "确认绑定 1", chat=PRIVATE)
    assert "还没有绑定身份" in await bot.text("小孙", "我的积分", chat=PRIVATE)


async def test_bound_person_binding_again(bot: Harness) -> None:
    """Someone already bound who sends 绑定 is told who they are bound as."""
    assert "您已经绑定为 张三（1-1-101）" in await bot.text("张三", "绑定 李四 1-1-101", chat=PRIVATE)


async def test_a_wrong_request_is_turned_down_and_the_person_told_why(bot: Harness) -> None:
    """驳回绑定 closes the request without linking anyone, tells the asker why privately, and is audited;
    the person may ask again."""
    await bot.say("小孙", "绑定 孙丽 7-3-999", chat=PRIVATE)
    sent = await bot.say("王主任", "驳回绑定 1 没有这个门牌号", chat=PRIVATE)
    assert "已驳回第 1 号绑定申请（孙丽）" in sent[0].text
    assert sent[1].chat.id == "小孙" and "没有通过：没有这个门牌号" in sent[1].text
    assert "现在没有等待确认的绑定申请" in await bot.text("王主任", "绑定申请", chat=PRIVATE)
    assert "没有等待确认的第 1 号绑定申请" in await bot.text("王主任", "确认绑定 1", chat=PRIVATE)
    assert "还没有绑定身份" in await bot.text("小孙", "我的积分", chat=PRIVATE)
    assert "驳回绑定申请 1：孙丽（没有这个门牌号）" in await bot.text("王主任", "操作记录", chat=PRIVATE)
    assert "编号 2" in await bot.text("小孙", "绑定 孙丽 7-3-202", chat=PRIVATE)


async def test_only_admins_turn_requests_down(bot: Harness) -> None:
    """A reviewer cannot turn a binding request down; without a reason the person gets a plain one."""
    await bot.say("小孙", "绑定 孙丽 7-3-999", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("李审核", "驳回绑定 1")
    sent = await bot.say("王主任", "驳回绑定 1", chat=PRIVATE)
    assert "信息对不上，请到居委会核对" in sent[1].text


async def test_confirm_unknown_request(bot: Harness) -> None:
    """Confirming a request number that is not waiting says so."""
    assert "没有等待确认的第 5 号绑定申请" in await bot.text("王主任", "确认绑定 5")


async def test_unregistered_group_answers_only_help_and_registration(bot: Harness) -> None:
    """In a new group only help works until an admin registers it; then everything works."""
    assert "本群还没有登记到社区" in await bot.text("张三", "签到", chat="新群")
    assert "登记本群" in await bot.text("张三", "帮助", chat="新群")
    assert "只有工作人员" in await bot.text("张三", "登记本群", chat="新群")
    assert "本群已登记到测试社区：值班群" in await bot.text("王主任", "登记本群 值班", chat="新群")
    assert "签到成功" in await bot.text("张三", "签到", chat="新群")


async def test_registration_must_happen_in_the_group(bot: Harness) -> None:
    """登记本群 in a private chat explains it must be sent in the group."""
    assert "请在要登记的群里发这条命令" in await bot.text("王主任", "登记本群", chat=PRIVATE)
