"""Upgrading keeps every row: a database filled at the first revision, upgraded to the newest, still holds
everything it held, and the bot works on it.

The rows are written with plain SQL against the first revision's tables (never through today's services,
whose columns may be newer), so this test keeps meaning the same as revisions are added.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, select
from sqlalchemy.engine import Connection

from bot.testing import Harness
from bot.transcript import PRIVATE
from store import migrate
from store.db import Database

T = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)

# Every table of the first revision, in an order that satisfies its foreign keys. Ids are 1, 2, … in order.
FIRST_REVISION_ROWS: list[tuple[str, list[dict[str, Any]]]] = [
    ("communities", [{"key": "测试社区", "name": "测试社区", "created_at": T}]),
    ("households", [{"community_id": 1, "label": "1-1-101", "created_at": T}]),
    (
        "residents",
        [
            {"community_id": 1, "name": "张三", "household_id": 1, "rank_opt_out": True, "created_at": T},
            {"community_id": 1, "name": "王主任", "household_id": None, "created_at": T},
        ],
    ),
    (
        "accounts",
        [
            {"platform": "console", "external_id": "张三", "display_name": "张三", "resident_id": 1, "created_at": T},
            {"platform": "console", "external_id": "王主任", "resident_id": 2, "bound_at": T, "created_at": T},
            {"platform": "telegram", "external_id": "555", "display_name": "小孙", "created_at": T},
        ],
    ),
    ("role_grants", [{"community_id": 1, "resident_id": 2, "role": "admin", "source": "config", "created_at": T}]),
    (
        "chat_groups",
        [{"community_id": 1, "platform": "console", "external_id": "志愿者群", "name": "志愿者群", "created_at": T}],
    ),
    (
        "binding_requests",
        [
            {
                "community_id": 1,
                "account_id": 3,
                "name": "孙丽",
                "household_label": "7-3-202",
                "status": "pending",
                "created_at": T,
            }
        ],
    ),
    (
        "duty_sessions",
        [
            {
                "community_id": 1,
                "resident_id": 1,
                "activity": "巡逻",
                "group_id": 1,
                "started_at": T,
                "ended_at": T + timedelta(hours=1),
                "closed_by": "volunteer",
            }
        ],
    ),
    (
        "service_records",
        [
            {
                "community_id": 1,
                "resident_id": 1,
                "session_id": 1,
                "activity": "巡逻",
                "started_at": T,
                "ended_at": T + timedelta(hours=1),
                "minutes": 60,
                "points": 2,
                "status": "approved",
                "reviewer_id": 2,
                "reviewed_at": T + timedelta(hours=2),
                "created_at": T + timedelta(hours=1),
            }
        ],
    ),
    (
        "ledger_entries",
        [
            {
                "community_id": 1,
                "resident_id": 1,
                "points": 2,
                "kind": "service",
                "period": "2026-09",
                "reason": "巡逻",
                "record_id": 1,
                "created_by": 2,
                "created_at": T + timedelta(hours=2),
            },
            {
                "community_id": 1,
                "resident_id": 1,
                "points": 10,
                "kind": "adjustment",
                "period": "2026-09",
                "reason": "纸质存折转入",
                "created_by": 2,
                "created_at": T + timedelta(hours=2),
            },
        ],
    ),
    (
        "balances",
        [
            {"resident_id": 1, "community_id": 1, "points": 12, "entries": 2, "updated_at": T},
            {"resident_id": 2, "community_id": 1, "points": 0, "entries": 0, "updated_at": T},
        ],
    ),
    ("inbox", [{"platform": "console", "chat_id": "志愿者群", "message_id": "m1", "received_at": T}]),
    (
        "outbox",
        [
            {
                "community_id": 1,
                "platform": "console",
                "chat_kind": "private",
                "chat_id": "张三",
                "text": "审核通过",
                "kind": "notify",
                "status": "sent",
                "not_before": T,
                "sent_at": T,
                "created_at": T,
            }
        ],
    ),
    (
        "audit_log",
        [
            {
                "community_id": 1,
                "actor_id": 2,
                "action": "approve",
                "detail": json.dumps({"points": 2, "record": 1, "resident": "张三"}, ensure_ascii=False),
                "platform": "console",
                "chat_id": "王主任",
                "created_at": T + timedelta(hours=2),
            }
        ],
    ),
]


def _first_revision() -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    bases = script.get_bases()
    assert len(bases) == 1
    return bases[0]


def _fill(conn: Connection) -> None:
    tables = MetaData()
    tables.reflect(conn)
    for name, rows in FIRST_REVISION_ROWS:
        for row in rows:
            conn.execute(insert(tables.tables[name]).values(row))


def _dump(conn: Connection) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key."""
    tables = MetaData()
    tables.reflect(conn)
    dump: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for name, table in tables.tables.items():
        key = [c.name for c in table.primary_key.columns]
        dump[name] = {tuple(row[k] for k in key): dict(row) for row in conn.execute(select(table)).mappings().all()}
    return dump


async def test_rows_written_at_the_first_revision_survive_every_upgrade(empty_database_url: str) -> None:
    """Each table of the first revision, filled, then upgraded to the newest: every row and value is there, and
    the bot answers from them (balances, roles, binding requests, the audit log)."""
    db = Database(empty_database_url)
    try:
        await migrate.upgrade(db, _first_revision())
        async with db.engine.begin() as conn:
            await conn.run_sync(_fill)
            before = await conn.run_sync(_dump)
        del before["alembic_version"]
        empty = {name for name, rows in before.items() if not rows}
        assert not empty, "give every table of the first revision a row"
        await migrate.upgrade(db)
        async with db.engine.connect() as conn:
            after = await conn.run_sync(_dump)
    finally:
        await db.dispose()
    for name, rows in before.items():
        assert name in after, f"table {name} is gone"
        for key, row in rows.items():
            assert key in after[name], f"{name} row {key} is gone"
            kept = after[name][key]
            assert {c: kept.get(c) for c in row} == row, f"{name} row {key} changed"

    bot = await Harness.start(empty_database_url)
    try:
        assert "张三 的积分：现有 12 分" in await bot.text("张三", "我的积分", chat=PRIVATE)
        assert "1. 孙丽，7-3-202" in await bot.text("王主任", "绑定申请", chat=PRIVATE)
        log = await bot.text("王主任", "操作记录", chat=PRIVATE)
        assert "王主任：审核通过第 1 号记录（张三，2 分）（私聊）" in log
        assert "本人选择了不参与排名" in await bot.text("王主任", "查询 张三", chat=PRIVATE)
        assert "签到成功" in await bot.text("张三", "签到")
    finally:
        await bot.close()
