"""Figures that need a process of their own: peak memory of the monthly notice, and a sender that is killed.

python -m bench.child notice URL             time and peak memory of the monthly notice
python -m bench.child broadcast URL          one notice to every group, rate limits off: cost per message
python -m bench.child deliver URL LOG PHASE  phase 0 queues the notice and sends, logging each group (the
                                             parent kills it halfway); phase 1 starts again after the claim
                                             lease and finishes
Each prints one line of JSON.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.figures import NOW, open_app
from bot import notices
from bot.adapters.memory import MemoryTransport
from bot.app import App
from bot.delivery import CLAIM_LEASE
from bot.messages import ChatKind, Outgoing
from store.schema import outbox

KIND, KEY = "monthly_notice", "bench:monthly"


def peak_mb() -> float:
    """This process's peak resident memory. On Linux from /proc: getrusage's figure survives exec and would
    report the benchmark's own peak (a million generated rows) as this process's."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024


async def notice(url: str) -> dict[str, Any]:
    app = await open_app(url, MemoryTransport())
    community = app.communities.default
    assert community is not None
    period = community.rules.period_of(NOW)
    before = peak_mb()
    start = time.perf_counter()
    async with app.db.snapshot(offload=True) as tx:  # as the scheduled job and 公示 run it
        made = await notices.monthly_notice(tx, community, period, objections_until=NOW + timedelta(days=8))
    seconds = time.perf_counter() - start
    await app.close()
    return {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "before_mb": before,
        "text_chars": len(made.text),
        "picture_kb": len(made.image.data) / 1024 if made.image else None,  # None: no CJK font on this machine
    }


async def enqueue(app: App) -> float:
    community = app.communities.default
    assert community is not None
    start = time.perf_counter()
    async with app.db.transaction() as tx:
        await notices.to_notice_groups(
            tx, community, notices.Notice("十一月积分公示（基准测试）"), kind=KIND, key=KEY, at=app.clock.now()
        )
    return time.perf_counter() - start


async def broadcast(url: str) -> dict[str, Any]:
    transport = MemoryTransport()
    app = await open_app(url, transport)
    queued = await enqueue(app)
    start = time.perf_counter()
    await app.deliver_all_due()
    seconds = time.perf_counter() - start
    await app.close()
    sent = [m for m in transport.sent if m.chat.kind is ChatKind.GROUP]
    return {"queue_ms": queued * 1000, "deliver_s": seconds, "per_message_ms": seconds / len(sent) * 1000}


class LogTransport(MemoryTransport):
    """Writes every group message to a file the moment it is 'sent', as a platform would have it."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115  # open for the process's life

    async def send(self, message: Outgoing) -> None:
        await asyncio.sleep(0.001)  # the network's round trip, so that a kill lands between sends
        if message.chat.kind is ChatKind.GROUP:
            self.file.write(message.chat.id + "\n")
            self.file.flush()


async def deliver(url: str, log: str, phase: str) -> dict[str, Any]:
    offset = timedelta() if phase == "0" else CLAIM_LEASE + timedelta(minutes=1)
    app = await open_app(url, LogTransport(log), offset=offset)
    await enqueue(app)  # a restart queues again: the dedupe keys keep it to one row per group
    await app.deliver_all_due()
    async with app.db.snapshot() as tx:
        in_doubt = await tx.scalar(select(func.count()).where(outbox.c.kind == KIND, outbox.c.status == "unknown"))
        told = await tx.scalar(select(func.count()).where(outbox.c.kind == "staff_report"))
    await app.close()
    return {"in_doubt": int(in_doubt or 0), "staff_told": int(told or 0)}


def main(argv: list[str]) -> None:
    mode, *args = argv
    works: dict[str, Callable[..., Coroutine[Any, Any, dict[str, Any]]]] = {
        "notice": notice,
        "broadcast": broadcast,
        "deliver": deliver,
    }
    print(json.dumps(asyncio.run(works[mode](*args))))


if __name__ == "__main__":
    main(sys.argv[1:])
