"""Databases for the tests: SQLite always, PostgreSQL too when POINTSBOT_TEST_DATABASE_URL is set.

Each test gets an empty, fully migrated database: a copy of a migrated SQLite file, or a PostgreSQL
database of this test session's own (so parallel runs never meet) with its tables emptied before the test.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.testing import Harness
from store import migrate
from store.db import Database
from store.schema import metadata

PG_URL = os.environ.get("POINTSBOT_TEST_DATABASE_URL", "")


class NetworkBlocked(OSError):
    """A test tried to reach a host other than this machine."""


def _loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True, scope="session")
def no_internet() -> Iterator[None]:
    """Tests never leave the machine: connecting to (or even looking up) any other host fails at once."""
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise NetworkBlocked(f"tests must not reach the internet (tried {address[0]})")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else host):
            raise NetworkBlocked(f"tests must not reach the internet (looked up {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = real_getaddrinfo


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _asyncpg(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(db)
        await db.dispose()

    asyncio.run(build())
    return path


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(_asyncpg(PG_URL), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def _new_pg_database() -> tuple[str, str]:
    """A new, empty database on the test server: (its name, its URL)."""
    name = f"pointsbot_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    return name, make_url(_asyncpg(PG_URL)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this session's own on the test server, migrated to head, dropped at the end."""
    if not PG_URL:
        pytest.skip("POINTSBOT_TEST_DATABASE_URL is not set")
    name, url = _new_pg_database()

    async def build() -> None:
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()

    asyncio.run(build())
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, once per backend: for tests that build the schema themselves."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name, url = _new_pg_database()
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_postgres(url: str) -> None:
    engine = create_async_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        # The append-only tables refuse TRUNCATE through a trigger; the replica role skips triggers.
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database URL, once per backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "bot.sqlite3"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(_empty_postgres(url))
    return url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """An empty, migrated SQLite database, for tests about SQLite itself."""
    path = tmp_path / "bot.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    harness = await Harness.start(database_url)
    yield harness
    await harness.close()
