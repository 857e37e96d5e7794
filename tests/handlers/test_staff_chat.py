"""Roles, staff lookups, the audit log and the ranking opt-out, including attempts to get around them."""

from __future__ import annotations

from sqlalchemy import select

from bot.testing import Harness, make_config
from bot.transcript import PRIVATE
from store.schema import audit_log, residents


async def test_admin_grants_a_role_and_it_takes_effect(bot: Harness) -> None:
    """设置角色 makes a resident a reviewer at once; help then shows them the reviewer's commands."""
    assert "待审核" not in await bot.text("张三", "帮助", chat=PRIVATE)
    assert "好了，张三 现在是审核员" in await bot.text("王主任", "设置角色 张三 审核员", chat=PRIVATE)
    assert "待审核" in await bot.text("张三", "帮助", chat=PRIVATE)
    assert "只有工作人员" not in await bot.text("张三", "待审核", chat=PRIVATE)
    assert "已经是审核员" in await bot.text("王主任", "设置角色 张三 reviewer", chat=PRIVATE)
    assert "好了，张三 不再是审核员" in await bot.text("王主任", "取消角色 张三 审核员", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("张三", "待审核", chat=PRIVATE)


async def test_nobody_but_an_admin_changes_roles(bot: Harness) -> None:
    """A resident cannot make themselves staff, and a reviewer cannot make themselves admin."""
    assert "只有工作人员" in await bot.text("张三", "设置角色 张三 管理员", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("李审核", "设置角色 李审核 管理员", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("李审核", "取消角色 王主任 管理员", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("张三", "绑定申请", chat=PRIVATE)


async def test_unknown_role_word_shows_the_roles(bot: Harness) -> None:
    """A role that does not exist is refused with the list of roles and the usage."""
    reply = await bot.text("王主任", "设置角色 张三 村长", chat=PRIVATE)
    assert "没有「村长」这个角色" in reply and "用法：设置角色 姓名 角色" in reply


async def test_roles_from_the_file_are_changed_in_the_file(bot: Harness) -> None:
    """A role given by community.toml cannot be taken away by command (the file would give it back)."""
    assert "配置文件" in await bot.text("王主任", "取消角色 李审核 审核员", chat=PRIVATE)
    assert "待审核" in await bot.text("李审核", "帮助", chat=PRIVATE)


async def test_admin_cannot_drop_their_own_admin_role(database_url: str) -> None:
    """An admin who got the role by command cannot remove it from themselves (no locking everyone out)."""
    bot = await Harness.start(database_url)
    try:
        await bot.text("王主任", "设置角色 张三 管理员", chat=PRIVATE)
        assert "不能取消您自己的管理员角色" in await bot.text("张三", "取消角色 张三 管理员", chat=PRIVATE)
        assert "不再是管理员" in await bot.text("王主任", "取消角色 张三 管理员", chat=PRIVATE)
    finally:
        await bot.close()


async def test_role_changes_are_audited_from_the_file_and_from_chat(bot: Harness) -> None:
    """The audit log names who changed which role, when, and from where — the file or a chat."""
    await bot.text("王主任", "设置角色 王五 收银员", chat=PRIVATE)
    log = await bot.text("王主任", "操作记录", chat=PRIVATE)
    assert "王主任：让 王五 做收银员（私聊）" in log
    assert "机器人：让 李审核 做审核员（配置文件）" in log


async def test_role_removed_from_the_file_is_removed_and_audited(database_url: str) -> None:
    """Restarting with a staff member taken out of the file removes their role and writes it down."""
    first = await Harness.start(database_url)
    await first.close()
    config = make_config(staff=[{"name": "王主任", "roles": ["admin", "reviewer"]}])
    bot = await Harness.start(database_url, config)
    try:
        assert "只有工作人员" in await bot.text("李审核", "待审核", chat=PRIVATE)
        assert "取消 李审核 的审核员角色（配置文件）" in await bot.text("王主任", "操作记录", chat=PRIVATE)
    finally:
        await bot.close()


async def test_lookup_is_private_staff_only_and_audited(bot: Harness) -> None:
    """Staff see a resident's numbers only in private, each look is logged; residents see nothing."""
    await bot.text("张三", "签到 巡逻")
    assert "只有工作人员" in await bot.text("李四", "查询 张三", chat=PRIVATE)
    assert "只能私聊我发" in await bot.text("李审核", "查询 张三")
    reply = await bot.text("李审核", "查询 张三", chat=PRIVATE)
    assert (
        "张三 的积分：现有 0 分" in reply
        and "全家（1-1-101）" in reply
        and "正在值班：巡逻" in reply
        and "已记入操作记录" in reply
    )
    assert "李审核：查询了 张三 的积分和记录（私聊）" in await bot.text("王主任", "操作记录", chat=PRIVATE)


async def test_audit_log_is_for_staff_in_private(bot: Harness) -> None:
    """Residents cannot read the audit log; staff read it privately, filtered by person if they like."""
    await bot.text("李审核", "查询 张三", chat=PRIVATE)
    await bot.text("王主任", "查询 李四", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("张三", "操作记录", chat=PRIVATE)
    assert "只能私聊我发" in await bot.text("王主任", "操作记录")
    mine = await bot.text("王主任", "操作记录 李审核", chat=PRIVATE)
    assert "查询了 张三" in mine and "李四" not in mine


async def test_audit_log_shows_unknown_actions_as_stored(bot: Harness) -> None:
    """An action this version has no sentence for is still shown, with its details."""
    async with bot.app.db.transaction() as tx:
        await tx.execute(
            audit_log.insert().values(
                community_id=1, actor_id=None, action="future_thing", detail='{"x": 1}', created_at=bot.clock.now()
            )
        )
    assert "机器人：future_thing（x=1）（配置文件）" in await bot.text("王主任", "操作记录", chat=PRIVATE)


async def test_nobody_reads_another_persons_history(bot: Harness) -> None:
    """明细 with someone else's name shows only the asker's own entries."""
    reply = await bot.text("张三", "明细 李四", chat=PRIVATE)
    assert "张三" in reply and "李四" not in reply


async def test_rank_opt_out_and_back(bot: Harness) -> None:
    """不参与排名 and 参与排名 set the resident's own choice, which staff can see."""
    assert "排名里不会出现您的名字" in await bot.text("张三", "不参与排名", chat=PRIVATE)
    async with bot.app.db.snapshot() as tx:
        assert await tx.scalar(select(residents.c.rank_opt_out).where(residents.c.name == "张三")) is True
    assert "本人选择了不参与排名" in await bot.text("王主任", "查询 张三", chat=PRIVATE)
    assert "排名里会有您的名字" in await bot.text("张三", "参与排名")
    async with bot.app.db.snapshot() as tx:
        assert await tx.scalar(select(residents.c.rank_opt_out).where(residents.c.name == "张三")) is False
