"""The one module that talks to APScheduler.

Jobs are declared in code at start-up (`JobSpec`): a name, a trigger with an explicit time zone, and a
coroutine that receives the moment it runs for. The live bot hands them to an `AsyncIOScheduler` with an
in-memory job store; transcripts and tests instead ask `due_between` which fire times fall between two
clock readings and run them in order, so a virtual month runs the same jobs a real month would.

The triggers are our own (`DailyTrigger`, `EveryTrigger`), not APScheduler's CronTrigger: in 3.11 a
CronTrigger in a zone with daylight saving walks backwards through the repeated hour of the autumn change
(02:45+02:00, then 02:00+01:00, then 02:15+02:00 again …), which fires a job over and over and never lets a
virtual clock get past that night. Ours fire a local time once a day, move a skipped time forward, and
never go back.

Running a job twice must be harmless: the database, not the scheduler, decides what happens once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.cycle import next_on_days
from scheduler.clock import Clock

log = logging.getLogger(__name__)

JobFunction = Callable[[datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    trigger: BaseTrigger
    run: JobFunction
    # Coalesced: after a gap (a transcript jumping ahead) run once for the latest fire time instead of once
    # per missed time. Right for jobs that look at the state of things ("close sessions older than the
    # cap"). Calendar jobs, whose every occurrence matters, are not coalesced in virtual time; live, they
    # find their missed occurrences themselves (scheduler/occasions.py), so APScheduler always coalesces.
    coalesce: bool = True
    misfire_grace: timedelta = timedelta(hours=1)


_TICK = timedelta(microseconds=1)


def _start(previous: datetime | None, now: datetime) -> datetime:
    # APScheduler asks for the fire time after `previous` when it has one (to count missed runs), else after now.
    # Everything in UTC: two datetimes of one zone compare by wall clock, wrong across the autumn change.
    return (previous + _TICK if previous is not None else now).astimezone(UTC)


class DailyTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
    """A local time of day, on the days `on` accepts, in one time zone.

    A time the clocks skip in spring fires later by the gap; a time that happens twice in autumn fires once,
    the first time. Monthly, weekly and yearly jobs are daily triggers with a rule for the day.
    """

    __slots__ = ("at", "description", "on", "timezone")

    def __init__(
        self, tz: ZoneInfo, at: time, on: Callable[[date], bool] = lambda _: True, description: str = "daily"
    ) -> None:
        self.timezone = tz
        self.at = at
        self.on = on
        self.description = description

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        return next_on_days(_start(previous_fire_time, now), self.at, self.timezone, self.on)

    def __str__(self) -> str:
        return f"{self.description} at {self.at:%H:%M} {self.timezone.key}"


class EveryTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
    """Every `minutes` minutes, on the quarter hours of real time (the same instants in every zone)."""

    __slots__ = ("minutes", "timezone")

    def __init__(self, tz: ZoneInfo, minutes: int) -> None:
        if not 0 < minutes <= 24 * 60:
            raise ValueError("an interval of 1 minute to 1 day")
        self.timezone = tz
        self.minutes = minutes

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        start = _start(previous_fire_time, now)
        step = timedelta(minutes=self.minutes)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        count = -((epoch - start) // step)  # ceiling division
        return epoch + count * step

    def __str__(self) -> str:
        return f"every {self.minutes} min"


def fire_times(trigger: BaseTrigger, after: datetime, until: datetime) -> list[datetime]:
    """Fire times of a trigger in (after, until], oldest first, in UTC."""
    if after.tzinfo is None or until.tzinfo is None:
        raise ValueError("fire times are asked between aware moments; a time without a zone is ambiguous")
    after, until = after.astimezone(UTC), until.astimezone(UTC)
    times: list[datetime] = []
    previous: datetime | None = None
    moment = after + _TICK
    while True:
        nxt = trigger.get_next_fire_time(previous, moment)
        if nxt is not None:
            nxt = nxt.astimezone(UTC)
        if nxt is None or nxt > until:
            return times
        if previous is not None and nxt <= previous:
            raise RuntimeError(f"trigger {trigger} went back from {previous.isoformat()} to {nxt.isoformat()}")
        times.append(nxt)
        previous, moment = nxt, nxt + _TICK


def due_between(specs: Iterable[JobSpec], after: datetime, until: datetime) -> list[tuple[datetime, JobSpec]]:
    """Every (fire time, job) in (after, until], in time order; coalesced jobs keep only their latest time."""
    due: list[tuple[datetime, int, JobSpec]] = []
    for order, spec in enumerate(specs):
        times = fire_times(spec.trigger, after, until)
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
                coalesce=True,  # a late run covers every missed one: calendar jobs find their occurrences themselves
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
