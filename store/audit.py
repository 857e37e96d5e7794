"""The audit log: every staff action, append-only.

This module only ever inserts and reads. The database refuses UPDATE and DELETE on the table (and TRUNCATE
on PostgreSQL) with triggers created by migration 0700, so no code path, bug or hand-typed SQL through the
bot's connection can change the past.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select

from store.db import Tx
from store.schema import accounts, audit_log, chat_groups, residents


@dataclass(frozen=True, slots=True)
class Where:
    """Where an action was taken from: the chat platform and chat id (empty for the command line)."""

    platform: str = ""
    chat_id: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: datetime
    actor: str  # the person's name; "" for the bot itself or its configuration file
    action: str
    detail: dict[str, Any]
    platform: str
    chat_id: str
    group: str  # the group's name when the action was taken in a known group
    private: bool  # taken in a private chat (its id is a person's account id)


async def record(
    tx: Tx, *, community_id: int, actor_id: int | None, action: str, at: datetime, where: Where, **detail: Any
) -> None:
    await tx.execute(
        insert(audit_log).values(
            community_id=community_id,
            actor_id=actor_id,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            platform=where.platform,
            chat_id=where.chat_id,
            created_at=at,
        )
    )


async def latest(tx: Tx, *, community_id: int, limit: int = 20, actor_id: int | None = None) -> list[Entry]:
    """The newest entries first, optionally only those of one actor."""
    query = (
        select(
            audit_log.c.id,
            audit_log.c.created_at,
            residents.c.name,
            audit_log.c.action,
            audit_log.c.detail,
            audit_log.c.platform,
            audit_log.c.chat_id,
            chat_groups.c.name,
            accounts.c.id,
        )
        .outerjoin(residents, residents.c.id == audit_log.c.actor_id)
        .outerjoin(
            chat_groups,
            and_(chat_groups.c.platform == audit_log.c.platform, chat_groups.c.external_id == audit_log.c.chat_id),
        )
        .outerjoin(
            accounts,
            and_(accounts.c.platform == audit_log.c.platform, accounts.c.external_id == audit_log.c.chat_id),
        )
        .where(audit_log.c.community_id == community_id)
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    if actor_id is not None:
        query = query.where(audit_log.c.actor_id == actor_id)
    return [
        Entry(id_, at, actor or "", action, json.loads(detail), platform, chat_id, group or "", account is not None)
        for id_, at, actor, action, detail, platform, chat_id, group, account in (await tx.execute(query)).all()
    ]
