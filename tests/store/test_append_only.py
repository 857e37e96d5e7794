"""The audit log and the ledger cannot be edited, not even by SQL typed through the bot's own connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from store import audit, ledger
from store.db import Database
from store.ledger import EntryKind
from store.schema import APPEND_ONLY, audit_log, communities, ledger_entries
from tests.store.test_ledger import make_people

AT = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


async def _fill(db: Database) -> int:
    community_id, (resident_id, _) = await make_people(db)
    async with db.transaction() as tx:
        await ledger.post(
            tx,
            community_id=community_id,
            resident_id=resident_id,
            points=5,
            kind=EntryKind.SERVICE,
            reason="巡逻",
            period="2026-11",
            created_by=None,
            at=AT,
        )
        await audit.record(tx, community_id=community_id, actor_id=None, action="test", at=AT, where=audit.Where())
    return community_id


@pytest.mark.parametrize(
    "statement",
    [
        update(audit_log).values(action="forged"),
        delete(audit_log),
        update(ledger_entries).values(points=500),
        delete(ledger_entries),
    ],
    ids=["update audit", "delete audit", "update ledger", "delete ledger"],
)
async def test_edits_are_refused_by_the_database(db: Database, statement: object) -> None:
    """UPDATE and DELETE on an append-only table fail, and the rows stay as written."""
    await _fill(db)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute(statement)  # type: ignore[arg-type]
    async with db.snapshot() as tx:
        assert (await tx.execute(select(audit_log.c.action))).scalars().all() == ["test"]
        assert (await tx.execute(select(ledger_entries.c.points))).scalars().all() == [5]


async def test_appending_still_works(db: Database) -> None:
    """New rows can always be added: corrections are new entries."""
    community_id = await _fill(db)
    async with db.transaction() as tx:
        await tx.execute(insert(audit_log).values(community_id=community_id, action="more", detail="{}", created_at=AT))
    async with db.snapshot() as tx:
        assert len((await tx.execute(select(audit_log))).all()) == 2
        assert await tx.scalar(select(communities.c.id)) == community_id


async def test_truncate_is_refused_on_postgresql(db: Database) -> None:
    """On PostgreSQL even TRUNCATE, which skips row triggers, is refused."""
    if db.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    await _fill(db)
    for table in APPEND_ONLY:
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.transaction() as tx:
                await tx.execute(text(f"TRUNCATE {table} CASCADE"))
