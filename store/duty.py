"""Duty sessions: 签到 opens one, 签退 closes it and turns it into a service record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import AlreadyCheckedIn, NotCheckedIn
from bot.rules import CommunityRules, session_minutes
from store import records
from store.db import Tx
from store.records import Flag, Record
from store.schema import duty_sessions


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    community_id: int
    resident_id: int
    activity: str
    started_at: datetime
    group_id: int | None


_COLUMNS = (
    duty_sessions.c.id,
    duty_sessions.c.community_id,
    duty_sessions.c.resident_id,
    duty_sessions.c.activity,
    duty_sessions.c.started_at,
    duty_sessions.c.group_id,
)


# Built once: check-in, check-out and 我的积分 all ask for the open session.
OPEN = select(*_COLUMNS).where(
    duty_sessions.c.resident_id == bindparam("resident_id"), duty_sessions.c.ended_at.is_(None)
)
_START = insert(duty_sessions).returning(duty_sessions.c.id)
_END = (
    update(duty_sessions)
    .where(duty_sessions.c.id == bindparam("session_id"))
    .values(ended_at=bindparam("end"), closed_by=bindparam("by"))
)


async def open_session(tx: Tx, *, resident_id: int) -> Session | None:
    row = (await tx.execute(tx.lock(OPEN), {"resident_id": resident_id})).first()
    return Session(*row) if row else None


async def check_in(
    tx: Tx, *, community_id: int, resident_id: int, activity: str, at: datetime, group_id: int | None
) -> Session:
    """Open a duty session; a volunteer already on duty gets AlreadyCheckedIn with the open session's start."""
    current = await open_session(tx, resident_id=resident_id)
    if current is not None:
        raise AlreadyCheckedIn(started=current.started_at, activity=current.activity)
    try:
        async with tx.race_guard():
            session_id: int = await tx.scalar(
                _START,
                {
                    "community_id": community_id,
                    "resident_id": resident_id,
                    "activity": activity,
                    "group_id": group_id,
                    "started_at": at,
                },
            )
    except IntegrityError:  # a second check-in raced us past the read above; the unique index decided
        current = await open_session(tx, resident_id=resident_id)
        assert current is not None
        raise AlreadyCheckedIn(started=current.started_at, activity=current.activity) from None
    return Session(session_id, community_id, resident_id, activity, at, group_id)


async def check_out(tx: Tx, *, rules: CommunityRules, resident_id: int, at: datetime, content: str = "") -> Record:
    """Close the open session at `at` (or at the cap, flagged) and create its service record, with what was
    done if the volunteer said."""
    current = await open_session(tx, resident_id=resident_id)
    if current is None:
        raise NotCheckedIn()
    return await _close(tx, rules=rules, session=current, at=at, closed_by="volunteer", content=content)


async def _close(
    tx: Tx, *, rules: CommunityRules, session: Session, at: datetime, closed_by: str, content: str = ""
) -> Record:
    ended = max(at, session.started_at)
    flag = Flag.NONE
    if session_minutes(session.started_at, ended) > rules.max_session_minutes:
        ended, flag = records.cap_end(rules, session.started_at), Flag.CAPPED
    await tx.execute(_END, {"session_id": session.id, "end": ended, "by": closed_by})
    return await records.create(
        tx,
        rules=rules,
        community_id=session.community_id,
        resident_id=session.resident_id,
        activity=session.activity,
        started_at=session.started_at,
        ended_at=ended,
        minutes=session_minutes(session.started_at, ended),
        at=at,
        session_id=session.id,
        flag=flag,
        content=content,
    )


async def close_overdue(tx: Tx, *, rules: CommunityRules, community_id: int, now: datetime) -> list[Record]:
    """Close every session of the community open longer than the cap, at the cap, flagged for review."""
    rows = (
        await tx.execute(
            select(*_COLUMNS)
            .where(duty_sessions.c.community_id == community_id, duty_sessions.c.ended_at.is_(None))
            .order_by(duty_sessions.c.started_at)
        )
    ).all()
    closed = []
    for row in rows:
        session = Session(*row)
        if session_minutes(session.started_at, now) > rules.max_session_minutes:
            closed.append(await _close(tx, rules=rules, session=session, at=now, closed_by="cap"))
    return closed
