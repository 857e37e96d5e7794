"""`pointsbot replay`: run a transcript through the real bot on a virtual clock."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.adapters.memory import MemoryTransport
from bot.app import App
from bot.config import CommunityConfig
from bot.transcript import ClockLine, MessageLine, TranscriptError, incoming, read, render
from scheduler.clock import VirtualClock


async def replay(
    text: str,
    *,
    config: CommunityConfig,
    database_url: str | None = None,
    emit: Callable[[str], None] = print,
) -> None:
    """Replay `text`, calling `emit` with every output line. A fresh temporary database unless one is given."""
    tz = config.community.tz
    bot_name = config.community.bot_name
    lines = read(text.splitlines(), tz=tz, bot_names=[bot_name])
    first_clock = next((line for line in lines if isinstance(line.item, ClockLine)), None)
    first_message = next((line for line in lines if isinstance(line.item, MessageLine)), None)
    if first_message is not None and (first_clock is None or first_clock.number > first_message.number):
        raise TranscriptError(first_message.number, "set the clock before the first message, e.g. @2026-11-03 09:00")
    if first_clock is None:
        for line in lines:
            emit(line.raw)
        return
    assert isinstance(first_clock.item, ClockLine)
    clock = VirtualClock(first_clock.item.moment)
    transport = MemoryTransport("console")
    with tempfile.TemporaryDirectory(prefix="pointsbot-replay-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'replay.sqlite3'}"
        rng = random.Random(7)  # one-time codes come out the same at every replay

        async def start() -> App:
            started = App(
                database_url=url,
                configs=[config],
                clock=clock,
                transports={"console": transport},
                paced=False,
                flood=None,  # a transcript says many things at one instant of its clock
                rng=rng,
            )
            await started.open()
            await started.deliver_all_due()
            return started

        app = await start()
        try:
            for line in lines:
                emit(line.raw)
                if isinstance(line.item, ClockLine):
                    if line.item.moment < clock.now():
                        raise TranscriptError(line.number, "the clock cannot go back")
                    if line.item.restart:  # down until now: nothing runs in between, then a real start-up
                        await app.close()
                        clock.set(line.item.moment)
                        app = await start()
                    else:
                        await app.run_jobs_until(clock.now(), line.item.moment)
                elif isinstance(line.item, MessageLine):
                    await app.receive(incoming(line.item, at=clock.now()))
                    await app.deliver_all_due()
                else:
                    continue
                for message in transport.take():
                    for out in render(message, bot_name):
                        emit(out)
        finally:
            await app.close()
