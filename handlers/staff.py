"""设置角色 / 取消角色 / 查询 / 操作记录: who is staff, what staff may see about a resident, and the audit log.

Every change of role and every look at a resident's record is written to the audit log, which staff read
with 操作记录 and nobody can edit.
"""

from __future__ import annotations

from typing import Any

from bot.commands import Context, command
from bot.errors import DomainError, UsageError
from bot.i18n import catalogue, placeholders
from bot.messages import Incoming, Reply
from bot.parse import clean_name, fold
from bot.roles import STAFF_ROLES, Role
from handlers import balance
from handlers.common import record_action
from store import audit, residents

ADMINS = {Role.ADMIN}
STAFF = STAFF_ROLES

_ROLE_WORDS = {
    "管理员": Role.ADMIN,
    "admin": Role.ADMIN,
    "审核员": Role.REVIEWER,
    "审核人": Role.REVIEWER,
    "审核": Role.REVIEWER,
    "reviewer": Role.REVIEWER,
    "收银员": Role.CASHIER,
    "收银": Role.CASHIER,
    "cashier": Role.CASHIER,
}


def _name_and_role(ctx: Context) -> tuple[str, Role]:
    if len(ctx.args) < 2:
        raise UsageError()
    role = _ROLE_WORDS.get(fold(ctx.args[-1]).lower())
    if role is None:
        raise UsageError("staff.bad_role", value=clean_name(ctx.args[-1], limit=20))
    return clean_name(" ".join(ctx.args[:-1])), role


@command("grant_role", "设置角色", "授权", "grant-role", roles=ADMINS)
async def grant_role(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    name, role = _name_and_role(ctx)
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=name)
    role_name = t(f"staff.role.{role.value}")
    if not await residents.grant_role(
        ctx.tx,
        community_id=ctx.community.id,
        resident_id=resident.id,
        role=role,
        source="command",
        by=ctx.me().resident_id,
        at=ctx.now,
    ):
        return Reply(t("staff.already_has", name=resident.name, role=role_name))
    await record_action(msg, ctx, "grant_role", resident=resident.name, role=role.value)
    return Reply(t("staff.granted", name=resident.name, role=role_name))


@command("revoke_role", "取消角色", "撤销角色", "revoke-role", roles=ADMINS)
async def revoke_role(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    name, role = _name_and_role(ctx)
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=name)
    role_name = t(f"staff.role.{role.value}")
    source = (await residents.roles_of(ctx.tx, resident_id=resident.id)).get(role)
    if source is None:
        return Reply(t("staff.does_not_have", name=resident.name, role=role_name))
    if source == "config":  # the file would grant it again at the next start
        raise DomainError("staff.role_from_config", name=resident.name, role=role_name)
    if role is Role.ADMIN and resident.id == ctx.me().resident_id:
        raise DomainError("staff.not_your_own_admin")
    await residents.revoke_role(ctx.tx, resident_id=resident.id, role=role)
    await record_action(msg, ctx, "revoke_role", resident=resident.name, role=role.value)
    return Reply(t("staff.revoked", name=resident.name, role=role_name))


@command("lookup", "查询", "查居民", roles=STAFF, private_only=True)
async def lookup(msg: Incoming, ctx: Context) -> Reply:
    """A resident's numbers for staff, in a private chat only, and written to the audit log."""
    t = ctx.t
    if not ctx.args:
        raise UsageError()
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.rest))
    lines = await balance.numbers(
        ctx,
        resident_id=resident.id,
        name=resident.name,
        household_id=resident.household_id,
        household=resident.household,
    )
    platforms = sorted({p for _, p, _ in await residents.accounts_of(ctx.tx, [resident.id])})
    lines.append(t("staff.lookup_accounts", platforms="、".join(platforms)) if platforms else t("staff.lookup_unbound"))
    if await residents.rank_opt_out(ctx.tx, resident_id=resident.id):
        lines.append(t("staff.lookup_opted_out"))
    lines += await balance.history_lines(ctx, resident_id=resident.id, limit=5)
    lines.append(t("staff.lookup_audited"))
    await record_action(msg, ctx, "lookup", resident=resident.name)
    return Reply("\n".join(lines))


@command("audit_log", "操作记录", "audit", roles=STAFF, private_only=True)
async def audit_log(msg: Incoming, ctx: Context) -> Reply:
    """The newest staff actions (or one person's): who did what, when, and from which chat."""
    t = ctx.t
    actor_id = None
    if ctx.args:
        actor_id = (await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.rest))).id
    entries = await audit.latest(ctx.tx, community_id=ctx.community.id, limit=20, actor_id=actor_id)
    if not entries:
        return Reply(t("staff.audit_empty"))
    lines = [t("staff.audit_title")]
    for entry in entries:
        lines.append(
            t(
                "staff.audit_line",
                number=entry.id,
                at=entry.at,
                who=entry.actor or t("staff.audit_by_bot"),
                what=_describe(ctx, entry.action, entry.detail),
                where=_where(ctx, entry),
            )
        )
    return Reply("\n".join(lines))


def _describe(ctx: Context, action: str, detail: dict[str, Any]) -> str:
    """An audit entry in words; actions this version has no sentence for are shown as they were stored."""
    t = ctx.t
    key = f"staff.action.{action}"
    values = {k: clean_name(str(v), limit=60) for k, v in detail.items()}
    if "role" in values and t.has(f"staff.role.{values['role']}"):
        values["role"] = t(f"staff.role.{values['role']}")
    if t.has(key) and placeholders(catalogue()[key][t.language]) <= set(values):
        return t(key, **values)
    shown = "，".join(f"{k}={v}" for k, v in sorted(values.items()))
    return f"{action}（{shown}）" if shown else action


def _where(ctx: Context, entry: audit.Entry) -> str:
    if not entry.platform:
        return ctx.t("staff.audit_where_config")
    if entry.group:
        return entry.group
    if entry.private:
        return ctx.t("staff.audit_where_private")
    return ctx.t("staff.audit_where_chat", chat=clean_name(entry.chat_id, limit=40))
