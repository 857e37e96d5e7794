"""迁户: staff move a resident to another household; the resident's history goes with them."""

from __future__ import annotations

from bot.commands import Context, command
from bot.errors import UsageError
from bot.messages import Incoming, Reply
from bot.parse import clean_name
from bot.roles import Role
from handlers.common import household_text, record_action
from store import households, ledger, residents

ADMINS = {Role.ADMIN}


@command("move", "迁户", "换户", roles=ADMINS)
async def move(msg: Incoming, ctx: Context) -> Reply:
    if len(ctx.args) < 2:
        raise UsageError()
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.args[0]))
    target = clean_name(" ".join(ctx.args[1:]), limit=30)
    if not target:
        raise UsageError()
    new_id = await households.move(
        ctx.tx, community_id=ctx.community.id, resident=resident, household=target, at=ctx.now
    )
    await record_action(msg, ctx, "move_household", resident=resident.name, old=resident.household, new=target)
    old_total = await ledger.household_balance(ctx.tx, resident.household_id) if resident.household_id else 0
    return Reply(
        ctx.t(
            "households.moved",
            name=resident.name,
            old=household_text(ctx, resident.household),
            new=target,
            balance=await ledger.balance(ctx.tx, resident.id),
            old_total=old_total,
            new_total=await ledger.household_balance(ctx.tx, new_id),
        )
    )
