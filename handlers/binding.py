"""绑定 / 绑定申请 / 确认绑定: a person asks to be linked to a resident; an admin confirms."""

from __future__ import annotations

from bot.commands import Context, command
from bot.errors import UsageError
from bot.messages import Incoming, Reply
from bot.parse import clean_name
from bot.roles import Role
from handlers.common import household_text, number, record_action
from store import binding, outbox

ADMINS = {Role.ADMIN}


@command("bind", "绑定", "绑定身份", roles=())
async def bind(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    if ctx.actor is not None:
        return Reply(t("binding.you_are", name=ctx.actor.name, household=household_text(ctx, ctx.actor.household)))
    if len(ctx.args) < 2:
        raise UsageError()
    name = clean_name(ctx.args[0], limit=30)
    household = clean_name(" ".join(ctx.args[1:]), limit=30)
    if not name or not household:
        raise UsageError()
    request_id = await binding.request(
        ctx.tx,
        community_id=ctx.community.id,
        platform=msg.platform,
        external_id=msg.sender.id,
        display_name=clean_name(msg.sender.name, limit=60),
        name=name,
        household=household,
        at=ctx.now,
    )
    await outbox.to_role(
        ctx.tx,
        community_id=ctx.community.id,
        role=Role.ADMIN,
        kind="notify",
        at=ctx.now,
        text=t(
            "binding.notify_staff",
            number=request_id,
            name=name,
            household=household,
            account=clean_name(msg.sender.name, limit=60) or msg.sender.id,
        ),
    )
    return Reply(t("binding.requested", number=request_id, name=name, household=household))


@command("requests", "绑定申请", "待绑定", roles=ADMINS)
async def requests(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    waiting = await binding.pending(ctx.tx, community_id=ctx.community.id)
    if not waiting:
        return Reply(t("binding.none_pending"))
    lines = [t("binding.pending_title")]
    lines += [
        t(
            "binding.pending_line",
            number=r.id,
            name=r.name,
            household=r.household,
            account=r.display_name or r.external_id,
            at=r.created_at,
        )
        for r in waiting[:30]
    ]
    return Reply("\n".join(lines))


@command("confirm", "确认绑定", roles=ADMINS)
async def confirm(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    if len(ctx.args) != 1:
        raise UsageError()
    request_id = number(ctx.args[0])
    done = await binding.confirm(
        ctx.tx, community_id=ctx.community.id, request_id=request_id, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(
        msg,
        ctx,
        "confirm_binding",
        request=request_id,
        resident=done.name,
        platform=done.platform,
        account=done.external_id,
    )
    household = household_text(ctx, done.household)
    await outbox.to_resident(
        ctx.tx,
        community_id=ctx.community.id,
        resident_id=done.resident_id,
        kind="notify",
        at=ctx.now,
        text=t("binding.welcome", name=done.name, household=household),
    )
    new = t("binding.new_resident") if done.created_resident else ""
    return Reply(t("binding.confirmed", name=done.name, household=household, new=new).strip())
