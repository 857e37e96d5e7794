"""The one module that talks to APScheduler.

Jobs are declared in code at start-up (`JobSpec`): a name, a trigger with an explicit time zone, and a
coroutine that receives the moment it runs for. The live bot hands them to an `AsyncIOScheduler` with an
in-memory job store; transcripts and tests instead ask `due_between` which fire times fall between two
clock readings and run them in order, so a virtual month runs the same jobs a real month would.

Running a job twice must be harmless: the database, not the scheduler, decides what happens once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from scheduler.clock import Clock

log = logging.getLogger(__name__)

JobFunction = Callable[[datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    trigger: BaseTrigger
    run: JobFunction
    # Coalesced: after a gap (downtime, or a transcript jumping ahead) run once for the latest fire time
    # instead of once per missed time. Right for jobs that look at the state of things ("close sessions
    # older than the cap"); wrong for jobs whose every occurrence matters.
    coalesce: bool = True
    misfire_grace: timedelta = timedelta(hours=1)


def cron(tz: ZoneInfo, **fields: int | str) -> CronTrigger:
    """A cron trigger that always carries the community's time zone."""
    return CronTrigger(timezone=tz, **fields)


def fire_times(spec: JobSpec, after: datetime, until: datetime) -> list[datetime]:
    """Fire times of a job in (after, until], oldest first."""
    times: list[datetime] = []
    previous: datetime | None = None
    moment = after + timedelta(microseconds=1)
    while True:
        nxt = spec.trigger.get_next_fire_time(previous, moment)
        if nxt is None or nxt > until:
            return times
        times.append(nxt)
        previous, moment = nxt, nxt + timedelta(microseconds=1)


def due_between(specs: Iterable[JobSpec], after: datetime, until: datetime) -> list[tuple[datetime, JobSpec]]:
    """Every (fire time, job) in (after, until], in time order; coalesced jobs keep only their latest time."""
    due: list[tuple[datetime, int, JobSpec]] = []
    for order, spec in enumerate(specs):
        times = fire_times(spec, after, until)
        if spec.coalesce and times:
            times = times[-1:]
        due.extend((moment, order, spec) for moment in times)
    due.sort(key=lambda item: (item[0], item[1]))
    return [(moment, spec) for moment, _, spec in due]


class LiveSchedule:
    """The jobs on a real clock, through APScheduler."""

    def __init__(self, specs: Iterable[JobSpec], clock: Clock) -> None:
        self.specs = list(specs)
        self.clock = clock
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo("UTC"))
        for spec in self.specs:
            self.scheduler.add_job(
                self._runner(spec),
                trigger=spec.trigger,
                id=spec.name,
                name=spec.name,
                coalesce=spec.coalesce,
                max_instances=1,
                misfire_grace_time=int(spec.misfire_grace.total_seconds()),
                replace_existing=True,
            )

    def _runner(self, spec: JobSpec) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await spec.run(self.clock.now())
            except Exception:
                log.exception("scheduled job %s failed", spec.name)

        return run

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def next_fire_times(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}
