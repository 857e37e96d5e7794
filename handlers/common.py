"""Small helpers the handlers share."""

from __future__ import annotations

from typing import Any

from bot.commands import Context
from bot.errors import UsageError
from bot.messages import Incoming, Reply
from bot.parse import fold
from bot.roles import Role
from store import audit, outbox


def number(text: str) -> int:
    """A record or request number as people type it: `12`, `#12`, `第12条`, `12号`."""
    cleaned = fold(text).strip().lstrip("#第").rstrip("条号")
    if not cleaned.isdigit() or len(cleaned) > 9:
        raise UsageError("errors.bad_number", value=text[:20])
    return int(cleaned)


async def record_action(msg: Incoming, ctx: Context, action: str, **detail: Any) -> None:
    """Write a staff action to the audit log: who, what, when, from which chat."""
    await audit.record(
        ctx.tx,
        community_id=ctx.community.id,
        actor_id=ctx.actor.resident_id if ctx.actor else None,
        action=action,
        at=ctx.now,
        where=audit.Where(msg.platform, msg.chat.id),
        **detail,
    )


def household_text(ctx: Context, label: str) -> str:
    return label or ctx.t("binding.no_household")


def personal(ctx: Context, text: str, *, note: str = "balance.sent_privately") -> Reply:
    """An answer about the asker's own numbers: privately when the community wants it so and the platform can."""
    return Reply(text, private=ctx.community.config.community.personal_answers == "private", group_note=ctx.t(note))


async def tell(ctx: Context, resident_id: int, text: str, *, kind: str = "notify") -> None:
    """Tell a resident privately (every chat account they have bound); sent once the command has committed."""
    await outbox.to_resident(
        ctx.tx, community_id=ctx.community.id, resident_id=resident_id, text=text, kind=kind, at=ctx.now
    )


async def tell_role(ctx: Context, role: Role, text: str, *, kind: str = "notify") -> None:
    """Tell everyone with a staff role privately; sent once the command has committed."""
    await outbox.to_role(ctx.tx, community_id=ctx.community.id, role=role, text=text, kind=kind, at=ctx.now)
