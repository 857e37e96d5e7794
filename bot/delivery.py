"""Sending: every message leaves through here, paced to what each platform allows.

Direct replies are sent at once (after the pacing wait). Outbox rows are claimed, sent and marked one by
one, so that a restart resumes where the last run stopped and never sends a row twice; failures are
retried with back-off, and what cannot be sent is reported to the community's staff.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from datetime import timedelta

from bot.commands import Community
from bot.messages import ChatKind, ChatRef, Outgoing
from bot.ports import RateLimits, SendError, Transport
from bot.roles import Role
from scheduler.clock import Clock
from store import groups, outbox
from store.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)  # a claim older than this belongs to a sender that died


class Limiter:
    """Per-chat and overall spacing between messages, in the monotonic time of `loop.time()`."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._chat_next: dict[str, float] = {}
        self._chat_burst: dict[str, int] = {}
        self._overall_next = 0.0

    def delay(self, chat_id: str, now: float) -> float:
        wait = max(0.0, self._overall_next - now)
        if self._chat_burst.get(chat_id, 0) >= self.limits.per_chat_burst:
            wait = max(wait, self._chat_next.get(chat_id, 0.0) - now)
        return wait

    def take(self, chat_id: str, now: float, count: int = 1) -> None:
        """Use the next slot; `count` > 1 reserves the time of that many messages sent back to back."""
        self._overall_next = now + self.limits.overall_interval * count
        if now >= self._chat_next.get(chat_id, 0.0):
            self._chat_burst[chat_id] = 0
        self._chat_burst[chat_id] = self._chat_burst.get(chat_id, 0) + count
        self._chat_next[chat_id] = now + self.limits.per_chat_interval * count


class Sender:
    def __init__(
        self,
        *,
        db: Database,
        transports: Mapping[str, Transport],
        clock: Clock,
        communities: Iterable[Community] = (),
        paced: bool = True,
    ) -> None:
        self.db = db
        self.transports = transports
        self.clock = clock
        self.communities = {c.id: c for c in communities}
        self.paced = paced
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.limiters = {p: Limiter(t.limits) for p, t in transports.items()}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def _pace(self, message: Outgoing) -> None:
        """Wait for the message's turn. A picture after the text is a second message on the platform."""
        if not self.paced:
            return
        limiter = self.limiters[message.chat.platform]
        loop = asyncio.get_running_loop()
        while (wait := limiter.delay(message.chat.id, loop.time())) > 0:  # noqa: ASYNC110  # waiting for time to pass, not for an event
            await asyncio.sleep(wait)
        limiter.take(message.chat.id, loop.time(), count=2 if message.image is not None else 1)

    async def send_now(self, messages: Iterable[Outgoing]) -> None:
        """Send direct replies in order. A reply that cannot be sent is logged, never raised."""
        for message in messages:
            transport = self.transports.get(message.chat.platform)
            if transport is None:
                log.error("no transport for platform %s; reply dropped", message.chat.platform)
                continue
            for attempt in range(3):
                await self._pace(message)
                try:
                    await transport.send(message)
                    break
                except SendError as error:
                    if error.retry_after is None or attempt == 2 or error.retry_after > 60:
                        log.warning("reply to %s:%s not sent: %s", message.chat.platform, message.chat.id, error)
                        if error.chat_gone:
                            await self.chat_gone(message.chat)
                        break
                    await asyncio.sleep(error.retry_after)

    async def deliver_due(self) -> int:
        """Send every outbox row that is due now and that pacing allows; returns how many were sent."""
        sent = 0
        async with self.db.snapshot() as tx:
            items = await outbox.due(tx, now=self.clock.now(), platforms=self.transports)
        for item in items:
            message = item.message
            await self._pace(message)
            async with self.db.transaction() as tx:
                if not await outbox.claim(tx, item_id=item.id, by=self.name, now=self.clock.now()):
                    continue  # another sender has it
            try:
                await self.transports[message.chat.platform].send(message)
            except SendError as error:
                await self._failed(item, error)
                continue
            except Exception as error:  # a bug or a broken connection: retry later, never resend blindly
                log.exception("sending outbox row %s failed unexpectedly", item.id)
                await self._failed(item, SendError(type(error).__name__, retry_after=30))
                continue
            async with self.db.transaction() as tx:
                await outbox.mark_sent(tx, item_id=item.id, now=self.clock.now())
            sent += 1
        return sent

    async def _failed(self, item: outbox.Item, error: SendError) -> None:
        now = self.clock.now()
        chat = item.message.chat
        async with self.db.transaction() as tx:
            if error.retry_after is not None and item.attempts < MAX_ATTEMPTS:
                backoff = max(error.retry_after, min(600.0, 2.0**item.attempts))
                await outbox.mark_retry(
                    tx, item_id=item.id, not_before=now + timedelta(seconds=backoff), error=error.reason
                )
                log.info(
                    "outbox row %s to %s:%s retries in %.0fs: %s",
                    item.id,
                    chat.platform,
                    chat.id,
                    backoff,
                    error.reason,
                )
                return
            # A person who never opened a private chat with the bot, or blocked it, cannot be written to;
            # that is their choice and nothing staff could resend, so it is logged, not reported.
            private_gone = error.chat_gone and chat.kind is ChatKind.PRIVATE
            await outbox.mark_failed(tx, item_id=item.id, error=error.reason, reported=private_gone)
            log.warning("outbox row %s to %s:%s failed: %s", item.id, chat.platform, chat.id, error.reason)
        if error.chat_gone:
            await self.chat_gone(chat)
        await self.report_problems()

    async def chat_gone(self, chat: ChatRef) -> None:
        """The bot can no longer post in this group (removed, or the group is gone): stop using it, tell staff.

        Called by whoever learns it first: a failed send (reply or outbox row) or the platform's own event.
        The admins are told once, when the group turns inactive; `登记本群` brings it back.
        """
        if chat.kind is not ChatKind.GROUP:
            return
        async with self.db.transaction() as tx:
            group = await groups.deactivate(tx, platform=chat.platform, external_id=chat.id)
            if group is None or not group.active:
                return
            log.warning("group %s (%s) marked inactive: the bot can no longer post there", group.name, chat.id)
            community = self.communities.get(group.community_id)
            if community is not None:
                await outbox.to_role(
                    tx,
                    community_id=community.id,
                    role=Role.ADMIN,
                    text=community.t("delivery.group_gone", group=group.name),
                    kind="staff_report",
                    at=self.clock.now(),
                )
        self.wake()

    async def recover(self) -> int:
        """At start: rows a dead sender left claimed become `unknown` (never resent blindly); staff are told."""
        async with self.db.transaction() as tx:
            count = await outbox.expire_claims(tx, claimed_before=self.clock.now() - CLAIM_LEASE)
        await self.report_problems()
        return count

    async def report_problems(self) -> None:
        """Tell each community's admins, privately, about messages that failed or may not have arrived."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            for item in await outbox.take_unreported(tx):
                community = self.communities.get(item.community_id or -1)
                if community is None or item.kind == "staff_report":
                    continue
                t = community.t
                chat = item.message.chat
                where = chat.title or chat.id
                text = t(
                    "delivery.problem",
                    where=where,
                    kind=t(f"outbox.kind.{item.kind}") if t.has(f"outbox.kind.{item.kind}") else item.kind,
                    excerpt=item.message.text[:40],
                )
                await outbox.to_role(
                    tx, community_id=community.id, role=Role.ADMIN, text=text, kind="staff_report", at=now
                )

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver outbox rows until `stop` is set, waking on `wake()` or when the next row falls due."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.deliver_due()
                async with self.db.snapshot() as tx:
                    next_at = await outbox.next_due_at(tx, platforms=self.transports)
            except Exception:
                log.exception("outbox delivery pass failed; trying again shortly")
                next_at = None
                await asyncio.sleep(5)
            timeout = 30.0
            if next_at is not None:
                timeout = min(timeout, max(0.05, (next_at - self.clock.now()).total_seconds()))
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
