"""The jobs themselves: plain coroutines named after their effect, and the list of one community's jobs."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from bot import notices
from bot.calendar import is_exchange_day
from bot.commands import Community
from bot.config import WEEKDAYS
from bot.cycle import last_ended_period, month_of, points_year
from scheduler.occasions import Calendar, Occasion, Occurrence
from scheduler.setup import DailyTrigger, EveryTrigger, JobSpec
from store import duty, outbox, periods
from store.db import Database, Tx

SWEEP_MINUTES = 15
REMINDER_GRACE = timedelta(hours=1)  # a duty reminder an hour late is noise, not help


async def close_forgotten_checkouts(db: Database, community: Community, now: datetime) -> int:
    """Close sessions open longer than the cap, at the cap, flagged; tell each volunteer privately."""
    t = community.t
    async with db.transaction(offload=True) as tx:
        closed = await duty.close_overdue(tx, rules=community.rules, community_id=community.id, now=now)
        for record in closed:
            await outbox.to_resident(
                tx,
                community_id=community.id,
                resident_id=record.resident_id,
                kind="notify",
                at=now,
                dedupe_key=f"auto_closed:{record.id}",
                text=t(
                    "duty.auto_closed",
                    start=record.started_at,
                    activity=record.activity,
                    hours=community.rules.max_session_hours,
                ),
            )
    return len(closed)


def _local_day(community: Community, moment: datetime) -> date:
    return moment.astimezone(community.rules.tz).date()


def occasions(community: Community) -> list[Occasion]:
    """The calendar jobs of one community, from its configuration."""
    config, rules, t = community.config, community.rules, community.t
    tz = rules.tz
    plan = config.schedule
    grace = timedelta(days=plan.catch_up_days)
    notice_day = config.notice_day
    exchange = config.exchange

    async def post_monthly_notice(tx: Tx, o: Occurrence) -> None:
        period = rules.period(o.key)
        if await periods.get(tx, community_id=community.id, label=period.label) is None:  # staff may have been first
            await notices.post_monthly_notice(tx, community, period, now=o.now)

    async def announce_exchange_day(tx: Tx, o: Occurrence) -> None:
        await notices.post_exchange_notice(
            tx, community, date.fromisoformat(o.key), today=_local_day(community, o.now), now=o.now
        )

    async def send_weekly_summary(tx: Tx, o: Occurrence) -> None:
        end = datetime.combine(_local_day(community, o.due_at), time(), tzinfo=tz)
        await notices.post_weekly_summary(tx, community, end - timedelta(days=7), end, now=o.now)

    async def post_annual_ranking(tx: Tx, o: Occurrence) -> None:
        await notices.post_annual_ranking(tx, community, int(o.key), now=o.now)

    def missed(key: str, what: Callable[[str], str] = str) -> Callable[[Occurrence], str]:
        return lambda o: t(f"schedule.missed.{key}", due=o.due_at, what=what(o.key), days=plan.catch_up_days)

    def day(key: str) -> str:
        return t.short_date(date.fromisoformat(key))

    def month(label: str) -> str:
        return str(month_of(label))

    found = [
        Occasion(
            "monthly_notice",
            DailyTrigger(tz, plan.notice.time, lambda d: d.day == notice_day, f"day {notice_day} of each month"),
            key=lambda due: last_ended_period(due, rules).label,
            work=post_monthly_notice,
            grace=grace,
            missed=missed("monthly_notice", month),
        ),
        Occasion(
            "exchange_day",
            DailyTrigger(tz, exchange.announce_time, lambda d: is_exchange_day(exchange, d), "exchange days"),
            key=lambda due: _local_day(community, due).isoformat(),
            work=announce_exchange_day,
            grace=min(grace, timedelta(hours=12)),
            missed=missed("exchange_day", day),
        ),
    ]
    ahead = timedelta(days=exchange.announce_days_before)
    if ahead:
        found.append(
            Occasion(
                "exchange_ahead",
                DailyTrigger(
                    tz, exchange.announce_time, lambda d: is_exchange_day(exchange, d + ahead), "before exchange days"
                ),
                key=lambda due: (_local_day(community, due) + ahead).isoformat(),
                work=announce_exchange_day,
                grace=min(grace, ahead - timedelta(hours=1)) if ahead > timedelta(hours=1) else ahead,
                missed=missed("exchange_ahead", day),
            )
        )
    if plan.weekly.enabled:
        weekday = WEEKDAYS.index(plan.weekly.day)
        found.append(
            Occasion(
                "weekly_summary",
                DailyTrigger(tz, plan.weekly.time, lambda d: d.weekday() == weekday, f"every {plan.weekly.day}"),
                key=lambda due: (_local_day(community, due) - timedelta(days=7)).isoformat(),
                work=send_weekly_summary,
                grace=grace,
                missed=missed("weekly_summary", day),
            )
        )
    if plan.ranking.enabled:
        month_day = plan.ranking.month_day
        found.append(
            Occasion(
                "annual_ranking",
                DailyTrigger(
                    tz, plan.ranking.time, lambda d: (d.month, d.day) == month_day, f"every {plan.ranking.date}"
                ),
                key=lambda due: str(points_year(due, rules)),
                work=post_annual_ranking,
                grace=grace,
                missed=missed("annual_ranking"),
            )
        )
    for index, reminder in enumerate(plan.reminders):
        days = {WEEKDAYS.index(day) for day in reminder.days}

        async def remind(tx: Tx, o: Occurrence, index: int = index) -> None:
            await notices.post_reminder(tx, community, index, _local_day(community, o.due_at), now=o.now)

        found.append(
            Occasion(
                f"reminder:{index + 1}",
                DailyTrigger(tz, reminder.time, lambda d, days=days: d.weekday() in days, "reminder"),  # type: ignore[misc]
                key=lambda due: _local_day(community, due).isoformat(),
                work=remind,
                grace=REMINDER_GRACE,
            )
        )
    return found


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def community_jobs(db: Database, community: Community, *, on_done: Callable[[], None] = lambda: None) -> list[JobSpec]:
    """The scheduled jobs of one community, each on the community's time zone.

    Coalesced jobs look at the state of things and run once after any gap, also at start-up; each calendar
    job fires its own occurrences; the sweep every quarter hour catches anything a firing missed.
    """
    tz = community.rules.tz

    async def report(tx: Tx, lines: Sequence[str], now: datetime) -> None:
        await notices.report_missed(tx, community, lines, now=now)

    calendar = Calendar(db, community, occasions(community), worker=worker_name(), report=report, on_done=on_done)

    async def close_forgotten(now: datetime) -> None:
        if await close_forgotten_checkouts(db, community, now):
            on_done()

    async def close_periods(now: datetime) -> None:
        async with db.transaction(offload=True) as tx:
            closed = await notices.close_due_periods(tx, community, now=now, by=worker_name())
        if closed:
            on_done()

    async def sweep(now: datetime) -> None:
        await close_periods(now)
        await calendar.catch_up(now)

    every = EveryTrigger(tz, SWEEP_MINUTES)
    return [
        JobSpec(f"{community.id}:close_forgotten_checkouts", every, close_forgotten),
        JobSpec(f"{community.id}:sweep", every, sweep),
        # Objection windows end at the notice's time of day: look then, every day, so that a period closes
        # on the dot in virtual time too (the sweep above would only see it at the end of a jump).
        JobSpec(
            f"{community.id}:close_periods",
            DailyTrigger(tz, community.config.schedule.notice.time),
            close_periods,
            coalesce=False,
        ),
        *calendar.specs(),
    ]
