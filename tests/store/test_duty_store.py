"""Duty sessions in the database: one open session per volunteer, enforced by the database itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.errors import AlreadyCheckedIn, NotCheckedIn
from bot.rules import CommunityRules
from store import duty, residents
from store.db import Database
from store.records import Flag, Status
from store.schema import communities, duty_sessions

AT = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
RULES = CommunityRules(tz=ZoneInfo("Asia/Shanghai"))


async def volunteer(db: Database) -> tuple[int, int]:
    async with db.transaction() as tx:
        community_id = await tx.scalar(
            communities.insert().values(key="c", name="c", created_at=AT).returning(communities.c.id)
        )
        resident_id = await residents.create_resident(tx, community_id=community_id, name="v", household="", at=AT)
    return community_id, resident_id


async def test_unique_index_refuses_a_second_open_session(db: Database) -> None:
    """Writing a second open session straight into the table fails: the invariant does not rely on code."""
    community_id, resident_id = await volunteer(db)
    row = {"community_id": community_id, "resident_id": resident_id, "activity": "a", "started_at": AT}
    async with db.transaction() as tx:
        await tx.execute(insert(duty_sessions).values(row))
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.execute(insert(duty_sessions).values(row))


async def test_check_in_twice_names_the_open_session(db: Database) -> None:
    """A second check-in is refused with the open session's start and activity."""
    community_id, resident_id = await volunteer(db)
    async with db.transaction() as tx:
        await duty.check_in(
            tx, community_id=community_id, resident_id=resident_id, activity="巡逻", at=AT, group_id=None
        )
    with pytest.raises(AlreadyCheckedIn) as caught:
        async with db.transaction() as tx:
            await duty.check_in(
                tx,
                community_id=community_id,
                resident_id=resident_id,
                activity="x",
                at=AT + timedelta(minutes=5),
                group_id=None,
            )
    assert caught.value.params == {"started": AT, "activity": "巡逻"}


async def test_check_out_without_session(db: Database) -> None:
    """Checking out with no open session is refused."""
    _, resident_id = await volunteer(db)
    with pytest.raises(NotCheckedIn):
        async with db.transaction() as tx:
            await duty.check_out(tx, rules=RULES, resident_id=resident_id, at=AT)


async def test_times_are_stored_in_utc(db: Database) -> None:
    """A check-in at 09:15 Shanghai time is stored and read back as 01:15 UTC, aware."""
    community_id, resident_id = await volunteer(db)
    local = datetime(2026, 11, 3, 9, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    async with db.transaction() as tx:
        await duty.check_in(
            tx, community_id=community_id, resident_id=resident_id, activity="a", at=local, group_id=None
        )
    async with db.snapshot() as tx:
        session = await duty.open_session(tx, resident_id=resident_id)
    assert session is not None
    assert session.started_at == datetime(2026, 11, 3, 1, 15, tzinfo=UTC)
    assert session.started_at.utcoffset() == timedelta(0)


async def test_overdue_sessions_are_capped_and_flagged(db: Database) -> None:
    """A session open past the cap is closed at the cap, flagged, and waits for review."""
    community_id, resident_id = await volunteer(db)
    async with db.transaction() as tx:
        await duty.check_in(tx, community_id=community_id, resident_id=resident_id, activity="a", at=AT, group_id=None)
    async with db.transaction() as tx:
        assert await duty.close_overdue(tx, rules=RULES, community_id=community_id, now=AT + timedelta(hours=7)) == []
        closed = await duty.close_overdue(tx, rules=RULES, community_id=community_id, now=AT + timedelta(hours=20))
    assert len(closed) == 1
    record = closed[0]
    assert (record.minutes, record.points, record.flag, record.status) == (480, 16, Flag.CAPPED, Status.PENDING)
    assert record.ended_at == AT + timedelta(hours=8)
