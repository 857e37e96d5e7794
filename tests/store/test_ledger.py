"""The ledger: a balance is always the sum of its entries; no balance goes below zero."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import InsufficientPoints
from store import ledger, numbers, residents
from store.db import Database
from store.ledger import AlreadyReversed, EntryKind
from store.schema import balances, communities, ledger_entries

AT = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


async def make_people(db: Database, count: int = 2) -> tuple[int, list[int]]:
    async with db.transaction() as tx:
        community_id = await tx.scalar(
            communities.insert().values(key="c", name="c", created_at=AT).returning(communities.c.id)
        )
        people = [
            await residents.create_resident(tx, community_id=community_id, name=f"r{i}", household="1-1", at=AT)
            for i in range(count)
        ]
    return community_id, people


async def post(db: Database, community_id: int, resident_id: int, points: int) -> ledger.Entry:
    async with db.transaction() as tx:
        return await ledger.post(
            tx,
            community_id=community_id,
            resident_id=resident_id,
            points=points,
            kind=EntryKind.BONUS if points > 0 else EntryKind.DEDUCTION,
            reason="test",
            period="2026-11",
            created_by=None,
            at=AT,
        )


async def test_balance_follows_entries(db: Database) -> None:
    """Credits and debits move the balance, and the household balance is the sum of its members'."""
    community_id, (a, b) = await make_people(db)
    await post(db, community_id, a, 10)
    await post(db, community_id, a, -4)
    await post(db, community_id, b, 5)
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, a) == 6
        household = (await residents.get(tx, a)).household_id
        assert household is not None
        assert await ledger.household_balance(tx, household) == 11
        assert (await numbers.of_resident(tx, resident_id=a, household_id=None, period="2026-11")).period_points == 6


async def test_debit_beyond_balance_writes_nothing(db: Database) -> None:
    """A debit larger than the balance is refused with the balance, and leaves no entry behind."""
    community_id, (a, _) = await make_people(db)
    await post(db, community_id, a, 3)
    with pytest.raises(InsufficientPoints) as caught:
        await post(db, community_id, a, -5)
    assert caught.value.params == {"balance": 3, "needed": 5}
    async with db.snapshot() as tx:
        assert await tx.scalar(select(func.count()).select_from(ledger_entries)) == 1


async def test_reversal_is_a_new_entry_and_happens_once(db: Database) -> None:
    """A correction is an opposite entry pointing at the original, and an entry is reversed only once."""
    community_id, (a, _) = await make_people(db)
    entry = await post(db, community_id, a, 7)
    async with db.transaction() as tx:
        reversal = await ledger.reverse(
            tx, entry_id=entry.id, reason="录错了", period="2026-12", created_by=None, at=AT
        )
    assert reversal.points == -7
    with pytest.raises(AlreadyReversed):
        async with db.transaction() as tx:
            await ledger.reverse(tx, entry_id=entry.id, reason="again", period="2026-12", created_by=None, at=AT)
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, a) == 0
        assert len(await ledger.history(tx, resident_id=a)) == 2


async def test_database_refuses_negative_balance(db: Database) -> None:
    """Even a statement that skips the ledger cannot make a cached balance negative."""
    _, (a, _) = await make_people(db)
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.execute(update(balances).where(balances.c.resident_id == a).values(points=-1))


async def test_concurrent_debits_never_overdraw(db: Database) -> None:
    """Twenty debits of 1 racing against a balance of 10: exactly ten pass and the balance ends at zero."""
    community_id, (a, _) = await make_people(db)
    await post(db, community_id, a, 10)

    async def spend() -> bool:
        try:
            await post(db, community_id, a, -1)
            return True
        except InsufficientPoints:
            return False

    results = await asyncio.gather(*(spend() for _ in range(20)))
    assert results.count(True) == 10
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, a) == 0
        assert await ledger.audit(tx, community_id=community_id) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.integers(0, 2), st.integers(-20, 20).filter(bool)), max_size=25))
async def test_cache_equals_sum_after_any_sequence(database_url: str, moves: list[tuple[int, int]]) -> None:
    """After any sequence of credits, debits (some refused) and reversals, every cached balance equals its sum."""
    db = Database(database_url)
    try:
        async with db.transaction() as tx:
            key = uuid.uuid4().hex
            community_id = await tx.scalar(
                communities.insert().values(key=key, name="c", created_at=AT).returning(communities.c.id)
            )
            people = [
                await residents.create_resident(tx, community_id=community_id, name=f"r{i}", household="", at=AT)
                for i in range(3)
            ]
        posted: list[int] = []
        for index, (who, points) in enumerate(moves):
            try:
                if index % 5 == 4 and posted:
                    async with db.transaction() as tx:
                        await ledger.reverse(
                            tx,
                            entry_id=posted.pop(0),
                            reason="fix",
                            period="2026-11",
                            created_by=None,
                            at=AT + timedelta(minutes=index),
                        )
                else:
                    posted.append((await post(db, community_id, people[who], points)).id)
            except InsufficientPoints:
                pass
        async with db.snapshot() as tx:
            assert await ledger.audit(tx, community_id=community_id) == []
            for person in people:
                assert await ledger.balance(tx, person) >= 0
    finally:
        await db.dispose()


async def test_period_points_count_earnings_not_spending(db: Database) -> None:
    """A period's points are what was earned or deducted; spending in the shop and its refund do not count."""
    community_id, (a, _) = await make_people(db)
    await post(db, community_id, a, 10)
    await post(db, community_id, a, -2)  # a deduction item
    async with db.transaction() as tx:
        spent = await ledger.post(
            tx,
            community_id=community_id,
            resident_id=a,
            points=-5,
            kind=EntryKind.REDEMPTION,
            reason="洗洁精",
            period="2026-11",
            created_by=None,
            at=AT,
        )
        await ledger.reverse(tx, entry_id=spent.id, reason="退货", period="2026-11", created_by=None, at=AT)
        spent_again = await ledger.post(
            tx,
            community_id=community_id,
            resident_id=a,
            points=-3,
            kind=EntryKind.REDEMPTION,
            reason="卫生纸",
            period="2026-11",
            created_by=None,
            at=AT,
        )
    async with db.snapshot() as tx:
        assert (await numbers.of_resident(tx, resident_id=a, household_id=None, period="2026-11")).period_points == 8
        assert await ledger.balance(tx, a) == 5
    assert spent_again.points == -3
