"""Crash safety: a real `pointsbot run` killed with SIGKILL in the middle of a burst loses nothing it acknowledged
and leaves nothing half-written.

The bot runs as a separate process on the console adapter, reading a burst of check-outs, check-ins,
after-the-fact records and redemptions from standard input and printing each reply after its transaction has
committed. The test kills it once a third of the burst has been answered, restarts it, and then checks the
database: every answered action is there, whole; everything there is whole (a closed session has its record, a
credited record its one ledger entry, a redemption its debits and its stock movement); and every balance equals
the sum of its ledger.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.config import load_community
from bot.testing import Harness
from bot.transcript import PRIVATE
from store import ledger
from store.db import Database, Tx
from store.schema import (
    duty_sessions,
    economy_entries,
    ledger_entries,
    products,
    redemptions,
    residents,
    service_records,
    stock_movements,
)

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Shanghai")
LEAVING = [f"v{n:02d}" for n in range(20)]  # on duty for two hours: they check out, and earn points
ARRIVING = [f"v{n:02d}" for n in range(20, 40)]  # they check in
REVIEWERS = ["r0", "r1", "r2", "r3"]  # each records three services after the fact
CASHIERS = ["c0", "c1", "c2"]  # each redeems four towels for volunteers who have points


def _day(moment: datetime, days: int) -> str:
    return (moment.astimezone(TZ) + timedelta(days=days)).strftime("%Y-%m-%d")


def _config(path: Path, now: datetime) -> Path:
    people = "\n".join(f'[[members]]\nname = "{v}"\nhousehold = "h-{v}"\n' for v in LEAVING + ARRIVING)
    staff = "\n".join(f'[[staff]]\nname = "{r}"\nroles = ["reviewer"]\n' for r in REVIEWERS)
    staff += "\n".join(f'[[staff]]\nname = "{c}"\nroles = ["cashier"]\n' for c in CASHIERS)
    path.write_text(
        '[community]\nname = "崩溃测试社区"\n[points]\nauto_approve = true\n'
        f"[exchange]\ndates = [{_day(now, 0)}, {_day(now, 1)}]\n"  # a date already past is refused at start
        '[[products]]\ncode = "P01"\nname = "毛巾"\nprice = 2\nunit = "条"\n'
        f'[[groups]]\nname = "志愿者群"\n{people}\n{staff}',
        encoding="utf-8",
    )
    return path


def _burst(now: datetime) -> tuple[list[str], int]:
    """The lines typed into the console, and how many of them are actions."""
    actions: list[tuple[str, str]] = []
    records = [(r, LEAVING[3 * i + k], f"补录{i}{k}") for i, r in enumerate(REVIEWERS) for k in range(3)]
    for n in range(len(LEAVING)):
        actions.append((LEAVING[n], "签退"))
        actions.append((ARRIVING[n], f"签到 到岗{n}"))
        if n < len(records):
            who, whom, activity = records[n]
            actions.append((who, f"补录 {whom} {activity} {_day(now, -1)} 09:00 10:00"))
        if n < 4 * len(CASHIERS):
            actions.append((CASHIERS[n % len(CASHIERS)], f"兑换 {LEAVING[n]} 毛巾"))
    lines = [":private"]
    for who, text in actions:
        lines += [f":user {who}", text]
    return lines, len(actions)


def _bot(args: list[str], database_url: str, **kwargs: object) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POINTSBOT_")}
    environment["PYTHONUNBUFFERED"] = "1"  # a reply is on the pipe as soon as it is printed
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "bot", "run", "--database", database_url, *args],
        cwd=ROOT,
        env=environment,
        text=True,
        encoding="utf-8",
        **kwargs,
    )


ACK = re.compile(
    r"^\[私聊 (\S+)\] 积分助手: (?:(签到成功)|(签退成功)|已补录：([^，\s]+) ([^，\s]+)，|兑换成功 · 小票 (\d+))"
)


def _kill_mid_burst(config_path: Path, database_url: str, lines: list[str], total: int) -> list[tuple[str, ...]]:
    """Type the burst into a running bot and SIGKILL it once a third is answered; returns what was answered:
    ("in", who), ("out", who), ("record", resident, activity) or ("redeem", receipt number)."""
    acked: list[tuple[str, ...]] = []
    enough = threading.Event()
    with _bot(["--config", str(config_path)], database_url, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as bot:
        assert bot.stdin is not None and bot.stdout is not None
        stdout = bot.stdout

        def read() -> None:
            try:
                for line in stdout:
                    found = ACK.match(line)
                    if not line.endswith("\n") or not found:
                        continue  # a line cut off by the kill is no acknowledgement
                    who, checked_in, _, resident, activity, receipt = found.groups()
                    if receipt:
                        acked.append(("redeem", receipt))
                    elif resident:
                        acked.append(("record", resident, activity))
                    else:
                        acked.append(("in" if checked_in else "out", who))
                    if len(acked) >= total // 3:
                        enough.set()
            finally:
                enough.set()  # the bot stopped by itself: let the test see how far it got

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            bot.stdin.write("\n".join(lines) + "\n")
            bot.stdin.flush()
            assert enough.wait(timeout=60), f"only {len(acked)} answers before the timeout"
        finally:
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=10)
            reader.join(timeout=10)
        assert bot.returncode == -signal.SIGKILL
    return list(acked)


async def _column(tx: Tx, query: Any) -> set[Any]:
    return set((await tx.execute(query)).all())


async def _check(tx: Tx, acked: list[tuple[str, ...]]) -> None:
    """Every acknowledged action is in the database, and nothing there is half-written."""
    ids = dict((await tx.execute(select(residents.c.name, residents.c.id))).all())
    closed = await _column(tx, select(duty_sessions.c.resident_id).where(duty_sessions.c.ended_at.is_not(None)))
    still_open = await _column(tx, select(duty_sessions.c.resident_id).where(duty_sessions.c.ended_at.is_(None)))
    recorded = await _column(
        tx,
        select(residents.c.name, service_records.c.activity)
        .join(residents, residents.c.id == service_records.c.resident_id)
        .where(service_records.c.recorded_by.is_not(None)),
    )
    redeemed = await _column(tx, select(redemptions.c.id).where(redemptions.c.status == "done"))
    for action in acked:
        if action[0] == "out":
            assert (ids[action[1]],) in closed, action
        elif action[0] == "in":
            assert (ids[action[1]],) in still_open, action
        elif action[0] == "record":
            assert action[1:] in recorded, action
        else:
            assert (int(action[1]),) in redeemed, action
    # Each closed session has one record; each credited record one entry of its points; each redemption the
    # debits of its points and one stock movement; each product's stock is the sum of its movements.
    sessions = await _column(
        tx,
        select(duty_sessions.c.id, func.count(service_records.c.id))
        .outerjoin(service_records, service_records.c.session_id == duty_sessions.c.id)
        .where(duty_sessions.c.ended_at.is_not(None))
        .group_by(duty_sessions.c.id),
    )
    assert sessions and {n for _, n in sessions} == {1}
    credited = await _column(
        tx,
        select(service_records.c.id, service_records.c.points - func.sum(ledger_entries.c.points), func.count())
        .join(ledger_entries, ledger_entries.c.record_id == service_records.c.id)
        .where(service_records.c.status == "approved")
        .group_by(service_records.c.id, service_records.c.points),
    )
    approved = await _column(tx, select(service_records.c.id).where(service_records.c.status == "approved"))
    assert {(r,) for r, _, _ in credited} == approved and {(d, n) for _, d, n in credited} == {(0, 1)}
    paid = await _column(
        tx,
        select(redemptions.c.id, redemptions.c.points + func.sum(ledger_entries.c.points))
        .join(economy_entries, economy_entries.c.redemption_id == redemptions.c.id)
        .join(ledger_entries, ledger_entries.c.id == economy_entries.c.entry_id)
        .group_by(redemptions.c.id, redemptions.c.points),
    )
    assert {(r,) for r, _ in paid} == redeemed and {d for _, d in paid} <= {0}
    moved = await _column(tx, select(stock_movements.c.redemption_id).where(stock_movements.c.kind == "redemption"))
    assert moved == redeemed
    stock = await _column(
        tx,
        select(products.c.stock - func.sum(stock_movements.c.delta))
        .join(stock_movements, stock_movements.c.product_id == products.c.id)
        .group_by(products.c.id, products.c.stock),
    )
    assert stock == {(0,)}
    assert await ledger.audit(tx, community_id=1) == []


async def test_sigkill_mid_burst_loses_nothing_acknowledged(database_url: str, tmp_path: Path) -> None:
    """Killed mid-burst and restarted, the bot has every answered action whole and no half-written one."""
    now = datetime.now(UTC)
    config_path = _config(tmp_path / "community.toml", now)
    two_hours_ago = (now - timedelta(hours=2)).astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    seed = await Harness.start(database_url, load_community(config_path), start=two_hours_ago)
    try:
        for v in LEAVING:
            assert "签到成功" in await seed.text(v, f"签到 巡逻{v}", chat=PRIVATE)
        for v in LEAVING[: 4 * len(CASHIERS)]:  # points to spend in the burst
            assert "已补录" in await seed.text("r0", f"补录 {v} 存分 {_day(now, -2)} 13:00 15:00", chat=PRIVATE)
        assert "入库" in await seed.text("c0", "入库 毛巾 500", chat=PRIVATE)
    finally:
        await seed.close()

    lines, total = _burst(now)
    acked = _kill_mid_burst(config_path, database_url, lines, total)
    assert total // 3 <= len(acked) < total, "the kill should land in the middle of the burst"

    with _bot(["--config", str(config_path)], database_url, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as again:
        out, _ = again.communicate(":private\n:user v00\n我的积分\n:quit\n", timeout=60)
    assert again.returncode == 0 and "v00 的积分" in out

    db = Database(database_url)
    try:
        async with db.snapshot() as tx:
            await _check(tx, acked)
    finally:
        await db.dispose()
    if database_url.startswith("sqlite"):
        with closing(sqlite3.connect(database_url.split("///", 1)[1])) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
