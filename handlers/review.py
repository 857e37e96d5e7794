"""待审核 / 通过 / 驳回 / 补录: staff review service records and record services after the fact."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import Context, command
from bot.errors import DomainError, UsageError
from bot.messages import Action, Incoming, Reply
from bot.parse import clean_name
from bot.roles import Role
from bot.timeparse import TimeFormatError, looks_like_date_or_time, parse_span
from handlers.common import number, record_action, tell
from store import records, residents
from store.records import Flag, Record

REVIEWERS = {Role.REVIEWER}


def _flag(ctx: Context, record: Record) -> str:
    return ctx.t(f"review.flag.{record.flag.value}") if record.flag is not Flag.NONE else ""


@command("pending", "待审核", "审核", roles=REVIEWERS)
async def pending(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    waiting, total = await records.pending(ctx.tx, community_id=ctx.community.id, limit=20)
    if not waiting:
        return Reply(t("review.none_pending"))
    lines = [t("review.pending_title", total=total)]
    actions: list[Action] = []
    for record in waiting:
        lines.append(
            t(
                "review.pending_line",
                number=record.id,
                name=record.name,
                activity=t("review.with_content", activity=record.activity, content=record.content)
                if record.content
                else record.activity,
                start=record.started_at,
                end=t.time(record.ended_at),
                minutes=record.minutes,
                points=record.points,
                flag=_flag(ctx, record),
            )
        )
        actions.append(Action(t("review.button_approve", number=record.id), f"通过 {record.id}"))
        actions.append(
            Action(
                t("review.button_reject", number=record.id),
                f"驳回 {record.id}",
                ask=t("review.ask_reason", number=record.id, name=record.name, activity=record.activity),
            )
        )
    if total > len(waiting):
        lines.append(t("review.pending_more", more=total - len(waiting)))
    lines.append(t("review.pending_hint"))
    return Reply("\n".join(lines), actions=tuple(actions))


def _numbers(ctx: Context) -> list[int]:
    if not ctx.args:
        raise UsageError("review.need_number")
    found: list[int] = []
    for arg in ctx.args:
        for piece in arg.replace("、", ",").split(","):
            if piece:
                value = number(piece)
                if value not in found:
                    found.append(value)
    return found


@command("approve", "通过", roles=REVIEWERS)
async def approve(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    lines: list[str] = []
    for record_id in _numbers(ctx)[:50]:
        try:
            async with ctx.tx.savepoint():
                record = await records.approve(
                    ctx.tx,
                    rules=ctx.rules,
                    community_id=ctx.community.id,
                    record_id=record_id,
                    reviewer_id=me.resident_id,
                    at=ctx.now,
                )
                await record_action(msg, ctx, "approve", record=record_id, resident=record.name, points=record.points)
                await tell(
                    ctx,
                    record.resident_id,
                    t(
                        "review.notify_approved",
                        activity=record.activity,
                        start=record.started_at,
                        minutes=record.minutes,
                        points=record.points,
                        reviewer=me.name,
                    ),
                )
        except DomainError as error:
            if len(ctx.args) == 1:
                raise
            lines.append(t(error.message_key, **error.params))
            continue
        lines.append(
            t(
                "review.approved",
                number=record.id,
                name=record.name,
                activity=record.activity,
                minutes=record.minutes,
                points=record.points,
            )
        )
    return Reply("\n".join(lines))


@command("reject", "驳回", "不通过", roles=REVIEWERS)
async def reject(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    if not ctx.args:
        raise UsageError("review.need_number")
    record_id = number(ctx.args[0])
    reason = clean_name(ctx.rest.partition(" ")[2], limit=200)
    if not reason:
        raise UsageError("review.need_reason")
    record = await records.reject(
        ctx.tx,
        community_id=ctx.community.id,
        record_id=record_id,
        reviewer_id=me.resident_id,
        reason=reason,
        at=ctx.now,
    )
    await record_action(msg, ctx, "reject", record=record_id, resident=record.name, reason=reason)
    await tell(
        ctx,
        record.resident_id,
        t(
            "review.notify_rejected",
            activity=record.activity,
            start=record.started_at,
            reason=reason,
            reviewer=me.name,
        ),
    )
    return Reply(t("review.rejected", number=record.id, name=record.name, activity=record.activity, reason=reason))


@command("record", "补录", roles=REVIEWERS)
async def record_service(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    args = ctx.args
    first_time = next((i for i, a in enumerate(args) if i >= 1 and looks_like_date_or_time(a)), None)
    if len(args) < 3 or first_time is None:
        raise UsageError()
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(args[0]))
    activity = clean_name(" ".join(args[1:first_time]), limit=30) or t("duty.default_activity")
    try:
        start, end = parse_span(args[first_time:], now=ctx.now, tz=ctx.rules.tz)
    except TimeFormatError as error:
        raise UsageError("errors.bad_time", value=error.value[:30]) from None
    if end <= start:
        raise UsageError("review.end_before_start")
    if end > ctx.now:
        raise DomainError("review.in_future", end=end)
    if end - start > timedelta(hours=ctx.rules.max_session_hours):
        raise DomainError("review.too_long", hours=ctx.rules.max_session_hours)
    record = await records.create(
        ctx.tx,
        rules=ctx.rules,
        community_id=ctx.community.id,
        resident_id=resident.id,
        activity=activity,
        started_at=start,
        ended_at=end,
        minutes=int((end - start).total_seconds() // 60),
        at=ctx.now,
        recorded_by=me.resident_id,
    )
    await record_action(msg, ctx, "record", record=record.id, resident=resident.name, minutes=record.minutes)
    lines = [
        t(
            "review.recorded",
            name=resident.name,
            activity=activity,
            start=start,
            end=t.time(end),
            minutes=record.minutes,
        )
    ]
    if record.status is records.Status.NOT_COUNTED:
        lines.append(t("duty.too_short", min=ctx.rules.min_minutes))
    elif record.status is records.Status.APPROVED:
        lines.append(t("review.recorded_approved", points=record.points, reviewer=me.name))
    else:
        lines.append(t("review.recorded_own", number=record.id))
    return Reply("\n".join(lines))
