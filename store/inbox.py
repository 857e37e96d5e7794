"""Handled messages: each (platform, chat, message id) once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from store.db import Tx
from store.schema import inbox

_MARK = {  # built once: every message passes here
    "sqlite": sqlite.insert(inbox).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(inbox).on_conflict_do_nothing(),
}


async def mark_handled(tx: Tx, *, platform: str, chat_id: str, message_id: str, at: datetime) -> bool:
    """Record the message as handled; False when it was handled before (a redelivery)."""
    result = await tx.execute(
        _MARK[tx.dialect], {"platform": platform, "chat_id": chat_id, "message_id": message_id, "received_at": at}
    )
    return bool(result.rowcount)
