"""SQLite's inline transactions: they wait for another process without stopping the bot, and keep the WAL small."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from store import inbox
from store.db import CHECKPOINT_EVERY, Database
from store.schema import inbox as inbox_table

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


async def test_a_writer_waits_for_another_process_without_stopping_the_event_loop(sqlite_url: str) -> None:
    """While another process holds the write lock, an inline transaction waits for it and then commits,
    and the event loop keeps running other work meanwhile."""
    path = make_url(sqlite_url).database
    assert path is not None
    locked, release = threading.Event(), threading.Event()

    def other_process() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(5)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=other_process)
    holder.start()
    await asyncio.to_thread(locked.wait, 5)
    db = Database(sqlite_url)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> bool:
        async with db.transaction() as tx:
            return await inbox.mark_handled(tx, platform="console", chat_id="c", message_id="m1", at=NOW)

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()  # still waiting for the other process
    release.set()
    assert await writer
    await ticker
    holder.join()
    assert ticks >= 10  # the loop ran the ticker all along
    async with db.snapshot() as tx:
        assert await tx.scalar(select(func.count()).select_from(inbox_table)) == 1
    await db.dispose()


async def test_inline_commits_keep_the_wal_file_small(sqlite_url: str) -> None:
    """Checkpoints on the worker thread copy the WAL back and let it start over: it stays a few megabytes."""
    db = Database(sqlite_url)
    for n in range(CHECKPOINT_EVERY * 6):
        async with db.transaction() as tx:
            await inbox.mark_handled(tx, platform="console", chat_id="c", message_id=f"m{n}-{'x' * 100}", at=NOW)
    wal = Path(f"{make_url(sqlite_url).database}-wal")
    size = await asyncio.to_thread(os.path.getsize, wal)
    await db.dispose()
    # Without the checkpoints: about 3 pages of 4 KiB per commit, 14 MB here.
    assert size < CHECKPOINT_EVERY * 3 * 4096 * 2
