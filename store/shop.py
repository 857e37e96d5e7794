"""The points supermarket 积分超市: products and their stock, redemptions, and which days the shop is open.

A redemption is one row (its id is the receipt number), the ledger entries that paid for it (one, or one
per household member drawn on in a shared pool) and one stock movement, all in one transaction. Stock is a
cached sum of the product's movements, moved by a conditional UPDATE that refuses to go below zero, just
as the ledger refuses an overdraft. A redemption is corrected by reversing it: points and stock come back
as new entries and movements; nothing is edited away.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Select, func, insert, select, update

from bot.calendar import is_exchange_day
from bot.config import ExchangeSection, ProductSection
from bot.errors import DomainError
from bot.i18n import Phrase
from store import households as pools
from store import ledger
from store.db import AnyRow, Tx
from store.ledger import EntryKind
from store.residents import Resident
from store.schema import (
    economy_entries,
    households,
    ledger_entries,
    products,
    redemptions,
    residents,
    shop_days,
    stock_movements,
)


class NoSuchProduct(DomainError):
    key = "shop.no_such_product"


class OutOfStock(DomainError):
    key = "shop.out_of_stock"


class LimitReached(DomainError):
    key = "shop.limit_reached"


class NotEnoughPoints(DomainError):
    key = "shop.not_enough_points"


class NoSuchRedemption(DomainError):
    key = "shop.no_such_redemption"


class RedemptionNotDone(DomainError):
    key = "shop.redemption_not_done"


class Status(StrEnum):
    HELD = "held"  # a cashier's own household: waits for a second staff member
    DONE = "done"
    REVERSED = "reversed"
    CANCELLED = "cancelled"  # a held redemption nobody confirmed


class Movement(StrEnum):
    STOCK_IN = "stock_in"
    REDEMPTION = "redemption"
    REVERSAL = "reversal"
    COUNT = "count"  # 盘点: the counted number replaces the book's


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    code: str
    name: str
    price: int
    kind: str
    unit: str
    limit_per_household: int
    stock: int
    active: bool


_PRODUCT = (
    products.c.id,
    products.c.code,
    products.c.name,
    products.c.price,
    products.c.kind,
    products.c.unit,
    products.c.limit_per_household,
    products.c.stock,
    products.c.active,
)


def _product(row: AnyRow) -> Product:
    return Product(*row)


async def sync_products(tx: Tx, *, community_id: int, configured: list[ProductSection], at: datetime) -> None:
    """Bring products in line with community.toml; one no longer listed stays, inactive, with its history."""
    existing = {
        code.casefold(): product_id
        for product_id, code in await tx.execute(
            select(products.c.id, products.c.code).where(products.c.community_id == community_id)
        )
    }
    listed: set[int] = set()
    for item in configured:
        values = {
            "code": item.code,
            "name": item.name,
            "price": item.price,
            "kind": item.kind,
            "unit": item.unit,
            "limit_per_household": item.limit_per_household,
            "active": True,
        }
        product_id = existing.get(item.code.casefold())
        if product_id is None:
            product_id = await tx.scalar(
                insert(products)
                .values(community_id=community_id, stock=0, created_at=at, **values)
                .returning(products.c.id)
            )
        else:
            await tx.execute(update(products).where(products.c.id == product_id).values(**values))
        listed.add(product_id)
    gone = set(existing.values()) - listed
    if gone:
        await tx.execute(update(products).where(products.c.id.in_(gone)).values(active=False))


async def catalogue(tx: Tx, *, community_id: int) -> list[Product]:
    """The active products, in the order of the configuration's codes."""
    rows = await tx.execute(
        select(*_PRODUCT).where(products.c.community_id == community_id, products.c.active).order_by(products.c.id)
    )
    return [_product(row) for row in rows.all()]


async def find(tx: Tx, *, community_id: int, text: str) -> Product:
    """A product by code or name (a unique part of a name will do); otherwise "did you mean …"."""
    items = await catalogue(tx, community_id=community_id)
    wanted = text.strip().casefold()
    exact = [p for p in items if wanted in (p.code.casefold(), p.name.casefold())]
    partial = [p for p in items if wanted and wanted in p.name.casefold()]
    found = exact or (partial if len(partial) == 1 else [])
    if found:
        return found[0]
    names = {p.name: p for p in items} | {p.code: p for p in items}
    close = difflib.get_close_matches(text.strip(), list(names), n=3, cutoff=0.4)
    suggestions = list(dict.fromkeys(names[c].name for c in close))
    if not suggestions:  # Chinese names are short: a shared character is a fair hint
        suggestions = [p.name for p in items if set(p.name) & set(text.strip())][:3]
    raise NoSuchProduct(product=text[:30], suggestions="、".join(suggestions) or "-")


async def product(tx: Tx, product_id: int) -> Product:
    return _product((await tx.execute(select(*_PRODUCT).where(products.c.id == product_id))).one())


# --- which days the shop is open --------------------------------------------------------------------------


async def is_open(tx: Tx, *, community_id: int, exchange: ExchangeSection, day: date) -> bool:
    """Open on exchange days, and on any day staff opened it; closed on an exchange day staff closed."""
    override = await tx.scalar(
        select(shop_days.c.open).where(shop_days.c.community_id == community_id, shop_days.c.day == day.isoformat())
    )
    return bool(override) if override is not None else is_exchange_day(exchange, day)


async def set_open(tx: Tx, *, community_id: int, day: date, open: bool, by: int, at: datetime) -> None:
    changed = await tx.execute(
        update(shop_days)
        .where(shop_days.c.community_id == community_id, shop_days.c.day == day.isoformat())
        .values(open=open, set_by=by, created_at=at)
    )
    if changed.rowcount == 0:
        await tx.execute(
            insert(shop_days).values(
                community_id=community_id, day=day.isoformat(), open=open, set_by=by, created_at=at
            )
        )


# --- stock ------------------------------------------------------------------------------------------------


async def _move_stock(
    tx: Tx,
    *,
    community_id: int,
    item: Product,
    delta: int,
    kind: Movement,
    by: int | None,
    at: datetime,
    redemption_id: int | None = None,
    note: str = "",
) -> int:
    """Move a product's stock and record the movement; refuses (OutOfStock) to go below zero."""
    stock_after = await tx.scalar(
        update(products)
        .where(products.c.id == item.id, products.c.stock + delta >= 0)
        .values(stock=products.c.stock + delta)
        .returning(products.c.stock)
    )
    if stock_after is None:
        current = await tx.scalar(select(products.c.stock).where(products.c.id == item.id))
        raise OutOfStock(product=item.name, stock=int(current or 0), wanted=-delta, unit=item.unit)
    await tx.execute(
        insert(stock_movements).values(
            community_id=community_id,
            product_id=item.id,
            delta=delta,
            kind=kind.value,
            stock_after=stock_after,
            redemption_id=redemption_id,
            note=note[:200],
            created_by=by,
            created_at=at,
        )
    )
    return int(stock_after)


async def stock_in(tx: Tx, *, community_id: int, item: Product, quantity: int, by: int | None, at: datetime) -> int:
    """入库: add to the stock; returns the new stock."""
    return await _move_stock(
        tx, community_id=community_id, item=item, delta=quantity, kind=Movement.STOCK_IN, by=by, at=at
    )


async def count(tx: Tx, *, community_id: int, item: Product, counted: int, by: int, at: datetime) -> tuple[int, int]:
    """盘点: the counted number becomes the stock, the difference a movement; returns (book, counted)."""
    book = int(await tx.scalar(tx.lock(select(products.c.stock).where(products.c.id == item.id))) or 0)
    if counted != book:
        await _move_stock(
            tx, community_id=community_id, item=item, delta=counted - book, kind=Movement.COUNT, by=by, at=at
        )
    return book, counted


async def stock_audit(tx: Tx, *, community_id: int) -> list[tuple[str, int, int]]:
    """(product code, cached stock, sum of movements) for every product whose two numbers differ."""
    sums = (
        select(stock_movements.c.product_id, func.sum(stock_movements.c.delta).label("total"))
        .group_by(stock_movements.c.product_id)
        .subquery()
    )
    total = func.coalesce(sums.c.total, 0)
    rows = await tx.execute(
        select(products.c.code, products.c.stock, total)
        .outerjoin(sums, sums.c.product_id == products.c.id)
        .where(products.c.community_id == community_id, products.c.stock != total)
    )
    return [(c, s, t) for c, s, t in rows.all()]


# --- redemptions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int
    status: Status
    resident_id: int
    name: str
    household: str
    product_id: int
    product: str
    unit: str
    quantity: int
    unit_price: int
    points: int
    day: str
    cashier_id: int
    cashier: str
    second_staff: str
    created_at: datetime
    done_at: datetime | None
    paid_by: tuple[tuple[str, int], ...] = ()  # (member's name, points) of each entry that paid for it
    pool_left: int | None = None  # what the pool holds afterwards


def _receipt_query() -> Select[tuple[object, ...]]:
    cashier = residents.alias("cashier")
    second = residents.alias("second")
    return (
        select(
            redemptions.c.id,
            redemptions.c.status,
            redemptions.c.resident_id,
            residents.c.name,
            func.coalesce(households.c.label, ""),
            redemptions.c.product_id,
            products.c.name,
            products.c.unit,
            redemptions.c.quantity,
            redemptions.c.unit_price,
            redemptions.c.points,
            redemptions.c.day,
            redemptions.c.cashier_id,
            cashier.c.name,
            func.coalesce(second.c.name, ""),
            redemptions.c.created_at,
            redemptions.c.done_at,
        )
        .join(residents, residents.c.id == redemptions.c.resident_id)
        .join(products, products.c.id == redemptions.c.product_id)
        .join(cashier, cashier.c.id == redemptions.c.cashier_id)
        .outerjoin(second, second.c.id == redemptions.c.second_staff_id)
        .outerjoin(households, households.c.id == redemptions.c.household_id)
    )


async def receipt(tx: Tx, *, community_id: int, redemption_id: int, pool_left: int | None = None) -> Receipt:
    row = (
        await tx.execute(
            _receipt_query().where(redemptions.c.id == redemption_id, redemptions.c.community_id == community_id)
        )
    ).first()
    if row is None:
        raise NoSuchRedemption(number=redemption_id)
    paid = await tx.execute(
        select(residents.c.name, -ledger_entries.c.points)
        .select_from(economy_entries)
        .join(ledger_entries, ledger_entries.c.id == economy_entries.c.entry_id)
        .join(residents, residents.c.id == ledger_entries.c.resident_id)
        .where(economy_entries.c.redemption_id == redemption_id)
        .order_by(economy_entries.c.entry_id)
    )
    (id_, status, resident_id, name, household, product_id, product_name, unit, quantity, unit_price, points, day,
     cashier_id, cashier, second, created_at, done_at) = row  # fmt: skip
    return Receipt(
        id_,
        Status(status),
        resident_id,
        name,
        household,
        product_id,
        product_name,
        unit,
        quantity,
        unit_price,
        points,
        day,
        cashier_id,
        cashier,
        second,
        created_at,
        done_at,
        tuple((n, int(p)) for n, p in paid.all()),
        pool_left,
    )


async def receipts(tx: Tx, *, community_id: int, day: date) -> list[Receipt]:
    """Every redemption of a day, oldest first (held, done, reversed and cancelled alike)."""
    ids = (
        await tx.execute(
            select(redemptions.c.id)
            .where(redemptions.c.community_id == community_id, redemptions.c.day == day.isoformat())
            .order_by(redemptions.c.id)
        )
    ).scalars()
    return [await receipt(tx, community_id=community_id, redemption_id=i) for i in list(ids)]


async def _redeemed_today(tx: Tx, *, resident: Resident, product_id: int, day: str, besides: int | None) -> int:
    """How many of a product the resident's household (or the resident, without one) took that day."""
    owner = (
        redemptions.c.household_id == resident.household_id
        if resident.household_id is not None
        else redemptions.c.resident_id == resident.id
    )
    value = await tx.scalar(
        select(func.coalesce(func.sum(redemptions.c.quantity), 0)).where(
            owner,
            redemptions.c.product_id == product_id,
            redemptions.c.day == day,
            redemptions.c.status == Status.DONE.value,
            redemptions.c.id != (besides or 0),
        )
    )
    return int(value or 0)


async def _checked(
    tx: Tx,
    *,
    resident: Resident,
    product_id: int,
    quantity: int,
    day: str,
    shared_pool: bool,
    besides: int | None = None,
) -> tuple[pools.Pool, Product]:
    """Lock the pool and the product, then refuse what cannot be redeemed, with the reason to tell the resident.

    Every check comes before anything is written, so a refused redemption leaves no gap in the receipt
    numbers (PostgreSQL does not give back a sequence number when a transaction rolls back).
    """
    pool = await pools.lock_pool(tx, resident, shared=shared_pool)
    item = _product((await tx.execute(tx.lock(select(*_PRODUCT).where(products.c.id == product_id)))).one())
    if item.limit_per_household:
        taken = await _redeemed_today(tx, resident=resident, product_id=item.id, day=day, besides=besides)
        if taken + quantity > item.limit_per_household:
            raise LimitReached(
                product=item.name, limit=item.limit_per_household, taken=taken, wanted=quantity, unit=item.unit
            )
    if item.stock < quantity:
        raise OutOfStock(product=item.name, stock=item.stock, wanted=quantity, unit=item.unit)
    if pool.total < item.price * quantity:
        raise NotEnoughPoints(
            name=resident.name, balance=pool.total, product=item.name, quantity=quantity, price=item.price * quantity
        )
    return pool, item


async def _insert(
    tx: Tx,
    community_id: int,
    resident: Resident,
    item: Product,
    quantity: int,
    day: date,
    status: Status,
    cashier_id: int,
    at: datetime,
) -> int:
    redemption_id: int = await tx.scalar(
        insert(redemptions)
        .values(
            community_id=community_id,
            resident_id=resident.id,
            household_id=resident.household_id,
            product_id=item.id,
            quantity=quantity,
            unit_price=item.price,
            points=item.price * quantity,
            day=day.isoformat(),
            status=status.value,
            cashier_id=cashier_id,
            done_at=at if status is Status.DONE else None,
            created_at=at,
        )
        .returning(redemptions.c.id)
    )
    return redemption_id


async def _pay(
    tx: Tx,
    *,
    community_id: int,
    redemption_id: int,
    resident: Resident,
    pool: pools.Pool,
    item: Product,
    quantity: int,
    period: str,
    by: int,
    at: datetime,
) -> int:
    """Take the stock and debit the pool (both checked and locked); returns what the pool has left."""
    await _move_stock(
        tx,
        community_id=community_id,
        item=item,
        delta=-quantity,
        kind=Movement.REDEMPTION,
        by=by,
        at=at,
        redemption_id=redemption_id,
    )
    await pools.debit(
        tx,
        pool,
        item.price * quantity,
        community_id=community_id,
        kind=EntryKind.REDEMPTION,
        reason=f"{item.name} ×{quantity} #{redemption_id}",
        named=resident,
        period=period,
        created_by=by,
        at=at,
        redemption_id=redemption_id,
    )
    return pool.total - item.price * quantity


async def hold(
    tx: Tx,
    *,
    community_id: int,
    resident: Resident,
    item: Product,
    quantity: int,
    day: date,
    shared_pool: bool,
    cashier_id: int,
    at: datetime,
) -> int:
    """A redemption waiting for a second staff member (the cashier's own household): checked, not paid."""
    _, item = await _checked(
        tx, resident=resident, product_id=item.id, quantity=quantity, day=day.isoformat(), shared_pool=shared_pool
    )
    return await _insert(tx, community_id, resident, item, quantity, day, Status.HELD, cashier_id, at)


async def redeem(
    tx: Tx,
    *,
    community_id: int,
    resident: Resident,
    item: Product,
    quantity: int,
    day: date,
    shared_pool: bool,
    period: str,
    cashier_id: int,
    at: datetime,
) -> Receipt:
    """Redeem at once: the receipt, or a DomainError saying why not (limit, stock, points)."""
    pool, item = await _checked(
        tx, resident=resident, product_id=item.id, quantity=quantity, day=day.isoformat(), shared_pool=shared_pool
    )
    redemption_id = await _insert(tx, community_id, resident, item, quantity, day, Status.DONE, cashier_id, at)
    left = await _pay(
        tx,
        community_id=community_id,
        redemption_id=redemption_id,
        resident=resident,
        pool=pool,
        item=item,
        quantity=quantity,
        period=period,
        by=cashier_id,
        at=at,
    )
    return await receipt(tx, community_id=community_id, redemption_id=redemption_id, pool_left=left)


async def confirm(
    tx: Tx,
    *,
    community_id: int,
    redemption_id: int,
    resident: Resident,
    shared_pool: bool,
    period: str,
    staff_id: int,
    at: datetime,
) -> Receipt:
    """A second staff member confirms a held redemption: now it is paid and the stock taken."""
    held = await receipt(tx, community_id=community_id, redemption_id=redemption_id)
    pool, item = await _checked(
        tx,
        resident=resident,
        product_id=held.product_id,
        quantity=held.quantity,
        day=held.day,
        shared_pool=shared_pool,
        besides=redemption_id,
    )
    changed = await tx.execute(
        update(redemptions)
        .where(redemptions.c.id == redemption_id, redemptions.c.status == Status.HELD.value)
        .values(status=Status.DONE.value, second_staff_id=staff_id, done_at=at)
    )
    if changed.rowcount != 1:
        raise RedemptionNotDone(number=redemption_id, status=Phrase(f"shop.status.{held.status.value}"))
    left = await _pay(
        tx,
        community_id=community_id,
        redemption_id=redemption_id,
        resident=resident,
        pool=pool,
        item=item,
        quantity=held.quantity,
        period=period,
        by=held.cashier_id,
        at=at,
    )
    return await receipt(tx, community_id=community_id, redemption_id=redemption_id, pool_left=left)


async def reverse(
    tx: Tx, *, community_id: int, redemption_id: int, reason: str, period: str, by: int, at: datetime
) -> Receipt:
    """撤销兑换: points back to whoever paid, stock back on the shelf; a held one is simply cancelled."""
    before = await receipt(tx, community_id=community_id, redemption_id=redemption_id)
    new_status = Status.CANCELLED if before.status is Status.HELD else Status.REVERSED
    changed = await tx.execute(
        update(redemptions)
        .where(redemptions.c.id == redemption_id, redemptions.c.status == before.status.value)
        .values(status=new_status.value, reversed_by=by, reversed_at=at, reverse_reason=reason[:200])
    )
    if before.status not in (Status.HELD, Status.DONE) or changed.rowcount != 1:
        raise RedemptionNotDone(number=redemption_id, status=Phrase(f"shop.status.{before.status.value}"))
    if new_status is Status.REVERSED:
        entry_ids = (
            await tx.execute(
                select(economy_entries.c.entry_id)
                .where(economy_entries.c.redemption_id == redemption_id)
                .order_by(economy_entries.c.entry_id)
            )
        ).scalars()
        for entry_id in list(entry_ids):
            await ledger.reverse(tx, entry_id=entry_id, reason=reason, period=period, created_by=by, at=at)
        await _move_stock(
            tx,
            community_id=community_id,
            item=await product(tx, before.product_id),
            delta=before.quantity,
            kind=Movement.REVERSAL,
            by=by,
            at=at,
            redemption_id=redemption_id,
            note=reason,
        )
    return await receipt(tx, community_id=community_id, redemption_id=redemption_id)
