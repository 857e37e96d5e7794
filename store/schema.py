"""The tables. SQLAlchemy Core: every statement the services run is visible and cheap to reason about.

Invariants the database itself enforces, so that no code path can break them:
- at most one open duty session per volunteer (partial unique index);
- a message is handled once (primary key of `inbox`);
- a balance never goes below zero (check constraint), and a ledger entry is reversed at most once;
- one chat account per resident per platform; one broadcast per (kind, period, group) via `dedupe_key`;
- one run per occurrence of a scheduled job (`job_runs`); a period is published once and closed once.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

from store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _community() -> Column[int]:
    return Column("community_id", Integer, ForeignKey("communities.id"), nullable=False)


def _created() -> Column[object]:
    return Column("created_at", UTCDateTime(), nullable=False)


communities = Table(
    "communities",
    metadata,
    _id(),
    Column("key", String(60), nullable=False, unique=True),
    Column("name", String(60), nullable=False),
    _created(),
)

households = Table(
    "households",
    metadata,
    _id(),
    _community(),
    Column("label", String(60), nullable=False),
    _created(),
    UniqueConstraint("community_id", "label", name="uq_households_community_label"),
)

residents = Table(
    "residents",
    metadata,
    _id(),
    _community(),
    Column("name", String(60), nullable=False),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("rank_opt_out", Boolean, nullable=False, server_default=false()),  # 不参与排名
    _created(),
    Index("ix_residents_community_name", "community_id", "name"),
    Index("ix_residents_household", "household_id"),  # 我的积分 sums a household's balances
)

accounts = Table(
    "accounts",
    metadata,
    _id(),
    Column("platform", String(20), nullable=False),
    Column("external_id", String(120), nullable=False),
    Column("display_name", String(120), nullable=False, server_default=""),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=True),
    Column("bound_at", UTCDateTime(), nullable=True),
    Column("bound_by", Integer, ForeignKey("residents.id"), nullable=True),
    _created(),
    UniqueConstraint("platform", "external_id", name="uq_accounts_platform_external"),
    Index(
        "uq_accounts_resident_platform",
        "resident_id",
        "platform",
        unique=True,
        sqlite_where=text("resident_id IS NOT NULL"),
        postgresql_where=text("resident_id IS NOT NULL"),
    ),
)

role_grants = Table(
    "role_grants",
    metadata,
    _id(),
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("source", String(20), nullable=False),  # config | command
    Column("granted_by", Integer, ForeignKey("residents.id"), nullable=True),
    _created(),
    UniqueConstraint("resident_id", "role", name="uq_role_grants_resident_role"),
)

chat_groups = Table(
    "chat_groups",
    metadata,
    _id(),
    _community(),
    Column("platform", String(20), nullable=False),
    Column("external_id", String(120), nullable=False),
    Column("name", String(120), nullable=False),
    Column("duty", Boolean, nullable=False, server_default=true()),
    Column("notice", Boolean, nullable=False, server_default=true()),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("registered_by", Integer, ForeignKey("residents.id"), nullable=True),
    _created(),
    UniqueConstraint("platform", "external_id", name="uq_chat_groups_platform_external"),
)

binding_requests = Table(
    "binding_requests",
    metadata,
    _id(),
    _community(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("household_label", String(60), nullable=False),
    Column("status", String(20), nullable=False),  # pending | confirmed | rejected | withdrawn
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=True),
    Column("decided_by", Integer, ForeignKey("residents.id"), nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    _created(),
    # Set when the request moves a binding: the person's old account (a WeChat id that changed) is unbound.
    Column("replaces_account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Index("ix_binding_requests_community_status", "community_id", "status"),
)

duty_sessions = Table(
    "duty_sessions",
    metadata,
    _id(),
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("activity", String(60), nullable=False),
    Column("group_id", Integer, ForeignKey("chat_groups.id"), nullable=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("closed_by", String(20), nullable=True),  # volunteer | cap
    Index(
        "uq_duty_sessions_open",
        "resident_id",
        unique=True,
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    Index(
        "ix_duty_sessions_open_started",
        "started_at",
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
)

service_records = Table(
    "service_records",
    metadata,
    _id(),
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("session_id", Integer, ForeignKey("duty_sessions.id"), nullable=True, unique=True),
    Column("activity", String(60), nullable=False),
    Column("place", String(60), nullable=False, server_default=""),
    Column("content", String(200), nullable=False, server_default=""),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # pending | approved | rejected | not_counted
    Column("flag", String(40), nullable=False, server_default=""),  # why staff should look: capped …
    Column("recorded_by", Integer, ForeignKey("residents.id"), nullable=True),  # 补录 by staff
    Column("reviewer_id", Integer, ForeignKey("residents.id"), nullable=True),
    Column("reviewed_at", UTCDateTime(), nullable=True),
    Column("reject_reason", String(200), nullable=False, server_default=""),
    _created(),
    CheckConstraint("minutes >= 0", name="minutes_not_negative"),
    CheckConstraint("points >= 0", name="points_not_negative"),
    Index("ix_service_records_community_status", "community_id", "status"),
    Index("ix_service_records_resident_status", "resident_id", "status"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    _id(),
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("points", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # service | bonus | deduction | redemption | reversal | adjustment
    Column("period", String(7), nullable=False),  # YYYY-MM, the notice period it is published in
    Column("reason", String(200), nullable=False),
    Column("record_id", Integer, ForeignKey("service_records.id"), nullable=True),
    Column("reverses_id", Integer, ForeignKey("ledger_entries.id"), nullable=True, unique=True),
    Column("created_by", Integer, ForeignKey("residents.id"), nullable=True),  # NULL: the bot itself
    _created(),
    CheckConstraint("points <> 0", name="points_not_zero"),
    Index("ix_ledger_entries_resident_period", "resident_id", "period"),
    Index("ix_ledger_entries_community_period", "community_id", "period"),
)

balances = Table(
    "balances",
    metadata,
    Column("resident_id", Integer, ForeignKey("residents.id"), primary_key=True),
    _community(),
    Column("points", Integer, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("points >= 0", name="points_not_negative"),
)

inbox = Table(
    "inbox",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("chat_id", String(120), primary_key=True),
    Column("message_id", String(120), primary_key=True),
    Column("received_at", UTCDateTime(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("community_id", Integer, ForeignKey("communities.id"), nullable=True),
    Column("platform", String(20), nullable=False),
    Column("chat_kind", String(10), nullable=False),
    Column("chat_id", String(120), nullable=False),
    Column("chat_title", String(120), nullable=False, server_default=""),
    Column("text", Text, nullable=False),
    Column("mentions", Text, nullable=False, server_default="[]"),  # JSON [[id, name], …]
    Column("image_name", String(120), nullable=True),
    Column("image_id", Integer, ForeignKey("images.id"), nullable=True),  # one picture, stored once, for 768 groups
    Column("kind", String(40), nullable=False),
    Column("dedupe_key", String(200), nullable=True, unique=True),
    Column("status", String(10), nullable=False),  # pending | sending | sent | failed | unknown
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", UTCDateTime(), nullable=False),
    Column("claimed_by", String(60), nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("error", String(300), nullable=False, server_default=""),
    Column("reported", Boolean, nullable=False, server_default=false()),
    _created(),
    Index("ix_outbox_status_not_before", "status", "not_before"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    _community(),
    Column("actor_id", Integer, ForeignKey("residents.id"), nullable=True),
    Column("action", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("platform", String(20), nullable=False, server_default=""),
    Column("chat_id", String(120), nullable=False, server_default=""),
    _created(),
    Index("ix_audit_log_community_id", "community_id", "id"),
)

# --- the points economy: rule items, the points supermarket (revision 0400) -------------------------------

rule_applications = Table(
    "rule_applications",
    metadata,
    _id(),
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("item_code", String(20), nullable=False),
    Column("item_name", String(60), nullable=False),
    Column("category", String(60), nullable=False, server_default=""),
    Column("points", Integer, nullable=False),  # applied, after caps and the floor: + bonus, - deduction
    Column("requested", Integer, nullable=False),  # the item's fixed value
    Column("remark", String(200), nullable=False, server_default=""),
    Column("period", String(7), nullable=False),
    Column("year", Integer, nullable=False),
    Column("applied_by", Integer, ForeignKey("residents.id"), nullable=False),
    Column("reversed_by", Integer, ForeignKey("residents.id"), nullable=True),
    Column("reversed_at", UTCDateTime(), nullable=True),
    _created(),
    CheckConstraint("points <> 0", name="points_not_zero"),
    Index("ix_rule_applications_resident_year", "resident_id", "year"),
)

products = Table(
    "products",
    metadata,
    _id(),
    _community(),
    Column("code", String(20), nullable=False),
    Column("name", String(60), nullable=False),
    Column("price", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # goods | service | voucher
    Column("unit", String(10), nullable=False, server_default=""),
    Column("limit_per_household", Integer, nullable=False, server_default="0"),
    Column("stock", Integer, nullable=False, server_default="0"),  # cache of the sum of its stock movements
    Column("active", Boolean, nullable=False, server_default=true()),  # false: no longer in community.toml
    _created(),
    UniqueConstraint("community_id", "code", name="uq_products_community_code"),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
    CheckConstraint("price > 0", name="price_positive"),
)

redemptions = Table(
    "redemptions",
    metadata,
    _id(),  # the receipt number 小票号
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=True),  # at the time
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("day", String(10), nullable=False),  # local date of the exchange, YYYY-MM-DD
    Column("status", String(10), nullable=False),  # held | done | reversed | cancelled
    Column("cashier_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("second_staff_id", Integer, ForeignKey("residents.id"), nullable=True),
    Column("done_at", UTCDateTime(), nullable=True),
    Column("reversed_by", Integer, ForeignKey("residents.id"), nullable=True),
    Column("reversed_at", UTCDateTime(), nullable=True),
    Column("reverse_reason", String(200), nullable=False, server_default=""),
    _created(),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("points > 0", name="points_positive"),
    Index("ix_redemptions_community_day", "community_id", "day"),
)

# Which ledger entries a redemption or a rule application wrote (a shared pool may debit several members).
economy_entries = Table(
    "economy_entries",
    metadata,
    Column("entry_id", Integer, ForeignKey("ledger_entries.id"), primary_key=True),
    Column("redemption_id", Integer, ForeignKey("redemptions.id"), nullable=True),
    Column("application_id", Integer, ForeignKey("rule_applications.id"), nullable=True),
    CheckConstraint("(redemption_id IS NULL) <> (application_id IS NULL)", name="one_owner"),
    Index("ix_economy_entries_redemption_id", "redemption_id"),
    Index("ix_economy_entries_application_id", "application_id"),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    _id(),
    _community(),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("kind", String(12), nullable=False),  # stock_in | redemption | reversal | count
    Column("stock_after", Integer, nullable=False),
    Column("redemption_id", Integer, ForeignKey("redemptions.id"), nullable=True),
    Column("note", String(200), nullable=False, server_default=""),
    Column("created_by", Integer, ForeignKey("residents.id"), nullable=True),
    _created(),
    CheckConstraint("delta <> 0", name="delta_not_zero"),
    CheckConstraint("stock_after >= 0", name="stock_after_not_negative"),
    Index("ix_stock_movements_product_id", "product_id", "id"),
)

shop_days = Table(
    "shop_days",
    metadata,
    _id(),
    _community(),
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("open", Boolean, nullable=False),  # staff opened the shop on another day, or closed an exchange day
    Column("set_by", Integer, ForeignKey("residents.id"), nullable=False),
    _created(),
    UniqueConstraint("community_id", "day", name="uq_shop_days_community_day"),
)

# --- chat platforms: what an adapter must remember across restarts -------------------------------------

private_chats = Table(
    "private_chats",
    metadata,
    Column("platform", String(20), primary_key=True),
    Column("user_id", String(120), primary_key=True),
    Column("reachable", Boolean, nullable=False),  # the person opened a private chat and has not blocked the bot
    Column("updated_at", UTCDateTime(), nullable=False),
)

chat_prompts = Table(
    "chat_prompts",
    metadata,
    _id(),
    Column("platform", String(20), nullable=False),
    Column("chat_id", String(120), nullable=False),
    Column("message_id", String(120), nullable=False),  # the bot's message carrying the button, or the question
    Column("command", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("asked_user_id", String(120), nullable=True),  # set once the question was put to this person
    Column("origin_message_id", String(120), nullable=True),  # the message whose button was pressed
    _created(),
    Index("ix_chat_prompts_message", "platform", "chat_id", "message_id"),
)

# One-time binding codes (绑定码): staff issue one for a resident; the resident sends it to the bot in a private
# chat. Only a salted, slow hash of the code is kept, so a copy of the database does not reveal live codes.
binding_codes = Table(
    "binding_codes",
    metadata,
    _id(),
    _community(),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("code_hash", String(200), nullable=False),
    Column("status", String(10), nullable=False),  # live | used | void
    Column("void_reason", String(20), nullable=False, server_default=""),  # replaced | said_in_group | guessed
    Column("failures", Integer, nullable=False, server_default="0"),  # wrong codes tried while this one was live
    Column("issued_by", Integer, ForeignKey("residents.id"), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_by", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
    _created(),
    Index("ix_binding_codes_community_status", "community_id", "status"),
)

# Tables the database itself keeps append-only (triggers refuse UPDATE, DELETE and, on PostgreSQL, TRUNCATE;
# see migration 0700). Nothing in the code edits them; corrections are new rows.
APPEND_ONLY = ("audit_log", "ledger_entries")

# --- the monthly cycle: periods, objections, job runs, pictures stored once (revision 0800) ------------------

images = Table(
    "images",
    metadata,
    _id(),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("data", LargeBinary, nullable=False),
    _created(),
)

periods = Table(
    "periods",
    metadata,
    _id(),
    _community(),
    Column("label", String(7), nullable=False),  # YYYY-MM, as ledger_entries.period
    Column("published_at", UTCDateTime(), nullable=False),
    Column("published_by", Integer, ForeignKey("residents.id"), nullable=True),  # NULL: the schedule
    Column("objections_until", UTCDateTime(), nullable=False),
    # Kept on the row itself so that closing ("no open objection") and filing race on one row lock.
    Column("open_objections", Integer, nullable=False, server_default="0"),
    Column("objections", Integer, nullable=False, server_default="0"),
    Column("closed_at", UTCDateTime(), nullable=True),  # set once; then no entry may be written into it
    UniqueConstraint("community_id", "label", name="uq_periods_community_label"),
    CheckConstraint("open_objections >= 0", name="open_objections_not_negative"),
)

objections = Table(
    "objections",
    metadata,
    _id(),
    _community(),
    Column("period", String(7), nullable=False),
    Column("resident_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("text", String(300), nullable=False),
    Column("status", String(10), nullable=False),  # open | settled
    Column("result", String(300), nullable=False, server_default=""),
    Column("points", Integer, nullable=False, server_default="0"),  # the correction made when settling
    Column("entry_id", Integer, ForeignKey("ledger_entries.id"), nullable=True),
    Column("settled_by", Integer, ForeignKey("residents.id"), nullable=True),
    Column("settled_at", UTCDateTime(), nullable=True),
    _created(),
    Index("ix_objections_community_status", "community_id", "status"),
)

job_runs = Table(
    "job_runs",
    metadata,
    _id(),
    _community(),
    Column("job", String(60), nullable=False),
    Column("occurrence", String(60), nullable=False),  # what the run is for: a period, a date, a week
    Column("due_at", UTCDateTime(), nullable=False),
    Column("outcome", String(10), nullable=False),  # done | missed
    Column("ran_at", UTCDateTime(), nullable=False),
    Column("ran_by", String(120), nullable=False, server_default=""),
    UniqueConstraint("community_id", "job", "occurrence", name="uq_job_runs_occurrence"),
)

schedule_marks = Table(
    "schedule_marks",
    metadata,
    Column("community_id", Integer, ForeignKey("communities.id"), primary_key=True),
    Column("checked_until", UTCDateTime(), nullable=False),  # every occurrence up to here was run or reported
    # Extra exchange days (JSON list) accepted at a start: a past one new in the file is refused as a typo.
    Column("exchange_dates", Text, nullable=False, server_default="[]"),
)
