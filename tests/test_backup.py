"""`pointsbot backup` copies a live SQLite database consistently; `pointsbot restore` checks before it replaces."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.testing import Harness
from bot.transcript import PRIVATE
from store import backup
from tests.test_cli import pointsbot


def _path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


async def _busy_bot(sqlite_url: str) -> Harness:
    bot = await Harness.start(sqlite_url)
    await bot.text("王主任", "补录 张三 巡逻 11-02 09:00 11:00", chat=PRIVATE)
    return bot


def test_backup_while_the_bot_writes_is_consistent(sqlite_url: str, tmp_path: Path) -> None:
    """Copies taken while records are credited one after another are each intact, with balances equal to
    their ledger (backup checks both), and hold at least what was committed before the copy began."""

    async def scenario() -> list[backup.Summary]:
        bot = await _busy_bot(sqlite_url)
        writing = asyncio.Event()

        async def write() -> None:
            for n in range(40):
                await bot.text("王主任", f"补录 李四 打扫{n} 11-02 09:00 10:00", chat=PRIVATE)
                writing.set()

        try:
            writer = asyncio.create_task(write())
            await writing.wait()
            copies = [
                await asyncio.to_thread(backup.backup, sqlite_url, tmp_path / f"copy{n}.sqlite3") for n in range(5)
            ]
            await writer
        finally:
            await bot.close()
        return copies

    copies = asyncio.run(scenario())
    counts = [c.counts["ledger_entries"] for c in copies]
    assert counts[0] >= 2 and counts == sorted(counts)
    assert all(not Path(f"{c.path}-wal").exists() for c in copies)  # each copy is one file


def test_backup_and_restore_from_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    """A restore brings back exactly the backed-up state and keeps the database it replaced."""
    asyncio.run(_seed(sqlite_url))
    copy = tmp_path / "backups" / "b.sqlite3"
    made = pointsbot("backup", str(copy), "--database", sqlite_url, cwd=tmp_path)
    assert made.returncode == 0 and "1 ledger_entries" in made.stdout
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup(sqlite_url, copy)
    asyncio.run(_more(sqlite_url))
    restored = pointsbot("restore", str(copy), "--database", sqlite_url, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "1 ledger_entries" in restored.stdout and "before-restore" in restored.stdout
    kept = next(tmp_path.glob("**/bot.before-restore-*.sqlite3"))
    assert backup.check(kept).counts["ledger_entries"] == 2
    assert backup.check(_path(sqlite_url)).counts["ledger_entries"] == 1


async def _seed(url: str) -> None:
    bot = await _busy_bot(url)
    await bot.close()


async def _more(url: str) -> None:
    bot = await Harness.start(url)
    await bot.text("王主任", "补录 李四 打扫 11-02 09:00 10:00", chat=PRIVATE)
    await bot.close()


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))


def _sql(sql: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute(sql)

    return change


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (lambda p: p.write_text("hello", encoding="utf-8"), "not a SQLite database"),
        (_damage, "damaged"),
        (_sql("UPDATE alembic_version SET version_num = '9999'"), "made by a newer pointsbot"),
        (_sql("UPDATE balances SET points = points + 100"), "disagree with the ledger"),
        (_sql("DROP TABLE alembic_version"), "not a pointsbot database"),
    ],
    ids=["text", "damaged", "newer", "tampered", "foreign"],
)
def test_restore_refuses_a_bad_file_and_changes_nothing(
    sqlite_url: str, tmp_path: Path, spoil: Callable[[Path], None], problem: str
) -> None:
    """A file that is not a sound backup is refused with the reason, and the database stays as it was."""
    asyncio.run(_seed(sqlite_url))
    copy = tmp_path / "b.sqlite3"
    backup.backup(sqlite_url, copy)
    spoil(copy)
    with pytest.raises(backup.BackupError, match=problem):
        backup.restore(copy, sqlite_url, now=datetime.now(UTC))
    assert backup.check(_path(sqlite_url)).counts["ledger_entries"] == 1
    assert not list(tmp_path.glob("**/*before-restore*"))


def test_backup_is_for_sqlite(tmp_path: Path) -> None:
    """For PostgreSQL the answer is to use pg_dump instead."""
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.backup("postgresql+asyncpg://u@127.0.0.1/db", tmp_path / "x.sqlite3")
