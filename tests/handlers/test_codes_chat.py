"""One-time binding codes and unlinking: attacks on who someone is."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.messages import ChatKind, ChatRef, Incoming, UserRef
from bot.testing import Harness
from bot.transcript import PRIVATE
from store import codes
from store.schema import audit_log, binding_codes


async def issue(bot: Harness, name: str, *, by: str = "王主任") -> str:
    reply = await bot.text(by, f"绑定码 {name}", chat=PRIVATE)
    found = re.search(r"绑定码：(\d{6})", reply)
    assert found, reply
    return found.group(1)


async def test_code_binds_a_new_account_once(bot: Harness) -> None:
    """A code from an admin links the account that sends it privately, and works only once."""
    code = await issue(bot, "孙丽 7-3-202")
    assert "绑定成功！您现在是 孙丽（7-3-202）" in await bot.text("小孙", f"绑定 {code}", chat=PRIVATE)
    assert "孙丽 的积分" in await bot.text("小孙", "我的积分", chat=PRIVATE)
    assert "绑定码不对" in await bot.text("路人", f"绑定 {code}", chat=PRIVATE)
    assert "还没有绑定身份" in await bot.text("路人", "我的积分", chat=PRIVATE)


async def test_full_width_code_is_read(bot: Harness) -> None:
    """A code typed with full-width digits works like the plain one."""
    code = await issue(bot, "孙丽 7-3-202")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert "绑定成功" in await bot.text("小孙", f"绑定 {wide}", chat=PRIVATE)


async def test_code_expires_after_ten_minutes(bot: Harness) -> None:
    """A code is refused one second after its ten minutes."""
    code = await issue(bot, "孙丽 7-3-202")
    await bot.at("2026-11-03 09:10:01")
    assert "绑定码不对，或者已经过期" in await bot.text("小孙", f"绑定 {code}", chat=PRIVATE)


async def test_code_said_in_a_group_is_burnt_and_the_issuer_told(bot: Harness) -> None:
    """A code posted in a group is refused and voided, whoever posts it; the admin who issued it is told."""
    code = await issue(bot, "孙丽 7-3-202")
    sent = await bot.say("张三", f"绑定 {code}")
    assert "绑定码不能发在群里" in sent[0].text and sent[0].chat.id == "志愿者群"
    assert [m.chat.id for m in sent[1:]] == ["王主任"] and "已经作废" in sent[1].text
    assert "绑定码不对" in await bot.text("小孙", f"绑定 {code}", chat=PRIVATE)


async def test_wrong_code_in_a_group_gets_the_same_answer(bot: Harness) -> None:
    """A group learns nothing from the reply: a good and a made-up code get the same words."""
    code = await issue(bot, "孙丽 7-3-202")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    made_up = [m.text for m in await bot.say("张三", f"绑定 {wrong}") if m.chat.id == "志愿者群"]
    good = [m.text for m in await bot.say("李四", f"绑定 {code}") if m.chat.id == "志愿者群"]
    assert made_up == good and len(good) == 1


async def test_code_in_an_unregistered_group_is_burnt_too(bot: Harness) -> None:
    """Even in a group the bot does not serve, a code said aloud stops working."""
    code = await issue(bot, "孙丽 7-3-202")
    assert "绑定码不能发在群里" in await bot.text("小孙", f"绑定 {code}", chat="陌生群")
    assert "绑定码不对" in await bot.text("小孙", f"绑定 {code}", chat=PRIVATE)


async def test_code_is_only_issued_in_private_by_an_admin(bot: Harness) -> None:
    """Asking for a code in a group, or as a reviewer or resident, shows no code and stores none."""
    assert "只能私聊我发" in await bot.text("王主任", "绑定码 张三")
    assert "只有工作人员" in await bot.text("李审核", "绑定码 张三", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("张三", "绑定码 李四", chat=PRIVATE)
    async with bot.app.db.snapshot() as tx:
        assert (await tx.execute(select(binding_codes))).all() == []


async def test_codes_are_stored_hashed_never_in_clear(bot: Harness) -> None:
    """Neither the codes table nor the audit log holds the code's digits."""
    code = await issue(bot, "张三")
    async with bot.app.db.snapshot() as tx:
        stored = (await tx.execute(select(binding_codes.c.code_hash))).scalar_one()
        logged = " ".join((await tx.execute(select(audit_log.c.detail))).scalars())
    assert code not in stored and stored.startswith("scrypt$") and codes.code_matches(code, stored)
    assert code not in logged and "张三" in logged


async def test_a_new_code_replaces_the_old_one(bot: Harness) -> None:
    """Issuing a second code for the same person voids the first."""
    first = await issue(bot, "孙丽 7-3-202")
    second = await issue(bot, "孙丽 7-3-202")
    assert "绑定码不对" in await bot.text("小孙", f"绑定 {first}", chat=PRIVATE)
    assert "绑定成功" in await bot.text("小孙", f"绑定 {second}", chat=PRIVATE)


async def test_guessing_voids_live_codes(bot: Harness) -> None:
    """After many wrong tries, from any number of accounts, live codes are voided and their issuer told."""
    code = await issue(bot, "孙丽 7-3-202")
    guesses = [f"{n:06d}" for n in range(codes.MAX_FAILURES + 1) if f"{n:06d}" != code][: codes.MAX_FAILURES]
    told: list[str] = []
    for n, guess in enumerate(guesses):
        sent = await bot.say(f"猜码人{n}", f"绑定 {guess}", chat=PRIVATE)
        assert "绑定码不对" in sent[0].text
        told += [m.text for m in sent[1:] if m.chat.id == "王主任"]
    assert len(told) == 1 and "多次输错绑定码" in told[0]
    assert "绑定码不对" in await bot.text("小孙", f"绑定 {code}", chat=PRIVATE)


async def test_bound_account_cannot_take_another_identity_with_a_code(bot: Harness) -> None:
    """Someone already bound who sends a code stays who they are, and the code stays usable."""
    code = await issue(bot, "孙丽 7-3-202")
    assert "您已经绑定为 张三" in await bot.text("张三", f"绑定 {code}", chat=PRIVATE)
    assert "绑定成功" in await bot.text("小孙", f"绑定 {code}", chat=PRIVATE)


async def test_code_for_someone_already_linked_needs_unbinding_first(bot: Harness) -> None:
    """A second account on the same platform is refused until an admin unlinks the first."""
    code = await issue(bot, "张三")
    assert "已经绑定了别的聊天账号" in await bot.text("张三的新手机", f"绑定 {code}", chat=PRIVATE)
    assert "已解除 张三 的 1 个聊天账号绑定" in await bot.text("王主任", "解绑 张三", chat=PRIVATE)
    assert "还没有绑定身份" in await bot.text("张三", "我的积分", chat=PRIVATE)
    assert "绑定成功！您现在是 张三" in await bot.text("张三的新手机", f"绑定 {code}", chat=PRIVATE)


async def test_unbinding_is_for_admins_and_not_oneself(bot: Harness) -> None:
    """Residents and reviewers cannot unlink anyone; an admin cannot unlink themselves."""
    assert "只有工作人员" in await bot.text("张三", "解绑 李四", chat=PRIVATE)
    assert "只有工作人员" in await bot.text("李审核", "解绑 李四", chat=PRIVATE)
    assert "不能解绑您自己" in await bot.text("王主任", "解绑 王主任", chat=PRIVATE)
    assert "李四 的积分" in await bot.text("李四", "我的积分", chat=PRIVATE)


async def test_binding_as_someone_else_by_request_waits_for_staff(bot: Harness) -> None:
    """Asking to be linked as an existing resident gives nothing until staff confirm, and they cannot
    confirm a second account for someone already linked."""
    reply = await bot.text("冒充者", "绑定 张三 1-1-101", chat=PRIVATE)
    assert "已收到绑定申请" in reply
    assert "还没有绑定身份" in await bot.text("冒充者", "我的积分", chat=PRIVATE)
    assert "已经绑定了别的聊天账号" in await bot.text("王主任", "确认绑定 1", chat=PRIVATE)
    assert "还没有绑定身份" in await bot.text("冒充者", "明细", chat=PRIVATE)


async def test_display_name_never_decides_identity(bot: Harness) -> None:
    """An account whose display name is a resident's name is still a stranger."""
    chat = ChatRef("console", "tg-999", ChatKind.PRIVATE, "张三")
    msg = Incoming("console", chat, UserRef("tg-999", "张三"), "我的积分", "x1", bot.clock.now())
    assert "还没有绑定身份" in (await bot.app.handle(msg))[0].text
