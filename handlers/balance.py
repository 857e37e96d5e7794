"""我的积分 / 明细: a person's own numbers, sent privately where the platform allows."""

from __future__ import annotations

from bot.commands import Context, command
from bot.messages import Incoming, Reply
from handlers.common import personal
from store import duty, ledger, records


async def numbers(ctx: Context, *, resident_id: int, name: str, household_id: int | None, household: str) -> list[str]:
    """A resident's balance, this period's points, the household's total, what waits for review, duty now."""
    t = ctx.t
    period = ctx.rules.period_of(ctx.now)
    lines = [
        t(
            "balance.summary",
            name=name,
            balance=await ledger.balance(ctx.tx, resident_id),
            period_start=t.short_date(period.start),
            period_end=t.short_date(period.last_day),
            period_points=await ledger.period_points(ctx.tx, resident_id=resident_id, period=period.label),
        )
    ]
    if household_id is not None:
        lines.append(
            t("balance.household", household=household, points=await ledger.household_balance(ctx.tx, household_id))
        )
    minutes, points = await records.waiting(ctx.tx, resident_id=resident_id)
    if minutes:
        lines.append(t("balance.waiting", minutes=minutes, points=points))
    session = await duty.open_session(ctx.tx, resident_id=resident_id)
    if session is not None:
        lines.append(t("balance.on_duty", activity=session.activity, start=session.started_at))
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
