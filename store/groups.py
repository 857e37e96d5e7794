"""Chat groups that belong to a community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update

from store.db import Tx
from store.schema import chat_groups


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    community_id: int
    platform: str
    external_id: str
    name: str
    duty: bool
    notice: bool
    active: bool


_COLUMNS = (
    chat_groups.c.id,
    chat_groups.c.community_id,
    chat_groups.c.platform,
    chat_groups.c.external_id,
    chat_groups.c.name,
    chat_groups.c.duty,
    chat_groups.c.notice,
    chat_groups.c.active,
)


_FOR_CHAT = select(*_COLUMNS).where(
    chat_groups.c.platform == bindparam("platform"), chat_groups.c.external_id == bindparam("external_id")
)


async def for_chat(tx: Tx, *, platform: str, external_id: str) -> Group | None:
    row = (await tx.execute(_FOR_CHAT, {"platform": platform, "external_id": external_id})).first()
    return Group(*row) if row else None


async def register(
    tx: Tx,
    *,
    community_id: int,
    platform: str,
    external_id: str,
    name: str,
    duty: bool,
    notice: bool,
    by: int | None,
    at: datetime,
) -> Group:
    """Make a chat one of the community's groups, or update its purpose if it already is one."""
    existing = await for_chat(tx, platform=platform, external_id=external_id)
    if existing is None:
        await tx.execute(
            chat_groups.insert().values(
                community_id=community_id,
                platform=platform,
                external_id=external_id,
                name=name,
                duty=duty,
                notice=notice,
                registered_by=by,
                created_at=at,
            )
        )
    else:
        await tx.execute(
            update(chat_groups)
            .where(chat_groups.c.id == existing.id)
            .values(community_id=community_id, name=name, duty=duty, notice=notice, active=True)
        )
    group = await for_chat(tx, platform=platform, external_id=external_id)
    assert group is not None
    return group


async def of_community(
    tx: Tx, *, community_id: int, notice: bool | None = None, duty: bool | None = None
) -> list[Group]:
    query = select(*_COLUMNS).where(chat_groups.c.community_id == community_id, chat_groups.c.active)
    if notice is not None:
        query = query.where(chat_groups.c.notice == notice)
    if duty is not None:
        query = query.where(chat_groups.c.duty == duty)
    return [Group(*row) for row in (await tx.execute(query.order_by(chat_groups.c.id))).all()]


async def deactivate(tx: Tx, *, platform: str, external_id: str) -> Group | None:
    group = await for_chat(tx, platform=platform, external_id=external_id)
    if group is not None and group.active:
        await tx.execute(update(chat_groups).where(chat_groups.c.id == group.id).values(active=False))
    return group


async def move(tx: Tx, *, platform: str, old_external_id: str, new_external_id: str) -> Group | None:
    """Follow a group to the new id its platform gave it (a Telegram group that became a supergroup).

    Its registration, purpose and history stay with it. Returns the group as it is now, or None if the old id
    was not a group of ours. If the new id is registered already, that registration stays and the old one is
    retired.
    """
    old = await for_chat(tx, platform=platform, external_id=old_external_id)
    if old is None:
        return None
    if await for_chat(tx, platform=platform, external_id=new_external_id) is None:
        await tx.execute(update(chat_groups).where(chat_groups.c.id == old.id).values(external_id=new_external_id))
    else:
        await tx.execute(update(chat_groups).where(chat_groups.c.id == old.id).values(active=False))
    return await for_chat(tx, platform=platform, external_id=new_external_id)
