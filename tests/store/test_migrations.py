"""Schema migrations: the newest migration builds exactly the tables the code expects."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store import migrate
from store.db import Database
from store.schema import metadata


async def test_migrations_match_the_schema(db: Database) -> None:
    """Comparing the migrated database with the code's tables finds no difference."""
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": False}), metadata)
        )
    assert diff == []
    assert await migrate.is_current(db)


async def test_upgrade_creates_an_empty_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An empty SQLite file is brought to the newest revision by one upgrade, and a second one is harmless."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        assert await migrate.current(db) is None
        await migrate.upgrade(db)
        await migrate.upgrade(db)
        assert await migrate.current(db) == migrate.head()
    finally:
        await db.dispose()
