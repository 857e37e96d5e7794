"""异议 / 异议列表 / 处理异议: residents question a published notice; reviewers settle, correcting if need be."""

from __future__ import annotations

import re

from bot.commands import Context, command
from bot.cycle import month_of
from bot.errors import DomainError, UsageError
from bot.messages import Incoming, Reply
from bot.notices import close_due_periods, next_notice, window_end
from bot.parse import clean_name, fold
from bot.roles import Role
from handlers.common import household_text, number, record_action, tell, tell_role
from store import objections, periods

REVIEWERS = {Role.REVIEWER}
MAX_CORRECTION = 10_000
_POINTS = re.compile(r"^([+-])(\d{1,5})分?$")


@command("objection", "异议", "提异议", "有异议")
async def file_objection(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    text = clean_name(ctx.rest, limit=300)
    if not text:
        raise UsageError()
    current = next(
        (
            p
            for p in reversed(await periods.open_ones(ctx.tx, community_id=ctx.community.id))
            if p.accepts_objections(ctx.now)
        ),
        None,
    )
    if current is None:
        start = next_notice(ctx.community, ctx.now)
        raise DomainError("objections.outside_window", start=start, end=window_end(ctx.community, start))
    objection = await objections.file(
        ctx.tx, community_id=ctx.community.id, period=current.label, resident_id=me.resident_id, text=text, at=ctx.now
    )
    await tell_role(
        ctx,
        Role.REVIEWER,
        t(
            "objections.notify_staff",
            number=objection.id,
            name=me.name,
            household=household_text(ctx, me.household),
            month=month_of(current.label),
            text=text,
        ),
        kind="objection",
    )
    return Reply(
        t("objections.filed", number=objection.id, month=month_of(current.label), until=current.objections_until),
        private=True,
        group_note=t("objections.filed_in_group"),
    )


@command("objections", "异议列表", "查异议", roles=REVIEWERS)
async def list_objections(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    found, total = await objections.open_ones(ctx.tx, community_id=ctx.community.id, limit=20)
    if not found:
        return Reply(t("objections.none_open"))
    lines = [t("objections.list_title", total=total)]
    for item in found:
        lines.append(
            t(
                "objections.list_line",
                number=item.id,
                name=item.name,
                household=household_text(ctx, item.household),
                month=month_of(item.period),
                text=item.text,
                at=item.created_at,
            )
        )
    if total > len(found):
        lines.append(t("objections.list_more", more=total - len(found)))
    lines.append(t("objections.list_hint"))
    return Reply("\n".join(lines))


@command("settle", "处理异议", "答复异议", roles=REVIEWERS)
async def settle_objection(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    if len(ctx.args) < 2:
        raise UsageError()
    objection_id = number(ctx.args[0])
    _, _, rest = ctx.rest.partition(" ")
    points = 0
    first, _, remainder = rest.partition(" ")
    match = _POINTS.match(fold(first))
    if match:
        points = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
        if points == 0 or abs(points) > MAX_CORRECTION:
            raise UsageError("objections.bad_points", limit=MAX_CORRECTION)
        rest = remainder
    result = clean_name(rest, limit=300)
    if not result:
        raise UsageError("objections.need_result")
    done = await objections.settle(
        ctx.tx,
        community_id=ctx.community.id,
        objection_id=objection_id,
        by=me.resident_id,
        result=result,
        points=points,
        at=ctx.now,
    )
    await record_action(
        msg, ctx, "settle_objection", objection=objection_id, resident=done.name, points=points, result=result
    )
    month = month_of(done.period)
    change = t("objections.change", points=t.points(points)) if points else t("objections.no_change")
    await tell(
        ctx,
        done.resident_id,
        t("objections.notify_settled", month=month, text=done.text, result=result, change=change, by=me.name),
    )
    lines = [t("objections.settled", number=objection_id, name=done.name, result=result, change=change)]
    if done.period in await close_due_periods(ctx.tx, ctx.community, now=ctx.now):
        lines.append(t("objections.period_closed", month=month))
    return Reply("\n".join(lines))
