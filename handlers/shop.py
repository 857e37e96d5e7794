"""商品 / 兑换 / 确认兑换 / 撤销兑换 / 入库 / 盘点 / 开店 / 关店 / 兑换记录: the points supermarket 积分超市.

Cashiers redeem on exchange days (or on a day staff opened the shop); every redemption answers with a
receipt and tells the resident privately. A cashier's own household's redemption waits for a second staff
member, and so does undoing one.
"""

from __future__ import annotations

import re
from datetime import date

from bot.calendar import next_exchange_day
from bot.commands import Context, command
from bot.errors import DomainError, UsageError
from bot.messages import Incoming, Reply
from bot.parse import clean_name, fold
from bot.roles import Role
from bot.timeparse import TimeFormatError, parse_date
from handlers.common import number, record_action, tell
from store import residents, shop
from store.residents import Actor, Resident
from store.shop import Product, Receipt, Status

CASHIERS = {Role.CASHIER}
SHOP_STAFF = {Role.CASHIER, Role.ADMIN}
SECOND_STAFF = {Role.CASHIER, Role.ADMIN, Role.REVIEWER}
MAX_REDEEM = 99
MAX_STOCK = 100_000

_CHINESE_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_UNITS = "个件瓶张份袋包盒桶支次斤箱"
_LOOKS_LIKE_AMOUNT = re.compile(rf"^[+\-−]?[\d.,]+[{_UNITS}]?$|^[{''.join(_CHINESE_NUMBERS)}零百千万]+[{_UNITS}]?$")


def looks_like_amount(text: str) -> bool:
    return bool(_LOOKS_LIKE_AMOUNT.match(fold(text).strip()))


def amount(text: str, *, limit: int) -> int:
    """A quantity as people type it (`2`, `２`, `2瓶`, `两瓶`): a whole number from 1 to `limit`."""
    raw = fold(text).strip().rstrip(_UNITS)
    value = _CHINESE_NUMBERS.get(raw)
    if value is None and re.fullmatch(r"\d{1,7}", raw):
        value = int(raw)
    if value is None or not 1 <= value <= limit:
        raise UsageError("shop.bad_quantity", value=text[:20], limit=limit)
    return value


def _item_and_amount(args: tuple[str, ...], *, limit: int, default: int | None) -> tuple[str, int]:
    """`洗洁精 2` -> ("洗洁精", 2); the quantity is the last word when it looks like one."""
    if len(args) >= 2 and looks_like_amount(args[-1]):
        return " ".join(args[:-1]), amount(args[-1], limit=limit)
    if default is None:
        raise UsageError()
    return " ".join(args), default


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.rules.tz).date()


def _shared(ctx: Context) -> bool:
    return ctx.community.config.households.pool == "shared"


def _own_household(actor: Actor, resident: Resident) -> bool:
    return actor.resident_id == resident.id or (
        actor.household_id is not None and actor.household_id == resident.household_id
    )


def _next_exchange(ctx: Context) -> str:
    exchange = ctx.community.config.exchange
    upcoming = next_exchange_day(exchange, _today(ctx))
    if upcoming is None:
        return ctx.t("shop.no_next_day")
    where = " ".join(part for part in (exchange.place, exchange.hours) if part)
    return ctx.t("shop.next_day", day=upcoming, where=f"（{where}）" if where else "")


async def _require_open(ctx: Context) -> None:
    config = ctx.community.config
    if not await shop.is_open(ctx.tx, community_id=ctx.community.id, exchange=config.exchange, day=_today(ctx)):
        raise DomainError("shop.closed", next=_next_exchange(ctx))


def _product_line(ctx: Context, item: Product) -> str:
    limit = ctx.t("shop.limit_note", limit=item.limit_per_household, unit=item.unit) if item.limit_per_household else ""
    return ctx.t(
        "shop.catalog_line",
        code=item.code,
        name=item.name,
        price=item.price,
        unit=item.unit,
        stock=item.stock,
        kind=ctx.t(f"shop.kind.{item.kind}"),
        limit=limit,
    )


@command("catalog", "商品", "积分超市", "超市", "商品列表", "catalogue")
async def catalog(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    items = await shop.catalogue(ctx.tx, community_id=ctx.community.id)
    config = ctx.community.config
    open_today = await shop.is_open(ctx.tx, community_id=ctx.community.id, exchange=config.exchange, day=_today(ctx))
    lines = [t("shop.catalog_open") if open_today else t("shop.catalog_closed", next=_next_exchange(ctx))]
    in_stock = [item for item in items if item.stock > 0]
    if not in_stock:
        lines.append(t("shop.catalog_empty"))
    lines += [_product_line(ctx, item) for item in in_stock]
    if len(in_stock) < len(items):
        lines.append(t("shop.catalog_sold_out", count=len(items) - len(in_stock)))
    return Reply("\n".join(lines))


def _staff(receipt: Receipt) -> str:
    return receipt.cashier + (f"、{receipt.second_staff}" if receipt.second_staff else "")


def _receipt_text(ctx: Context, receipt: Receipt, *, household_pool: bool) -> str:
    t = ctx.t
    lines = [
        t("shop.receipt_title", number=receipt.id),
        t(
            "shop.receipt_item",
            name=receipt.name,
            household=receipt.household or t("binding.no_household"),
            product=receipt.product,
            quantity=receipt.quantity,
            unit=receipt.unit,
            price=receipt.unit_price,
            points=receipt.points,
        ),
    ]
    if len(receipt.paid_by) > 1:
        paid = "、".join(t("shop.receipt_paid_part", name=n, points=p) for n, p in receipt.paid_by)
        lines.append(t("shop.receipt_paid", parts=paid))
    if receipt.pool_left is not None:
        key = "shop.receipt_left_household" if household_pool and receipt.household else "shop.receipt_left"
        lines.append(t(key, points=receipt.pool_left))
    lines.append(t("shop.receipt_staff", cashier=_staff(receipt), at=receipt.done_at or receipt.created_at))
    lines.append(t("shop.receipt_undo", number=receipt.id))
    return "\n".join(lines)


async def _tell_resident(ctx: Context, receipt: Receipt, key: str, *, by: str, **extra: object) -> None:
    await tell(
        ctx,
        receipt.resident_id,
        ctx.t(
            key,
            number=receipt.id,
            product=receipt.product,
            quantity=receipt.quantity,
            unit=receipt.unit,
            points=receipt.points,
            cashier=by,
            **extra,
        ),
    )


@command("redeem", "兑换", roles=CASHIERS)
async def redeem(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    if len(ctx.args) < 2:
        raise UsageError()
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.args[0]))
    wanted, quantity = _item_and_amount(ctx.args[1:], limit=MAX_REDEEM, default=1)
    item = await shop.find(ctx.tx, community_id=ctx.community.id, text=clean_name(wanted, limit=30))
    await _require_open(ctx)
    if _own_household(me, resident):
        held = await shop.hold(
            ctx.tx,
            community_id=ctx.community.id,
            resident=resident,
            item=item,
            quantity=quantity,
            day=_today(ctx),
            shared_pool=_shared(ctx),
            cashier_id=me.resident_id,
            at=ctx.now,
        )
        await record_action(msg, ctx, "redeem_held", redemption=held, resident=resident.name, product=item.code)
        return Reply(
            t(
                "shop.held",
                number=held,
                name=resident.name,
                product=item.name,
                quantity=quantity,
                unit=item.unit,
                points=item.price * quantity,
            )
        )
    receipt = await shop.redeem(
        ctx.tx,
        community_id=ctx.community.id,
        resident=resident,
        item=item,
        quantity=quantity,
        day=_today(ctx),
        shared_pool=_shared(ctx),
        period=ctx.rules.period_of(ctx.now).label,
        cashier_id=me.resident_id,
        at=ctx.now,
    )
    await record_action(
        msg, ctx, "redeem", redemption=receipt.id, resident=resident.name, product=item.code, points=receipt.points
    )
    await _tell_resident(ctx, receipt, "shop.notify_redeemed", by=_staff(receipt), left=receipt.pool_left)
    return Reply(_receipt_text(ctx, receipt, household_pool=_shared(ctx)))


@command("confirm_redemption", "确认兑换", "confirm-redemption", roles=SECOND_STAFF)
async def confirm_redemption(msg: Incoming, ctx: Context) -> Reply:
    me = ctx.me()
    if len(ctx.args) != 1:
        raise UsageError()
    redemption_id = number(ctx.args[0])
    held = await shop.receipt(ctx.tx, community_id=ctx.community.id, redemption_id=redemption_id)
    resident = await residents.get(ctx.tx, held.resident_id)
    if held.status is not Status.HELD:
        raise DomainError("shop.not_held", number=redemption_id)
    if held.cashier_id == me.resident_id or _own_household(me, resident):
        raise DomainError("shop.need_other_staff", number=redemption_id)
    if held.day != _today(ctx).isoformat():
        raise DomainError("shop.held_expired", number=redemption_id, day=date.fromisoformat(held.day))
    await _require_open(ctx)
    receipt = await shop.confirm(
        ctx.tx,
        community_id=ctx.community.id,
        redemption_id=redemption_id,
        resident=resident,
        shared_pool=_shared(ctx),
        period=ctx.rules.period_of(ctx.now).label,
        staff_id=me.resident_id,
        at=ctx.now,
    )
    await record_action(msg, ctx, "confirm_redemption", redemption=receipt.id, resident=resident.name)
    await _tell_resident(ctx, receipt, "shop.notify_redeemed", by=_staff(receipt), left=receipt.pool_left)
    return Reply(_receipt_text(ctx, receipt, household_pool=_shared(ctx)))


@command("undo_redemption", "撤销兑换", "退货", "undo-redemption", roles=CASHIERS)
async def undo_redemption(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    if not ctx.args:
        raise UsageError()
    redemption_id = number(ctx.args[0])
    reason = clean_name(" ".join(ctx.args[1:]), limit=100) or t("shop.default_undo_reason")
    before = await shop.receipt(ctx.tx, community_id=ctx.community.id, redemption_id=redemption_id)
    resident = await residents.get(ctx.tx, before.resident_id)
    if before.status is Status.DONE and _own_household(me, resident):
        raise DomainError("shop.undo_own", number=redemption_id)
    after = await shop.reverse(
        ctx.tx,
        community_id=ctx.community.id,
        redemption_id=redemption_id,
        reason=t("shop.undo_entry_reason", number=redemption_id, reason=reason),
        period=ctx.rules.period_of(ctx.now).label,
        by=me.resident_id,
        at=ctx.now,
    )
    await record_action(msg, ctx, "undo_redemption", redemption=redemption_id, resident=resident.name, reason=reason)
    if after.status is Status.CANCELLED:
        return Reply(t("shop.cancelled", number=redemption_id, name=after.name, product=after.product))
    stock = (await shop.product(ctx.tx, after.product_id)).stock
    await _tell_resident(ctx, after, "shop.notify_undone", by=me.name, reason=reason)
    return Reply(
        t(
            "shop.undone",
            number=redemption_id,
            name=after.name,
            product=after.product,
            quantity=after.quantity,
            unit=after.unit,
            points=after.points,
            stock=stock,
            reason=reason,
        )
    )


@command("stock_in", "入库", "进货", "restock", roles=CASHIERS)
async def stock_in(msg: Incoming, ctx: Context) -> Reply:
    if len(ctx.args) < 2:
        raise UsageError()
    wanted, quantity = _item_and_amount(ctx.args, limit=MAX_STOCK, default=None)
    item = await shop.find(ctx.tx, community_id=ctx.community.id, text=clean_name(wanted, limit=30))
    stock = await shop.stock_in(
        ctx.tx, community_id=ctx.community.id, item=item, quantity=quantity, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(msg, ctx, "stock_in", product=item.code, quantity=quantity, stock=stock)
    return Reply(ctx.t("shop.stocked", product=item.name, quantity=quantity, unit=item.unit, stock=stock))


@command("stocktake", "盘点", roles=CASHIERS)
async def stocktake(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    if not ctx.args:
        items = await shop.catalogue(ctx.tx, community_id=ctx.community.id)
        lines = [t("shop.stocktake_title")]
        lines += [t("shop.stocktake_line", code=i.code, name=i.name, stock=i.stock, unit=i.unit) for i in items]
        lines.append(t("shop.stocktake_hint"))
        return Reply("\n".join(lines))
    if len(ctx.args) < 2 or not looks_like_amount(ctx.args[-1]):
        raise UsageError()
    wanted = " ".join(ctx.args[:-1])
    empty_shelf = fold(ctx.args[-1]).strip().rstrip(_UNITS) in {"0", "零"}
    counted = 0 if empty_shelf else amount(ctx.args[-1], limit=MAX_STOCK)
    item = await shop.find(ctx.tx, community_id=ctx.community.id, text=clean_name(wanted, limit=30))
    book, counted = await shop.count(
        ctx.tx, community_id=ctx.community.id, item=item, counted=counted, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(msg, ctx, "stocktake", product=item.code, book=book, counted=counted)
    if book == counted:
        return Reply(t("shop.count_matches", product=item.name, stock=book, unit=item.unit))
    key = "shop.count_fewer" if counted < book else "shop.count_more"
    return Reply(t(key, product=item.name, book=book, counted=counted, diff=abs(book - counted), unit=item.unit))


def _day_arg(ctx: Context) -> date:
    if not ctx.args:
        return _today(ctx)
    try:
        return parse_date(fold(ctx.args[0]), today=_today(ctx))
    except TimeFormatError:
        raise UsageError("errors.bad_time", value=ctx.args[0][:30]) from None


@command("open_shop", "开店", "开放超市", "openshop", roles=SHOP_STAFF)
async def open_shop(msg: Incoming, ctx: Context) -> Reply:
    today = _today(ctx)
    await shop.set_open(
        ctx.tx, community_id=ctx.community.id, day=today, open=True, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(msg, ctx, "open_shop", day=today.isoformat())
    return Reply(ctx.t("shop.opened", day=today))


@command("close_shop", "关店", "关闭超市", "closeshop", roles=SHOP_STAFF)
async def close_shop(msg: Incoming, ctx: Context) -> Reply:
    today = _today(ctx)
    await shop.set_open(
        ctx.tx, community_id=ctx.community.id, day=today, open=False, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(msg, ctx, "close_shop", day=today.isoformat())
    return Reply(ctx.t("shop.closed_now", day=today))


@command("receipts", "兑换记录", "今日兑换", roles=SHOP_STAFF)
async def receipts(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    day = _day_arg(ctx)
    found = await shop.receipts(ctx.tx, community_id=ctx.community.id, day=day)
    if not found:
        return Reply(t("shop.receipts_none", day=day))
    lines = [t("shop.receipts_title", day=day, count=len(found))]
    done = 0
    for r in found:
        lines.append(
            t(
                "shop.receipts_line",
                number=r.id,
                time=t.time(r.created_at),
                name=r.name,
                product=r.product,
                quantity=r.quantity,
                unit=r.unit,
                points=r.points,
                status=t(f"shop.status.{r.status.value}"),
                cashier=r.cashier,
            )
        )
        done += r.points if r.status is Status.DONE else 0
    lines.append(t("shop.receipts_total", points=done))
    return Reply("\n".join(lines))
