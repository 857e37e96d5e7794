"""`make bench`: how fast the bot answers a whole district, on this machine, in one run.

python -m bench [--quick] [--out FILE] [--postgres URL | --no-postgres]

Prints a table and writes every figure to bench/results/latest.json (and a line to history.jsonl).
A benchmark, not a test: it never fails because a machine is slow, only when the bot answers wrongly.
PostgreSQL is measured when a server answers at POINTSBOT_BENCH_DATABASE_URL, POINTSBOT_TEST_DATABASE_URL
or the local default; the benchmark makes a database of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import district, figures

RESULTS = Path(__file__).with_name("results")
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Scale:
    residents: int = 30_000
    households: int = 7_482
    groups: int = 768
    ledger: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    senders: tuple[int, ...] = (1, 10, 100, 1000)
    commands: int = 6_000  # per sender count (at least one round each)
    samples: int = 1_000


QUICK = Scale(residents=300, households=75, groups=20, ledger=(1_000, 3_000), senders=(1, 10), commands=60, samples=50)


async def backend_figures(backend: figures.Backend, scale: Scale, folder: Path) -> dict[str, Any]:
    """Commands and the database's limit, then the balance as the ledger grows; leaves the district behind."""
    app = await figures.open_app(backend.url)
    community = app.communities.default
    assert community is not None
    people = await district.add_people(
        app.db, community.id, residents_count=scale.residents, households_count=scale.households
    )
    result: dict[str, Any] = {"commands": [], "balance": []}
    await figures.commands(app, 1, min(300, scale.commands))  # warm up: caches, statements, pages
    for senders in scale.senders:
        gc.collect()
        row = await figures.commands(app, senders, max(scale.commands, senders * len(figures.CYCLE)))
        result["commands"].append(row)
        say(f"{backend.name}: {senders} senders, {row['per_second']:.0f} commands/s, p99 {row['p99_ms']:.2f} ms")
    result["limit"] = await figures.raw_limit(backend)
    say(f"{backend.name}: the driver alone, {result['limit']['per_second']:.0f} transactions/s")
    history = district.History(people, _periods(app))
    for size in scale.ledger:
        started = time.perf_counter()
        await history.add(app.db, size)
        say(f"{backend.name}: ledger at {size:,} entries ({time.perf_counter() - started:.0f} s to write)")
        result["balance"].append({"entries": size, **await figures.balance(app, people, scale.samples)})
    await app.close()
    return result


def _periods(app: Any) -> list[Any]:
    """The twelve notice periods up to the benchmark's moment: a year of history."""
    rules = app.communities.default.rules
    periods = [rules.period_of(figures.NOW)]
    while len(periods) < 12:
        periods.append(rules.period_of(periods[-1].start - timedelta(days=1)))
    return list(reversed(periods))


def say(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


async def run(scale: Scale, postgres: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "scale": asdict(scale),
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="pointsbot-bench-") as work:
        folder = Path(work)
        sqlite = await figures.sqlite_backend(folder, "district")
        results["backends"]["sqlite"] = await backend_figures(sqlite, scale, folder)
        say("monthly notice for the whole district")
        results["notice"] = figures.notice(sqlite.url)
        say("start-up")
        empty = await figures.sqlite_backend(folder, "empty")
        results["startup"] = {
            "empty": figures.startup(empty.url),
            "district": {**figures.startup(sqlite.url), "entries": scale.ledger[-1]},
        }
        say(f"broadcast to {scale.groups} groups, killed halfway")
        results["broadcast"] = await figures.broadcast(folder, scale.groups)
        if postgres:
            backend = await figures.postgres_backend(postgres)
            try:
                results["backends"]["postgresql"] = await backend_figures(backend, scale, folder)
            finally:
                await backend.drop()
    return results


async def postgres_answers(url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 5)
        return True
    except Exception:  # no server: the benchmark measures SQLite alone and says so
        return False
    finally:
        await engine.dispose()


def table(results: dict[str, Any]) -> Table:
    out = Table(title=f"pointsbot benchmark · {results['date']} · {results['machine']['cpus']} CPUs")
    for column in ("figure", "value", "median", "p99"):
        out.add_column(column, justify="left" if column == "figure" else "right")
    for name, backend in results["backends"].items():
        limit = backend["limit"]["per_second"]
        out.add_row(f"{name}: driver alone, insert+commit", f"{limit:,.0f} tx/s", "", "")
        if "in_thread_per_second" in backend["limit"]:
            inline = backend["limit"]["in_thread_per_second"]
            out.add_row(f"{name}: sqlite3 on the loop's thread", f"{inline:,.0f} tx/s", "", "")
        for row in backend["commands"]:
            out.add_row(
                f"{name}: commands, {row['senders']} senders",
                f"{row['per_second']:,.0f}/s ({row['per_second'] / limit:.0%} of limit)",
                f"{row['median_ms']:.2f} ms",
                f"{row['p99_ms']:.2f} ms",
            )
        for row in backend["balance"]:
            out.add_row(
                f"{name}: balance query, {row['entries']:,} entries",
                f"command p99 {row['command']['p99_ms']:.2f} ms",
                f"{row['query']['median_ms']:.3f} ms",
                f"{row['query']['p99_ms']:.3f} ms",
            )
    notice = results["notice"]
    out.add_row(
        "monthly notice, text and picture", f"{notice['seconds']:.2f} s", f"peak {notice['peak_mb']:.0f} MB", ""
    )
    b = results["broadcast"]
    out.add_row(
        f"broadcast to {b['groups']} groups",
        f"{b['per_message_ms']:.2f} ms/message",
        "exactly once" if b["exactly_once"] else "NOT exactly once",
        f"{b['sent_twice']} twice",
    )
    for name, row in results["startup"].items():
        out.add_row(f"start-up, {name} database", f"{row['median_s']:.2f} s", "", "")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small district, for a smoke test")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL to measure too")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    scale = QUICK if options.quick else Scale()
    postgres = None
    if not options.no_postgres:
        candidate = (
            options.postgres
            or os.environ.get("POINTSBOT_BENCH_DATABASE_URL")
            or os.environ.get("POINTSBOT_TEST_DATABASE_URL")
            or LOCAL_POSTGRES
        )
        postgres = candidate if asyncio.run(postgres_answers(candidate)) else None
        if postgres is None:
            say(f"no PostgreSQL answers at {candidate}: measuring SQLite alone")
    results = asyncio.run(run(scale, postgres))
    Console(width=110).print(table(results))
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    if not options.quick:
        with (RESULTS / "history.jsonl").open("a", encoding="utf-8") as history:
            history.write(json.dumps(results, ensure_ascii=False) + "\n")
    if not results["broadcast"]["exactly_once"]:
        sys.exit("the broadcast was not exactly once")


if __name__ == "__main__":
    main()
