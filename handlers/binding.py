"""绑定 / 绑定申请 / 确认绑定 / 驳回绑定 / 绑定码 / 解绑: linking chat accounts to residents, always through staff.

Two ways in: a person asks (`绑定 姓名 门牌号`) and an admin confirms, or an admin gives the person a one-time
code (`绑定码 姓名`) that the person sends to the bot privately (`绑定 482913`). A request that is wrong is
turned down (`驳回绑定 编号 原因`) and the person told why. A display name never decides
who someone is, and changing a link (`解绑`) is for admins only.

On platforms whose ids can change (WeChat), an unbound account that carries a bound resident's name gets a
request that moves the binding, which an admin confirms like any other (`unbound_account`).
"""

from __future__ import annotations

from bot.commands import Community, Context, command
from bot.errors import BindingProblem, DomainError, UsageError
from bot.messages import Incoming, Reply
from bot.parse import clean_name, fold
from bot.roles import Role
from handlers.common import household_text, number, record_action, tell, tell_role
from store import audit, binding, codes, outbox, residents
from store.db import Tx

ADMINS = {Role.ADMIN}


@command("bind", "绑定", "绑定身份", roles=(), before_registration=True)
async def bind(msg: Incoming, ctx: Context) -> Reply:
    """Works in groups the bot does not serve yet too: binding is about the person, and a code said in any
    group must be burnt."""
    t = ctx.t
    if len(ctx.args) == 1 and codes.looks_like_code(fold(ctx.args[0])):
        return await _bind_with_code(msg, ctx, fold(ctx.args[0]))
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
    await tell_role(
        ctx,
        Role.ADMIN,
        t(
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
    await tell(ctx, done.resident_id, t("binding.welcome", name=done.name, household=household))
    new = t("binding.new_resident") if done.created_resident else ""
    if done.replaced is not None:
        new = t("rebind.old_unlinked")
    return Reply(t("binding.confirmed", name=done.name, household=household, new=new).strip())


@command("reject_binding", "驳回绑定", "拒绝绑定", roles=ADMINS)
async def reject_binding(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    if not ctx.args:
        raise UsageError()
    request_id = number(ctx.args[0])
    reason = clean_name(" ".join(ctx.args[1:]), limit=100) or t("binding.no_reason")
    req = await binding.reject(
        ctx.tx, community_id=ctx.community.id, request_id=request_id, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(msg, ctx, "reject_binding", request=request_id, name=req.name, reason=reason)
    await outbox.to_account(
        ctx.tx,
        community_id=ctx.community.id,
        platform=req.platform,
        external_id=req.external_id,
        text=t("binding.rejected_notice", name=req.name, household=household_text(ctx, req.household), reason=reason),
        kind="notify",
        at=ctx.now,
    )
    return Reply(t("binding.rejected", number=request_id, name=req.name, reason=reason))


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


async def _bind_with_code(msg: Incoming, ctx: Context, code: str) -> Reply:
    """`绑定 482913`. Said in a group the code is burnt, whoever said it: everyone there has read it."""
    t = ctx.t
    if not msg.chat.is_private:
        found = await codes.find(ctx.tx, community_id=ctx.community.id, code=code, at=ctx.now)
        if found is not None:
            await codes.void(ctx.tx, code_id=found.id, reason="said_in_group", at=ctx.now)
            resident = await residents.get(ctx.tx, found.resident_id)
            await record_action(
                msg, ctx, "void_code", resident=resident.name, reason="said_in_group", account=msg.sender.id
            )
            await _tell_issuer(ctx, found, t("codes.notify_said_in_group", name=resident.name))
        return Reply(t("codes.said_in_group"))  # the same words whether the code was good: no hint to guessers
    if ctx.actor is not None:
        return Reply(t("binding.you_are", name=ctx.actor.name, household=household_text(ctx, ctx.actor.household)))
    found = await codes.find(ctx.tx, community_id=ctx.community.id, code=code, at=ctx.now)
    if found is None:
        for worn in await codes.count_wrong_try(ctx.tx, community_id=ctx.community.id, at=ctx.now):
            resident = await residents.get(ctx.tx, worn.resident_id)
            await _tell_issuer(ctx, worn, t("codes.notify_guessed", name=resident.name))
        return Reply(t("codes.wrong"))
    resident = await residents.get(ctx.tx, found.resident_id)
    if await residents.account_of(ctx.tx, resident_id=resident.id, platform=msg.platform) is not None:
        raise BindingProblem("binding.resident_taken", name=resident.name)
    account_id = await residents.ensure_account(
        ctx.tx,
        platform=msg.platform,
        external_id=msg.sender.id,
        display_name=clean_name(msg.sender.name, limit=60),
        at=ctx.now,
    )
    if not await codes.use(ctx.tx, code_id=found.id, account_id=account_id, at=ctx.now):
        raise DomainError("codes.wrong")
    await residents.bind_account(ctx.tx, account_id=account_id, resident_id=resident.id, by=found.issued_by, at=ctx.now)
    await audit.record(  # the resident linked themselves: they are the actor
        ctx.tx,
        community_id=ctx.community.id,
        actor_id=resident.id,
        action="bind_with_code",
        at=ctx.now,
        where=audit.Where(msg.platform, msg.chat.id),
        resident=resident.name,
        platform=msg.platform,
        account=msg.sender.id,
    )
    return Reply(t("binding.welcome", name=resident.name, household=household_text(ctx, resident.household)))


async def _tell_issuer(ctx: Context, code: codes.Code, text: str) -> None:
    await tell(ctx, code.issued_by, text)


@command("bind_code", "绑定码", "code", roles=ADMINS, private_only=True)
async def bind_code(msg: Incoming, ctx: Context) -> Reply:
    """An admin gets a one-time code for a resident (a new one if a house number is given and nobody matches)."""
    t = ctx.t
    if not ctx.args:
        raise UsageError()
    household = clean_name(" ".join(ctx.args[1:]), limit=30)
    new = ""
    if household:
        name = clean_name(ctx.args[0], limit=30)
        resident_id = await residents.find_exact(ctx.tx, community_id=ctx.community.id, name=name, household=household)
        if resident_id is None:
            new = t("binding.new_resident")
            resident_id = await residents.create_resident(
                ctx.tx, community_id=ctx.community.id, name=name, household=household, at=ctx.now
            )
        resident = await residents.get(ctx.tx, resident_id)
    else:
        resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.args[0]))
    code = codes.new_code(ctx.rng)
    expires = await codes.issue(
        ctx.tx, community_id=ctx.community.id, resident_id=resident.id, code=code, by=ctx.me().resident_id, at=ctx.now
    )
    await record_action(msg, ctx, "issue_code", resident=resident.name)  # never the code itself
    return Reply(
        t(
            "codes.issued",
            name=resident.name,
            household=household_text(ctx, resident.household),
            code=code,
            minutes=int(codes.LIFETIME.total_seconds() // 60),
            until=t.time(expires),
        )
        + (f"\n{new}" if new else "")
    )


@command("unbind", "解绑", "解除绑定", roles=ADMINS)
async def unbind(msg: Incoming, ctx: Context) -> Reply:
    """An admin unlinks every chat account of a resident, so they can bind again (a new phone, a mistake)."""
    t = ctx.t
    if not ctx.args:
        raise UsageError()
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.rest))
    if resident.id == ctx.me().resident_id:
        raise DomainError("codes.not_yourself")
    platforms = await residents.unbind(ctx.tx, resident_id=resident.id)
    if not platforms:
        return Reply(t("codes.nothing_to_unbind", name=resident.name))
    await record_action(msg, ctx, "unbind", resident=resident.name, platforms=",".join(platforms))
    return Reply(t("codes.unbound", name=resident.name, count=len(platforms)))
