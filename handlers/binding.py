"""绑定 / 绑定申请 / 确认绑定: a person asks to be linked to a resident; an admin confirms.

On platforms whose ids can change (WeChat), an unbound account that carries a bound resident's name gets a
request that moves the binding, which an admin confirms like any other (`unbound_account`).
"""

from __future__ import annotations

from bot.commands import Community, Context, command
from bot.errors import UsageError
from bot.messages import Incoming, Reply
from bot.parse import clean_name
from bot.roles import Role
from handlers.common import household_text, number, record_action
from store import binding, outbox
from store.db import Tx

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
        + (t("rebind.pending_note") if r.replaces_account_id is not None else "")
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
        replaced=done.replaced,
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
    if done.replaced is not None:
        new = t("rebind.old_unlinked")
    return Reply(t("binding.confirmed", name=done.name, household=household, new=new).strip())


async def unbound_account(tx: Tx, msg: Incoming, community: Community) -> Reply | None:
    """What an unbound account hears when its id may have changed; None when no bound resident matches.

    Staff are asked (once) to confirm moving the binding; the person is told it is being checked, without
    learning whom their name matched.
    """
    t = community.t
    display_name = clean_name(msg.sender.name, limit=60)
    proposal = await binding.propose_rebind(
        tx,
        community_id=community.id,
        platform=msg.platform,
        external_id=msg.sender.id,
        display_name=display_name,
        at=msg.sent_at,
    )
    if proposal is None:
        return None
    if not proposal.new:
        return Reply(t("rebind.waiting", number=proposal.request_id))
    await outbox.to_role(
        tx,
        community_id=community.id,
        role=Role.ADMIN,
        kind="notify",
        at=msg.sent_at,
        text=t(
            "rebind.notify_staff",
            number=proposal.request_id,
            account=display_name,
            name=proposal.name,
            household=proposal.household or t("binding.no_household"),
        ),
    )
    return Reply(t("rebind.requested", number=proposal.request_id))
