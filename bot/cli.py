"""The `pointsbot` command."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot import logsafe
from bot.config import DEMO_TRANSCRIPT, SAMPLE_CONFIG, CommunityConfig, ConfigError, Settings, load_community
from bot.transcript import TranscriptError

if TYPE_CHECKING:
    from store.db import Database

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="pointsbot: a chat bot for community volunteer credit points (信义积分).",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema: create or upgrade.")
app.add_typer(db_app, name="db")
members_app = typer.Typer(no_args_is_help=True, help="Residents and households.")
app.add_typer(members_app, name="members")

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
    """Logs go to standard error, with every secret of the installation blanked out."""
    level = logging.WARNING if quiet and settings.log_level == "INFO" else getattr(logging, settings.log_level)
    logsafe.configure(level, settings.secrets())


def _ensure_sqlite_folder(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + ":memory:"):
        Path(url.removeprefix(prefix)).parent.mkdir(parents=True, exist_ok=True)


@app.command()
def run(
    config: ConfigOption = None,
    database: DatabaseOption = None,
    adapter: Annotated[
        str, typer.Option(help="console, telegram (POINTSBOT_TELEGRAM__TOKEN) or wechaty (POINTSBOT_WECHATY__…)")
    ] = "console",
) -> None:
    """Start the bot. On the console you chat as any person of the community; on Telegram in its groups."""
    from bot.adapters.console import Console, ConsoleTransport, run_console
    from bot.app import App
    from scheduler.clock import SystemClock

    settings = _settings(database, config)
    configs = _communities(settings)
    _logging(settings, quiet=adapter == "console")
    if adapter not in {"console", "telegram", "wechaty"}:
        raise _fail(f"unknown adapter {adapter!r}; available: console, telegram, wechaty")
    _ensure_sqlite_folder(settings.database_url)
    if adapter == "telegram":
        _run_telegram(settings, configs)
        return
    if adapter == "wechaty":
        _run_wechaty(settings, configs)
        return
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
            where = logsafe.without_password(settings.database_url)
            typer.echo(f"{first.community.name} · {first.community.bot_name} · {where}")
            await run_console(bot, console)
        finally:
            await bot.close()

    try:
        asyncio.run(main())
    except ConfigError as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        pass


def _run_wechaty(settings: Settings, configs: list[CommunityConfig]) -> None:
    """WeChat groups through a Wechaty gateway (POINTSBOT_WECHATY__ENDPOINT and __TOKEN)."""
    from bot.adapters.wechaty import GatewayRefused, run_wechaty

    if settings.wechaty is None:
        raise _fail("the wechaty adapter needs POINTSBOT_WECHATY__ENDPOINT and POINTSBOT_WECHATY__TOKEN")
    try:
        asyncio.run(run_wechaty(settings.wechaty, database_url=settings.database_url, configs=configs))
    except (ConfigError, GatewayRefused) as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        pass


def _run_telegram(settings: Settings, configs: list[CommunityConfig]) -> None:
    """Run on Telegram until SIGINT or SIGTERM; long polling, or the webhook when its URL is set."""
    if settings.telegram is None:
        raise _fail("set POINTSBOT_TELEGRAM__TOKEN to the token @BotFather gave the bot (see the README, Telegram)")
    import signal
    from collections.abc import Mapping

    from bot.adapters import telegram  # aiogram takes seconds to import: only when it is needed
    from bot.app import App
    from bot.ports import Transport
    from scheduler.clock import SystemClock

    telegram_settings = settings.telegram
    clock = SystemClock()

    def make_app(transports: Mapping[str, Transport]) -> App:
        return App(database_url=settings.database_url, configs=configs, clock=clock, transports=transports)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await telegram.run(telegram_settings, make_app, clock=clock, stop=stop)

    try:
        asyncio.run(main())
    except ConfigError as error:
        raise _fail(str(error)) from None


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


# --- the points economy on paper: exports, certificates, imports -------------------------------------------


def _one_community(config: list[Path] | None, database: str | None) -> tuple[Settings, CommunityConfig]:
    settings = _settings(database, config)
    configs = _communities(settings)
    if len(configs) > 1:
        raise _fail("name one community with --config for this command")
    return settings, configs[0]


async def _open_database(url: str) -> Database:
    from bot.app import prepare_schema
    from store.db import Database

    _ensure_sqlite_folder(url)
    db = Database(url)
    try:
        await prepare_schema(db)
    except ConfigError:
        await db.dispose()
        raise
    return db


async def _community_id(db: Database, config: CommunityConfig) -> int:
    from store import reports

    async with db.snapshot() as tx:
        found = await reports.community_id_of(tx, config.community.community_key)
    if found is None:
        raise ConfigError(
            f"community {config.community.name!r} is not in this database yet; start the bot once with it"
        )
    return found


@app.command("bind-code")
def bind_code(
    name: Annotated[str, typer.Argument(help="the person, as in community.toml; 张三(3-2-501) picks among namesakes")],
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Print a one-time code that links a person's Telegram or WeChat account (e.g. the first admin's)."""
    import random

    from bot.errors import DomainError
    from bot.i18n import Translator
    from scheduler.clock import SystemClock
    from store import audit, codes, residents

    settings, community = _one_community(config, database)
    t = Translator(community.community.language, community.community.tz)

    async def main() -> str:
        db = await _open_database(settings.database_url)
        try:
            community_id = await _community_id(db, community)
            now = SystemClock().now()
            async with db.transaction() as tx:
                resident = await residents.find_by_name(tx, community_id=community_id, name=name)
                code = codes.new_code(random.SystemRandom())
                # Issued on the server by whoever runs it: the person is told of a leak as the code's issuer.
                expires = await codes.issue(
                    tx, community_id=community_id, resident_id=resident.id, code=code, by=resident.id, at=now
                )
                await audit.record(
                    tx,
                    community_id=community_id,
                    actor_id=None,
                    action="issue_code",
                    at=now,
                    where=audit.Where("command line", ""),
                    resident=resident.name,
                )
            return t(
                "codes.issued_on_server",
                name=resident.name,
                household=resident.household or t("binding.no_household"),
                code=code,
                minutes=int(codes.LIFETIME.total_seconds() // 60),
                until=t.time(expires),
            )
        finally:
            await db.dispose()

    try:
        typer.echo(asyncio.run(main()))
    except ConfigError as error:
        raise _fail(str(error)) from None
    except DomainError as error:
        raise _fail(t(error.message_key, **error.params)) from None


@app.command()
def export(
    period: Annotated[str, typer.Option(help="the points period, YYYY-MM (e.g. 2026-11)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the file to write")],
    format: Annotated[str | None, typer.Option(help="xlsx or csv; default: from the output's suffix")] = None,
    table: Annotated[str, typer.Option(help="all, services, ledger or summary")] = "all",
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Export a period's service records and ledger (XLSX sheets, or CSV files) for the credit platform."""
    import re

    from bot import export as exporting
    from bot.app import rules_of
    from bot.i18n import Translator
    from store import reports

    settings, community = _one_community(config, database)
    kind = (format or output.suffix.lstrip(".") or "xlsx").lower()
    if kind not in {"xlsx", "csv"}:
        raise _fail(f"--format must be xlsx or csv, not {kind!r}")
    tables = {"services": 0, "ledger": 1, "summary": 2}
    if table != "all" and table not in tables:
        raise _fail(f"--table must be all, services, ledger or summary, not {table!r}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise _fail(f"--period must look like 2026-11, not {period!r}")
    rules = rules_of(community)
    t = Translator(community.community.language, community.community.tz)

    async def main() -> list[exporting.Sheet]:
        db = await _open_database(settings.database_url)
        try:
            community_id = await _community_id(db, community)
            bounds = rules.period(period)
            async with db.snapshot() as tx:
                return exporting.period_sheets(
                    services=await reports.service_rows(
                        tx, community_id=community_id, start=bounds.start, end=bounds.end
                    ),
                    entries=await reports.ledger_rows(tx, community_id=community_id, period=period),
                    summary=await reports.summary_rows(tx, community_id=community_id, period=bounds),
                    organiser=community.community.name,
                    t=t,
                )
        finally:
            await db.dispose()

    try:
        sheets = asyncio.run(main())
    except ConfigError as error:
        raise _fail(str(error)) from None
    chosen = sheets if table == "all" else [sheets[tables[table]]]
    output.parent.mkdir(parents=True, exist_ok=True)
    if kind == "xlsx":
        output.write_bytes(exporting.to_xlsx(chosen))
        typer.echo(f"{output}: " + "; ".join(f"{sheet.name} {len(sheet.rows)} rows" for sheet in chosen))
        return
    for sheet in chosen:
        key = table if len(chosen) == 1 else next(k for k, i in tables.items() if sheets[i] is sheet)
        path = output if len(chosen) == 1 else output.with_name(f"{output.stem}-{key}{output.suffix or '.csv'}")
        path.write_bytes(exporting.to_csv(sheet))
        typer.echo(f"{path}: {sheet.name} {len(sheet.rows)} rows")


@app.command()
def certificate(
    name: Annotated[str, typer.Argument(help="the volunteer; 张三(3-2-501) picks among namesakes")],
    first: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="default: 志愿服务证明-NAME-FROM-TO.pdf")
    ] = None,
    format: Annotated[
        str | None, typer.Option(help="pdf, png or txt; default: from the output's suffix, else pdf")
    ] = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write a volunteer service certificate 志愿服务证明 for one volunteer and a date range."""
    from datetime import date

    from bot import certificate as render
    from bot.errors import DomainError
    from bot.fonts import INSTALL_HINT, find_cjk_font
    from bot.i18n import Translator
    from scheduler.clock import SystemClock
    from store import reports, residents

    settings, community = _one_community(config, database)
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise _fail("--from and --to must be dates like 2026-01-31") from None
    if end < start:
        raise _fail("--to must not be before --from")
    kind = (format or (output.suffix.lstrip(".") if output else "") or "pdf").lower()
    if kind not in {"pdf", "png", "txt"}:
        raise _fail(f"--format must be pdf, png or txt, not {kind!r}")
    font = find_cjk_font()
    if kind != "txt" and font is None:
        raise _fail(f"no font that can draw Chinese was found: {INSTALL_HINT}; or use --format txt")
    tz = community.community.tz
    t = Translator(community.community.language, tz)

    async def main() -> render.Certificate:
        db = await _open_database(settings.database_url)
        try:
            community_id = await _community_id(db, community)
            async with db.snapshot() as tx:
                resident = await residents.find_by_name(tx, community_id=community_id, name=name)
                return await reports.certificate(
                    tx,
                    community_id=community_id,
                    community_key=community.community.community_key,
                    organiser=community.community.name,
                    resident=resident,
                    first=start,
                    last=end,
                    tz=tz,
                    issued_on=SystemClock().now().astimezone(tz).date(),
                )
        finally:
            await db.dispose()

    try:
        cert = asyncio.run(main())
    except ConfigError as error:
        raise _fail(str(error)) from None
    except DomainError as error:
        raise _fail(t(error.message_key, **error.params)) from None
    path = output or Path(f"志愿服务证明-{cert.volunteer}-{start:%Y%m%d}-{end:%Y%m%d}.{kind}")
    if kind == "txt":
        path.write_text(render.as_text(cert, t) + "\n", encoding="utf-8")
    else:
        assert font is not None
        path.write_bytes(render.as_pdf(cert, t, font) if kind == "pdf" else render.as_png(cert, t, font))
    typer.echo(f"{path}: {cert.volunteer}, {len(cert.lines)} services, {render.hours(cert.total_minutes)} hours")


@members_app.command("import")
def members_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or XLSX with columns 姓名 and 门牌")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change; write nothing")] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Create residents and households from a spreadsheet: every row, or none if any row is bad."""
    from bot.tables import TableError, members_from_file
    from scheduler.clock import SystemClock
    from store import communities, members

    settings, community = _one_community(config, database)
    try:
        rows, problems = members_from_file(file)
    except TableError as error:
        raise _fail(str(error)) from None
    if problems:
        for problem in problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise _fail(f"{file}: {len(problems)} bad rows; nothing was imported")
    people = [members.Person(line, name, household) for line, name, household in rows]

    async def main() -> members.Plan:
        db = await _open_database(settings.database_url)
        try:
            now = SystemClock().now()
            async with db.transaction() as tx:
                community_id = await communities.sync(tx, community, at=now)
                plan = await members.plan(tx, community_id=community_id, people=people)
                if not dry_run:
                    await members.apply(tx, community_id=community_id, plan=plan, at=now)
            return plan
        finally:
            await db.dispose()

    try:
        plan = asyncio.run(main())
    except ConfigError as error:
        raise _fail(str(error)) from None
    for person in plan.new:
        typer.echo(f"line {person.line}: new resident {person.name} ({person.household or '-'})")
    for household in plan.new_households:
        typer.echo(f"new household {household}")
    for person, labels in plan.namesakes:
        typer.echo(
            f"line {person.line}: note: {person.name} also lives in {', '.join(labels)} (a namesake, or a move?)"
        )
    verb = "would create" if dry_run else "created"
    typer.echo(
        f"{verb} {len(plan.new)} residents and {len(plan.new_households)} households; "
        f"{len(plan.unchanged)} already there" + (" (dry run: nothing written)" if dry_run else "")
    )


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="where to write the copy, e.g. backups/2026-11-03.sqlite3")],
    database: DatabaseOption = None,
    force: Annotated[bool, typer.Option(help="overwrite FILE if it exists")] = False,
) -> None:
    """Copy the SQLite database to FILE, consistently, even while the bot is running."""
    from store.backup import BackupError
    from store.backup import backup as take_backup

    settings = _settings(database)
    file.parent.mkdir(parents=True, exist_ok=True)
    try:
        summary = take_backup(settings.database_url, file, overwrite=force)
    except BackupError as error:
        raise _fail(str(error)) from None
    typer.echo(f"backed up to {summary.describe()}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="a file made by `pointsbot backup`")],
    database: DatabaseOption = None,
) -> None:
    """Check FILE, then put it in place of the SQLite database (stop the bot first; the old one is kept)."""
    from datetime import UTC, datetime

    from store.backup import BackupError
    from store.backup import restore as put_back

    settings = _settings(database)
    try:
        summary, kept = put_back(file, settings.database_url, now=datetime.now(UTC))
    except BackupError as error:
        raise _fail(str(error)) from None
    typer.echo(f"restored {file} into {summary.describe()}")
    if kept is not None:
        typer.echo(f"the database it replaced is kept as {kept}")


def main() -> None:
    app()
