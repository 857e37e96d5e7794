"""Calendar jobs, whose every occurrence matters: the notice on the 26th, the exchange-day announcements,
the weekly summary, the annual ranking, the reminders.

One pass (`Calendar.catch_up(now)`) looks at every occurrence between the last time the community's
schedule was checked and now, in time order, and for each one:
- claims it in the database (a row per community, job and occurrence: a second process, a second pass
  or a restart finds it taken and does nothing) and does its work in the same transaction;
- or, when it is later than its grace allows (the bot was down), claims it as missed and tells the
  community's admins instead of posting something stale.

The same pass runs when a calendar job's trigger fires (live through APScheduler, or at each fire time of
a transcript's virtual clock), every quarter of an hour as a safety net, and at start-up: a bot that was
down from the 25th to the 28th sends the notice of the 26th at start if it is within the grace, and reports
it otherwise — the same decision whichever way time passed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.commands import Community
from scheduler.setup import DailyTrigger, JobSpec, fire_times
from store import schedule
from store.db import Database, Tx

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=400)  # a bot away longer than this has its older occurrences forgotten, not reported


@dataclass(frozen=True, slots=True)
class Occurrence:
    job: str
    key: str  # what it is for: "2026-11" (a period), "2026-11-28" (a day), "2026-W48"
    due_at: datetime
    now: datetime

    @property
    def late(self) -> timedelta:
        return self.now - self.due_at


Work = Callable[[Tx, Occurrence], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Occasion:
    name: str  # stable across restarts: it is part of the database key
    trigger: DailyTrigger
    key: Callable[[datetime], str]
    work: Work
    grace: timedelta
    missed: Callable[[Occurrence], str] | None = None  # the line staff read; None: drop it silently


class Calendar:
    """The calendar jobs of one community and the pass that runs them."""

    def __init__(
        self,
        db: Database,
        community: Community,
        occasions: Sequence[Occasion],
        *,
        worker: str,
        report: Callable[[Tx, Sequence[str], datetime], Awaitable[None]],
        on_done: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.community = community
        self.occasions = list(occasions)
        self.worker = worker
        self.report = report
        self.on_done = on_done

    def specs(self) -> list[JobSpec]:
        """One job per occasion for the scheduler; each firing runs the whole pass."""
        return [
            JobSpec(
                f"{self.community.id}:{occasion.name}",
                occasion.trigger,
                self.catch_up,
                coalesce=False,
                misfire_grace=occasion.grace,
            )
            for occasion in self.occasions
        ]

    async def catch_up(self, now: datetime) -> None:
        """Run or report every occurrence since the schedule was last checked, oldest first."""
        async with self.db.transaction(offload=True) as tx:
            since = await schedule.checked_until(tx, community_id=self.community.id, now=now)
        if since >= now:
            return  # another firing at this same moment did the pass already
        since = max(since, now - LOOKBACK)
        due = sorted(
            (
                (moment, order, occasion)
                for order, occasion in enumerate(self.occasions)
                for moment in fire_times(occasion.trigger, since, now)
            ),
            key=lambda item: (item[0], item[1]),
        )
        done_until = now
        missed: list[tuple[Occasion, Occurrence]] = []
        for moment, _, occasion in due:
            occurrence = Occurrence(occasion.name, occasion.key(moment), moment, now)
            if occurrence.late > occasion.grace:
                missed.append((occasion, occurrence))
                continue
            try:
                async with self.db.transaction(offload=True) as tx:
                    if await self._claim(tx, occurrence, schedule.Outcome.DONE):
                        await occasion.work(tx, occurrence)
            except Exception:
                log.exception(
                    "scheduled job %s (%s) failed; it is tried again on the next pass", occasion.name, occurrence.key
                )
                done_until = min(done_until, moment - timedelta(microseconds=1))
        async with self.db.transaction(offload=True) as tx:
            lines = [
                occasion.missed(occurrence)
                for occasion, occurrence in missed
                if await self._claim(tx, occurrence, schedule.Outcome.MISSED) and occasion.missed is not None
            ]
            await self.report(tx, lines, now)
            await schedule.advance(tx, community_id=self.community.id, until=done_until)
        if due:
            self.on_done()

    async def _claim(self, tx: Tx, occurrence: Occurrence, outcome: schedule.Outcome) -> bool:
        return await schedule.claim(
            tx,
            community_id=self.community.id,
            job=occurrence.job,
            occurrence=occurrence.key,
            due_at=occurrence.due_at,
            now=occurrence.now,
            outcome=outcome,
            by=self.worker,
        )
