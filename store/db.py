"""Engines and transactions.

`Database.transaction()` is the unit of work: it commits when the block ends and rolls back when anything
escapes it. On SQLite a transaction that may write starts with BEGIN IMMEDIATE, so two writers queue for
the lock instead of one of them failing half-way; the file runs in WAL mode so readers never wait.

SQLite runs where the bot's hot path is fastest. A command touches a handful of rows, each statement takes
microseconds in the file, and handing every statement to a worker thread (aiosqlite) cost more than the
statement itself: so ordinary transactions run inline, on the event loop's thread, through the plain
driver. Work that reads a whole community (notices, rankings, exports: `offload=True`) runs on the worker
thread instead, so that chats are answered meanwhile. Writers of both kinds queue on one lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from sqlalchemy import Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine, Row, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert

log = logging.getLogger(__name__)

AnyRow = Row[*tuple[Any, ...]]
AnyResult = CursorResult[*tuple[Any, ...]]


class Tx:
    """One open transaction. Services take it as their first argument and never commit it themselves."""

    def __init__(self, conn: AsyncConnection | Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect.name
        self.after_commit: list[Any] = []  # callables run once the transaction has committed

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> AnyResult:
        if isinstance(self._conn, Connection):
            return self._conn.execute(statement, params)  # inline SQLite: returns without yielding
        return await self._conn.execute(statement, params)

    async def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.execute(statement, params)).scalar()

    def insert_ignoring_conflicts(self, table: Table) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING, in this database's dialect: built once per table, so a caller
        that passes its values as parameters runs a ready statement."""
        return _insert_ignoring_conflicts(table, self.dialect)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        if isinstance(self._conn, Connection):
            with self._conn.begin_nested():
                yield
        else:
            async with self._conn.begin_nested():
                yield

    @asynccontextmanager
    async def race_guard(self) -> AsyncIterator[None]:
        """Around an insert that a concurrent transaction may have beaten past a read: a savepoint on
        PostgreSQL, so the IntegrityError leaves the transaction usable. SQLite's BEGIN IMMEDIATE admits one
        writer at a time, and a failed statement there undoes only itself: nothing to pay for."""
        if self.dialect == "postgresql":
            async with self.savepoint():
                yield
        else:
            yield

    def lock(self, statement: Any) -> Any:
        """SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock."""
        return statement.with_for_update() if self.dialect == "postgresql" else statement

    async def serialize(self, name: str) -> None:
        """Hold the lock called `name` until this transaction ends: one holder at a time, across processes.
        On PostgreSQL an advisory lock; SQLite's BEGIN IMMEDIATE already lets only one writer in."""
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            await self.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@cache
def _insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


LOCK_WAIT = 30.0  # seconds an inline writer waits for another process's write lock before giving up
CHECKPOINT_EVERY = 200  # inline commits between two checkpoints on the worker thread


def _sqlite_setup(sync_engine: Engine, *, inline: bool) -> None:
    """Inline connections (on the event loop's thread) must never block it: SQLite does not wait for another
    process's lock (`Database` waits in the loop instead), never checkpoints after a commit (the worker
    thread does, every CHECKPOINT_EVERY commits: a checkpoint syncs the disk), and BEGIN is sent by
    `Database` straight to the driver. Worker-thread connections wait up to 10 s and checkpoint as usual."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own transaction handling would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # in WAL mode: durable against process crashes, fast commits
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={0 if inline else 10_000}",
            f"PRAGMA wal_autocheckpoint={0 if inline else 1000}",
        ):
            cursor.execute(pragma)
        cursor.close()

    if inline:
        return

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("pointsbot_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class Database:
    """The bot's database: one engine, transactions handed out as `Tx`."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **options)
        # SQLite has one writer at a time: queue writers here, in the event loop, rather than in
        # SQLite's busy handler. PostgreSQL takes row locks and needs no such queue.
        self._write_lock: asyncio.Lock | contextlib.nullcontext[None] = contextlib.nullcontext()
        self._inline: Engine | None = None
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine.sync_engine, inline=False)
            self._write_lock = asyncio.Lock()
            if self.url.database and self.url.database != ":memory:":  # a memory database is one connection's
                self._inline = create_engine(
                    self.url.set(drivername="sqlite"), echo=echo, connect_args={"check_same_thread": False}
                )
                _sqlite_setup(self._inline, inline=True)
        self._writer: Connection | None = None  # the inline engine's one writing connection, kept open
        self._commits = 0  # inline commits since the last checkpoint

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def transaction(self, *, offload: bool = False) -> AsyncIterator[Tx]:
        """A read-write transaction: committed at the end of the block, rolled back on any exception.
        `offload=True` for work that reads a whole community, so that SQLite does it off the event loop."""
        async with self._write_lock:
            if self._inline is not None and not offload:
                conn = self._writer = await self._begin_inline(self._writer)
                try:
                    tx = Tx(conn)
                    yield tx
                    conn.commit()
                except BaseException:
                    self._writer = None
                    conn.close()  # rolls back what was not committed
                    raise
                self._commits += 1
                if self._commits >= CHECKPOINT_EVERY:
                    self._commits = 0
                    await self._copy_wal_back()
            else:
                async with self.engine.connect() as aconn, aconn.begin():
                    tx = Tx(aconn)
                    yield tx
        for callback in tx.after_commit:
            callback()

    @asynccontextmanager
    async def snapshot(self, *, offload: bool = False) -> AsyncIterator[Tx]:
        """A read-only transaction: a consistent view that never blocks writers."""
        if self._inline is not None and not offload:
            conn = await self._begin_inline(None, readonly=True)
            try:
                yield Tx(conn)
            finally:
                conn.close()  # rolls back
            return
        async with self.engine.connect() as aconn:
            aconn = await aconn.execution_options(pointsbot_readonly=True)
            transaction = await aconn.begin()
            try:
                yield Tx(aconn)
            finally:
                await transaction.rollback()

    async def _begin_inline(self, conn: Connection | None, *, readonly: bool = False) -> Connection:
        """`conn` (or a new connection of the inline engine) with its transaction begun. While another
        process holds SQLite's write lock, wait for it here, in the event loop, not in SQLite's busy handler."""
        assert self._inline is not None
        conn = conn or self._inline.connect()
        deadline, pause = time.monotonic() + LOCK_WAIT, 0.001
        while True:
            conn.begin()  # SQLAlchemy's bookkeeping; pysqlite itself sends nothing
            try:
                conn.connection.driver_connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")  # type: ignore[union-attr]
                return conn
            except sqlite3.OperationalError as error:
                conn.rollback()
                if "locked" not in str(error) or time.monotonic() > deadline:
                    conn.close()
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def _copy_wal_back(self) -> None:
        """A checkpoint on the worker thread, while the caller holds the write lock: writers wait (as they
        would for SQLite's own checkpoint after a commit), so it catches up and the next writer starts the
        WAL file over; the event loop does not wait, and readers never do."""
        try:
            async with self.engine.connect() as conn:  # the driver's own call: outside any transaction
                raw = await conn.get_raw_connection()
                await raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        except Exception:  # the next one catches up; closing the last connection checkpoints too
            log.warning("WAL checkpoint failed", exc_info=True)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._inline is not None:
            self._inline.dispose()
