"""The ledger: the only place points are written.

A balance is the sum of a resident's entries. `post` is the one function that writes an entry, and it
moves the cached balance in the same statement sequence of the same transaction; a correction is a new,
reversing entry, never an edit. A period that has been published and closed takes no more entries: a
correction found later goes into the current period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, or_, select, update

from bot.errors import DomainError, InsufficientPoints
from store import periods
from store.db import Tx
from store.schema import balances, ledger_entries, residents


class EntryKind(StrEnum):
    SERVICE = "service"
    BONUS = "bonus"
    DEDUCTION = "deduction"
    REDEMPTION = "redemption"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"


class PeriodClosed(DomainError):
    key = "ledger.period_closed"


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    resident_id: int
    points: int
    kind: EntryKind
    period: str
    reason: str
    created_at: datetime
    created_by: str  # the staff member's name, "" for the bot itself
    balance_after: int | None = None


async def post(
    tx: Tx,
    *,
    community_id: int,
    resident_id: int,
    points: int,
    kind: EntryKind,
    reason: str,
    period: str,
    created_by: int | None,
    at: datetime,
    record_id: int | None = None,
    reverses_id: int | None = None,
) -> Entry:
    """Write one ledger entry and move the cached balance with it.

    A debit that would take the balance below zero raises InsufficientPoints and writes nothing: the
    conditional UPDATE decides atomically, so two debits at the same moment cannot both pass. An entry
    for a closed period raises PeriodClosed and writes nothing.
    """
    if points == 0:
        raise ValueError("a ledger entry moves at least one point")
    if await periods.closed_at(tx, community_id=community_id, label=period) is not None:
        raise PeriodClosed(year=int(period[:4]), month=int(period[5:]))
    new_balance = await tx.scalar(
        update(balances)
        .where(balances.c.resident_id == resident_id, balances.c.points + points >= 0)
        .values(points=balances.c.points + points, entries=balances.c.entries + 1, updated_at=at)
        .returning(balances.c.points)
    )
    if new_balance is None:
        raise InsufficientPoints(balance=await balance(tx, resident_id), needed=-points)
    entry_id: int = await tx.scalar(
        insert(ledger_entries)
        .values(
            community_id=community_id,
            resident_id=resident_id,
            points=points,
            kind=kind.value,
            period=period,
            reason=reason[:200],
            record_id=record_id,
            reverses_id=reverses_id,
            created_by=created_by,
            created_at=at,
        )
        .returning(ledger_entries.c.id)
    )
    return Entry(entry_id, resident_id, points, kind, period, reason, at, "", new_balance)


class AlreadyReversed(DomainError):
    key = "ledger.already_reversed"


async def reverse(tx: Tx, *, entry_id: int, reason: str, period: str, created_by: int | None, at: datetime) -> Entry:
    """A new entry with the opposite amount; the original stays as it was."""
    row = (
        await tx.execute(
            select(ledger_entries.c.community_id, ledger_entries.c.resident_id, ledger_entries.c.points).where(
                ledger_entries.c.id == entry_id
            )
        )
    ).first()
    if row is None:
        raise DomainError("ledger.no_such_entry", number=entry_id)
    already = await tx.scalar(select(ledger_entries.c.id).where(ledger_entries.c.reverses_id == entry_id))
    if already is not None:
        raise AlreadyReversed(number=entry_id)
    community_id, resident_id, points = row
    return await post(
        tx,
        community_id=community_id,
        resident_id=resident_id,
        points=-points,
        kind=EntryKind.REVERSAL,
        reason=reason,
        period=period,
        created_by=created_by,
        at=at,
        reverses_id=entry_id,
    )


BALANCE = select(balances.c.points).where(balances.c.resident_id == bindparam("resident_id"))
HOUSEHOLD_BALANCE = (
    select(func.coalesce(func.sum(balances.c.points), 0))
    .join(residents, residents.c.id == balances.c.resident_id)
    .where(residents.c.household_id == bindparam("household_id"))
)


async def balance(tx: Tx, resident_id: int) -> int:
    value = await tx.scalar(BALANCE, {"resident_id": resident_id})
    return int(value or 0)


async def household_balance(tx: Tx, household_id: int) -> int:
    value = await tx.scalar(HOUSEHOLD_BALANCE, {"household_id": household_id})
    return int(value or 0)


reversed_entry = ledger_entries.alias("reversed_entry")

# What a period's points count: what was earned or deducted for conduct, not what was spent in the shop.
EARNING_KINDS = frozenset({EntryKind.SERVICE, EntryKind.BONUS, EntryKind.DEDUCTION, EntryKind.ADJUSTMENT})


def earned_points() -> ColumnElement[bool]:
    """A condition on `ledger_entries` (joined as `reversed_entry` to what it reverses) for earned points:
    earning entries, and reversals of earning entries. Spending and its reversals are left out."""
    kinds = [k.value for k in EARNING_KINDS]
    return or_(
        ledger_entries.c.kind.in_(kinds),
        and_(ledger_entries.c.kind == EntryKind.REVERSAL.value, reversed_entry.c.kind.in_(kinds)),
    )


# Points earned in a period (service, bonus and deduction items, and their corrections): store.numbers asks it.
PERIOD_POINTS = (
    select(func.coalesce(func.sum(ledger_entries.c.points), 0))
    .select_from(ledger_entries.outerjoin(reversed_entry, reversed_entry.c.id == ledger_entries.c.reverses_id))
    .where(
        ledger_entries.c.resident_id == bindparam("resident_id"),
        ledger_entries.c.period == bindparam("period"),
        earned_points(),
    )
)


async def history(tx: Tx, *, resident_id: int, limit: int = 10) -> list[Entry]:
    """The newest entries first, with the name of whoever made each."""
    staff = residents.alias("staff")
    rows = await tx.execute(
        select(
            ledger_entries.c.id,
            ledger_entries.c.resident_id,
            ledger_entries.c.points,
            ledger_entries.c.kind,
            ledger_entries.c.period,
            ledger_entries.c.reason,
            ledger_entries.c.created_at,
            staff.c.name,
        )
        .outerjoin(staff, staff.c.id == ledger_entries.c.created_by)
        .where(ledger_entries.c.resident_id == resident_id)
        .order_by(ledger_entries.c.id.desc())
        .limit(limit)
    )
    return [
        Entry(id_, rid, points, EntryKind(kind), period, reason, created_at, by or "")
        for id_, rid, points, kind, period, reason, created_at, by in rows.all()
    ]


async def entry_for_record(tx: Tx, record_id: int) -> int | None:
    found: int | None = await tx.scalar(
        select(ledger_entries.c.id).where(
            ledger_entries.c.record_id == record_id, ledger_entries.c.kind == EntryKind.SERVICE.value
        )
    )
    return found


async def audit(tx: Tx, *, community_id: int) -> list[tuple[int, int, int]]:
    """(resident id, cached balance, sum of entries) for every resident whose two numbers differ."""
    sums = (
        select(ledger_entries.c.resident_id, func.sum(ledger_entries.c.points).label("total"))
        .group_by(ledger_entries.c.resident_id)
        .subquery()
    )
    rows = await tx.execute(
        select(balances.c.resident_id, balances.c.points, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.resident_id == balances.c.resident_id)
        .where(balances.c.community_id == community_id, balances.c.points != func.coalesce(sums.c.total, 0))
    )
    return [(r, b, s) for r, b, s in rows.all()]
