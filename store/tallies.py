"""Sums for notices and rankings: points per resident over periods, service time over a span of days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from store.db import Tx
from store.ledger import EntryKind, earned_points, reversed_entry
from store.records import Status
from store.schema import households, ledger_entries, residents, service_records


@dataclass(frozen=True, slots=True)
class ResidentPoints:
    resident_id: int
    name: str
    household: str  # "" for none
    points: int
    minutes: int  # service time behind the points (reversed services not counted)
    rank_opt_out: bool


async def points_by_resident(tx: Tx, *, community_id: int, labels: Sequence[str]) -> list[ResidentPoints]:
    """Every resident who earned (or lost) points in these periods: the points and the service time behind
    them. What was spent in the shop is not a period's points."""
    reversal = ledger_entries.alias("reversal")
    counted_minutes = case(
        (
            and_(ledger_entries.c.kind == EntryKind.SERVICE.value, reversal.c.id.is_(None)),
            func.coalesce(service_records.c.minutes, 0),
        ),
        else_=0,
    )
    rows = await tx.execute(
        select(
            residents.c.id,
            residents.c.name,
            func.coalesce(households.c.label, ""),
            func.sum(ledger_entries.c.points),
            func.sum(counted_minutes),
            residents.c.rank_opt_out,
        )
        .select_from(ledger_entries)
        .join(residents, residents.c.id == ledger_entries.c.resident_id)
        .outerjoin(households, households.c.id == residents.c.household_id)
        .outerjoin(service_records, service_records.c.id == ledger_entries.c.record_id)
        .outerjoin(reversal, reversal.c.reverses_id == ledger_entries.c.id)
        .outerjoin(reversed_entry, reversed_entry.c.id == ledger_entries.c.reverses_id)
        .where(
            ledger_entries.c.community_id == community_id,
            ledger_entries.c.period.in_(list(labels)),
            earned_points(),
        )
        .group_by(residents.c.id, residents.c.name, households.c.label, residents.c.rank_opt_out)
        .order_by(residents.c.id)
    )
    return [
        ResidentPoints(rid, name, label, int(points or 0), int(minutes or 0), bool(opt_out))
        for rid, name, label, points, minutes, opt_out in rows.all()
    ]


@dataclass(frozen=True, slots=True)
class ServiceWeek:
    minutes: int
    sessions: int
    people: int


async def service_between(tx: Tx, *, community_id: int, start: datetime, end: datetime) -> ServiceWeek:
    """Service records (approved or waiting, not rejected or too short) that started in [start, end)."""
    row = (
        await tx.execute(
            select(
                func.coalesce(func.sum(service_records.c.minutes), 0),
                func.count(),
                func.count(func.distinct(service_records.c.resident_id)),
            ).where(
                service_records.c.community_id == community_id,
                service_records.c.started_at >= start,
                service_records.c.started_at < end,
                service_records.c.status.in_([Status.APPROVED.value, Status.PENDING.value]),
            )
        )
    ).one()
    return ServiceWeek(int(row[0]), int(row[1]), int(row[2]))


async def opted_out(tx: Tx, *, resident_id: int) -> bool:
    """Whether the resident asked to be left out of rankings (不参与排名)."""
    return bool(await tx.scalar(select(residents.c.rank_opt_out).where(residents.c.id == resident_id)))
