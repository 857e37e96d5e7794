"""Wiring: the database, the communities, the dispatcher, the sender and the schedule, as one object.

Every entry point (the console, a transcript replay, Telegram, WeChat, the tests) builds an `App` with its
own clock and transports and feeds it messages.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.commands import Community, Registry
from bot.config import CommunityConfig, ConfigError
from bot.delivery import Sender
from bot.dispatch import Communities, Dispatcher
from bot.flood import FloodGuard, FloodLimits
from bot.i18n import Translator
from bot.messages import Incoming, Outgoing
from bot.ports import Transport
from bot.rules import CommunityRules
from handlers import registry as default_registry
from scheduler.clock import Clock
from scheduler.jobs import community_jobs
from scheduler.setup import JobSpec, LiveSchedule, due_between
from store import communities as community_store
from store import migrate
from store import schedule as schedule_store
from store.db import Database

log = logging.getLogger(__name__)

DEFAULT_FLOOD = FloodLimits()


def rules_of(config: CommunityConfig) -> CommunityRules:
    points = config.points
    return CommunityRules(
        tz=config.community.tz,
        minutes_per_point=points.minutes_per_point,
        min_minutes=points.min_minutes,
        max_session_hours=points.max_session_hours,
        auto_approve=points.auto_approve,
        period_start_day=points.period_start_day,
    )


async def prepare_schema(db: Database) -> None:
    """SQLite upgrades itself (it is the embedded default); a server database must be upgraded on purpose."""
    if db.is_sqlite:
        await migrate.upgrade(db)
        return
    current, head = await migrate.current(db), migrate.head()
    if current != head:
        raise ConfigError(
            f"the database schema is at {current or 'nothing'} but this version needs {head}; "
            "run `pointsbot db upgrade` first"
        )


class App:
    def __init__(
        self,
        *,
        database_url: str,
        configs: Sequence[CommunityConfig],
        clock: Clock,
        transports: Mapping[str, Transport],
        registry: Registry | None = None,
        paced: bool = True,
        flood: FloodLimits | None = DEFAULT_FLOOD,
        rng: random.Random | None = None,
    ) -> None:
        """`flood=None` turns flood limits off (transcripts, whose messages share a few instants); `rng` is the
        source of one-time codes, the system's secure one unless a test or transcript seeds its own."""
        if not configs:
            raise ConfigError("no community configured")
        keys = [c.community.community_key for c in configs]
        if len(set(keys)) != len(keys):
            raise ConfigError("two community files name the same community; give each a different [community] key")
        self.db = Database(database_url)
        self.configs = list(configs)
        self.clock = clock
        self.transports = dict(transports)
        self.registry = registry or default_registry()
        self.paced = paced
        self.flood = FloodGuard(flood, clock) if flood is not None else None
        self.rng = rng
        self.communities: Communities = Communities([])
        self._dispatcher: Dispatcher | None = None
        self._sender: Sender | None = None
        self.jobs: list[JobSpec] = []

    async def open(self) -> App:
        """Prepare the schema, bring communities in line with their files, get ready to handle messages, and
        catch up with the schedule: what fell due while the bot was away is done now, or reported. A failed
        start (a configuration refused, an old schema) leaves no connection open."""
        try:
            return await self._open()
        except BaseException:
            await self.db.dispose()
            raise

    async def _open(self) -> App:
        now = self.clock.now()
        await prepare_schema(self.db)
        items: list[Community] = []
        async with self.db.transaction() as tx:
            for config in self.configs:
                community_id = await community_store.sync(tx, config, at=self.clock.now())
                accepted = await schedule_store.accepted_exchange_dates(tx, community_id=community_id)
                config.check_dates(now.astimezone(config.community.tz).date(), accepted=accepted)  # rolls back
                await schedule_store.accept_exchange_dates(
                    tx, community_id=community_id, dates=config.exchange.dates, now=now
                )
                items.append(
                    Community(
                        id=community_id,
                        config=config,
                        rules=rules_of(config),
                        t=Translator(config.community.language, config.community.tz),
                    )
                )
        self.communities = Communities(items)
        self._sender = Sender(
            db=self.db, transports=self.transports, clock=self.clock, communities=items, paced=self.paced
        )
        extra_names = [name for t in self.transports.values() for name in getattr(t, "bot_names", ())]
        self._dispatcher = Dispatcher(
            db=self.db,
            communities=self.communities,
            registry=self.registry,
            transports=self.transports,
            on_commit=self._sender.wake,
            extra_bot_names=extra_names,
            flood=self.flood,
            rng=self.rng,
        )
        self.jobs = [job for c in items for job in community_jobs(self.db, c, on_done=self._sender.wake)]
        await self._sender.recover()  # messages a dead process left half-sent: never resent blindly, staff told
        for spec in self.jobs:
            if spec.coalesce:  # the state-looking jobs and the calendar's catch-up, once, at start
                await spec.run(now)
        return self

    @property
    def dispatcher(self) -> Dispatcher:
        assert self._dispatcher is not None, "App.open() first"
        return self._dispatcher

    @property
    def sender(self) -> Sender:
        assert self._sender is not None, "App.open() first"
        return self._sender

    async def handle(self, msg: Incoming) -> list[Outgoing]:
        """The replies to one message, without sending them."""
        return await self.dispatcher.handle(msg)

    async def receive(self, msg: Incoming) -> None:
        """Handle one message and send its replies: what an adapter calls for every message."""
        await self.sender.send_now(await self.dispatcher.handle(msg))

    async def run_jobs_until(self, after: datetime, until: datetime) -> None:
        """Run, in order, every job that falls due in (after, until] — the virtual clock's way of time passing."""
        set_clock = getattr(self.clock, "set", None)
        for moment, spec in due_between(self.jobs, after, until):
            if set_clock is not None:
                set_clock(moment)
            await spec.run(moment)
            await self.deliver_all_due()
        if set_clock is not None:
            set_clock(until)
        await self.deliver_all_due()

    async def deliver_all_due(self) -> None:
        """Send every outbox row due now (many groups take several passes of the sender)."""
        while await self.sender.deliver_due():
            pass

    async def serve(self, stop: asyncio.Event) -> None:
        """Live mode: the scheduler and the outbox sender run until `stop` is set.

        What start-up loaded (code, configuration, caches) lives as long as the process: frozen, the garbage
        collector stops walking it on every round, which took the slowest commands' time down (BENCHMARKS.md)."""
        gc.collect()
        gc.freeze()
        schedule = LiveSchedule(self.jobs, self.clock)
        schedule.start()
        try:
            await self.sender.run(stop)
        finally:
            schedule.shutdown()
            gc.unfreeze()

    async def close(self) -> None:
        await self.db.dispose()
