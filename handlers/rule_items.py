"""规则 / 加分 / 扣分 / 撤销加扣分: the community's bonus and deduction items 加分项 / 扣分项.

Reviewers apply an item by its code; the ledger entry names the item, the remark and who applied it, and
the resident is told privately. Caps and the floor (扣完为止) are the store's to enforce.
"""

from __future__ import annotations

import difflib

from bot.commands import Context, command
from bot.config import RuleItem
from bot.errors import DomainError, UsageError
from bot.i18n import Phrase
from bot.messages import Incoming, Reply
from bot.parse import clean_name
from bot.roles import Role
from handlers.common import number, record_action, tell
from store import ledger, residents, rule_items

REVIEWERS = {Role.REVIEWER}
MAX_LINES = 40  # a longer list is shown category by category


def _items(ctx: Context) -> list[RuleItem]:
    return ctx.community.config.rules.items


def find_item(ctx: Context, text: str, *, bonus: bool) -> RuleItem:
    """The item with this code (or exactly this name); otherwise a "did you mean" listing close ones."""
    wanted = text.strip().casefold()
    for item in _items(ctx):
        if wanted in (item.code.casefold(), item.name.casefold()):
            if item.is_bonus != bonus:
                other = "items.kind.bonus" if item.is_bonus else "items.kind.deduction"
                raise DomainError("items.wrong_kind", code=item.code, name=item.name, kind=Phrase(other))
            return item
    candidates = {i.code: i for i in _items(ctx) if i.is_bonus == bonus} | {
        i.name: i for i in _items(ctx) if i.is_bonus == bonus
    }
    close = difflib.get_close_matches(text.strip(), list(candidates), n=3, cutoff=0.5)
    if not close:
        close = [w for w in candidates if wanted and (wanted in w.casefold() or w.casefold() in wanted)][:3]
    found = list(dict.fromkeys(f"{candidates[w].code} {candidates[w].name}" for w in close))
    kind = Phrase("items.kind.bonus" if bonus else "items.kind.deduction")
    if found:
        raise DomainError("items.did_you_mean", code=text[:20], kind=kind, suggestions="、".join(found))
    raise DomainError("items.no_such_item", code=text[:20], kind=kind)


def _caps(ctx: Context, cap_per_period: int | None, cap_per_year: int | None) -> str:
    parts = []
    if cap_per_period:
        parts.append(ctx.t("items.cap_note_period", limit=cap_per_period))
    if cap_per_year:
        parts.append(ctx.t("items.cap_note_year", limit=cap_per_year))
    return ctx.t("items.cap_note", caps="，".join(parts)) if parts else ""


def _item_line(ctx: Context, item: RuleItem) -> str:
    floor = "" if item.is_bonus or item.until_zero else ctx.t("items.not_until_zero")
    return ctx.t(
        "items.line",
        code=item.code,
        name=item.name,
        points=ctx.t.points(item.points),
        caps=_caps(ctx, item.cap_per_period, item.cap_per_year) + floor,
    )


@command("rules", "规则", "积分规则", "加分项")
async def show_rules(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    config = ctx.community.config.rules
    wanted = clean_name(ctx.rest, limit=30)
    deductions = wanted.casefold() in {"扣分", "扣分项", "deduction", "deductions"}
    categories = list(dict.fromkeys(i.category for i in config.items))
    if wanted and not deductions and wanted.casefold() not in {"加分", "加分项", "bonus"}:
        if wanted not in categories:
            raise DomainError(
                "items.no_such_category", category=wanted, categories="、".join(c or "-" for c in categories)
            )
        chosen = [i for i in config.items if i.category == wanted]
        title = t("items.title_category", category=wanted)
    else:
        chosen = [i for i in config.items if i.is_bonus != deductions]
        title = t("items.title_deductions" if deductions else "items.title_bonus")
    if not chosen:
        return Reply(t("items.none"))
    lines = [title]
    groups = list(dict.fromkeys(i.category for i in chosen))
    if len(chosen) + len(groups) > MAX_LINES:
        for name in groups:
            count = sum(1 for i in chosen if i.category == name)
            lines.append(t("items.category_count", category=name or t("items.no_category"), count=count))
        lines.append(t("items.pick_category"))
        return Reply("\n".join(lines))
    for name in groups:
        category = config.category(name)
        caps = _caps(ctx, category.cap_per_period, category.cap_per_year) if category else ""
        lines.append(t("items.category", category=name or t("items.no_category"), caps=caps))
        lines += [_item_line(ctx, i) for i in chosen if i.category == name]
    if not wanted:
        others = sum(1 for i in config.items if i.is_bonus == deductions)
        if others:
            lines.append(t("items.see_deductions" if not deductions else "items.see_bonus", count=others))
    return Reply("\n".join(lines))


async def _apply(msg: Incoming, ctx: Context, *, bonus: bool) -> Reply:
    t = ctx.t
    me = ctx.me()
    if len(ctx.args) < 2:
        raise UsageError()
    resident = await residents.find_by_name(ctx.tx, community_id=ctx.community.id, name=clean_name(ctx.args[0]))
    item = find_item(ctx, ctx.args[1], bonus=bonus)
    remark = clean_name(" ".join(ctx.args[2:]), limit=100)
    if bonus and resident.id == me.resident_id:
        raise DomainError("items.own_bonus")
    applied = await rule_items.apply(
        ctx.tx,
        community_id=ctx.community.id,
        rules=ctx.rules,
        item=item,
        category=ctx.community.config.rules.category(item.category),
        resident=resident,
        remark=remark,
        shared_pool=ctx.community.config.households.pool == "shared",
        by=me.resident_id,
        at=ctx.now,
    )
    await record_action(
        msg,
        ctx,
        "bonus" if bonus else "deduction",
        application=applied.id,
        resident=resident.name,
        item=item.code,
        points=applied.points,
        remark=remark,
    )
    balance = await ledger.balance(ctx.tx, resident.id)
    what = f"{item.code} {item.name}" + (f"（{remark}）" if remark else "")
    lines = [
        t(
            "items.applied_bonus" if bonus else "items.applied_deduction",
            name=resident.name,
            points=abs(applied.points),
            item=what,
            number=applied.id,
            balance=balance,
        )
    ]
    if applied.capped is not None:
        lines.append(t("items.capped", cap=applied.capped, points=abs(applied.points)))
    if applied.floored:
        lines.append(t("items.floored", points=abs(applied.points)))
    if not bonus and len(applied.entries) > 1:
        lines.append(t("items.from_household"))
    lines.append(t("items.undo_hint", number=applied.id))
    await tell(
        ctx,
        resident.id,
        t(
            "items.notify_bonus" if bonus else "items.notify_deduction",
            points=abs(applied.points),
            item=what,
            by=me.name,
            balance=balance,
        ),
    )
    return Reply("\n".join(lines))


@command("bonus", "加分", roles=REVIEWERS)
async def bonus(msg: Incoming, ctx: Context) -> Reply:
    return await _apply(msg, ctx, bonus=True)


@command("deduct", "扣分", roles=REVIEWERS)
async def deduct(msg: Incoming, ctx: Context) -> Reply:
    return await _apply(msg, ctx, bonus=False)


@command("revoke", "撤销加扣分", "撤销加分", "撤销扣分", roles=REVIEWERS)
async def revoke(msg: Incoming, ctx: Context) -> Reply:
    t = ctx.t
    me = ctx.me()
    if not ctx.args:
        raise UsageError()
    application_id = number(ctx.args[0])
    reason = clean_name(" ".join(ctx.args[1:]), limit=100) or t("items.default_revoke_reason")
    done = await rule_items.revoke(
        ctx.tx,
        community_id=ctx.community.id,
        application_id=application_id,
        reason=t("items.revoke_entry_reason", number=application_id, reason=reason),
        period=ctx.rules.period_of(ctx.now).label,
        by=me.resident_id,
        at=ctx.now,
    )
    resident = await residents.get(ctx.tx, done.resident_id)
    await record_action(msg, ctx, "revoke", application=application_id, resident=resident.name, reason=reason)
    what = f"{done.item_code} {done.item_name}"
    await tell(
        ctx,
        done.resident_id,
        t("items.notify_revoked", item=what, points=t.points(-done.points), reason=reason, by=me.name),
    )
    return Reply(
        t("items.revoked", number=application_id, name=resident.name, item=what, points=t.points(-done.points))
    )
