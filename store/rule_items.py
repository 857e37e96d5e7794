"""Rule items 加分项 / 扣分项 applied to a resident: caps per period and per year, deductions until zero.

An application is one row here and one or more ledger entries (a deduction from a shared pool may draw on
several members). Caps count the points of a person's applications that have not been revoked, per item
and per category, per points period and per year (the year of the period's label), each direction apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update

from bot.config import RuleCategory, RuleItem
from bot.errors import DomainError
from bot.i18n import Phrase
from bot.rules import CommunityRules
from store import households, ledger
from store.db import Tx
from store.ledger import EntryKind
from store.residents import Resident
from store.schema import economy_entries, rule_applications


class CapReached(DomainError):
    key = "items.cap_reached"


class NothingToDeduct(DomainError):
    key = "items.nothing_to_deduct"


class NotEnoughToDeduct(DomainError):
    key = "items.not_enough_to_deduct"


class NoSuchApplication(DomainError):
    key = "items.no_such_application"


class AlreadyRevoked(DomainError):
    key = "items.already_revoked"


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    resident_id: int
    item_code: str
    item_name: str
    points: int  # applied: + bonus, - deduction
    requested: int
    capped: Phrase | None  # which cap made it smaller, if one did
    floored: bool  # a deduction stopped at zero
    entries: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Cap:
    limit: int
    used: int
    which: str  # catalogue key naming the cap

    @property
    def room(self) -> int:
        return max(0, self.limit - self.used)


def _phrase(cap: _Cap, item: RuleItem) -> Phrase:
    return Phrase(cap.which, {"limit": cap.limit, "category": item.category})


async def _used(tx: Tx, resident_id: int, sign: int, **where: str | int) -> int:
    column = rule_applications.c
    query = select(func.coalesce(func.sum(column.points), 0)).where(
        column.resident_id == resident_id,
        column.reversed_at.is_(None),
        column.points > 0 if sign > 0 else column.points < 0,
        *(getattr(column, key) == value for key, value in where.items()),
    )
    return abs(int(await tx.scalar(query) or 0))


async def _caps(
    tx: Tx, resident_id: int, item: RuleItem, category: RuleCategory | None, period: str, year: int
) -> list[_Cap]:
    sign = 1 if item.is_bonus else -1
    caps: list[_Cap] = []
    if item.cap_per_period:
        used = await _used(tx, resident_id, sign, item_code=item.code, period=period)
        caps.append(_Cap(item.cap_per_period, used, "items.cap.item_period"))
    if item.cap_per_year:
        used = await _used(tx, resident_id, sign, item_code=item.code, year=year)
        caps.append(_Cap(item.cap_per_year, used, "items.cap.item_year"))
    if category is not None and category.cap_per_period:
        used = await _used(tx, resident_id, sign, category=category.name, period=period)
        caps.append(_Cap(category.cap_per_period, used, "items.cap.category_period"))
    if category is not None and category.cap_per_year:
        used = await _used(tx, resident_id, sign, category=category.name, year=year)
        caps.append(_Cap(category.cap_per_year, used, "items.cap.category_year"))
    return caps


async def apply(
    tx: Tx,
    *,
    community_id: int,
    rules: CommunityRules,
    item: RuleItem,
    category: RuleCategory | None,
    resident: Resident,
    remark: str,
    shared_pool: bool,
    by: int,
    at: datetime,
) -> Application:
    """Apply a rule item to a resident: within its caps, and for a deduction within the balance.

    A cap that leaves room for part of the item's value gives that part; a cap already reached refuses.
    A deduction larger than the balance (the household's, in a shared pool) stops at zero when the item says
    so (扣完为止, the default) and is refused otherwise.
    """
    period = rules.period_of(at).label
    year = int(period[:4])
    pool = await households.lock_pool(tx, resident, shared=shared_pool)  # also serialises the cap checks
    wanted = abs(item.points)
    caps = await _caps(tx, resident.id, item, category, period, year)
    tightest = min(caps, key=lambda c: c.room, default=None)
    if tightest is not None and tightest.room == 0:
        raise CapReached(cap=_phrase(tightest, item), code=item.code, name=resident.name)
    amount = min(wanted, tightest.room) if tightest is not None else wanted
    capped = _phrase(tightest, item) if tightest and amount < wanted else None
    floored = False
    if not item.is_bonus and pool.total < amount:
        if not item.until_zero:
            raise NotEnoughToDeduct(name=resident.name, balance=pool.total, points=amount)
        if pool.total == 0:
            raise NothingToDeduct(name=resident.name)
        amount, floored = pool.total, True
    points = amount if item.is_bonus else -amount
    application_id: int = await tx.scalar(
        insert(rule_applications)
        .values(
            community_id=community_id,
            resident_id=resident.id,
            item_code=item.code,
            item_name=item.name,
            category=item.category,
            points=points,
            requested=item.points,
            remark=remark[:200],
            period=period,
            year=year,
            applied_by=by,
            created_at=at,
        )
        .returning(rule_applications.c.id)
    )
    reason = f"{item.code} {item.name}" + (f"：{remark}" if remark else "")
    if item.is_bonus:
        entry = await ledger.post(
            tx,
            community_id=community_id,
            resident_id=resident.id,
            points=points,
            kind=EntryKind.BONUS,
            reason=reason,
            period=period,
            created_by=by,
            at=at,
        )
        await households.link(tx, [entry], application_id=application_id)
        entries = [entry]
    else:
        entries = await households.debit(
            tx,
            pool,
            amount,
            community_id=community_id,
            kind=EntryKind.DEDUCTION,
            reason=reason,
            named=resident,
            period=period,
            created_by=by,
            at=at,
            application_id=application_id,
        )
    return Application(
        application_id,
        resident.id,
        item.code,
        item.name,
        points,
        item.points,
        capped,
        floored,
        tuple(e.id for e in entries),
    )


@dataclass(frozen=True, slots=True)
class Revoked:
    id: int
    resident_id: int
    item_code: str
    item_name: str
    points: int  # what the application had moved; the reversal moves the opposite


async def revoke(
    tx: Tx, *, community_id: int, application_id: int, reason: str, period: str, by: int, at: datetime
) -> Revoked:
    """Reverse every ledger entry of an application; it then no longer counts towards any cap."""
    row = (
        await tx.execute(
            select(
                rule_applications.c.resident_id,
                rule_applications.c.item_code,
                rule_applications.c.item_name,
                rule_applications.c.points,
                rule_applications.c.reversed_at,
            ).where(rule_applications.c.id == application_id, rule_applications.c.community_id == community_id)
        )
    ).first()
    if row is None:
        raise NoSuchApplication(number=application_id)
    resident_id, code, name, points, reversed_at = row
    changed = await tx.execute(
        update(rule_applications)
        .where(rule_applications.c.id == application_id, rule_applications.c.reversed_at.is_(None))
        .values(reversed_at=at, reversed_by=by)
    )
    if reversed_at is not None or changed.rowcount != 1:
        raise AlreadyRevoked(number=application_id)
    entry_ids = (
        await tx.execute(
            select(economy_entries.c.entry_id)
            .where(economy_entries.c.application_id == application_id)
            .order_by(economy_entries.c.entry_id)
        )
    ).scalars()
    for entry_id in list(entry_ids):
        # A revoked bonus whose points were spent since cannot be taken back: InsufficientPoints says so.
        await ledger.reverse(tx, entry_id=entry_id, reason=reason, period=period, created_by=by, at=at)
    return Revoked(application_id, resident_id, code, name, points)
