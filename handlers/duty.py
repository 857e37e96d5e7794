"""签到 / 签退: volunteers open and close duty sessions from the group chat."""

from __future__ import annotations

from bot.commands import Context, command
from bot.errors import DomainError
from bot.messages import Incoming, Reply
from bot.parse import clean_name
from store import duty, groups
from store.records import Flag, Status


@command("checkin", "签到", "上岗", "check-in")
async def check_in(msg: Incoming, ctx: Context) -> Reply:
    me = ctx.me()
    if ctx.group is not None and not ctx.group.duty:
        duty_groups = await groups.of_community(ctx.tx, community_id=ctx.community.id, duty=True)
        raise DomainError("duty.not_duty_group", groups="、".join(g.name for g in duty_groups) or "-")
    activity = clean_name(ctx.rest, limit=30) or ctx.t("duty.default_activity")
    session = await duty.check_in(
        ctx.tx,
        community_id=ctx.community.id,
        resident_id=me.resident_id,
        activity=activity,
        at=ctx.now,
        group_id=ctx.group.id if ctx.group else None,
    )
    return Reply(ctx.t("duty.checked_in", activity=activity, start=ctx.t.time(session.started_at)))


@command("checkout", "签退", "下岗", "check-out")
async def check_out(msg: Incoming, ctx: Context) -> Reply:
    me = ctx.me()
    t = ctx.t
    content = clean_name(ctx.rest, limit=200)
    record = await duty.check_out(ctx.tx, rules=ctx.rules, resident_id=me.resident_id, at=ctx.now, content=content)
    lines = [
        t(
            "duty.checked_out",
            activity=record.activity,
            start=t.time(record.started_at),
            end=t.time(record.ended_at),
            minutes=record.minutes,
        )
    ]
    if record.content:
        lines.append(t("duty.content", content=record.content))
    if record.flag is Flag.CAPPED:
        lines.append(t("duty.capped", hours=ctx.rules.max_session_hours))
    if record.status is Status.NOT_COUNTED:
        lines.append(t("duty.too_short", min=ctx.rules.min_minutes))
    elif record.status is Status.APPROVED:
        lines.append(t("duty.approved", points=record.points))
    else:
        lines.append(t("duty.pending", points=record.points, number=record.id))
    return Reply("\n".join(lines))
