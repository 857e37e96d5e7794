"""Households 户: the points pool their members spend from, and moving a resident to another household.

A household's balance is the sum of its members' balances; there is no household account. In a shared pool
(the default) a debit — a redemption, a deduction — takes what it can from the named member first and the
rest from the others, each as their own ledger entry. The household's row is locked first, so two cashiers
debiting the same household queue one behind the other and the second sees what the first left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from bot.errors import DomainError
from store import ledger, residents
from store.db import Tx
from store.ledger import Entry, EntryKind
from store.residents import Resident
from store.schema import balances, economy_entries, households
from store.schema import residents as residents_table


@dataclass(frozen=True, slots=True)
class Member:
    resident_id: int
    name: str
    balance: int


@dataclass(frozen=True, slots=True)
class Pool:
    """The balances a debit for one resident may draw on: the named resident first."""

    household_id: int | None
    household: str
    members: tuple[Member, ...]

    @property
    def total(self) -> int:
        return sum(m.balance for m in self.members)


def split(members: Sequence[Member], amount: int) -> list[tuple[int, int]]:
    """(resident id, points) to debit, in order, taking each member's whole balance before the next's."""
    if amount > sum(m.balance for m in members):
        raise ValueError("the pool holds less than the amount")
    plan: list[tuple[int, int]] = []
    left = amount
    for member in members:
        if left == 0:
            break
        take = min(member.balance, left)
        if take:
            plan.append((member.resident_id, take))
            left -= take
    return plan


async def lock_pool(tx: Tx, resident: Resident, *, shared: bool) -> Pool:
    """Lock the resident's household (or, without one, their balance) and read the pool's balances.

    Every debit that may touch several members takes this lock first; on SQLite the write transaction
    already holds the database's lock.
    """
    if resident.household_id is not None:
        await tx.execute(tx.lock(select(households.c.id).where(households.c.id == resident.household_id)))
    else:
        await tx.execute(tx.lock(select(balances.c.resident_id).where(balances.c.resident_id == resident.id)))
    query = select(residents_table.c.id, residents_table.c.name, balances.c.points).join(
        balances, balances.c.resident_id == residents_table.c.id
    )
    if shared and resident.household_id is not None:
        query = query.where(residents_table.c.household_id == resident.household_id)
    else:
        query = query.where(residents_table.c.id == resident.id)
    rows = (await tx.execute(query.order_by(residents_table.c.id))).all()
    members = [Member(rid, name, points) for rid, name, points in rows]
    members.sort(key=lambda m: m.resident_id != resident.id)  # the named resident first, then by id
    return Pool(resident.household_id, resident.household, tuple(members))


async def debit(
    tx: Tx,
    pool: Pool,
    amount: int,
    *,
    community_id: int,
    kind: EntryKind,
    reason: str,
    named: Resident,
    period: str,
    created_by: int | None,
    at: datetime,
    redemption_id: int | None = None,
    application_id: int | None = None,
) -> list[Entry]:
    """Debit `amount` (> 0) from the pool, one ledger entry per member drawn on, each linked to what it paid for.

    Entries of other members than the named one say whose debit they paid: `洗洁精 ×2 #5（张三）`.
    """
    entries = [
        await ledger.post(
            tx,
            community_id=community_id,
            resident_id=resident_id,
            points=-points,
            kind=kind,
            reason=reason if resident_id == named.id else f"{reason}（{named.name}）",
            period=period,
            created_by=created_by,
            at=at,
        )
        for resident_id, points in split(pool.members, amount)
    ]
    await link(tx, entries, redemption_id=redemption_id, application_id=application_id)
    return entries


async def link(
    tx: Tx, entries: Sequence[Entry], *, redemption_id: int | None = None, application_id: int | None = None
) -> None:
    """Remember which redemption or rule application the entries were written for."""
    await tx.execute(
        insert(economy_entries),
        [{"entry_id": e.id, "redemption_id": redemption_id, "application_id": application_id} for e in entries],
    )


class SameHousehold(DomainError):
    key = "households.same_household"


async def move(tx: Tx, *, community_id: int, resident: Resident, household: str, at: datetime) -> int:
    """Move a resident to another household (created if new). Their entries stay theirs: history moves along."""
    if household == resident.household:
        raise SameHousehold(name=resident.name, household=household)
    household_id = await residents.ensure_household(tx, community_id=community_id, label=household, at=at)
    await tx.execute(
        update(residents_table).where(residents_table.c.id == resident.id).values(household_id=household_id)
    )
    return household_id


async def members_of(tx: Tx, household_id: int) -> list[Member]:
    rows = await tx.execute(
        select(residents_table.c.id, residents_table.c.name, balances.c.points)
        .join(balances, balances.c.resident_id == residents_table.c.id)
        .where(residents_table.c.household_id == household_id)
        .order_by(residents_table.c.id)
    )
    return [Member(rid, name, points) for rid, name, points in rows.all()]
