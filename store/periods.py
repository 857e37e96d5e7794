"""Periods as the notice cycle sees them: published once, open for objections, then closed for good.

A period row exists from the moment its notice is published. Closing is one conditional UPDATE on that
row (window over, no open objection), and filing or settling an objection changes the same row, so the
two cannot pass each other. Once `closed_at` is set, `ledger.post` refuses entries for the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from store.db import AnyRow, Tx
from store.schema import periods


@dataclass(frozen=True, slots=True)
class PeriodState:
    label: str
    published_at: datetime
    objections_until: datetime
    open_objections: int
    objections: int
    closed_at: datetime | None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def accepts_objections(self, now: datetime) -> bool:
        return self.closed_at is None and now < self.objections_until


_COLUMNS = (
    periods.c.label,
    periods.c.published_at,
    periods.c.objections_until,
    periods.c.open_objections,
    periods.c.objections,
    periods.c.closed_at,
)


def _state(row: AnyRow) -> PeriodState:
    return PeriodState(*row)


async def get(tx: Tx, *, community_id: int, label: str) -> PeriodState | None:
    query = select(*_COLUMNS).where(periods.c.community_id == community_id, periods.c.label == label)
    row = (await tx.execute(query)).first()
    return _state(row) if row else None


async def publish(
    tx: Tx, *, community_id: int, label: str, at: datetime, objections_until: datetime, by: int | None
) -> bool:
    """Mark a period published with its objection window; False if it was published before."""
    result = await tx.execute(
        tx.insert_ignoring_conflicts(periods).values(
            community_id=community_id,
            label=label,
            published_at=at,
            published_by=by,
            objections_until=objections_until,
        )
    )
    return bool(result.rowcount)


async def open_ones(tx: Tx, *, community_id: int) -> list[PeriodState]:
    """Published periods not closed yet, oldest first."""
    rows = await tx.execute(
        select(*_COLUMNS)
        .where(periods.c.community_id == community_id, periods.c.closed_at.is_(None))
        .order_by(periods.c.label)
    )
    return [_state(row) for row in rows.all()]


async def count_objection(tx: Tx, *, community_id: int, label: str, now: datetime) -> bool:
    """Count a new objection on the row, if the window is still open; False if it is not."""
    result = await tx.execute(
        update(periods)
        .where(
            periods.c.community_id == community_id,
            periods.c.label == label,
            periods.c.closed_at.is_(None),
            periods.c.objections_until > now,
        )
        .values(open_objections=periods.c.open_objections + 1, objections=periods.c.objections + 1)
    )
    return bool(result.rowcount == 1)


async def settle_objection(tx: Tx, *, community_id: int, label: str) -> None:
    await tx.execute(
        update(periods)
        .where(periods.c.community_id == community_id, periods.c.label == label)
        .values(open_objections=periods.c.open_objections - 1)
    )


async def close(tx: Tx, *, community_id: int, label: str, now: datetime) -> bool:
    """Close the period if its window is over and no objection is open; True for the one caller that did."""
    result = await tx.execute(
        update(periods)
        .where(
            periods.c.community_id == community_id,
            periods.c.label == label,
            periods.c.closed_at.is_(None),
            periods.c.open_objections == 0,
            periods.c.objections_until <= now,
        )
        .values(closed_at=now)
    )
    return bool(result.rowcount == 1)


async def closed_at(tx: Tx, *, community_id: int, label: str) -> datetime | None:
    """When the period was closed, None while it is open. On PostgreSQL the row is share-locked, so a close
    that is under way waits for this transaction, and one that committed first is seen."""
    query = select(periods.c.closed_at).where(periods.c.community_id == community_id, periods.c.label == label)
    if tx.dialect == "postgresql":
        query = query.with_for_update(read=True)
    value: datetime | None = await tx.scalar(query)
    return value
