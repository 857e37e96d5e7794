"""The outbox: a keyed message is queued once, claimed once, and never resent blindly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.messages import ChatKind, ChatRef, Outgoing
from store import outbox
from store.db import Database

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
MESSAGE = Outgoing(ChatRef("console", "群1", ChatKind.GROUP, "群1"), "公示")


async def test_dedupe_key_queues_once(db: Database) -> None:
    """Queuing the same (kind, period, group) key twice leaves one row."""
    async with db.transaction() as tx:
        first = await outbox.enqueue(tx, community_id=None, message=MESSAGE, kind="notice", at=AT, dedupe_key="n:1")
    async with db.transaction() as tx:
        second = await outbox.enqueue(tx, community_id=None, message=MESSAGE, kind="notice", at=AT, dedupe_key="n:1")
    assert first is not None and second is None
    async with db.snapshot() as tx:
        assert len(await outbox.due(tx, now=AT, platforms=["console"])) == 1


async def test_a_row_is_claimed_by_one_sender(db: Database) -> None:
    """Two senders racing for one row: only the first claim succeeds."""
    async with db.transaction() as tx:
        item_id = await outbox.enqueue(tx, community_id=None, message=MESSAGE, kind="notice", at=AT)
    assert item_id is not None
    async with db.transaction() as tx:
        assert await outbox.claim(tx, item_id=item_id, by="a", now=AT)
    async with db.transaction() as tx:
        assert not await outbox.claim(tx, item_id=item_id, by="b", now=AT)


async def test_stale_claim_becomes_unknown_and_is_reported_once(db: Database) -> None:
    """A row claimed by a sender that died is marked unknown, not pending, and reported exactly once."""
    async with db.transaction() as tx:
        item_id = await outbox.enqueue(tx, community_id=None, message=MESSAGE, kind="notice", at=AT)
        assert item_id is not None
        await outbox.claim(tx, item_id=item_id, by="dead", now=AT)
    async with db.transaction() as tx:
        assert await outbox.expire_claims(tx, claimed_before=AT - timedelta(minutes=1)) == 0
        assert await outbox.expire_claims(tx, claimed_before=AT + timedelta(minutes=6)) == 1
    async with db.transaction() as tx:
        assert [i.id for i in await outbox.take_unreported(tx)] == [item_id]
        assert await outbox.take_unreported(tx) == []
        assert await outbox.due(tx, now=AT + timedelta(days=1), platforms=["console"]) == []
