"""Binding a chat account to a resident: the person asks, staff confirm. Display names never decide it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update

from bot.errors import BindingProblem
from store import residents
from store.db import Tx
from store.schema import accounts, binding_requests, households
from store.schema import residents as residents_table


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    account_id: int
    platform: str
    external_id: str
    display_name: str
    name: str
    household: str
    created_at: datetime
    replaces_account_id: int | None  # set: confirming moves the resident's binding from that account


@dataclass(frozen=True, slots=True)
class Confirmed:
    resident_id: int
    name: str
    household: str
    platform: str
    external_id: str
    created_resident: bool
    replaced: str | None = None  # the external id of the account that was unbound


@dataclass(frozen=True, slots=True)
class Proposal:
    """A request to move a resident's binding to a new account, waiting for staff."""

    request_id: int
    name: str
    household: str
    new: bool  # False: proposed before, staff were told then


async def request(
    tx: Tx,
    *,
    community_id: int,
    platform: str,
    external_id: str,
    display_name: str,
    name: str,
    household: str,
    at: datetime,
) -> int:
    """File (or replace) this account's request to be linked to resident `name` of household `household`."""
    account_id = await residents.ensure_account(
        tx, platform=platform, external_id=external_id, display_name=display_name, at=at
    )
    bound = await tx.scalar(select(accounts.c.resident_id).where(accounts.c.id == account_id))
    if bound is not None:
        raise BindingProblem("binding.already_bound")
    await tx.execute(
        update(binding_requests)
        .where(binding_requests.c.account_id == account_id, binding_requests.c.status == "pending")
        .values(status="withdrawn", decided_at=at)
    )
    return await _file(tx, community_id=community_id, account_id=account_id, name=name, household=household, at=at)


async def _file(
    tx: Tx,
    *,
    community_id: int,
    account_id: int,
    name: str,
    household: str,
    at: datetime,
    replaces_account_id: int | None = None,
) -> int:
    request_id: int = await tx.scalar(
        insert(binding_requests)
        .values(
            community_id=community_id,
            account_id=account_id,
            name=name,
            household_label=household,
            status="pending",
            replaces_account_id=replaces_account_id,
            created_at=at,
        )
        .returning(binding_requests.c.id)
    )
    return request_id


_COLUMNS = (
    binding_requests.c.id,
    binding_requests.c.account_id,
    accounts.c.platform,
    accounts.c.external_id,
    accounts.c.display_name,
    binding_requests.c.name,
    binding_requests.c.household_label,
    binding_requests.c.created_at,
    binding_requests.c.replaces_account_id,
)


async def pending(tx: Tx, *, community_id: int) -> list[Request]:
    rows = await tx.execute(
        select(*_COLUMNS)
        .join(accounts, accounts.c.id == binding_requests.c.account_id)
        .where(binding_requests.c.community_id == community_id, binding_requests.c.status == "pending")
        .order_by(binding_requests.c.id)
    )
    return [Request(*row) for row in rows.all()]


async def _waiting(tx: Tx, *, community_id: int, request_id: int) -> Request:
    row = (
        await tx.execute(
            select(*_COLUMNS)
            .join(accounts, accounts.c.id == binding_requests.c.account_id)
            .where(
                binding_requests.c.id == request_id,
                binding_requests.c.community_id == community_id,
                binding_requests.c.status == "pending",
            )
        )
    ).first()
    if row is None:
        raise BindingProblem("binding.no_such_request", number=request_id)
    return Request(*row)


async def reject(tx: Tx, *, community_id: int, request_id: int, by: int, at: datetime) -> Request:
    """Turn a waiting request down (a wrong name or door number, someone else's name); the account stays
    unlinked and may ask again."""
    req = await _waiting(tx, community_id=community_id, request_id=request_id)
    await tx.execute(
        update(binding_requests)
        .where(binding_requests.c.id == request_id)
        .values(status="rejected", decided_by=by, decided_at=at)
    )
    return req


async def confirm(tx: Tx, *, community_id: int, request_id: int, by: int, at: datetime) -> Confirmed:
    """Link the account to the named resident, creating the resident (and household) if they are new."""
    req = await _waiting(tx, community_id=community_id, request_id=request_id)
    if await tx.scalar(select(accounts.c.resident_id).where(accounts.c.id == req.account_id)) is not None:
        raise BindingProblem("binding.already_bound")
    resident_id = await residents.find_exact(tx, community_id=community_id, name=req.name, household=req.household)
    created = resident_id is None
    if resident_id is None:
        resident_id = await residents.create_resident(
            tx, community_id=community_id, name=req.name, household=req.household, at=at
        )
    replaced: str | None = None
    if resident_id is not None:
        current = (
            await tx.execute(
                select(accounts.c.id, accounts.c.external_id).where(
                    accounts.c.resident_id == resident_id, accounts.c.platform == req.platform
                )
            )
        ).first()
        if current is not None:
            if current.id != req.replaces_account_id:
                raise BindingProblem("binding.resident_taken", name=req.name)
            await tx.execute(
                update(accounts)
                .where(accounts.c.id == current.id)
                .values(resident_id=None, bound_at=None, bound_by=None)
            )
            replaced = current.external_id
    await residents.bind_account(tx, account_id=req.account_id, resident_id=resident_id, by=by, at=at)
    await tx.execute(
        update(binding_requests)
        .where(binding_requests.c.id == request_id)
        .values(status="confirmed", resident_id=resident_id, decided_by=by, decided_at=at)
    )
    return Confirmed(resident_id, req.name, req.household, req.platform, req.external_id, created, replaced)


async def propose_rebind(
    tx: Tx, *, community_id: int, platform: str, external_id: str, display_name: str, at: datetime
) -> Proposal | None:
    """For an unbound account on a platform whose ids can change (WeChat after a new login): when exactly
    one resident bound on that platform has this display name (on their account, or as their own name),
    file a request that moves their binding here. Staff confirm it; a name alone never binds anyone.
    """
    if not display_name:
        return None
    account_id = await residents.ensure_account(
        tx, platform=platform, external_id=external_id, display_name=display_name, at=at
    )
    waiting = (
        await tx.execute(
            select(binding_requests.c.id, binding_requests.c.name, binding_requests.c.household_label).where(
                binding_requests.c.account_id == account_id,
                binding_requests.c.status == "pending",
                binding_requests.c.replaces_account_id.is_not(None),
            )
        )
    ).first()
    if waiting is not None:
        return Proposal(waiting.id, waiting.name, waiting.household_label, new=False)
    candidates = (
        await tx.execute(
            select(accounts.c.id, residents_table.c.name, households.c.label)
            .join(residents_table, residents_table.c.id == accounts.c.resident_id)
            .outerjoin(households, households.c.id == residents_table.c.household_id)
            .where(
                accounts.c.platform == platform,
                accounts.c.id != account_id,
                residents_table.c.community_id == community_id,
                residents_table.c.active,
                or_(accounts.c.display_name == display_name, residents_table.c.name == display_name),
            )
            .limit(2)
        )
    ).all()
    if len(candidates) != 1:
        return None  # nobody, or namesakes: the person binds the usual way
    old_account_id, name, household = candidates[0]
    request_id = await _file(
        tx,
        community_id=community_id,
        account_id=account_id,
        name=name,
        household=household or "",
        at=at,
        replaces_account_id=old_account_id,
    )
    return Proposal(request_id, name, household or "", new=True)
