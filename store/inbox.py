"""Handled messages: each (platform, chat, message id) once."""

from __future__ import annotations

from datetime import datetime

from store.db import Tx
from store.schema import inbox


async def mark_handled(tx: Tx, *, platform: str, chat_id: str, message_id: str, at: datetime) -> bool:
    """Record the message as handled; False when it was handled before (a redelivery)."""
    result = await tx.execute(
        tx.insert_ignoring_conflicts(inbox),
        {"platform": platform, "chat_id": chat_id, "message_id": message_id, "received_at": at},
    )
    return bool(result.rowcount)
