"""Residents, households, chat accounts and roles: who someone is, never decided by a display name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, insert, select, update

from bot.errors import AmbiguousResident, NoSuchResident
from bot.roles import Role
from store.db import Tx
from store.schema import accounts, balances, households, residents, role_grants


@dataclass(frozen=True, slots=True)
class Actor:
    """A bound chat account: the resident behind it and what they may do."""

    account_id: int
    resident_id: int
    community_id: int
    name: str
    household_id: int | None
    household: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    name: str
    household_id: int | None
    household: str


# Built once: every message asks who sent it, and building a statement costs more than running it.
# One row per granted role (one row with no role for most people): one round trip.
_ACTOR = (
    select(
        accounts.c.id,
        residents.c.id,
        residents.c.community_id,
        residents.c.name,
        residents.c.household_id,
        households.c.label,
        role_grants.c.role,
    )
    .join(residents, residents.c.id == accounts.c.resident_id)
    .outerjoin(households, households.c.id == residents.c.household_id)
    .outerjoin(role_grants, role_grants.c.resident_id == residents.c.id)
    .where(
        accounts.c.platform == bindparam("platform"),
        accounts.c.external_id == bindparam("external_id"),
        residents.c.active,
    )
)


async def actor_for(tx: Tx, *, platform: str, external_id: str) -> Actor | None:
    """The resident bound to a chat account, with their roles; None for an unbound account."""
    rows = (await tx.execute(_ACTOR, {"platform": platform, "external_id": external_id})).all()
    if not rows:
        return None
    account_id, resident_id, community_id, name, household_id, label, _ = rows[0]
    granted = [row[-1] for row in rows if row[-1] is not None]
    return Actor(
        account_id=account_id,
        resident_id=resident_id,
        community_id=community_id,
        name=name,
        household_id=household_id,
        household=label or "",
        roles=frozenset({Role.RESIDENT, Role.VOLUNTEER, *(Role(r) for r in granted)}),
    )


async def ensure_household(tx: Tx, *, community_id: int, label: str, at: datetime) -> int:
    await tx.execute(
        tx.insert_ignoring_conflicts(households).values(community_id=community_id, label=label, created_at=at)
    )
    household_id: int = await tx.scalar(
        select(households.c.id).where(households.c.community_id == community_id, households.c.label == label)
    )
    return household_id


async def create_resident(tx: Tx, *, community_id: int, name: str, household: str, at: datetime) -> int:
    """A new resident (and their household if it is new) with an empty balance."""
    household_id = await ensure_household(tx, community_id=community_id, label=household, at=at) if household else None
    resident_id: int = await tx.scalar(
        insert(residents)
        .values(community_id=community_id, name=name, household_id=household_id, created_at=at)
        .returning(residents.c.id)
    )
    await tx.execute(
        insert(balances).values(resident_id=resident_id, community_id=community_id, points=0, entries=0, updated_at=at)
    )
    return resident_id


async def find_exact(tx: Tx, *, community_id: int, name: str, household: str) -> int | None:
    """The resident with exactly this name in exactly this household (household "" = none)."""
    query = select(residents.c.id).where(residents.c.community_id == community_id, residents.c.name == name)
    if household:
        query = query.join(households, households.c.id == residents.c.household_id).where(
            households.c.label == household
        )
    else:
        query = query.where(residents.c.household_id.is_(None))
    found: int | None = await tx.scalar(query.limit(1))
    return found


async def find_by_name(tx: Tx, *, community_id: int, name: str) -> Resident:
    """One resident by name; `张三(3-2-501)` picks among namesakes by household.

    Raises NoSuchResident, or AmbiguousResident listing the households to choose from.
    """
    household = ""
    name = name.replace("（", "(").replace("）", ")")
    if name.endswith(")") and "(" in name:
        name, _, household = name[:-1].partition("(")
        name, household = name.strip(), household.strip()
    query = (
        select(residents.c.id, residents.c.name, residents.c.household_id, households.c.label)
        .outerjoin(households, households.c.id == residents.c.household_id)
        .where(residents.c.community_id == community_id, residents.c.name == name, residents.c.active)
        .order_by(residents.c.id)
    )
    if household:
        query = query.where(households.c.label == household)
    rows = (await tx.execute(query.limit(10))).all()
    if not rows:
        raise NoSuchResident(name=name)
    if len(rows) > 1:
        raise AmbiguousResident(name=name, choices="、".join(f"{name}({label or '-'})" for _, _, _, label in rows))
    resident_id, found_name, household_id, label = rows[0]
    return Resident(id=resident_id, name=found_name, household_id=household_id, household=label or "")


async def get(tx: Tx, resident_id: int) -> Resident:
    row = (
        await tx.execute(
            select(residents.c.id, residents.c.name, residents.c.household_id, households.c.label)
            .outerjoin(households, households.c.id == residents.c.household_id)
            .where(residents.c.id == resident_id)
        )
    ).one()
    return Resident(id=row[0], name=row[1], household_id=row[2], household=row[3] or "")


async def ensure_account(tx: Tx, *, platform: str, external_id: str, display_name: str, at: datetime) -> int:
    await tx.execute(
        tx.insert_ignoring_conflicts(accounts).values(
            platform=platform, external_id=external_id, display_name=display_name[:120], created_at=at
        )
    )
    account_id: int = await tx.scalar(
        select(accounts.c.id).where(accounts.c.platform == platform, accounts.c.external_id == external_id)
    )
    return account_id


async def bind_account(tx: Tx, *, account_id: int, resident_id: int, by: int | None, at: datetime) -> None:
    await tx.execute(
        update(accounts).where(accounts.c.id == account_id).values(resident_id=resident_id, bound_at=at, bound_by=by)
    )


async def account_of(tx: Tx, *, resident_id: int, platform: str) -> str | None:
    """The external id of the resident's account on a platform, if bound there."""
    found: str | None = await tx.scalar(
        select(accounts.c.external_id).where(accounts.c.resident_id == resident_id, accounts.c.platform == platform)
    )
    return found


async def accounts_of(tx: Tx, resident_ids: list[int]) -> list[tuple[int, str, str]]:
    """(resident id, platform, external id) of every account bound to these residents."""
    if not resident_ids:
        return []
    rows = await tx.execute(
        select(accounts.c.resident_id, accounts.c.platform, accounts.c.external_id)
        .where(accounts.c.resident_id.in_(resident_ids))
        .order_by(accounts.c.id)
    )
    return [(r, p, e) for r, p, e in rows.all()]


async def grant_role(
    tx: Tx, *, community_id: int, resident_id: int, role: Role, source: str, by: int | None, at: datetime
) -> bool:
    result = await tx.execute(
        tx.insert_ignoring_conflicts(role_grants).values(
            community_id=community_id,
            resident_id=resident_id,
            role=role.value,
            source=source,
            granted_by=by,
            created_at=at,
        )
    )
    return bool(result.rowcount)


async def with_role(tx: Tx, *, community_id: int, role: Role) -> list[int]:
    rows = await tx.execute(
        select(role_grants.c.resident_id)
        .join(residents, residents.c.id == role_grants.c.resident_id)
        .where(role_grants.c.community_id == community_id, role_grants.c.role == role.value, residents.c.active)
        .order_by(role_grants.c.resident_id)
    )
    return list(rows.scalars())


async def count(tx: Tx, *, community_id: int) -> int:
    total: int = await tx.scalar(
        select(func.count()).select_from(residents).where(and_(residents.c.community_id == community_id))
    )
    return total


async def roles_of(tx: Tx, *, resident_id: int) -> dict[Role, str]:
    """The staff roles granted to a resident, each with where it came from (`config` or `command`)."""
    rows = await tx.execute(
        select(role_grants.c.role, role_grants.c.source).where(role_grants.c.resident_id == resident_id)
    )
    return {Role(role): source for role, source in rows.all()}


async def revoke_role(tx: Tx, *, resident_id: int, role: Role) -> None:
    await tx.execute(
        delete(role_grants).where(role_grants.c.resident_id == resident_id, role_grants.c.role == role.value)
    )


async def unbind(tx: Tx, *, resident_id: int) -> list[str]:
    """Unlink every chat account of a resident; returns the platforms they were on."""
    rows = await tx.execute(
        update(accounts)
        .where(accounts.c.resident_id == resident_id)
        .values(resident_id=None, bound_at=None, bound_by=None)
        .returning(accounts.c.platform)
    )
    return sorted(rows.scalars())


async def set_rank_opt_out(tx: Tx, *, resident_id: int, opt_out: bool) -> None:
    await tx.execute(update(residents).where(residents.c.id == resident_id).values(rank_opt_out=opt_out))


async def rank_opt_out(tx: Tx, *, resident_id: int) -> bool:
    return bool(await tx.scalar(select(residents.c.rank_opt_out).where(residents.c.id == resident_id)))
