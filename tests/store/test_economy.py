"""The points economy in the store: redemptions from a household's pool, stock, caps and floors."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import rules_of
from bot.config import ProductSection, RuleCategory, RuleItem, load_community
from bot.errors import DomainError
from bot.testing import make_config
from store import households, ledger, reports, residents, rule_items, shop
from store.db import Database
from store.households import Member
from store.ledger import EntryKind
from store.schema import communities, economy_entries, ledger_entries, redemptions, service_records

AT = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)
DAY = date(2026, 12, 28)
RULES = rules_of(make_config())
SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "sample"


async def make_household(db: Database, balances: list[int], *, household: str = "3-2-501") -> tuple[int, list[int]]:
    """A community and one household whose members hold these balances."""
    async with db.transaction() as tx:
        community_id = await tx.scalar(
            communities.insert().values(key="c", name="c", created_at=AT).returning(communities.c.id)
        )
        people = []
        for index, points in enumerate(balances):
            resident_id = await residents.create_resident(
                tx, community_id=community_id, name=f"r{index}", household=household, at=AT
            )
            people.append(resident_id)
            if points:
                await ledger.post(
                    tx,
                    community_id=community_id,
                    resident_id=resident_id,
                    points=points,
                    kind=EntryKind.BONUS,
                    reason="start",
                    period="2026-12",
                    created_by=None,
                    at=AT,
                )
        cashier = await residents.create_resident(tx, community_id=community_id, name="收银", household="", at=AT)
        people.append(cashier)
    return community_id, people


async def add_product(db: Database, community_id: int, *, price: int, stock: int, limit: int = 0) -> shop.Product:
    async with db.transaction() as tx:
        await shop.sync_products(
            tx,
            community_id=community_id,
            configured=[ProductSection(code="P01", name="洗洁精", price=price, unit="瓶", limit_per_household=limit)],
            at=AT,
        )
        item = await shop.find(tx, community_id=community_id, text="P01")
        if stock:
            await shop.stock_in(tx, community_id=community_id, item=item, quantity=stock, by=None, at=AT)
        return await shop.product(tx, item.id)


async def redeem(db: Database, community_id: int, resident_id: int, cashier: int, quantity: int = 1) -> shop.Receipt:
    async with db.transaction() as tx:
        resident = await residents.get(tx, resident_id)
        item = await shop.find(tx, community_id=community_id, text="P01")
        return await shop.redeem(
            tx,
            community_id=community_id,
            resident=resident,
            item=item,
            quantity=quantity,
            day=DAY,
            shared_pool=True,
            period="2027-01",
            cashier_id=cashier,
            at=AT,
        )


@pytest.mark.parametrize(("stock", "expected"), [(20, 14), (5, 5)], ids=["points-run-out", "stock-runs-out"])
async def test_fifty_concurrent_redemptions_never_overdraw(db: Database, stock: int, expected: int) -> None:
    """Fifty redemptions at once for one household (100 points, price 7): the pool and the shelf never go below zero."""
    community_id, (a, b, c, cashier) = await make_household(db, [40, 30, 30])
    await add_product(db, community_id, price=7, stock=stock)

    async def attempt(index: int) -> bool:
        try:
            await redeem(db, community_id, (a, b, c)[index % 3], cashier)
            return True
        except DomainError:  # not enough points, or out of stock
            return False

    results = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert results.count(True) == expected
    async with db.snapshot() as tx:
        household_id = (await residents.get(tx, a)).household_id
        assert household_id is not None
        members = await households.members_of(tx, household_id)
        assert all(m.balance >= 0 for m in members)
        assert sum(m.balance for m in members) == 100 - 7 * expected
        assert (await shop.find(tx, community_id=community_id, text="P01")).stock == stock - expected
        assert await ledger.audit(tx, community_id=community_id) == []
        assert await shop.stock_audit(tx, community_id=community_id) == []
        paid = await tx.scalar(
            select(func.sum(ledger_entries.c.points)).where(ledger_entries.c.kind == EntryKind.REDEMPTION.value)
        )
        assert paid == -7 * expected
        assert await tx.scalar(select(func.count()).select_from(redemptions)) == expected


def test_split_takes_the_named_member_first() -> None:
    """A shared-pool debit empties the named member's balance, then the next members' in order."""
    members = [Member(2, "b", 5), Member(1, "a", 3), Member(3, "c", 10)]
    assert households.split(members, 4) == [(2, 4)]
    assert households.split(members, 9) == [(2, 5), (1, 3), (3, 1)]
    with pytest.raises(ValueError, match="less than"):
        households.split(members, 19)


async def test_split_redemption_and_its_reversal(db: Database) -> None:
    """A redemption paid by two members writes two entries, one stock movement, and is undone exactly once."""
    community_id, (a, b, cashier) = await make_household(db, [4, 30])
    await add_product(db, community_id, price=10, stock=3)
    receipt = await redeem(db, community_id, a, cashier)
    assert receipt.paid_by == (("r0", 4), ("r1", 6)) and receipt.pool_left == 24
    async with db.transaction() as tx:
        undone = await shop.reverse(
            tx, community_id=community_id, redemption_id=receipt.id, reason="错了", period="2027-01", by=cashier, at=AT
        )
    assert undone.status is shop.Status.REVERSED
    with pytest.raises(shop.RedemptionNotDone):
        async with db.transaction() as tx:
            await shop.reverse(
                tx,
                community_id=community_id,
                redemption_id=receipt.id,
                reason="再来",
                period="2027-01",
                by=cashier,
                at=AT,
            )
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, a) == 4 and await ledger.balance(tx, b) == 30
        assert (await shop.find(tx, community_id=community_id, text="P01")).stock == 3
        assert await shop.stock_audit(tx, community_id=community_id) == []


async def test_own_pool_spends_only_the_residents_points(db: Database) -> None:
    """With `pool = "own"` a member cannot spend the rest of the household's points."""
    community_id, (a, _b, cashier) = await make_household(db, [4, 30])
    await add_product(db, community_id, price=10, stock=3)
    with pytest.raises(shop.NotEnoughPoints) as refused:
        async with db.transaction() as tx:
            await shop.redeem(
                tx,
                community_id=community_id,
                resident=await residents.get(tx, a),
                item=await shop.find(tx, community_id=community_id, text="P01"),
                quantity=1,
                day=DAY,
                shared_pool=False,
                period="2027-01",
                cashier_id=cashier,
                at=AT,
            )
    assert refused.value.params["balance"] == 4 and refused.value.params["price"] == 10


async def test_limit_per_household_counts_what_was_not_undone(db: Database) -> None:
    """The per-household limit counts the day's redemptions by any member, but not undone ones."""
    community_id, (a, b, cashier) = await make_household(db, [100, 100])
    await add_product(db, community_id, price=1, stock=10, limit=2)
    first = await redeem(db, community_id, a, cashier, quantity=2)
    with pytest.raises(shop.LimitReached):
        await redeem(db, community_id, b, cashier)
    async with db.transaction() as tx:
        await shop.reverse(
            tx, community_id=community_id, redemption_id=first.id, reason="x", period="2027-01", by=cashier, at=AT
        )
    assert (await redeem(db, community_id, b, cashier, quantity=2)).quantity == 2


async def apply(
    db: Database, community_id: int, resident_id: int, item: RuleItem, **kw: object
) -> rule_items.Application:
    async with db.transaction() as tx:
        return await rule_items.apply(
            tx,
            community_id=community_id,
            rules=RULES,
            item=item,
            category=kw.get("category"),  # type: ignore[arg-type]
            resident=await residents.get(tx, resident_id),
            remark="",
            shared_pool=bool(kw.get("shared", True)),
            by=int(kw["by"]),  # type: ignore[call-overload]
            at=kw.get("at", AT),  # type: ignore[arg-type]
        )


async def test_item_cap_per_period_gives_what_is_left_then_refuses(db: Database) -> None:
    """An item worth 2 with a monthly cap of 5 gives 2, 2, 1, then refuses; revoking one frees its room."""
    community_id, (a, staff) = await make_household(db, [0])
    item = RuleItem(code="A01", name="志愿服务", points=2, cap_per_period=5)
    got = [(await apply(db, community_id, a, item, by=staff)).points for _ in range(3)]
    assert got == [2, 2, 1]
    with pytest.raises(rule_items.CapReached):
        await apply(db, community_id, a, item, by=staff)
    async with db.transaction() as tx:
        await rule_items.revoke(
            tx, community_id=community_id, application_id=1, reason="错", period="2027-01", by=staff, at=AT
        )
    assert (await apply(db, community_id, a, item, by=staff)).points == 2
    next_month = datetime(2027, 1, 26, 1, 0, tzinfo=UTC)
    assert (await apply(db, community_id, a, item, by=staff, at=next_month)).points == 2


async def test_deductions_until_zero_or_refused(db: Database) -> None:
    """A deduction stops at zero by default, draws on the shared pool first, and one that does not stop is refused."""
    community_id, (a, b, staff) = await make_household(db, [3, 2])
    until_zero = RuleItem(code="D01", name="乱停车", points=-4)
    strict = RuleItem(code="D05", name="高空抛物", points=-10, until_zero=False)
    with pytest.raises(rule_items.NotEnoughToDeduct):
        await apply(db, community_id, a, strict, by=staff)
    first = await apply(db, community_id, a, until_zero, by=staff)
    assert first.points == -4 and not first.floored and len(first.entries) == 2
    second = await apply(db, community_id, a, until_zero, by=staff)
    assert second.points == -1 and second.floored
    with pytest.raises(rule_items.NothingToDeduct):
        await apply(db, community_id, a, until_zero, by=staff)
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, a) == 0 and await ledger.balance(tx, b) == 0
        owners = await tx.scalar(select(func.count()).select_from(economy_entries))
        assert owners == 3


async def test_party_member_scheme_from_the_sample(db: Database) -> None:
    """Base 65 a year, deducted until zero of the base only, and bonus capped at 15: the seeds' party scheme."""
    config = load_community(SAMPLE / "party_branch.toml")
    items = {i.code: i for i in config.rules.items}
    community_id, (member, staff) = await make_household(db, [0])

    async def use(code: str) -> int:
        item = items[code]
        return (
            await apply(db, community_id, member, item, by=staff, category=config.rules.category(item.category))
        ).points

    assert await use("J00") == 65
    with pytest.raises(rule_items.CapReached):
        await use("J00")  # the base is granted once a year
    assert [await use("J01") for _ in range(3)] == [5, 5, 5]
    with pytest.raises(rule_items.CapReached):
        await use("J02")  # 加分 is full at 15, whatever the item
    assert [await use("K04") for _ in range(4)] == [-20, -20, -20, -5]
    with pytest.raises(rule_items.CapReached):
        await use("K01")  # the base is used up; the bonus points stay
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, member) == 15


async def test_rule_items_file_with_the_seeds_numbers(tmp_path: Path) -> None:
    """66 bonus and 87 deduction items in a GBK CSV, as Excel in China saves it, load as the catalogue."""
    rows = ["代码,名称,分值,类别,每期上限,扣完为止"]
    rows += [f"A{i:02d},加分项目{i},{i % 5 + 1},类别{i % 6},{10 if i % 2 else ''}," for i in range(66)]
    rows += [f"D{i:02d},扣分项目{i},-{i % 7 + 1},扣分类{i % 4},,{'否' if i % 9 == 0 else '是'}" for i in range(87)]
    (tmp_path / "items.csv").write_bytes("\n".join(rows).encode("gbk"))
    (tmp_path / "c.toml").write_text('[community]\nname = "c"\n[rules]\nfile = "items.csv"\n', encoding="utf-8")
    config = load_community(tmp_path / "c.toml")
    bonus = [i for i in config.rules.items if i.is_bonus]
    assert (len(bonus), len(config.rules.items) - len(bonus)) == (66, 87)
    assert sum(1 for i in config.rules.items if not i.until_zero) == 10
    assert config.rules.items[1].cap_per_period == 10


async def test_a_deduction_never_reduces_certified_hours(db: Database) -> None:
    """Hours on a certificate come from approved service records; points taken away leave them as they were."""
    community_id, (a, staff) = await make_household(db, [0])
    async with db.transaction() as tx:
        await tx.execute(
            service_records.insert().values(
                community_id=community_id,
                resident_id=a,
                activity="巡逻",
                started_at=datetime(2026, 11, 3, 1, 0, tzinfo=UTC),
                ended_at=datetime(2026, 11, 3, 3, 30, tzinfo=UTC),
                minutes=150,
                points=5,
                status="approved",
                reviewer_id=staff,
                created_at=AT,
            )
        )
        await ledger.post(
            tx, community_id=community_id, resident_id=a, points=5, kind=EntryKind.SERVICE, reason="巡逻",
            period="2026-11", created_by=staff, at=AT,
        )  # fmt: skip

    async def hours() -> int:
        async with db.snapshot() as tx:
            cert = await reports.certificate(
                tx,
                community_id=community_id,
                community_key="c",
                organiser="c",
                resident=await residents.get(tx, a),
                first=date(2026, 1, 1),
                last=date(2026, 12, 31),
                tz=RULES.tz,
                issued_on=DAY,
            )
        return cert.total_minutes

    assert await hours() == 150
    await apply(
        db, community_id, a, RuleItem(code="D01", name="乱停车", points=-5), by=staff, category=RuleCategory(name="x")
    )
    assert await hours() == 150
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, a) == 0
