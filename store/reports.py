"""What leaves the bot on paper: a period's records and ledger for export, a volunteer's certified service.

Service hours come from service records only, never from the ledger: a deduction moves points, and no
points movement ever changes the hours a certificate states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.certificate import Certificate, ServiceLine
from bot.rules import Period, local_day_bounds
from store.db import Tx
from store.residents import Resident
from store.schema import (
    balances,
    communities,
    economy_entries,
    households,
    ledger_entries,
    residents,
    rule_applications,
    service_records,
)


async def community_id_of(tx: Tx, key: str) -> int | None:
    found: int | None = await tx.scalar(select(communities.c.id).where(communities.c.key == key))
    return found


@dataclass(frozen=True, slots=True)
class ServiceRow:
    number: int
    name: str
    household: str
    activity: str
    started_at: datetime
    ended_at: datetime
    place: str
    content: str
    minutes: int
    points: int
    status: str
    reviewer: str
    reviewed_at: datetime | None


async def service_rows(
    tx: Tx,
    *,
    community_id: int,
    start: datetime,
    end: datetime,
    resident_id: int | None = None,
    approved_only: bool = False,
) -> list[ServiceRow]:
    """Service records that started in [start, end), oldest first."""
    reviewer = residents.alias("reviewer")
    query = (
        select(
            service_records.c.id,
            residents.c.name,
            func.coalesce(households.c.label, ""),
            service_records.c.activity,
            service_records.c.started_at,
            service_records.c.ended_at,
            service_records.c.place,
            service_records.c.content,
            service_records.c.minutes,
            service_records.c.points,
            service_records.c.status,
            func.coalesce(reviewer.c.name, ""),
            service_records.c.reviewed_at,
        )
        .join(residents, residents.c.id == service_records.c.resident_id)
        .outerjoin(households, households.c.id == residents.c.household_id)
        .outerjoin(reviewer, reviewer.c.id == service_records.c.reviewer_id)
        .where(
            service_records.c.community_id == community_id,
            service_records.c.started_at >= start,
            service_records.c.started_at < end,
        )
        .order_by(service_records.c.started_at, service_records.c.id)
    )
    if resident_id is not None:
        query = query.where(service_records.c.resident_id == resident_id)
    if approved_only:
        query = query.where(service_records.c.status == "approved")
    return [ServiceRow(*row) for row in (await tx.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    number: int
    created_at: datetime
    name: str
    household: str
    kind: str
    item_code: str
    reason: str
    points: int
    by: str
    reverses: int | None
    receipt: int | None


async def ledger_rows(tx: Tx, *, community_id: int, period: str) -> list[LedgerRow]:
    """Every ledger entry published in a period, in the order it was written."""
    staff = residents.alias("staff")
    query = (
        select(
            ledger_entries.c.id,
            ledger_entries.c.created_at,
            residents.c.name,
            func.coalesce(households.c.label, ""),
            ledger_entries.c.kind,
            func.coalesce(rule_applications.c.item_code, ""),
            ledger_entries.c.reason,
            ledger_entries.c.points,
            func.coalesce(staff.c.name, ""),
            ledger_entries.c.reverses_id,
            economy_entries.c.redemption_id,
        )
        .join(residents, residents.c.id == ledger_entries.c.resident_id)
        .outerjoin(households, households.c.id == residents.c.household_id)
        .outerjoin(staff, staff.c.id == ledger_entries.c.created_by)
        .outerjoin(economy_entries, economy_entries.c.entry_id == ledger_entries.c.id)
        .outerjoin(rule_applications, rule_applications.c.id == economy_entries.c.application_id)
        .where(ledger_entries.c.community_id == community_id, ledger_entries.c.period == period)
        .order_by(ledger_entries.c.id)
    )
    return [LedgerRow(*row) for row in (await tx.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class SummaryRow:
    name: str
    household: str
    minutes: int  # approved service in the period
    points: int  # the period's ledger sum
    balance: int  # now


async def summary_rows(tx: Tx, *, community_id: int, period: Period) -> list[SummaryRow]:
    """One row per resident with service or points in the period, by household then name."""
    minutes = (
        select(service_records.c.resident_id, func.sum(service_records.c.minutes).label("minutes"))
        .where(
            service_records.c.community_id == community_id,
            service_records.c.status == "approved",
            service_records.c.started_at >= period.start,
            service_records.c.started_at < period.end,
        )
        .group_by(service_records.c.resident_id)
        .subquery()
    )
    points = (
        select(ledger_entries.c.resident_id, func.sum(ledger_entries.c.points).label("points"))
        .where(ledger_entries.c.community_id == community_id, ledger_entries.c.period == period.label)
        .group_by(ledger_entries.c.resident_id)
        .subquery()
    )
    query = (
        select(
            residents.c.name,
            func.coalesce(households.c.label, ""),
            func.coalesce(minutes.c.minutes, 0),
            func.coalesce(points.c.points, 0),
            func.coalesce(balances.c.points, 0),
        )
        .outerjoin(households, households.c.id == residents.c.household_id)
        .outerjoin(minutes, minutes.c.resident_id == residents.c.id)
        .outerjoin(points, points.c.resident_id == residents.c.id)
        .outerjoin(balances, balances.c.resident_id == residents.c.id)
        .where(
            residents.c.community_id == community_id,
            (minutes.c.minutes.is_not(None)) | (points.c.points.is_not(None)),
        )
        .order_by(func.coalesce(households.c.label, ""), residents.c.name, residents.c.id)
    )
    return [SummaryRow(n, h, int(m), int(p), int(b)) for n, h, m, p, b in (await tx.execute(query)).all()]


async def certificate(
    tx: Tx,
    *,
    community_id: int,
    community_key: str,
    organiser: str,
    resident: Resident,
    first: date,
    last: date,
    tz: ZoneInfo,
    issued_on: date,
) -> Certificate:
    """A volunteer's approved service between two local dates, both included."""
    start, _ = local_day_bounds(first, tz)
    _, end = local_day_bounds(last, tz)
    rows = await service_rows(
        tx, community_id=community_id, start=start, end=end, resident_id=resident.id, approved_only=True
    )
    lines = tuple(
        ServiceLine(r.started_at.astimezone(tz).date(), r.activity, r.place, r.content, r.minutes, r.reviewer)
        for r in rows
    )
    serial = f"{community_key}-{resident.id}-{first:%Y%m%d}-{last:%Y%m%d}-{issued_on:%Y%m%d}"
    return Certificate(organiser, resident.name, resident.household, first, last, lines, issued_on, serial)
