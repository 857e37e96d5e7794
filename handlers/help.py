"""帮助: the commands this person may use, each with its usage and an example."""

from __future__ import annotations

from bot.commands import Context, command
from bot.messages import Incoming, Reply


@command("help", "帮助", "菜单", "命令", "?", "说明", roles=(), before_registration=True)
async def show_help(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    roles = ctx.actor.roles if ctx.actor else frozenset()
    if ctx.args:
        wanted = ctx.registry.find(ctx.args[0].lstrip("/"))
        if wanted is not None and wanted.allows(roles):
            name = wanted.name
            return Reply(
                t(
                    "help.detail",
                    usage=t(f"cmd.{name}.usage"),
                    summary=t(f"cmd.{name}.summary"),
                    example=t(f"cmd.{name}.example"),
                )
            )
    lines = [t("help.title", bot=ctx.community.bot_name)]
    registered = msg.chat.is_private or ctx.group is not None
    for spec in ctx.registry.usable_by(roles):
        if registered or spec.before_registration:
            lines.append(t("help.line", usage=t(f"cmd.{spec.name}.usage"), summary=t(f"cmd.{spec.name}.summary")))
    if not registered:
        lines.append(t("groups.registration_hint"))
    elif ctx.actor is None:
        lines.append(t("help.bind_hint"))
    lines.append(t("help.more"))
    return Reply("\n".join(lines))
