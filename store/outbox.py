"""The outbox: messages the bot must send to chats other than the one it is answering.

Notices, broadcasts and private notifications are rows first and messages second. A row with a
`dedupe_key` exists at most once, so a job that runs twice (a restart, a second process) posts once. A
sender claims a row before sending and marks it after; a row left claimed by a process that died is never
resent blindly: it becomes `unknown` and staff are told.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update

from bot.messages import ChatKind, ChatRef, Image, Outgoing, UserRef
from bot.roles import Role
from store import residents
from store.db import AnyRow, Tx
from store.schema import images, outbox


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    community_id: int | None
    kind: str
    dedupe_key: str | None
    attempts: int
    message: Outgoing


_COLUMNS = (
    outbox.c.id,
    outbox.c.community_id,
    outbox.c.platform,
    outbox.c.chat_kind,
    outbox.c.chat_id,
    outbox.c.chat_title,
    outbox.c.text,
    outbox.c.mentions,
    outbox.c.image_name,
    images.c.data,
    outbox.c.kind,
    outbox.c.dedupe_key,
    outbox.c.attempts,
)


def _item(row: AnyRow) -> Item:
    (
        id_,
        community_id,
        platform,
        chat_kind,
        chat_id,
        title,
        text,
        mentions,
        image_name,
        image_data,
        kind,
        key,
        attempts,
    ) = row
    image = Image(image_name, bytes(image_data)) if image_name and image_data is not None else None
    message = Outgoing(
        chat=ChatRef(platform, chat_id, ChatKind(chat_kind), title),
        text=text,
        mentions=tuple(UserRef(i, n) for i, n in json.loads(mentions)),
        image=image,
    )
    return Item(id_, community_id, kind, key, attempts, message)


def _select() -> Any:
    return select(*_COLUMNS).select_from(outbox.outerjoin(images, images.c.id == outbox.c.image_id))


async def store_image(tx: Tx, image: Image, *, at: datetime) -> int:
    """Keep a picture once, however many rows post it (one notice, 768 groups)."""
    digest = hashlib.sha256(image.data).hexdigest()
    await tx.execute(tx.insert_ignoring_conflicts(images).values(sha256=digest, data=image.data, created_at=at))
    image_id: int = await tx.scalar(select(images.c.id).where(images.c.sha256 == digest))
    return image_id


async def enqueue(
    tx: Tx,
    *,
    community_id: int | None,
    message: Outgoing,
    kind: str,
    at: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Queue a message; with a `dedupe_key` already queued, queue nothing and return None."""
    values = {
        "community_id": community_id,
        "platform": message.chat.platform,
        "chat_kind": message.chat.kind.value,
        "chat_id": message.chat.id,
        "chat_title": message.chat.title[:120],
        "text": message.text,
        "mentions": json.dumps([[m.id, m.name] for m in message.mentions], ensure_ascii=False),
        "image_name": message.image.name if message.image else None,
        "image_id": await store_image(tx, message.image, at=at) if message.image else None,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "status": Status.PENDING.value,
        "not_before": not_before or at,
        "created_at": at,
    }
    if dedupe_key is None:
        new_id: int = await tx.scalar(insert(outbox).values(values).returning(outbox.c.id))
        return new_id
    result = await tx.execute(tx.insert_ignoring_conflicts(outbox).values(values).returning(outbox.c.id))
    return result.scalar()


async def due(tx: Tx, *, now: datetime, platforms: Iterable[str], limit: int = 100) -> list[Item]:
    """Pending rows whose time has come, oldest first."""
    rows = await tx.execute(
        _select()
        .where(
            outbox.c.status == Status.PENDING.value,
            outbox.c.not_before <= now,
            outbox.c.platform.in_(list(platforms)),
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [_item(row) for row in rows.all()]


async def next_due_at(tx: Tx, *, platforms: Iterable[str]) -> datetime | None:
    value: datetime | None = await tx.scalar(
        select(func.min(outbox.c.not_before)).where(
            outbox.c.status == Status.PENDING.value, outbox.c.platform.in_(list(platforms))
        )
    )
    return value


async def claim(tx: Tx, *, item_id: int, by: str, now: datetime) -> bool:
    """Take a pending row for sending; False if another sender took it first."""
    result = await tx.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.status == Status.PENDING.value)
        .values(status=Status.SENDING.value, claimed_by=by, claimed_at=now, attempts=outbox.c.attempts + 1)
    )
    return bool(result.rowcount == 1)


async def mark_sent(tx: Tx, *, item_id: int, now: datetime) -> None:
    await tx.execute(update(outbox).where(outbox.c.id == item_id).values(status=Status.SENT.value, sent_at=now))


async def mark_retry(tx: Tx, *, item_id: int, not_before: datetime, error: str) -> None:
    await tx.execute(
        update(outbox)
        .where(outbox.c.id == item_id)
        .values(status=Status.PENDING.value, not_before=not_before, error=error[:300], claimed_by=None)
    )


async def mark_failed(tx: Tx, *, item_id: int, error: str, reported: bool = False) -> None:
    """Give up on a row; `reported=True` when staff need not hear of it."""
    await tx.execute(
        update(outbox)
        .where(outbox.c.id == item_id)
        .values(status=Status.FAILED.value, error=error[:300], reported=reported)
    )


async def expire_claims(tx: Tx, *, claimed_before: datetime) -> int:
    """Rows claimed before `claimed_before` and never marked: their outcome is unknown. Returns how many."""
    result = await tx.execute(
        update(outbox)
        .where(outbox.c.status == Status.SENDING.value, outbox.c.claimed_at < claimed_before)
        .values(status=Status.UNKNOWN.value, error="the bot stopped while sending")
    )
    return int(result.rowcount)


async def take_unreported(tx: Tx) -> list[Item]:
    """Failed or unknown rows staff have not been told about yet; marks them told."""
    rows = (
        await tx.execute(
            _select()
            .where(outbox.c.status.in_([Status.FAILED.value, Status.UNKNOWN.value]), outbox.c.reported.is_(False))
            .order_by(outbox.c.id)
            .limit(100)
        )
    ).all()
    items = [_item(row) for row in rows]
    if items:
        await tx.execute(update(outbox).where(outbox.c.id.in_([i.id for i in items])).values(reported=True))
    return items


async def counts(tx: Tx) -> dict[str, int]:
    rows = await tx.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    return dict(rows.all())


async def to_resident(
    tx: Tx,
    *,
    community_id: int,
    resident_id: int,
    text: str,
    kind: str,
    at: datetime,
    dedupe_key: str | None = None,
) -> int:
    """Queue a private message to every chat account the resident has bound; returns how many were queued."""
    queued = 0
    for _, platform, external_id in await residents.accounts_of(tx, [resident_id]):
        key = f"{dedupe_key}:{platform}" if dedupe_key else None
        if await to_account(
            tx,
            community_id=community_id,
            platform=platform,
            external_id=external_id,
            text=text,
            kind=kind,
            at=at,
            dedupe_key=key,
        ):
            queued += 1
    return queued


async def to_account(
    tx: Tx,
    *,
    community_id: int,
    platform: str,
    external_id: str,
    text: str,
    kind: str,
    at: datetime,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a private message to one chat account, bound or not (someone whose binding was turned down)."""
    message = Outgoing(ChatRef(platform, external_id, ChatKind.PRIVATE), text)
    return (
        await enqueue(tx, community_id=community_id, message=message, kind=kind, at=at, dedupe_key=dedupe_key)
        is not None
    )


async def to_role(tx: Tx, *, community_id: int, role: Role, text: str, kind: str, at: datetime) -> int:
    """Queue a private message to everyone holding a staff role in the community."""
    queued = 0
    for resident_id in await residents.with_role(tx, community_id=community_id, role=role):
        queued += await to_resident(tx, community_id=community_id, resident_id=resident_id, text=text, kind=kind, at=at)
    return queued
