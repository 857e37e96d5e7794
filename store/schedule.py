"""What the schedule has done: one row per occurrence of a calendar job, and how far it has looked.

The database, not the scheduler, decides that an occurrence happens once: a run is claimed by inserting
its row, in the same transaction as its work, and the unique key (community, job, occurrence) lets one
process, one restart, one catch-up win. `checked_until` says up to when every occurrence was run or
reported, so a bot that comes back looks at the time it was away and no further.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select, update

from store.db import Tx
from store.schema import job_runs, schedule_marks


class Outcome(StrEnum):
    DONE = "done"
    MISSED = "missed"  # too late to be worth doing: staff were told instead


@dataclass(frozen=True, slots=True)
class Run:
    job: str
    occurrence: str
    due_at: datetime
    outcome: Outcome
    ran_at: datetime


async def checked_until(tx: Tx, *, community_id: int, now: datetime) -> datetime:
    """Up to when the community's schedule was looked at; the first time ever, that is now."""
    await tx.execute(tx.insert_ignoring_conflicts(schedule_marks).values(community_id=community_id, checked_until=now))
    value: datetime = await tx.scalar(
        select(schedule_marks.c.checked_until).where(schedule_marks.c.community_id == community_id)
    )
    return value


async def accepted_exchange_dates(tx: Tx, *, community_id: int) -> set[date]:
    """Extra exchange days from community.toml that an earlier start accepted (they were coming then)."""
    value = await tx.scalar(
        select(schedule_marks.c.exchange_dates).where(schedule_marks.c.community_id == community_id)
    )
    return {date.fromisoformat(d) for d in json.loads(value or "[]")}


async def accept_exchange_dates(tx: Tx, *, community_id: int, dates: Iterable[date], now: datetime) -> None:
    await tx.execute(tx.insert_ignoring_conflicts(schedule_marks).values(community_id=community_id, checked_until=now))
    known = await accepted_exchange_dates(tx, community_id=community_id) | set(dates)
    await tx.execute(
        update(schedule_marks)
        .where(schedule_marks.c.community_id == community_id)
        .values(exchange_dates=json.dumps(sorted(d.isoformat() for d in known)))
    )


async def advance(tx: Tx, *, community_id: int, until: datetime) -> None:
    await tx.execute(
        update(schedule_marks)
        .where(schedule_marks.c.community_id == community_id, schedule_marks.c.checked_until < until)
        .values(checked_until=until)
    )


async def claim(
    tx: Tx,
    *,
    community_id: int,
    job: str,
    occurrence: str,
    due_at: datetime,
    now: datetime,
    outcome: Outcome,
    by: str,
) -> bool:
    """Take an occurrence for this transaction; False if it was run (or reported) already."""
    result = await tx.execute(
        tx.insert_ignoring_conflicts(job_runs).values(
            community_id=community_id,
            job=job,
            occurrence=occurrence,
            due_at=due_at,
            outcome=outcome.value,
            ran_at=now,
            ran_by=by[:120],
        )
    )
    return bool(result.rowcount)


async def runs(tx: Tx, *, community_id: int) -> list[Run]:
    rows = await tx.execute(
        select(job_runs.c.job, job_runs.c.occurrence, job_runs.c.due_at, job_runs.c.outcome, job_runs.c.ran_at)
        .where(job_runs.c.community_id == community_id)
        .order_by(job_runs.c.due_at, job_runs.c.id)
    )
    return [Run(job, occurrence, due, Outcome(outcome), ran) for job, occurrence, due, outcome, ran in rows.all()]


async def outcome(tx: Tx, *, community_id: int, job: str, occurrence: str) -> Outcome | None:
    """How an occurrence went, None if the schedule never got to it."""
    value = await tx.scalar(
        select(job_runs.c.outcome).where(
            job_runs.c.community_id == community_id, job_runs.c.job == job, job_runs.c.occurrence == occurrence
        )
    )
    return Outcome(value) if value else None
