"""The `pointsbot` command."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.config import DEMO_TRANSCRIPT, SAMPLE_CONFIG, CommunityConfig, ConfigError, Settings, load_community
from bot.transcript import TranscriptError

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="pointsbot: a chat bot for community volunteer credit points (信义积分).",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema: create or upgrade.")
app.add_typer(db_app, name="db")

ConfigOption = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="community.toml (repeat for several communities); default: the sample"),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", "-d", help="database URL; default POINTSBOT_DATABASE_URL or SQLite"),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"pointsbot: {message}", err=True)
    return typer.Exit(2)


def _settings(database: str | None = None, config: list[Path] | None = None) -> Settings:
    try:
        return Settings.from_env(os.environ, database_url=database, config=config or None)
    except ConfigError as error:
        raise _fail(str(error)) from None


def _communities(settings: Settings) -> list[CommunityConfig]:
    paths = settings.config or [Path("community.toml") if Path("community.toml").exists() else SAMPLE_CONFIG]
    try:
        return [load_community(path) for path in paths]
    except ConfigError as error:
        raise _fail(str(error)) from None


def _logging(settings: Settings, *, quiet: bool) -> None:
    level = logging.WARNING if quiet and settings.log_level == "INFO" else getattr(logging, settings.log_level)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _ensure_sqlite_folder(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + ":memory:"):
        Path(url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)


@app.command()
def run(
    config: ConfigOption = None,
    database: DatabaseOption = None,
    adapter: Annotated[str, typer.Option(help="console")] = "console",
) -> None:
    """Start the bot. On the console you chat as any person of the community."""
    from bot.adapters.console import Console, ConsoleTransport, run_console
    from bot.app import App
    from scheduler.clock import SystemClock

    settings = _settings(database, config)
    configs = _communities(settings)
    _logging(settings, quiet=adapter == "console")
    if adapter != "console":
        raise _fail(f"unknown adapter {adapter!r}; available: console")
    _ensure_sqlite_folder(settings.database_url)
    first = configs[0]
    transport = ConsoleTransport(first.community.bot_name, print)

    async def main() -> None:
        bot = App(
            database_url=settings.database_url,
            configs=configs,
            clock=SystemClock(),
            transports={"console": transport},
            paced=False,
        )
        await bot.open()
        try:
            people = [p.name for p in [*first.members, *first.staff]]
            groups = [g.name for g in first.groups if g.platform == "console"]
            console = Console(user=people[0] if people else "访客", group=groups[0] if groups else "志愿者群")
            typer.echo(f"{first.community.name} · {first.community.bot_name} · {settings.database_url}")
            await run_console(bot, console)
        finally:
            await bot.close()

    try:
        asyncio.run(main())
    except ConfigError as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        pass


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="transcript file", exists=True, dir_okay=False)],
    config: ConfigOption = None,
    database: DatabaseOption = None,
    check: Annotated[
        bool, typer.Option(help="compare the output with the file; exit 1 with a diff if they differ")
    ] = False,
    update: Annotated[bool, typer.Option(help="write the output back into the file")] = False,
) -> None:
    """Feed a transcript through the bot on a virtual clock and print every reply."""
    from bot.replay import replay as run_replay

    settings = _settings(None, config)
    configs = _communities(settings)
    _logging(settings, quiet=True)
    if database:
        _ensure_sqlite_folder(database)
    text = file.read_text(encoding="utf-8")
    out: list[str] = []
    emit = out.append if (check or update) else print
    try:
        asyncio.run(run_replay(text, config=configs[0], database_url=database, emit=emit))
    except (TranscriptError, ConfigError) as error:
        raise _fail(f"{file}: {error}") from None
    result = "\n".join(out) + "\n"
    if update:
        file.write_text(result, encoding="utf-8")
    elif check and result != text:
        import difflib

        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(keepends=True), result.splitlines(keepends=True), str(file), "replayed"
            )
        )
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """Replay a month in a sample community (temporary database) and show every reply."""
    from bot.replay import replay as run_replay

    settings = _settings()
    _logging(settings, quiet=True)
    config = load_community(SAMPLE_CONFIG)
    typer.echo(f"# pointsbot demo: {config.community.name}, replayed from {DEMO_TRANSCRIPT.name}\n")
    asyncio.run(run_replay(DEMO_TRANSCRIPT.read_text(encoding="utf-8"), config=config))


@app.command()
def commands() -> None:
    """Print the table of commands and who may use them (Markdown)."""
    import handlers
    from bot.commands import command_table

    typer.echo(command_table(handlers.registry()))


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Create the database's tables, or upgrade them to this version."""
    from store import migrate
    from store.db import Database

    settings = _settings(database)
    _ensure_sqlite_folder(settings.database_url)

    async def main() -> str | None:
        db = Database(settings.database_url)
        try:
            await migrate.upgrade(db)
            return await migrate.current(db)
        finally:
            await db.dispose()

    typer.echo(f"database schema at revision {asyncio.run(main())}")


@db_app.command("current")
def db_current(database: DatabaseOption = None) -> None:
    """Show the database's schema revision and the one this version needs."""
    from store import migrate
    from store.db import Database

    settings = _settings(database)

    async def main() -> str | None:
        db = Database(settings.database_url)
        try:
            return await migrate.current(db)
        finally:
            await db.dispose()

    typer.echo(f"database: {asyncio.run(main()) or 'empty'}; this version needs: {migrate.head()}")


def main() -> None:
    app()
