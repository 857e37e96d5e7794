"""Bringing the database in line with community.toml at start-up: the community, its groups, its people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from bot.config import CommunityConfig
from bot.roles import Role
from store import audit, groups, residents, shop
from store.db import Tx
from store.schema import accounts, communities, role_grants

CONSOLE = "console"


async def sync(tx: Tx, config: CommunityConfig, *, at: datetime) -> int:
    """Create or update the community from its configuration; returns its id. Safe to run at every start.

    People listed in the file are bound on the console platform under their name, so that the console and
    transcripts can speak as them. Nothing is ever deleted: a person removed from the file keeps their history.
    Two processes starting at once take turns, so that neither creates what the other is creating.
    """
    await tx.serialize("pointsbot:community-sync")
    section = config.community
    community_id: int | None = await tx.scalar(
        select(communities.c.id).where(communities.c.key == section.community_key)
    )
    if community_id is None:
        community_id = await tx.scalar(
            insert(communities)
            .values(key=section.community_key, name=section.name, created_at=at)
            .returning(communities.c.id)
        )
    else:
        await tx.execute(update(communities).where(communities.c.id == community_id).values(name=section.name))
    for group in config.groups:
        await groups.register(
            tx,
            community_id=community_id,
            platform=group.platform,
            external_id=group.external_id,
            name=group.name,
            duty=group.duty,
            notice=group.notice,
            by=None,
            at=at,
        )
    configured_roles: dict[int, set[Role]] = {}
    names: dict[int, str] = {}
    for person in [*config.members, *config.staff]:
        resident_id = await residents.find_exact(
            tx, community_id=community_id, name=person.name, household=person.household
        )
        if resident_id is None:
            resident_id = await residents.create_resident(
                tx, community_id=community_id, name=person.name, household=person.household, at=at
            )
        account_id = await residents.ensure_account(
            tx, platform=CONSOLE, external_id=person.name, display_name=person.name, at=at
        )
        bound = await tx.scalar(select(accounts.c.resident_id).where(accounts.c.id == account_id))
        if bound is None:
            await residents.bind_account(tx, account_id=account_id, resident_id=resident_id, by=None, at=at)
        configured_roles[resident_id] = set(getattr(person, "roles", []))
        names[resident_id] = person.name
    # Role changes made through the file are staff actions too: they go to the audit log.
    from_file = audit.Where()
    for resident_id, roles in configured_roles.items():
        for role in sorted(roles):
            if await residents.grant_role(
                tx,
                community_id=community_id,
                resident_id=resident_id,
                role=role,
                source="config",
                by=None,
                at=at,
            ):
                await audit.record(
                    tx,
                    community_id=community_id,
                    actor_id=None,
                    action="grant_role",
                    at=at,
                    where=from_file,
                    resident=names[resident_id],
                    role=role.value,
                )
    # Roles that came from the file and are no longer in it go; roles granted by command stay.
    stale = await tx.execute(
        select(role_grants.c.id, role_grants.c.resident_id, role_grants.c.role).where(
            role_grants.c.community_id == community_id, role_grants.c.source == "config"
        )
    )
    for grant_id, resident_id, role in stale.all():
        if Role(role) not in configured_roles.get(resident_id, set()):
            await tx.execute(delete(role_grants).where(role_grants.c.id == grant_id))
            await audit.record(
                tx,
                community_id=community_id,
                actor_id=None,
                action="revoke_role",
                at=at,
                where=from_file,
                resident=(await residents.get(tx, resident_id)).name,
                role=role,
            )
    await shop.sync_products(tx, community_id=community_id, configured=config.products, at=at)
    return int(community_id)
