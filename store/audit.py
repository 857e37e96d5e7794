"""The audit log: every staff action, append-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from store.db import Tx
from store.schema import audit_log


@dataclass(frozen=True, slots=True)
class Where:
    """Where an action was taken from: the chat platform and chat id (empty for the command line)."""

    platform: str = ""
    chat_id: str = ""


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
