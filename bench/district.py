"""A district's data, made with a fixed seed: the same people, households, groups and history on every run.

The sizes come from the field notes: one community of 30,000 residents in 7,482 households, one street
office with 768 WeChat groups, and a year of history of about a million ledger entries.
Rows go in with the driver's bulk insert, straight into the tables; the bot's own services would take
hours for a million entries and the benchmark measures them elsewhere.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bot.config import CommunityConfig, load_community
from bot.rules import Period
from store.db import Database
from store.schema import accounts, balances, chat_groups, households, ledger_entries, residents, service_records

CONFIG = Path(__file__).with_name("district.toml")
SEED = 2026
PLATFORM = "console"
DUTY_GROUP = "志愿者群"
CHUNK = 5_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰文辉志红梅德福春生海燕金凤淑珍"


def config() -> CommunityConfig:
    return load_community(CONFIG)


def sender_id(index: int) -> str:
    """The chat account of the district's resident number `index` (0-based)."""
    return f"r{index}"


@dataclass
class People:
    community_id: int
    resident_ids: list[int]  # in generation order: resident_ids[i] is bound to sender_id(i)
    household_ids: list[int]
    homes: list[int]  # homes[i]: the household of resident_ids[i]


@dataclass
class History:
    """The ledger as generated so far; `add` grows it to a total, resident by resident at random."""

    people: People
    periods: Sequence[Period]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED + 1))
    entries: int = 0
    running: dict[int, int] = field(default_factory=dict)  # resident id -> balance

    async def add(self, db: Database, total: int) -> None:
        first_entry = await _next_id(db, ledger_entries)
        first_record = await _next_id(db, service_records)
        entry_rows: list[dict[str, Any]] = []
        record_rows: list[dict[str, Any]] = []
        touched: set[int] = set()
        for n in range(total - self.entries):
            resident = self.rng.choice(self.people.resident_ids)
            touched.add(resident)
            period = self.periods[self.rng.randrange(len(self.periods))]
            at = period.start.astimezone(UTC) + timedelta(minutes=self.rng.randrange(28 * 24 * 60))
            roll = self.rng.random()
            balance = self.running.get(resident, 0)
            record_id = None
            if roll < 0.8:
                kind, points = "service", self.rng.randint(1, 6)
                minutes = points * 30 + self.rng.randrange(30)
                record_id = first_record + len(record_rows)
                record_rows.append(
                    {
                        "id": record_id,
                        "community_id": self.people.community_id,
                        "resident_id": resident,
                        "activity": self.rng.choice(("卫生整治", "文明劝导", "敬老助餐", "垃圾分类", "楼道清理")),
                        "started_at": at - timedelta(minutes=minutes),
                        "ended_at": at,
                        "minutes": minutes,
                        "points": points,
                        "status": "approved",
                        "created_at": at,
                    }
                )
                reason = "志愿服务"
            elif roll < 0.95 or balance < 3:
                kind, points, reason = "bonus", self.rng.randint(1, 5), "加分项"
            else:
                kind, points, reason = "deduction", -self.rng.randint(1, 2), "扣分项"
            self.running[resident] = balance + points
            entry_rows.append(
                {
                    "id": first_entry + n,
                    "community_id": self.people.community_id,
                    "resident_id": resident,
                    "points": points,
                    "kind": kind,
                    "period": period.label,
                    "reason": reason,
                    "record_id": record_id,
                    "created_at": at,
                }
            )
        now = datetime.now(UTC)
        async with db.transaction() as tx:
            for chunk in _chunks(record_rows):
                await tx.execute(insert(service_records), chunk)
            for chunk in _chunks(entry_rows):
                await tx.execute(insert(ledger_entries), chunk)
            await tx.execute(balances.delete().where(balances.c.community_id == self.people.community_id))
            rows = [
                {
                    "resident_id": r,
                    "community_id": self.people.community_id,
                    "points": self.running.get(r, 0),
                    "entries": 0,
                    "updated_at": now,
                }
                for r in self.people.resident_ids
            ]
            for chunk in _chunks(rows):
                await tx.execute(insert(balances), chunk)
            await tx.execute(
                balances.update().values(
                    entries=select(func.count())
                    .where(ledger_entries.c.resident_id == balances.c.resident_id)
                    .scalar_subquery()
                )
            )
        await _fix_sequences(db, ledger_entries, service_records)
        self.entries = total


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def _next_id(db: Database, table: Any) -> int:
    async with db.snapshot() as tx:
        return int(await tx.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


async def _fix_sequences(db: Database, *tables: Any) -> None:
    """Rows inserted with their ids leave PostgreSQL's sequences behind; move them past the rows."""
    if db.is_sqlite:
        return
    async with db.transaction() as tx:
        for table in tables:
            await tx.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )
            )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


async def add_people(
    db: Database, community_id: int, *, residents_count: int = 30_000, households_count: int = 7_482
) -> People:
    """Households with door numbers, residents in them (every household has at least one), each bound to a
    chat account `r<n>`; household sizes are uneven, as in life."""
    rng = random.Random(SEED)
    at = datetime(2025, 10, 1, tzinfo=UTC)
    labels = [f"{1 + n // 240}-{1 + n // 40 % 6}-{101 + n % 40}" for n in range(households_count)]
    first_household = await _next_id(db, households)
    household_ids = [first_household + n for n in range(households_count)]
    homes = household_ids[:residents_count] + [
        rng.choice(household_ids) for _ in range(residents_count - households_count)
    ]
    first_resident = await _next_id(db, residents)
    resident_ids = [first_resident + n for n in range(residents_count)]
    first_account = await _next_id(db, accounts)
    async with db.transaction() as tx:
        for chunk in _chunks(
            [
                {"id": hid, "community_id": community_id, "label": label, "created_at": at}
                for hid, label in zip(household_ids, labels, strict=True)
            ]
        ):
            await tx.execute(insert(households), chunk)
        for chunk in _chunks(
            [
                {"id": rid, "community_id": community_id, "name": _name(rng), "household_id": home, "created_at": at}
                for rid, home in zip(resident_ids, homes, strict=True)
            ]
        ):
            await tx.execute(insert(residents), chunk)
        for chunk in _chunks(
            [
                {
                    "id": first_account + n,
                    "platform": PLATFORM,
                    "external_id": sender_id(n),
                    "display_name": sender_id(n),
                    "resident_id": rid,
                    "bound_at": at,
                    "created_at": at,
                }
                for n, rid in enumerate(resident_ids)
            ]
        ):
            await tx.execute(insert(accounts), chunk)
        for chunk in _chunks(
            [
                {"resident_id": rid, "community_id": community_id, "points": 0, "entries": 0, "updated_at": at}
                for rid in resident_ids
            ]
        ):
            await tx.execute(insert(balances), chunk)
    await _fix_sequences(db, households, residents, accounts)
    return People(community_id, resident_ids, household_ids, homes)


async def add_groups(db: Database, community_id: int, count: int = 768) -> list[str]:
    """Notice groups, as a street office has: their chat ids."""
    ids = [f"g{n:03d}" for n in range(count)]
    at = datetime(2025, 10, 1, tzinfo=UTC)
    async with db.transaction() as tx:
        await tx.execute(
            insert(chat_groups),
            [
                {
                    "community_id": community_id,
                    "platform": PLATFORM,
                    "external_id": chat,
                    "name": f"第{n + 1}网格群",
                    "duty": False,
                    "notice": True,
                    "created_at": at,
                }
                for n, chat in enumerate(ids)
            ],
        )
    return ids
