"""The jobs themselves: plain coroutines named after their effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.commands import Community
from scheduler.setup import JobSpec, cron
from store import duty, outbox
from store.db import Database


async def close_forgotten_checkouts(db: Database, community: Community, now: datetime) -> int:
    """Close sessions open longer than the cap, at the cap, flagged; tell each volunteer privately."""
    t = community.t
    async with db.transaction() as tx:
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


def community_jobs(db: Database, community: Community, *, on_done: Callable[[], None] = lambda: None) -> list[JobSpec]:
    """The scheduled jobs of one community, each on the community's time zone."""
    tz = community.rules.tz

    async def close_forgotten(now: datetime) -> None:
        if await close_forgotten_checkouts(db, community, now):
            on_done()

    return [
        JobSpec(f"{community.id}:close_forgotten_checkouts", cron(tz, minute="*/15"), close_forgotten),
    ]
