"""公示 / 排名: staff preview and post the monthly notice and the annual ranking; residents ask their rank."""

from __future__ import annotations

from datetime import datetime

from bot.commands import Context, command
from bot.cycle import last_ended_period, month_of, place_of, points_year, running_year
from bot.errors import DomainError, UsageError
from bot.messages import Incoming, Reply
from bot.notices import (
    Notice,
    annual_ranking,
    monthly_notice,
    next_notice,
    post_annual_ranking,
    post_monthly_notice,
    standings,
    stars_text,
    window_end,
)
from bot.parse import fold
from bot.roles import Role
from bot.rules import Period
from handlers.common import personal, record_action
from store import periods, schedule, tallies
from store.periods import PeriodState

STAFF = {Role.ADMIN, Role.REVIEWER}
ANNUAL = {"年度", "年度公示", "年度排名", "排名", "annual", "year", "ranking"}
PUBLISH = {"发布", "发送", "发", "publish", "post"}


def scheduled_notice(ctx: Context, period: Period) -> datetime:
    """When the schedule posts a period's notice: the first notice day after the period ends."""
    return next_notice(ctx.community, period.end)


@command("notice", "公示", "月度公示", roles=STAFF)
async def notice(msg: Incoming, ctx: Context) -> Reply:
    annual = publish = False
    for word in (fold(arg).lower() for arg in ctx.args):
        if word in ANNUAL:
            annual = True
        elif word in PUBLISH:
            publish = True
        else:
            raise UsageError("notices.bad_word", word=word[:20])
    if publish and not ctx.me().has(Role.ADMIN):
        raise DomainError("notices.admins_publish")
    if annual:
        return await (_publish_annual(msg, ctx) if publish else _preview_annual(ctx))
    return await (_publish_monthly(msg, ctx) if publish else _preview_monthly(ctx))


def _private(ctx: Context, status: str, shown: Notice) -> Reply:
    """A preview goes to the asker only: a draft notice is not for the group."""
    return Reply(f"{status}\n{shown.text}", private=True, group_note=ctx.t("notices.sent_privately"), image=shown.image)


async def _due_notice(ctx: Context) -> tuple[Period, PeriodState | None, bool]:
    """The monthly notice staff are asking about: the period that ended last, its state, and whether it is
    the one to publish (True) or was never the schedule's to post (it ended before the bot was running)."""
    ended = last_ended_period(ctx.now, ctx.rules)
    state = await periods.get(ctx.tx, community_id=ctx.community.id, label=ended.label)
    if state is not None:
        return ended, state, True
    if scheduled_notice(ctx, ended) > ctx.now:
        return ended, None, True  # between the end of the period and its notice day: publishing early is fine
    missed = await schedule.outcome(ctx.tx, community_id=ctx.community.id, job="monthly_notice", occurrence=ended.label)
    return ended, None, missed is not None


async def _preview_monthly(ctx: Context) -> Reply:
    t = ctx.t
    ended, state, due = await _due_notice(ctx)
    month = month_of(ended.label)
    if state is not None and not state.closed:
        status = t(
            "notices.preview.open",
            month=month,
            published=state.published_at,
            until=state.objections_until,
            count=state.objections,
            open=state.open_objections,
        )
        shown = await monthly_notice(ctx.tx, ctx.community, ended, objections_until=state.objections_until)
    elif state is None and due:
        at = scheduled_notice(ctx, ended)
        key = "notices.preview.scheduled" if at > ctx.now else "notices.preview.overdue"
        status = t(key, month=month, at=at)
        shown = await monthly_notice(
            ctx.tx, ctx.community, ended, objections_until=window_end(ctx.community, max(at, ctx.now))
        )
    else:  # the last one is closed (or was before our time): what the next notice will say so far
        running = ctx.rules.period_of(ctx.now)
        at = scheduled_notice(ctx, running)
        status = t("notices.preview.running", month=month_of(running.label), at=at)
        shown = await monthly_notice(ctx.tx, ctx.community, running, objections_until=window_end(ctx.community, at))
    return _private(ctx, status, shown)


async def _publish_monthly(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    ended, state, due = await _due_notice(ctx)
    month = month_of(ended.label)
    if state is not None and state.closed:
        return Reply(t("notices.publish.closed", month=month, closed=state.closed_at))
    if not due:
        running = ctx.rules.period_of(ctx.now)
        return Reply(t("notices.publish.not_yet", month=month_of(running.label), at=scheduled_notice(ctx, running)))
    done = await post_monthly_notice(ctx.tx, ctx.community, ended, now=ctx.now, by=ctx.me().resident_id)
    await record_action(msg, ctx, "publish_notice", period=ended.label, groups=done.queued)
    if done.groups == 0:
        return Reply(t("notices.publish.no_groups", month=month))
    if done.first_time:
        return Reply(t("notices.publish.done", month=month, groups=done.queued, until=done.state.objections_until))
    if done.queued:
        return Reply(t("notices.publish.more_groups", month=month, groups=done.queued))
    return Reply(t("notices.publish.already", month=month, published=done.state.published_at, groups=done.groups))


async def _preview_annual(ctx: Context) -> Reply:
    year = points_year(ctx.now, ctx.rules)
    shown = await annual_ranking(ctx.tx, ctx.community, year)
    return _private(ctx, ctx.t("notices.preview.annual", year=year), shown)


async def _publish_annual(msg: Incoming, ctx: Context) -> Reply:
    year = points_year(ctx.now, ctx.rules)
    queued = await post_annual_ranking(ctx.tx, ctx.community, year, now=ctx.now)
    await record_action(msg, ctx, "publish_ranking", year=year, groups=queued)
    if queued:
        return Reply(ctx.t("notices.publish.annual_done", year=year, groups=queued))
    return Reply(ctx.t("notices.publish.annual_already", year=year))


@command("rank", "排名", "我的排名", "名次", heavy=True)
async def my_rank(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    if await tallies.opted_out(ctx.tx, resident_id=me.resident_id):
        return personal(ctx, t("notices.rank.opted_out"), note="notices.sent_privately")
    key = me.household or f"#{me.resident_id}"
    who = t("notices.rank.household", household=me.household) if me.household else t("notices.rank.you")
    year = running_year(ctx.now, ctx.rules)
    ranked = await standings(ctx.tx, ctx.community, year, mask=False)
    mine = place_of(key, ranked)
    if mine is None:
        lines = [t("notices.rank.none", who=who, year=year)]
    else:
        lines = [
            t(
                "notices.rank.place",
                who=who,
                year=year,
                points=mine.tally.points,
                total=len(ranked),
                rank=mine.rank,
                stars=_stars(ctx, mine.stars),
            )
        ]
        thresholds = ctx.community.config.schedule.ranking.stars
        if mine.stars < len(thresholds):
            missing = thresholds[mine.stars] - mine.tally.points
            lines.append(t("notices.rank.next", stars=stars_text(mine.stars + 1), missing=missing))
    if ctx.rules.period_of(ctx.now).label.endswith("-01"):  # a new year has just begun: last year's result too
        last = await standings(ctx.tx, ctx.community, year - 1, mask=False)
        final = place_of(key, last)
        if final is not None:
            lines.append(
                t(
                    "notices.rank.last_year",
                    year=year - 1,
                    points=final.tally.points,
                    total=len(last),
                    rank=final.rank,
                    stars=_stars(ctx, final.stars),
                )
            )
    return personal(ctx, "\n".join(lines), note="notices.sent_privately")


def _stars(ctx: Context, count: int) -> str:
    return ctx.t("notices.rank.stars", stars=stars_text(count)) if count else ctx.t("notices.rank.no_star")
