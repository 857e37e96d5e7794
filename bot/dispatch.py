"""From an incoming message to the replies: parse, find the command, check who may use it, run the
handler in one transaction, and turn every outcome into words a person can read.

This is the one place where errors become replies. A domain error shows its sentence; anything else is
logged with its context and the chat sees one polite sentence, never the exception.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from bot.commands import Command, Community, Context, Registry
from bot.errors import DomainError, GroupNotRegistered, NotAllowed, NotBound, UsageError
from bot.flood import FloodGuard, Verdict
from bot.i18n import Translator
from bot.messages import ChatKind, ChatRef, Incoming, Outgoing, Reply
from bot.parse import MAX_INPUT_CHARS, Parsed, parse
from bot.ports import Transport
from handlers import binding
from store import groups, inbox, residents
from store.db import Database, Tx
from store.groups import Group
from store.residents import Actor

log = logging.getLogger(__name__)


def _said(parsed: Parsed) -> str:
    """A command as the flood guard compares it: `／签到` and `签到` are the same words."""
    return f"{parsed.word} {parsed.rest}"


class _Duplicate(Exception):
    """The message was handled before: roll back and say nothing."""


@dataclass(frozen=True, slots=True)
class _Scope:
    community: Community | None
    group: Group | None
    actor: Actor | None
    registered: bool  # a private chat, or a registered group


class Communities:
    """The communities this installation serves, by id."""

    def __init__(self, items: Sequence[Community]) -> None:
        self.by_id = {c.id: c for c in items}
        self.bot_names = frozenset(c.bot_name for c in items)

    @property
    def default(self) -> Community | None:
        """The community to use when nothing says which: the only one, if there is only one."""
        return next(iter(self.by_id.values())) if len(self.by_id) == 1 else None

    def __iter__(self) -> Iterator[Community]:
        return iter(self.by_id.values())


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        communities: Communities,
        registry: Registry,
        transports: Mapping[str, Transport],
        on_commit: Callable[[], None] = lambda: None,
        extra_bot_names: Sequence[str] = (),
        flood: FloodGuard | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.communities = communities
        self.registry = registry
        self.transports = transports
        self.on_commit = on_commit
        self.bot_names = communities.bot_names | set(extra_bot_names)
        self.flood = flood
        self.rng = rng or random.SystemRandom()
        fallback = communities.default
        self.fallback_t = fallback.t if fallback else Translator()

    async def handle(self, msg: Incoming) -> list[Outgoing]:
        """The replies to one message: none for chatter, a duplicate, or an unknown word in a group."""
        parsed = parse(
            msg.text,
            bot_names=self.bot_names,
            known_words=self.registry.words,
            addressed=msg.addressed or msg.chat.is_private,
        )
        if parsed is None:
            return []
        spec = self.registry.find(parsed.word)
        if spec is None and not (msg.chat.is_private or parsed.addressed):
            return []  # people talk in groups: an unknown word there is not for the bot
        if self.flood is not None:
            verdict = self.flood.check(msg, _said(parsed))
            if verdict is Verdict.IGNORE:
                return []
            if verdict is not Verdict.PASS:
                return [self._reply_to(msg, self.fallback_t(f"errors.{verdict.value}"))]
        try:
            if spec is None:
                return await self._unknown(msg, parsed)
            return await self._run(msg, parsed, spec)
        except Exception:
            log.exception(
                "unexpected error handling message %s from %s in %s:%s (command %r)",
                msg.message_id,
                msg.sender.id,
                msg.platform,
                msg.chat.id,
                parsed.word,
            )
            return [self._reply_to(msg, self.fallback_t("errors.unexpected"))]

    async def _run(self, msg: Incoming, parsed: Parsed, spec: Command) -> list[Outgoing]:
        scope: _Scope | None = None
        refused = False
        try:
            async with self.db.transaction(offload=spec.offloaded) as tx:
                scope = await self._scope(tx, msg)
                reply = await self._call(tx, msg, parsed, spec, scope)
                if not await inbox.mark_handled(
                    tx, platform=msg.platform, chat_id=msg.chat.id, message_id=msg.message_id, at=msg.sent_at
                ):
                    raise _Duplicate
                tx.after_commit.append(self.on_commit)
            if self.flood is not None:
                self.flood.carried_out(msg, _said(parsed))
        except _Duplicate:
            return []
        except DomainError as error:
            # The handler's changes are rolled back; remember the message so a redelivery stays silent.
            t = scope.community.t if scope and scope.community else self.fallback_t
            reply = Reply(self._explain(t, error, spec))
            async with self.db.transaction() as tx:
                if not await inbox.mark_handled(
                    tx, platform=msg.platform, chat_id=msg.chat.id, message_id=msg.message_id, at=msg.sent_at
                ):
                    return []
                if isinstance(error, NotBound) and scope and scope.community and self._ids_may_change(msg.platform):
                    reply = await binding.unbound_account(tx, msg, scope.community) or reply
                    tx.after_commit.append(self.on_commit)
            refused = True
        if parsed.truncated:
            t = scope.community.t if scope and scope.community else self.fallback_t
            reply = Reply(
                reply.text + "\n" + t("errors.truncated", limit=MAX_INPUT_CHARS),
                reply.private,
                reply.group_note,
                reply.image,
                reply.actions,
            )
        return await self._render(msg, reply, refused=refused)

    async def _call(self, tx: Tx, msg: Incoming, parsed: Parsed, spec: Command, scope: _Scope) -> Reply:
        community = scope.community
        if not scope.registered and not spec.before_registration:
            raise GroupNotRegistered()
        if community is None:
            raise DomainError("errors.no_community")
        if spec.staff_only and scope.actor is None:
            raise NotAllowed()
        if spec.needs_binding and scope.actor is None:
            raise NotBound()
        if not spec.allows(scope.actor.roles if scope.actor else ()):
            raise NotAllowed()
        if spec.private_only and not msg.chat.is_private:
            raise DomainError("errors.private_only", command=community.t(f"cmd.{spec.name}.usage"))
        ctx = Context(
            tx=tx,
            community=community,
            actor=scope.actor,
            group=scope.group,
            args=parsed.args,
            rest=parsed.rest,
            now=msg.sent_at,
            command=spec,
            registry=self.registry,
            rng=self.rng,
        )
        return await spec.handler(msg, ctx)

    async def _scope(self, tx: Tx, msg: Incoming) -> _Scope:
        actor = await residents.actor_for(tx, platform=msg.platform, external_id=msg.sender.id)
        own = self.communities.by_id.get(actor.community_id) if actor else None
        if msg.chat.is_private:
            return _Scope(own or self.communities.default, None, actor, registered=True)
        group = await groups.for_chat(tx, platform=msg.platform, external_id=msg.chat.id)
        if group is None or not group.active:
            # Not one of ours yet: only help and registration work, in the asker's own community.
            return _Scope(own or self.communities.default, None, actor, registered=False)
        community = self.communities.by_id.get(group.community_id)
        if actor is not None and actor.community_id != group.community_id:
            actor = None  # bound in another community: a stranger here
        return _Scope(community, group, actor, registered=True)

    async def _unknown(self, msg: Incoming, parsed: Parsed) -> list[Outgoing]:
        """An unknown word spoken to the bot directly: suggestions."""
        async with self.db.snapshot() as tx:
            scope = await self._scope(tx, msg)
        t = scope.community.t if scope.community else self.fallback_t
        roles = scope.actor.roles if scope.actor else frozenset()
        found = self.registry.suggest(parsed.word, roles)
        if found:
            text = t(
                "errors.did_you_mean",
                word=parsed.word,
                suggestions="、".join(t(f"cmd.{c.name}.usage") for c in found),
            )
        else:
            text = t("errors.unknown_command", word=parsed.word)
        return await self._render(msg, Reply(text), refused=True)

    def _ids_may_change(self, platform: str) -> bool:
        """Whether the platform may give a person a new id (WeChat after the bot's WeChat logs in again)."""
        return bool(getattr(self.transports.get(platform), "ids_may_change", False))

    def _explain(self, t: Translator, error: DomainError, spec: Command) -> str:
        if isinstance(error, UsageError):
            problem = t(error.message_key, **error.params) if error.message_key != UsageError.key else ""
            usage = t("errors.usage", usage=t(f"cmd.{spec.name}.usage"), example=t(f"cmd.{spec.name}.example"))
            return f"{problem}\n{usage}" if problem else usage
        return t(error.message_key, **error.params)

    def _reply_to(self, msg: Incoming, text: str) -> Outgoing:
        mentions = () if msg.chat.is_private else (msg.sender,)
        return Outgoing(chat=msg.chat, text=text, mentions=mentions, refused=True)

    async def _render(self, msg: Incoming, reply: Reply, *, refused: bool = False) -> list[Outgoing]:
        if msg.chat.is_private or not reply.private:
            return [
                Outgoing(
                    msg.chat,
                    reply.text,
                    () if msg.chat.is_private else (msg.sender,),
                    reply.image,
                    reply.actions,
                    refused,
                )
            ]
        transport = self.transports.get(msg.platform)
        if transport is None or not await transport.can_reach_privately(msg.sender.id):
            return [Outgoing(msg.chat, reply.text, (msg.sender,), reply.image, reply.actions, refused)]
        private = ChatRef(msg.platform, msg.sender.id, ChatKind.PRIVATE, msg.sender.name)
        outs = [Outgoing(private, reply.text, (), reply.image, reply.actions, refused)]
        if reply.group_note:
            outs.append(Outgoing(msg.chat, reply.group_note, (msg.sender,)))
        return outs
