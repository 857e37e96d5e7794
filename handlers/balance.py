"""我的积分 / 明细: a person's own numbers, sent privately where the platform allows."""

from __future__ import annotations

from bot.commands import Context, command
from bot.messages import Incoming, Reply
from handlers.common import personal
from store import ledger
from store import numbers as numbers_store


async def numbers(ctx: Context, *, resident_id: int, name: str, household_id: int | None, household: str) -> list[str]:
    """A resident's balance, this period's points, the household's total, what waits for review, duty now."""
    t = ctx.t
    period = ctx.rules.period_of(ctx.now)
    found = await numbers_store.of_resident(
        ctx.tx, resident_id=resident_id, household_id=household_id, period=period.label
    )
    lines = [
        t(
            "balance.summary",
            name=name,
            balance=found.balance,
            period_start=t.short_date(period.start),
            period_end=t.short_date(period.last_day),
            period_points=found.period_points,
        )
    ]
    if household_id is not None:
        lines.append(t("balance.household", household=household, points=found.household))
    if found.waiting_minutes:
        lines.append(t("balance.waiting", minutes=found.waiting_minutes, points=found.waiting_points))
    if found.on_duty is not None:
        activity, start = found.on_duty
        lines.append(t("balance.on_duty", activity=activity, start=start))
    return lines


async def history_lines(ctx: Context, *, resident_id: int, limit: int) -> list[str]:
    """A resident's newest ledger entries, one line each."""
    t = ctx.t
    return [
        t(
            "history.line",
            date=t.short_date(entry.created_at),
            what=t(f"history.kind.{entry.kind.value}", reason=entry.reason),
            points=t.points(entry.points),
            by=entry.created_by or t("history.by_bot"),
        )
        for entry in await ledger.history(ctx.tx, resident_id=resident_id, limit=limit)
    ]


@command("points", "我的积分", "积分", "查积分", "balance")
async def my_points(msg: Incoming, ctx: Context) -> Reply:
    me = ctx.me()
    lines = await numbers(
        ctx, resident_id=me.resident_id, name=me.name, household_id=me.household_id, household=me.household
    )
    return personal(ctx, "\n".join(lines))


@command("history", "明细", "积分明细")
async def history(msg: Incoming, ctx: Context) -> Reply:
    me = ctx.me()
    t = ctx.t
    lines = await history_lines(ctx, resident_id=me.resident_id, limit=10)
    if not lines:
        return personal(ctx, t("history.none", name=me.name))
    return personal(ctx, "\n".join([t("history.title", name=me.name), *lines]))
