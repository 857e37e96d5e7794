"""trust: one-time binding codes; the audit log and the ledger made append-only by the database

Revision ID: 0700
Revises: 0600
Create Date: 2026-11-21 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0700"
down_revision = "0600"
branch_labels = None
depends_on = None

# Written out here rather than imported: a migration must keep doing what it did when it was written.
_APPEND_ONLY = ("audit_log", "ledger_entries")


def upgrade() -> None:
    op.create_table(
        "binding_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("void_reason", sa.String(length=20), server_default="", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_binding_codes_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["residents.id"], name=op.f("fk_binding_codes_issued_by_residents")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_binding_codes_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(["used_by"], ["accounts.id"], name=op.f("fk_binding_codes_used_by_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_codes")),
    )
    op.create_index(
        "ix_binding_codes_community_status", "binding_codes", ["community_id", "status"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION pointsbot_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: add a correcting row instead', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION pointsbot_append_only()"
            )
    else:
        for table in _APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a correcting row instead'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION pointsbot_append_only()")
    else:
        for table in _APPEND_ONLY:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{event}")
    op.drop_index("ix_binding_codes_community_status", table_name="binding_codes")
    op.drop_table("binding_codes")
