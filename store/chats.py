"""What a chat adapter must remember across restarts: who opened a private chat with the bot, and the
questions the bot asks when a button needs more words (驳回 needs a reason)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from store.db import Tx
from store.schema import chat_prompts, private_chats

PROMPTS_KEPT = timedelta(days=14)  # a button or a question older than this is forgotten


async def set_reachable(tx: Tx, *, platform: str, user_id: str, reachable: bool, at: datetime) -> None:
    """Remember whether the bot may write to this person privately (they opened the chat, or blocked the bot)."""
    result = await tx.execute(
        update(private_chats)
        .where(private_chats.c.platform == platform, private_chats.c.user_id == user_id)
        .values(reachable=reachable, updated_at=at)
    )
    if not result.rowcount:
        await tx.execute(
            tx.insert_ignoring_conflicts(private_chats).values(
                platform=platform, user_id=user_id, reachable=reachable, updated_at=at
            )
        )


async def reachable(tx: Tx, *, platform: str, user_id: str) -> bool | None:
    """True or False as last seen; None when the person never opened a private chat with the bot."""
    found: bool | None = await tx.scalar(
        select(private_chats.c.reachable).where(
            private_chats.c.platform == platform, private_chats.c.user_id == user_id
        )
    )
    return found


@dataclass(frozen=True, slots=True)
class Asked:
    """A question the bot put to one person; their reply completes `command`."""

    command: str
    origin_message_id: str | None


async def offer(
    tx: Tx, *, platform: str, chat_id: str, message_id: str, questions: Mapping[str, str], at: datetime
) -> None:
    """The bot sent a message with buttons that ask before they act: command -> question."""
    await tx.execute(delete(chat_prompts).where(chat_prompts.c.created_at < at - PROMPTS_KEPT))
    if questions:
        await tx.execute(
            insert(chat_prompts),
            [
                {
                    "platform": platform,
                    "chat_id": chat_id,
                    "message_id": message_id,
                    "command": command,
                    "question": question,
                    "created_at": at,
                }
                for command, question in questions.items()
            ],
        )


async def question_for(tx: Tx, *, platform: str, chat_id: str, message_id: str, command: str) -> str | None:
    """The question a button of that message asks, if it asks one."""
    found: str | None = await tx.scalar(
        select(chat_prompts.c.question)
        .where(
            chat_prompts.c.platform == platform,
            chat_prompts.c.chat_id == chat_id,
            chat_prompts.c.message_id == message_id,
            chat_prompts.c.command == command,
            chat_prompts.c.asked_user_id.is_(None),
        )
        .limit(1)
    )
    return found


async def ask(
    tx: Tx,
    *,
    platform: str,
    chat_id: str,
    message_id: str,
    command: str,
    question: str,
    user_id: str,
    origin_message_id: str,
    at: datetime,
) -> None:
    """The bot put `question` to `user_id` in message `message_id`; their reply to it completes `command`."""
    await tx.execute(
        insert(chat_prompts).values(
            platform=platform,
            chat_id=chat_id,
            message_id=message_id,
            command=command,
            question=question,
            asked_user_id=user_id,
            origin_message_id=origin_message_id,
            created_at=at,
        )
    )


async def asked(tx: Tx, *, platform: str, chat_id: str, message_id: str, user_id: str) -> Asked | None:
    """The question message `message_id` put to `user_id`, whose reply to it completes a command; None if none.

    A question stays answerable until it is forgotten: a second answer meets the record already decided.
    """
    row = (
        await tx.execute(
            select(chat_prompts.c.command, chat_prompts.c.origin_message_id)
            .where(
                chat_prompts.c.platform == platform,
                chat_prompts.c.chat_id == chat_id,
                chat_prompts.c.message_id == message_id,
                chat_prompts.c.asked_user_id == user_id,
            )
            .limit(1)
        )
    ).first()
    return Asked(*row) if row else None
