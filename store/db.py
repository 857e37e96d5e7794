"""Engines and transactions.

`Database.transaction()` is the unit of work: it commits when the block ends and rolls back when anything
escapes it. On SQLite a transaction that may write starts with BEGIN IMMEDIATE, so two writers queue for
the lock instead of one of them failing half-way; the file runs in WAL mode so readers never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Row, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import Insert

log = logging.getLogger(__name__)

AnyRow = Row[*tuple[Any, ...]]
AnyResult = CursorResult[*tuple[Any, ...]]


class Tx:
    """One open transaction. Services take it as their first argument and never commit it themselves."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.after_commit: list[Any] = []  # callables run once the transaction has committed

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> AnyResult:
        return await self.conn.execute(statement, params)

    async def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.conn.execute(statement, params)).scalar()

    def insert_ignoring_conflicts(self, table: Table) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING, in this database's dialect."""
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with self.conn.begin_nested():
            yield

    def lock(self, statement: Any) -> Any:
        """SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock."""
        return statement.with_for_update() if self.dialect == "postgresql" else statement

    async def serialize(self, name: str) -> None:
        """Hold the lock called `name` until this transaction ends: one holder at a time, across processes.
        On PostgreSQL an advisory lock; SQLite's BEGIN IMMEDIATE already lets only one writer in."""
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            await self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _sqlite_setup(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own transaction handling would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # in WAL mode: durable against process crashes, fast commits
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=10000",
        ):
            cursor.execute(pragma)
        cursor.close()

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
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine)
            self._write_lock = asyncio.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A read-write transaction: committed at the end of the block, rolled back on any exception."""
        async with self._write_lock, self.engine.connect() as conn, conn.begin():
            tx = Tx(conn)
            yield tx
        for callback in tx.after_commit:
            callback()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """A read-only transaction: a consistent view that never blocks writers."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(pointsbot_readonly=True)
            transaction = await conn.begin()
            try:
                yield Tx(conn)
            finally:
                await transaction.rollback()

    async def dispose(self) -> None:
        await self.engine.dispose()
