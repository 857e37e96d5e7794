"""The five figures. Each returns plain numbers (seconds, counts, megabytes) for the table and the JSON file."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import district
from bot.adapters.memory import MemoryTransport
from bot.app import App
from bot.messages import ChatKind, ChatRef, Incoming, UserRef
from scheduler.clock import VirtualClock
from store import migrate, numbers
from store.db import Database

# The benchmark's moment: a Saturday morning in the community's time zone, the period before the 26th.
NOW = datetime.fromisoformat("2026-11-21T09:15:00+08:00")
CYCLE = ("签到 卫生整治", "我的积分", "签退")
DUTY_CHAT = ChatRef(district.PLATFORM, district.DUTY_GROUP, ChatKind.GROUP, district.DUTY_GROUP)


def stats(seconds: list[float]) -> dict[str, float]:
    """Median, p99 and mean of a list of durations, in milliseconds."""
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


# --- databases ------------------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str  # sqlite | postgresql
    url: str
    drop: Callable[[], Awaitable[None]]


def remove_sqlite(path: str | Path) -> None:
    """A SQLite database file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def sqlite_backend(folder: Path, name: str) -> Backend:
    path = folder / f"{name}.sqlite3"
    remove_sqlite(path)

    async def drop() -> None:
        remove_sqlite(path)

    return Backend("sqlite", f"sqlite+aiosqlite:///{path}", drop)


async def postgres_backend(server_url: str) -> Backend:
    """A database of the benchmark's own on the server, dropped afterwards."""
    server = make_url(server_url).set(drivername="postgresql+asyncpg")
    name = f"pointsbot_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    await admin(f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return Backend("postgresql", server.set(database=name).render_as_string(hide_password=False), drop)


async def open_app(url: str, transport: MemoryTransport | None = None, *, offset: timedelta = timedelta()) -> App:
    """The bot on the district, at the benchmark's moment (`offset` later: a restart after a while)."""
    db = Database(url)
    await migrate.upgrade(db)
    await db.dispose()
    app = App(
        database_url=url,
        configs=[district.config()],
        clock=VirtualClock(NOW + offset),
        transports={"console": transport or MemoryTransport("console")},
        paced=False,
        flood=None,
    )
    await app.open()
    gc.collect()
    gc.freeze()  # as App.serve() does in the running bot
    return app


# --- 1. commands ----------------------------------------------------------------------------------------------


async def commands(app: App, senders: int, total: int) -> dict[str, Any]:
    """`senders` people, each in a closed loop of 签到 → 我的积分 → 签退, until `total` commands are answered."""
    group = DUTY_CHAT
    rounds = max(1, total // (senders * len(CYCLE)))
    run = uuid.uuid4().hex[:6]
    latencies: list[float] = []
    transport = app.transports["console"]
    assert isinstance(transport, MemoryTransport)

    async def sender(index: int) -> None:
        who = UserRef(district.sender_id(index), district.sender_id(index))
        for n in range(rounds):
            for step, said in enumerate(CYCLE):
                msg = Incoming("console", group, who, said, f"{run}-{index}-{n}-{step}", NOW)
                start = time.perf_counter()
                await asyncio.sleep(0)  # the message crosses the network: senders ahead of it go first
                replies = await app.handle(msg)
                await app.sender.send_now(replies)
                latencies.append(time.perf_counter() - start)
                if not replies or replies[0].refused:
                    raise RuntimeError(f"{said!r} from {who.id} was refused: {replies}")

    started = time.perf_counter()
    await asyncio.gather(*(sender(i) for i in range(senders)))
    elapsed = time.perf_counter() - started
    transport.take()
    done = len(latencies)
    return {"senders": senders, "commands": done, "per_second": done / elapsed, **stats(latencies)}


async def raw_limit(backend: Backend, seconds: float = 2.0, tries: int = 3) -> dict[str, Any]:
    """Single-row insert-and-commit transactions per second with the bare driver: the database's own limit,
    the best of a few tries (a disk flushing something else slows one try down, never the limit).

    SQLite: one connection (one writer at a time), the bot's settings (WAL, synchronous=NORMAL).
    PostgreSQL: ten connections at once (the bot's pool), each statement its own transaction.
    """
    runs = [await _raw_limit(backend, seconds) for _ in range(tries)]
    best = {**max(runs, key=lambda run: run["per_second"]), "tries": [round(r["per_second"]) for r in runs]}
    if backend.name == "sqlite":
        best["in_thread_per_second"] = max(_sqlite_in_thread(backend, seconds) for _ in range(tries))
    return best


def _sqlite_in_thread(backend: Backend, seconds: float) -> float:
    """The same transactions with the plain sqlite3 driver on the calling thread: the ceiling of the bot's
    inline path, which does without aiosqlite's thread hand-offs."""
    path = f"{make_url(backend.url).database}.raw"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO raw (v) VALUES (?)", ("签到",))
        conn.execute("COMMIT")
        count += 1
    elapsed = time.perf_counter() - started
    conn.close()
    remove_sqlite(path)
    return count / elapsed


async def _raw_limit(backend: Backend, seconds: float) -> dict[str, Any]:
    count = 0
    deadline = time.perf_counter() + seconds
    if backend.name == "sqlite":
        path = make_url(backend.url).database
        async with aiosqlite.connect(f"{path}.raw", isolation_level=None) as conn:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            started = time.perf_counter()
            while time.perf_counter() < deadline:
                await conn.execute("BEGIN IMMEDIATE")
                await conn.execute("INSERT INTO raw (v) VALUES (?)", ("签到",))
                await conn.execute("COMMIT")
                count += 1
        remove_sqlite(f"{path}.raw")
        return {"connections": 1, "per_second": count / (time.perf_counter() - started)}
    import asyncpg

    dsn = make_url(backend.url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
    await pool.execute("CREATE TABLE IF NOT EXISTS raw (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)")

    async def writer() -> None:
        nonlocal count
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                await conn.execute("INSERT INTO raw (v) VALUES ($1)", "签到")
                count += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(10)))
    elapsed = time.perf_counter() - started
    await pool.execute("DROP TABLE raw")
    await pool.close()
    return {"connections": 10, "per_second": count / elapsed}


# --- 2. balance -----------------------------------------------------------------------------------------------


async def balance(app: App, people: district.People, samples: int = 1000) -> dict[str, Any]:
    """我的积分 for random residents: its one query (balance, period, household, waiting, on duty) in a
    transaction of its own, and the whole command."""
    rng = random.Random(district.SEED + 2)
    community = app.communities.default
    assert community is not None
    period = community.rules.period_of(NOW).label
    queries: list[float] = []
    for _ in range(samples):
        n = rng.randrange(len(people.resident_ids))
        start = time.perf_counter()
        async with app.db.snapshot() as tx:
            await numbers.of_resident(
                tx, resident_id=people.resident_ids[n], household_id=people.homes[n], period=period
            )
        queries.append(time.perf_counter() - start)
    whole: list[float] = []
    chat = DUTY_CHAT
    run = uuid.uuid4().hex[:6]
    for k in range(samples):
        n = rng.randrange(len(people.resident_ids))
        who = UserRef(district.sender_id(n), district.sender_id(n))
        start = time.perf_counter()
        replies = await app.handle(Incoming("console", chat, who, "我的积分", f"b{run}-{k}", NOW))
        whole.append(time.perf_counter() - start)
        if not replies or "积分" not in replies[0].text:
            raise RuntimeError(f"我的积分 was not answered: {replies}")
    return {"query": stats(queries), "command": stats(whole)}


# --- 3. monthly notice, 4. broadcast, 5. start-up: in processes of their own ---------------------------------


def child(*args: str, timeout: float = 600) -> dict[str, Any]:
    """Run `python -m bench.child …` and return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.child {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def notice(url: str) -> dict[str, Any]:
    """Time and peak memory of one monthly notice (text and picture), in a fresh process."""
    return child("notice", url)


async def broadcast(folder: Path, groups: int) -> dict[str, Any]:
    """768 groups through the outbox with rate limits off: the bot's cost per message, and exactly once
    across a SIGKILL halfway and a restart."""
    backend = await sqlite_backend(folder, "broadcast")
    app = await open_app(backend.url)
    community = app.communities.default
    assert community is not None
    chats = await district.add_groups(app.db, community.id, groups)
    await app.close()
    timing = child("broadcast", backend.url)

    # The same again in a process that is killed halfway, then started again after the claim lease.
    await backend.drop()
    app = await open_app(backend.url)
    await district.add_groups(app.db, community.id, groups)
    await app.close()
    log = folder / "broadcast.log"
    log.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "bench.child", "deliver", backend.url, str(log), "0"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not log.exists() or len(log.read_text().splitlines()) < len(chats) // 2):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    at_kill = len(log.read_text().splitlines())
    after = child("deliver", backend.url, str(log), "1")
    sent = log.read_text().splitlines()
    counts = {chat: sent.count(chat) for chat in chats}
    twice = sum(1 for c in counts.values() if c > 1)
    missing = [chat for chat, c in counts.items() if c == 0]
    await backend.drop()
    log.unlink(missing_ok=True)
    return {
        **timing,
        "groups": len(chats),
        "sent_before_kill": at_kill,
        "sent_twice": twice,
        "not_sent": len(missing),
        "in_doubt": after["in_doubt"],  # rows claimed by the killed process: never resent blindly, staff told
        "staff_told": after["staff_told"],
        "exactly_once": twice == 0 and len(missing) <= after["in_doubt"],
    }


def startup(url: str, runs: int = 3) -> dict[str, Any]:
    """From `pointsbot run` to the console's ready line, as a person would start it."""
    command = [str(Path(sys.executable).with_name("pointsbot")), "run", "-d", url, "-c", str(district.CONFIG)]
    seconds: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        assert process.stdin is not None
        for line in process.stdout:
            if "基准社区 ·" in line:
                seconds.append(time.perf_counter() - start)
                break
        else:
            raise RuntimeError("pointsbot run never said it was ready")
        process.stdin.close()
        process.wait(timeout=60)
    return {"median_s": statistics.median(seconds), "runs": runs}


def when(offset: timedelta = timedelta()) -> str:
    return (NOW + offset).isoformat()
