"""A resident's numbers for 我的积分, in one round trip: the answer people ask for most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, true

from store import duty, ledger, records
from store.db import Tx


@dataclass(frozen=True, slots=True)
class Numbers:
    balance: int
    period_points: int  # earned in the period asked about
    household: int  # the household's balance; 0 without a household
    waiting_minutes: int  # service waiting for review
    waiting_points: int
    on_duty: tuple[str, datetime] | None  # activity and start of an open session


_WAITING = records.WAITING.subquery()
_OPEN = duty.OPEN.subquery()
_NUMBERS = select(
    ledger.BALANCE.scalar_subquery(),
    ledger.PERIOD_POINTS.scalar_subquery(),
    ledger.HOUSEHOLD_BALANCE.scalar_subquery(),
    *_WAITING.c,
    _OPEN.c.activity,
    _OPEN.c.started_at,
).select_from(_WAITING.outerjoin(_OPEN, true()))


async def of_resident(tx: Tx, *, resident_id: int, household_id: int | None, period: str) -> Numbers:
    row = (
        await tx.execute(_NUMBERS, {"resident_id": resident_id, "household_id": household_id or 0, "period": period})
    ).one()
    balance, points, household, minutes, waiting_points, activity, started = row
    return Numbers(
        int(balance or 0),
        int(points or 0),
        int(household or 0),
        int(minutes or 0),
        int(waiting_points or 0),
        (activity, started) if activity is not None else None,
    )
