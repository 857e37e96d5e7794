"""The points economy from the chat: bonus and deduction items, the supermarket, households, certificates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.fonts import find_cjk_font
from bot.testing import Harness, make_config
from bot.transcript import PRIVATE
from store import residents

# 2026-12-28 is an exchange day by default (the 28th of March, June, September and December).
ECONOMY: dict[str, Any] = {
    "staff": [
        {"name": "王主任", "roles": ["admin", "reviewer"]},
        {"name": "李审核", "roles": ["reviewer"], "household": "9-9-909"},
        {"name": "刘收银", "roles": ["cashier"], "household": "1-1-101"},
        {"name": "周收银", "roles": ["cashier"]},
    ],
    "members": [
        {"name": "张三", "household": "1-1-101"},
        {"name": "李四", "household": "1-1-101"},
        {"name": "王五", "household": "2-2-202"},
        {"name": "王五二", "household": "2-2-202"},
    ],
    "rules": {
        "categories": [{"name": "文明", "cap_per_period": 3}],
        "items": [
            {"code": "A01", "name": "志愿服务", "points": 10, "category": "服务"},
            {"code": "B01", "name": "门前整洁", "points": 2, "category": "文明", "cap_per_period": 5},
            {"code": "B02", "name": "垃圾分类", "points": 2, "category": "文明"},
            {"code": "D01", "name": "乱停车", "points": -5, "category": "文明"},
        ],
    },
    "products": [
        {"code": "P01", "name": "洗洁精", "price": 10, "unit": "瓶", "limit_per_household": 2},
        {"code": "V01", "name": "水果券", "price": 5, "kind": "voucher", "unit": "张"},
    ],
}


@pytest.fixture
async def shop_bot(database_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(database_url, make_config(**ECONOMY), start="2026-12-28 09:00")
    await harness.text("周收银", "入库 洗洁精 10")
    await harness.text("周收银", "入库 水果券 10")
    yield harness
    await harness.close()


async def test_bonus_is_an_entry_naming_item_reason_and_staff(shop_bot: Harness) -> None:
    """加分 credits the item's value and the resident's history names the item, the remark and who gave it."""
    sent = await shop_bot.say("王主任", "加分 王五 A01 帮独居老人买菜", chat=PRIVATE)
    assert "已给 王五 加 10 分：A01 志愿服务（帮独居老人买菜）" in sent[0].text
    assert sent[1].chat.id == "王五" and "您获得加分 10 分" in sent[1].text
    history = await shop_bot.text("王五", "明细", chat=PRIVATE)
    assert "加分·A01 志愿服务：帮独居老人买菜 +10 分（王主任）" in history


async def test_caps_answer_with_the_cap(shop_bot: Harness) -> None:
    """The category cap of 3 a month gives 2, then 1, then refuses with the cap named."""
    assert "加 2 分" in await shop_bot.text("王主任", "加分 王五 B01", chat=PRIVATE)
    reply = await shop_bot.text("王主任", "加分 王五 B02", chat=PRIVATE)
    assert "加 1 分" in reply and "本月「文明」这一类已达上限 3 分，这次只记了 1 分" in reply
    assert "本月「文明」这一类已达上限 3 分，这次没有记" in await shop_bot.text("王主任", "加分 王五 B01", chat=PRIVATE)


async def test_bad_item_codes_and_self_bonus(shop_bot: Harness) -> None:
    """Unknown codes suggest close ones, a deduction code is refused for 加分, and nobody gives themselves a bonus."""
    assert "您是不是要：B02 垃圾分类、A01 志愿服务？" in await shop_bot.text("王主任", "加分 王五 A02", chat=PRIVATE)
    assert "没有代码「XYZ」的加分项。发「规则」看全部代码" in await shop_bot.text(
        "王主任", "加分 王五 XYZ", chat=PRIVATE
    )
    assert "是扣分项" in await shop_bot.text("王主任", "加分 王五 D01", chat=PRIVATE)
    assert "不能给自己加分" in await shop_bot.text("李审核", "加分 李审核 A01", chat=PRIVATE)
    assert "只有工作人员可以用" in await shop_bot.text("王五", "加分 王五 A01", chat=PRIVATE)


async def test_namesakes_are_asked_about_with_their_households(shop_bot: Harness) -> None:
    """A name two residents share gets a question listing both households; `张三(门牌)` picks one."""
    async with shop_bot.app.db.transaction() as tx:
        community_id = next(iter(shop_bot.app.communities)).id
        await residents.create_resident(
            tx, community_id=community_id, name="张三", household="7-7-707", at=shop_bot.clock.now()
        )
    reply = await shop_bot.text("王主任", "加分 张三 A01", chat=PRIVATE)
    assert "有不止一位「张三」：张三(1-1-101)、张三(7-7-707)" in reply
    assert "已给 张三 加 10 分" in await shop_bot.text("王主任", "加分 张三（7-7-707） A01", chat=PRIVATE)
    assert "有不止一位「张三」" in await shop_bot.text("周收银", "兑换 张三 水果券")


async def test_redemption_receipt_and_refusal_with_balance_and_price(shop_bot: Harness) -> None:
    """A redemption answers with a receipt; one the pool cannot pay says the balance and the price."""
    await shop_bot.text("王主任", "加分 王五 A01", chat=PRIVATE)
    sent = await shop_bot.say("周收银", "兑换 王五 洗洁精")
    receipt = sent[0].text
    assert "兑换成功 · 小票 1" in receipt and "洗洁精 ×1，每瓶 10 分，共 10 分" in receipt
    assert "全家还剩 0 分" in receipt and "收银员：周收银 · 12月28日 09:00" in receipt
    assert sent[1].chat.id == "王五" and "小票 1" in sent[1].text
    refused = await shop_bot.text("周收银", "兑换 王五 水果券")
    assert "王五 现在能用 0 分，水果券 ×1 需要 5 分" in refused


@pytest.mark.parametrize("quantity", ["-1", "0", "1.5", "100", "一百", "abc"])
async def test_bad_quantities_are_refused(shop_bot: Harness, quantity: str) -> None:
    """Negative, zero, fractional and huge quantities get a clear answer and change nothing."""
    reply = await shop_bot.text("周收银", f"兑换 王五 水果券 {quantity}")
    if quantity == "abc":
        assert "超市里没有「水果券 abc」" in reply
    else:
        assert f"数量「{quantity}」不对：请写 1 到 99 之间的整数" in reply
    assert "还有 10 张" in await shop_bot.text("王五", "商品")


async def test_quantities_as_people_write_them(shop_bot: Harness) -> None:
    """`两张`, `２` and `2张` all mean two."""
    await shop_bot.text("王主任", "加分 王五 A01", chat=PRIVATE)
    assert "水果券 ×2" in await shop_bot.text("周收银", "兑换 王五 水果券 两张")
    assert "余额" not in await shop_bot.text("周收银", "入库 水果券 ２")


async def test_shop_opens_on_exchange_days_or_when_staff_open_it(shop_bot: Harness) -> None:
    """On another day redemption is refused with the next exchange day, until staff send 开店."""
    await shop_bot.text("王主任", "加分 王五 A01", chat=PRIVATE)
    await shop_bot.at("2026-12-29 09:00")
    assert "下一个兑换日是 2027年3月28日" in await shop_bot.text("周收银", "兑换 王五 水果券")
    assert "只有工作人员可以用" in await shop_bot.text("王五", "开店")
    assert "开放" in await shop_bot.text("周收银", "开店")
    assert "小票" in await shop_bot.text("周收银", "兑换 王五 水果券")
    await shop_bot.text("周收银", "关店")
    assert "不是兑换日" in await shop_bot.text("周收银", "兑换 王五 水果券")


async def test_cashier_needs_a_second_staff_member_for_their_own_household(shop_bot: Harness) -> None:
    """A cashier redeeming for their household is held until another staff member confirms; undoing it too."""
    await shop_bot.text("王主任", "加分 张三 A01", chat=PRIVATE)
    held = await shop_bot.text("刘收银", "兑换 张三 洗洁精")
    assert "这是您自己家的兑换，已登记为小票 1" in held
    assert "现有 10 分" in await shop_bot.text("张三", "积分", chat=PRIVATE)
    assert "要由另一位工作人员确认" in await shop_bot.text("刘收银", "确认兑换 1")
    assert "只有工作人员可以用" in await shop_bot.text("李四", "确认兑换 1")
    assert "收银员：刘收银、李审核" in await shop_bot.text("李审核", "确认兑换 1")
    assert "不需要确认" in await shop_bot.text("王主任", "确认兑换 1")
    assert "请另一位收银员撤销" in await shop_bot.text("刘收银", "撤销兑换 1")
    assert "10 分已退回" in await shop_bot.text("周收银", "撤销兑换 1")


async def test_own_pool_setting(database_url: str) -> None:
    """With `[households] pool = "own"` a member spends only their own points."""
    config = make_config(**{**ECONOMY, "households": {"pool": "own"}})
    bot = await Harness.start(database_url, config, start="2026-12-28 09:00")
    try:
        await bot.text("周收银", "入库 水果券 5")
        await bot.text("王主任", "加分 李四 A01", chat=PRIVATE)
        assert "张三 现在能用 0 分" in await bot.text("周收银", "兑换 张三 水果券")
        assert "还剩 5 分" in await bot.text("周收银", "兑换 李四 水果券")
    finally:
        await bot.close()


async def test_stock_in_and_stocktake(shop_bot: Harness) -> None:
    """入库 adds, 盘点 lists the book and corrects it to the count, an empty shelf included."""
    assert "现有 15 瓶" in await shop_bot.text("周收银", "入库 洗洁精 5瓶")
    assert "P01 洗洁精：15 瓶" in await shop_bot.text("周收银", "盘点")
    assert "少了 3 瓶" in await shop_bot.text("周收银", "盘点 洗洁精 12")
    assert "账实相符" in await shop_bot.text("周收银", "盘点 P01 12")
    assert "实际 0 张" in await shop_bot.text("周收银", "盘点 水果券 0")
    assert "另有 1 样暂时兑完了" in await shop_bot.text("王五", "商品")


async def test_moving_household_keeps_history(shop_bot: Harness) -> None:
    """迁户 moves a resident with their points; both households' sums follow."""
    await shop_bot.text("王主任", "加分 李四 A01", chat=PRIVATE)
    reply = await shop_bot.text("王主任", "迁户 李四 2-2-202", chat=PRIVATE)
    assert "1-1-101 合计 0 分，2-2-202 合计 10 分" in reply
    points = await shop_bot.text("李四", "积分", chat=PRIVATE)
    assert "全家（2-2-202）合计：10 分" in points
    assert "A01 志愿服务" in await shop_bot.text("李四", "明细", chat=PRIVATE)
    assert "已经在 2-2-202" in await shop_bot.text("王主任", "迁户 李四 2-2-202", chat=PRIVATE)


async def test_rules_lists_bonus_items_by_category(shop_bot: Harness) -> None:
    """规则 shows the bonus items grouped by category with their caps; 规则 扣分 the deductions."""
    reply = await shop_bot.text("王五", "规则")
    assert "【文明】（每月最多 3 分）" in reply and "B01 门前整洁 +2 分（每月最多 5 分）" in reply
    assert "D01" not in reply and "另有扣分项 1 项" in reply
    assert "D01 乱停车 -5 分" in await shop_bot.text("王五", "规则 扣分")


async def _service(bot: Harness) -> None:
    await bot.text("王主任", "补录 王五 巡逻 12-27 09:00 11:30", chat=PRIVATE)


async def test_certificate_only_in_private(shop_bot: Harness) -> None:
    """证明 in a group is refused: it carries personal details."""
    assert "请私聊我发「证明」" in await shop_bot.text("王五", "证明")


async def test_certificate_without_a_font_is_text(shop_bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a CJK font the certificate comes as text with the records and total hours, after a deduction too."""
    monkeypatch.setenv("POINTSBOT_CJK_FONT", "/nonexistent/font.ttc")
    await _service(shop_bot)
    await shop_bot.text("王主任", "扣分 王五 D01", chat=PRIVATE)
    sent = await shop_bot.say("王五", "证明 2026-12-01 2026-12-28", chat=PRIVATE)
    assert sent[0].image is None
    text = sent[0].text
    assert text.startswith("志愿服务证明") and "经审核的服务时长共计 2.5 小时（150 分钟）" in text
    assert "2026-12-27 | 巡逻 | - | - | 150 | 王主任" in text
    assert "出具单位：测试社区" in text


@pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font installed (Debian: fonts-wqy-microhei)")
async def test_certificate_is_a_picture_with_a_font(shop_bot: Harness) -> None:
    """With a CJK font the certificate is a PNG sent in the private chat."""
    await _service(shop_bot)
    sent = await shop_bot.say("王五", "证明", chat=PRIVATE)
    assert sent[0].image is not None and sent[0].image.data.startswith(b"\x89PNG")
    assert "服务 1 次，共 2.5 小时" in sent[0].text
