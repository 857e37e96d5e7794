"""Periods close for good; objections keep them open; a closed period takes no more entries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import InsufficientPoints
from store import ledger, numbers, objections, periods, residents
from store.db import Database
from store.ledger import EntryKind, PeriodClosed
from store.objections import AlreadySettled, ObjectionWindowClosed, OwnObjection
from store.schema import communities, ledger_entries

NOTICE = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
WINDOW_END = NOTICE + timedelta(days=3)


async def _setup(db: Database) -> tuple[int, int, int]:
    async with db.transaction() as tx:
        community_id = await tx.scalar(
            communities.insert().values(key="c", name="c", created_at=NOTICE).returning(communities.c.id)
        )
        resident = await residents.create_resident(tx, community_id=community_id, name="张三", household="1", at=NOTICE)
        staff = await residents.create_resident(tx, community_id=community_id, name="王主任", household="", at=NOTICE)
        await periods.publish(
            tx, community_id=community_id, label="2026-11", at=NOTICE, objections_until=WINDOW_END, by=None
        )
    return community_id, resident, staff


async def _post(db: Database, community_id: int, resident_id: int, points: int, period: str = "2026-11") -> None:
    async with db.transaction() as tx:
        await ledger.post(
            tx,
            community_id=community_id,
            resident_id=resident_id,
            points=points,
            kind=EntryKind.ADJUSTMENT,
            reason="test",
            period=period,
            created_by=None,
            at=NOTICE,
        )


async def test_a_closed_period_takes_no_entries(db: Database) -> None:
    """Before closing, a correction may go into the published period; after, it is refused and nothing is
    written, while the current period still takes it."""
    community_id, resident, _ = await _setup(db)
    await _post(db, community_id, resident, 5)
    async with db.transaction() as tx:
        assert not await periods.close(tx, community_id=community_id, label="2026-11", now=WINDOW_END - timedelta(1))
        assert await periods.close(tx, community_id=community_id, label="2026-11", now=WINDOW_END)
        assert not await periods.close(tx, community_id=community_id, label="2026-11", now=WINDOW_END)
    with pytest.raises(PeriodClosed):
        await _post(db, community_id, resident, 1)
    await _post(db, community_id, resident, 1, period="2026-12")
    async with db.snapshot() as tx:
        assert await ledger.balance(tx, resident) == 6
        assert (
            await numbers.of_resident(tx, resident_id=resident, household_id=None, period="2026-11")
        ).period_points == 5


async def test_an_open_objection_keeps_the_period_open(db: Database) -> None:
    """With an objection open the window can end but the period does not close; settling it lets it close,
    and its correction lands in the objection's period."""
    community_id, resident, staff = await _setup(db)
    async with db.transaction() as tx:
        filed = await objections.file(
            tx, community_id=community_id, period="2026-11", resident_id=resident, text="少了", at=NOTICE
        )
    async with db.transaction() as tx:
        assert not await periods.close(tx, community_id=community_id, label="2026-11", now=WINDOW_END)
    async with db.transaction() as tx:
        with pytest.raises(OwnObjection):
            await objections.settle(
                tx, community_id=community_id, objection_id=filed.id, by=resident, result="x", points=0, at=WINDOW_END
            )
        done = await objections.settle(
            tx, community_id=community_id, objection_id=filed.id, by=staff, result="补记", points=2, at=WINDOW_END
        )
        assert done.points == 2 and done.settled_by == "王主任"
        assert await periods.close(tx, community_id=community_id, label="2026-11", now=WINDOW_END)
    async with db.transaction() as tx:
        with pytest.raises(AlreadySettled):
            await objections.settle(
                tx, community_id=community_id, objection_id=filed.id, by=staff, result="y", points=0, at=WINDOW_END
            )
    async with db.snapshot() as tx:
        assert (
            await numbers.of_resident(tx, resident_id=resident, household_id=None, period="2026-11")
        ).period_points == 2
        state = await periods.get(tx, community_id=community_id, label="2026-11")
        assert state is not None and state.objections == 1 and state.open_objections == 0 and state.closed


async def test_no_objection_after_the_window(db: Database) -> None:
    """Filing when the window has ended is refused and counts nothing."""
    community_id, resident, _ = await _setup(db)
    async with db.transaction() as tx:
        with pytest.raises(ObjectionWindowClosed):
            await objections.file(
                tx, community_id=community_id, period="2026-11", resident_id=resident, text="x", at=WINDOW_END
            )
    async with db.snapshot() as tx:
        state = await periods.get(tx, community_id=community_id, label="2026-11")
        assert state is not None and state.objections == 0


async def test_a_deduction_beyond_the_balance_settles_nothing(db: Database) -> None:
    """A correction that would overdraw is refused as a whole: the objection stays open."""
    community_id, resident, staff = await _setup(db)
    async with db.transaction() as tx:
        filed = await objections.file(
            tx, community_id=community_id, period="2026-11", resident_id=resident, text="多了", at=NOTICE
        )
    with pytest.raises(InsufficientPoints):
        async with db.transaction() as tx:
            await objections.settle(
                tx, community_id=community_id, objection_id=filed.id, by=staff, result="扣", points=-3, at=NOTICE
            )
    async with db.snapshot() as tx:
        assert (await objections.get(tx, community_id=community_id, objection_id=filed.id)).status.value == "open"
        state = await periods.get(tx, community_id=community_id, label="2026-11")
        assert state is not None and state.open_objections == 1


async def test_closing_waits_for_an_entry_being_written(db: Database) -> None:
    """A close that starts while an entry for the period is being written waits for it, so the final
    numbers include it; an entry that comes after the close is refused."""
    community_id, resident, _ = await _setup(db)
    writing = asyncio.Event()
    release = asyncio.Event()

    async def slow_post() -> None:
        async with db.transaction() as tx:
            await ledger.post(
                tx,
                community_id=community_id,
                resident_id=resident,
                points=4,
                kind=EntryKind.ADJUSTMENT,
                reason="slow",
                period="2026-11",
                created_by=None,
                at=NOTICE,
            )
            writing.set()
            await release.wait()

    async def close() -> int:
        await writing.wait()
        async with db.transaction() as tx:
            assert await periods.close(tx, community_id=community_id, label="2026-11", now=WINDOW_END)
            total: int = await tx.scalar(
                select(func.coalesce(func.sum(ledger_entries.c.points), 0)).where(ledger_entries.c.period == "2026-11")
            )
            return total

    posting = asyncio.create_task(slow_post())
    closing = asyncio.create_task(close())
    await writing.wait()
    await asyncio.sleep(0.2)
    held_up = not closing.done()  # the close waits for the entry's transaction
    release.set()
    await posting
    assert held_up
    assert await closing == 4
    with pytest.raises(PeriodClosed):
        await _post(db, community_id, resident, 1)
