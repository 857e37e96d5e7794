"""Service records: one per finished duty session or after-the-fact entry, waiting for a reviewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, update

from bot.errors import NoSuchRecord, OwnRecord, RecordAlreadyReviewed
from bot.i18n import Phrase
from bot.rules import CommunityRules
from store import ledger
from store.db import AnyRow, Tx
from store.ledger import EntryKind
from store.schema import residents, service_records


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_COUNTED = "not_counted"  # shorter than the community's minimum: kept, earns nothing


class Flag(StrEnum):
    NONE = ""
    CAPPED = "capped"  # left open past the cap and closed at it


@dataclass(frozen=True, slots=True)
class Record:
    id: int
    resident_id: int
    name: str
    activity: str
    started_at: datetime
    ended_at: datetime
    minutes: int
    points: int
    status: Status
    flag: Flag
    reviewer: str = ""
    reject_reason: str = ""
    recorded_by: int | None = None
    content: str = ""  # what was done, in the volunteer's words (签退 扫了3号楼楼道)


def _record_query() -> Select[*tuple[Any, ...]]:
    reviewer = residents.alias("reviewer")
    return (
        select(
            service_records.c.id,
            service_records.c.resident_id,
            residents.c.name,
            service_records.c.activity,
            service_records.c.started_at,
            service_records.c.ended_at,
            service_records.c.minutes,
            service_records.c.points,
            service_records.c.status,
            service_records.c.flag,
            func.coalesce(reviewer.c.name, ""),
            service_records.c.reject_reason,
            service_records.c.recorded_by,
            service_records.c.content,
        )
        .join(residents, residents.c.id == service_records.c.resident_id)
        .outerjoin(reviewer, reviewer.c.id == service_records.c.reviewer_id)
    )


def _record(row: AnyRow) -> Record:
    id_, resident_id, name, activity, started, ended, minutes, points, status, flag, reviewer, reason, by, content = row
    return Record(
        id_,
        resident_id,
        name,
        activity,
        started,
        ended,
        minutes,
        points,
        Status(status),
        Flag(flag),
        reviewer,
        reason,
        by,
        content,
    )


async def create(
    tx: Tx,
    *,
    rules: CommunityRules,
    community_id: int,
    resident_id: int,
    activity: str,
    started_at: datetime,
    ended_at: datetime,
    minutes: int,
    at: datetime,
    session_id: int | None = None,
    flag: Flag = Flag.NONE,
    recorded_by: int | None = None,
    content: str = "",
) -> Record:
    """Create a record and decide its status: not counted, pending review, or approved at once.

    Approved at once when the community auto-approves (unless flagged) or when staff recorded someone
    else's service; then the points are credited here, in the same transaction.
    """
    points = rules.points_for(minutes)
    if points == 0:
        status = Status.NOT_COUNTED
    elif (recorded_by is not None and recorded_by != resident_id) or (
        rules.auto_approve and flag is Flag.NONE and recorded_by is None
    ):
        status = Status.APPROVED
    else:
        status = Status.PENDING
    reviewer = recorded_by if status is Status.APPROVED else None
    record_id: int = await tx.scalar(
        _CREATE,
        {
            "community_id": community_id,
            "resident_id": resident_id,
            "session_id": session_id,
            "activity": activity,
            "content": content[:200],
            "started_at": started_at,
            "ended_at": ended_at,
            "minutes": minutes,
            "points": points,
            "status": status.value,
            "flag": flag.value,
            "recorded_by": recorded_by,
            "reviewer_id": reviewer,
            "reviewed_at": at if status is Status.APPROVED else None,
            "created_at": at,
        },
    )
    if status is Status.APPROVED:
        await _credit(
            tx,
            rules=rules,
            community_id=community_id,
            record_id=record_id,
            resident_id=resident_id,
            points=points,
            activity=activity,
            by=reviewer,
            at=at,
        )
    return await get(tx, community_id=community_id, record_id=record_id)


async def _credit(
    tx: Tx,
    *,
    rules: CommunityRules,
    community_id: int,
    record_id: int,
    resident_id: int,
    points: int,
    activity: str,
    by: int | None,
    at: datetime,
) -> None:
    await ledger.post(
        tx,
        community_id=community_id,
        resident_id=resident_id,
        points=points,
        kind=EntryKind.SERVICE,
        reason=activity,
        period=rules.period_of(at).label,
        created_by=by,
        at=at,
        record_id=record_id,
    )


# Built once: every check-out creates a record and reads it back.
_CREATE = insert(service_records).returning(service_records.c.id)
_GET = _record_query().where(
    service_records.c.id == bindparam("record_id"), service_records.c.community_id == bindparam("community_id")
)
# Minutes and points of a resident's records still waiting for review (store.numbers asks it).
WAITING = select(
    func.coalesce(func.sum(service_records.c.minutes), 0),
    func.coalesce(func.sum(service_records.c.points), 0),
).where(service_records.c.resident_id == bindparam("resident_id"), service_records.c.status == Status.PENDING.value)


async def get(tx: Tx, *, community_id: int, record_id: int) -> Record:
    row = (await tx.execute(_GET, {"record_id": record_id, "community_id": community_id})).first()
    if row is None:
        raise NoSuchRecord(number=record_id)
    return _record(row)


async def pending(tx: Tx, *, community_id: int, limit: int = 20) -> tuple[list[Record], int]:
    """The oldest records waiting for review, and how many are waiting in all."""
    rows = await tx.execute(
        _record_query()
        .where(service_records.c.community_id == community_id, service_records.c.status == Status.PENDING.value)
        .order_by(service_records.c.id)
        .limit(limit)
    )
    total: int = await tx.scalar(
        select(func.count())
        .select_from(service_records)
        .where(service_records.c.community_id == community_id, service_records.c.status == Status.PENDING.value)
    )
    return [_record(row) for row in rows.all()], total


async def _decide(tx: Tx, *, community_id: int, record_id: int, reviewer_id: int) -> Record:
    record = await get(tx, community_id=community_id, record_id=record_id)
    if record.status is not Status.PENDING:
        raise RecordAlreadyReviewed(
            number=record_id,
            status=Phrase(f"review.status.{record.status.value}"),
            reviewer=record.reviewer or "-",
        )
    if record.resident_id == reviewer_id:
        raise OwnRecord(number=record_id)
    return record


async def approve(
    tx: Tx, *, rules: CommunityRules, community_id: int, record_id: int, reviewer_id: int, at: datetime
) -> Record:
    """Approve a pending record: the reviewer is kept on it and its points are credited."""
    record = await _decide(tx, community_id=community_id, record_id=record_id, reviewer_id=reviewer_id)
    changed = await tx.execute(
        update(service_records)
        .where(service_records.c.id == record_id, service_records.c.status == Status.PENDING.value)
        .values(status=Status.APPROVED.value, reviewer_id=reviewer_id, reviewed_at=at)
    )
    if changed.rowcount != 1:  # another reviewer got there first
        return await _decide(tx, community_id=community_id, record_id=record_id, reviewer_id=reviewer_id)
    await _credit(
        tx,
        rules=rules,
        community_id=community_id,
        record_id=record_id,
        resident_id=record.resident_id,
        points=record.points,
        activity=record.activity,
        by=reviewer_id,
        at=at,
    )
    return await get(tx, community_id=community_id, record_id=record_id)


async def reject(tx: Tx, *, community_id: int, record_id: int, reviewer_id: int, reason: str, at: datetime) -> Record:
    """Reject a pending record; the reason is kept for the volunteer to read."""
    await _decide(tx, community_id=community_id, record_id=record_id, reviewer_id=reviewer_id)
    changed = await tx.execute(
        update(service_records)
        .where(service_records.c.id == record_id, service_records.c.status == Status.PENDING.value)
        .values(status=Status.REJECTED.value, reviewer_id=reviewer_id, reviewed_at=at, reject_reason=reason[:200])
    )
    if changed.rowcount != 1:
        return await _decide(tx, community_id=community_id, record_id=record_id, reviewer_id=reviewer_id)
    return await get(tx, community_id=community_id, record_id=record_id)


def cap_end(rules: CommunityRules, started_at: datetime) -> datetime:
    return started_at + timedelta(minutes=rules.max_session_minutes)
