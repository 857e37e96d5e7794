"""Objections 异议: a resident questions their points in a published period; a reviewer settles it.

Filing counts the objection on the period row and settling uncounts it, in the same transaction as the
objection itself, so the period cannot close while one is open. A settlement may correct the points: the
correction is a ledger entry in the objection's period, which is still open at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, insert, select, update

from bot.errors import DomainError
from store import ledger, periods
from store.db import AnyRow, Tx
from store.ledger import EntryKind
from store.schema import households, objections, residents


class Status(StrEnum):
    OPEN = "open"
    SETTLED = "settled"


@dataclass(frozen=True, slots=True)
class Objection:
    id: int
    period: str
    resident_id: int
    name: str
    household: str
    text: str
    status: Status
    result: str
    points: int
    created_at: datetime
    settled_by: str
    settled_at: datetime | None


class ObjectionWindowClosed(DomainError):
    key = "objections.window_closed"


class NoSuchObjection(DomainError):
    key = "objections.no_such"


class AlreadySettled(DomainError):
    key = "objections.already_settled"


class OwnObjection(DomainError):
    key = "objections.own"


def _query() -> Select[Any]:
    settler = residents.alias("settler")
    return (
        select(
            objections.c.id,
            objections.c.period,
            objections.c.resident_id,
            residents.c.name,
            func.coalesce(households.c.label, ""),
            objections.c.text,
            objections.c.status,
            objections.c.result,
            objections.c.points,
            objections.c.created_at,
            func.coalesce(settler.c.name, ""),
            objections.c.settled_at,
        )
        .join(residents, residents.c.id == objections.c.resident_id)
        .outerjoin(households, households.c.id == residents.c.household_id)
        .outerjoin(settler, settler.c.id == objections.c.settled_by)
    )


def _objection(row: AnyRow) -> Objection:
    values = list(row)
    values[6] = Status(values[6])
    return Objection(*values)


async def file(tx: Tx, *, community_id: int, period: str, resident_id: int, text: str, at: datetime) -> Objection:
    """File an objection on a published period whose window is open; ObjectionWindowClosed otherwise."""
    if not await periods.count_objection(tx, community_id=community_id, label=period, now=at):
        raise ObjectionWindowClosed()
    objection_id: int = await tx.scalar(
        insert(objections)
        .values(
            community_id=community_id,
            period=period,
            resident_id=resident_id,
            text=text[:300],
            status=Status.OPEN.value,
            created_at=at,
        )
        .returning(objections.c.id)
    )
    return await get(tx, community_id=community_id, objection_id=objection_id)


async def get(tx: Tx, *, community_id: int, objection_id: int) -> Objection:
    row = (
        await tx.execute(_query().where(objections.c.id == objection_id, objections.c.community_id == community_id))
    ).first()
    if row is None:
        raise NoSuchObjection(number=objection_id)
    return _objection(row)


async def open_ones(tx: Tx, *, community_id: int, limit: int = 30) -> tuple[list[Objection], int]:
    """The oldest open objections, and how many are open in all."""
    where = (objections.c.community_id == community_id, objections.c.status == Status.OPEN.value)
    rows = await tx.execute(_query().where(*where).order_by(objections.c.id).limit(limit))
    total: int = await tx.scalar(select(func.count()).select_from(objections).where(*where))
    return [_objection(row) for row in rows.all()], total


async def settle(
    tx: Tx,
    *,
    community_id: int,
    objection_id: int,
    by: int,
    result: str,
    points: int,
    at: datetime,
) -> Objection:
    """Settle an open objection with a result; a non-zero `points` corrects the objector's points in the
    objection's period (a deduction cannot take the balance below zero)."""
    current = await get(tx, community_id=community_id, objection_id=objection_id)
    if current.status is not Status.OPEN:
        raise AlreadySettled(number=objection_id, by=current.settled_by or "-", result=current.result)
    if current.resident_id == by:
        raise OwnObjection(number=objection_id)
    changed = await tx.execute(
        update(objections)
        .where(objections.c.id == objection_id, objections.c.status == Status.OPEN.value)
        .values(status=Status.SETTLED.value, result=result[:300], points=points, settled_by=by, settled_at=at)
    )
    if changed.rowcount != 1:  # another reviewer settled it a moment ago
        again = await get(tx, community_id=community_id, objection_id=objection_id)
        raise AlreadySettled(number=objection_id, by=again.settled_by or "-", result=again.result)
    await periods.settle_objection(tx, community_id=community_id, label=current.period)
    if points:
        entry = await ledger.post(
            tx,
            community_id=community_id,
            resident_id=current.resident_id,
            points=points,
            kind=EntryKind.ADJUSTMENT,
            reason=result,
            period=current.period,
            created_by=by,
            at=at,
        )
        await tx.execute(update(objections).where(objections.c.id == objection_id).values(entry_id=entry.id))
    return await get(tx, community_id=community_id, objection_id=objection_id)


async def count_open(tx: Tx, *, community_id: int) -> int:
    total: int = await tx.scalar(
        select(func.count())
        .select_from(objections)
        .where(objections.c.community_id == community_id, objections.c.status == Status.OPEN.value)
    )
    return total
