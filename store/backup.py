"""`pointsbot backup` and `pointsbot restore` for the embedded SQLite database.

A backup is taken with SQLite's online backup API while the bot keeps running: the copy is one consistent
moment of the database, never a file copied half-way through a write. A restore first checks the file (a
SQLite database, intact, made by this or an older version, balances agreeing with the ledger), keeps a copy
of the database it replaces, and then copies the backup in with the same API.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from store.migrate import alembic_config

_HEADER = b"SQLite format 3\x00"
_COUNTED = ("residents", "service_records", "ledger_entries", "audit_log")


class BackupError(Exception):
    """A backup or restore that cannot be done, worded for the person running it."""


@dataclass(frozen=True, slots=True)
class Summary:
    path: Path
    revision: str
    counts: dict[str, int]

    def describe(self) -> str:
        counted = ", ".join(f"{n} {table}" for table, n in self.counts.items())
        return f"{self.path} (schema {self.revision}; {counted})"


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError("backup and restore work on the SQLite database; for PostgreSQL use pg_dump and pg_restore")
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory; there is no file to back up")
    return Path(url.database)


def check(path: Path) -> Summary:
    """What a backup file holds; BackupError if it is not a sound pointsbot database this version can use."""
    try:
        with path.open("rb") as file:
            header = file.read(len(_HEADER))
    except OSError as error:
        raise BackupError(f"{path}: cannot read it ({error.strerror})") from None
    if header != _HEADER:
        raise BackupError(f"{path}: not a SQLite database")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems != ["ok"]:
            raise BackupError(f"{path}: the file is damaged: {'; '.join(problems[:3])}")
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if revision is None:
                raise BackupError(f"{path}: not a pointsbot database (no schema revision)")
            counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _COUNTED}
            disagree = conn.execute(
                "SELECT count(*) FROM balances b LEFT JOIN "
                "(SELECT resident_id, sum(points) AS total FROM ledger_entries GROUP BY resident_id) l "
                "ON l.resident_id = b.resident_id WHERE b.points <> coalesce(l.total, 0)"
            ).fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path}: not a pointsbot database ({error})") from None
    if disagree:
        raise BackupError(f"{path}: {disagree} balance(s) disagree with the ledger; this copy cannot be trusted")
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision[0] not in known:
        raise BackupError(f"{path}: made by a newer pointsbot (schema {revision[0]}); update pointsbot first")
    return Summary(path, revision[0], counts)


def _copy(source: Path, destination: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(destination)) as dst:
        src.backup(dst)  # all pages in one step: one consistent snapshot of the source


def _snapshot(source: Path, destination: Path) -> None:
    """A consistent copy of `source` as one self-contained file (no -wal beside it)."""
    _copy(source, destination)
    with closing(sqlite3.connect(destination)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


def backup(database_url: str, destination: Path, *, overwrite: bool = False) -> Summary:
    """Copy the live database to `destination`, checked, as one self-contained file."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"{source}: there is no database here yet")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination}: already exists; choose another name or pass --force")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _snapshot(source, partial)
        summary = check(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(destination, summary.revision, summary.counts)


def restore(source: Path, database_url: str, *, now: datetime) -> tuple[Summary, Path | None]:
    """Put a checked backup in place of the database. Returns what was restored and where the replaced
    database was kept (None if there was none). Stop the bot first."""
    summary = check(source)
    target = sqlite_path(database_url)
    kept: Path | None = None
    if target.exists():  # keep it as it is, unchecked: it may be the very reason for the restore
        kept = target.with_name(f"{target.stem}.before-restore-{now:%Y%m%d-%H%M%S}{target.suffix}")
        try:
            _snapshot(target, kept)
        except sqlite3.DatabaseError:
            shutil.copyfile(target, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
    return Summary(target, summary.revision, check(target).counts), kept
