"""登记本群: an admin makes a chat group one of the community's groups."""

from __future__ import annotations

from bot.commands import Context, command
from bot.errors import DomainError, UsageError
from bot.messages import Incoming, Reply
from bot.parse import clean_name, fold
from bot.roles import Role
from handlers.common import record_action
from store import groups

_PURPOSES = {
    "": (True, True, "both"),
    "全部": (True, True, "both"),
    "都是": (True, True, "both"),
    "both": (True, True, "both"),
    "值班": (True, False, "duty"),
    "值班群": (True, False, "duty"),
    "duty": (True, False, "duty"),
    "公示": (False, True, "notice"),
    "公示群": (False, True, "notice"),
    "通知": (False, True, "notice"),
    "notice": (False, True, "notice"),
}


@command("register", "登记本群", "登记群", roles={Role.ADMIN}, before_registration=True)
async def register(msg: Incoming, ctx: Context) -> Reply:
    if msg.chat.is_private:
        raise DomainError("groups.only_in_group")
    purpose = _PURPOSES.get(fold(ctx.rest).lower())
    if purpose is None:
        raise UsageError("groups.bad_purpose")
    duty, notice, label = purpose
    group = await groups.register(
        ctx.tx,
        community_id=ctx.community.id,
        platform=msg.platform,
        external_id=msg.chat.id,
        name=clean_name(msg.chat.title, limit=120) or msg.chat.id,
        duty=duty,
        notice=notice,
        by=ctx.me().resident_id,
        at=ctx.now,
    )
    await record_action(msg, ctx, "register_group", group=group.name, chat=msg.chat.id, purpose=label)
    return Reply(ctx.t("groups.registered", community=ctx.community.name, purpose=ctx.t(f"groups.purpose.{label}")))
