"""an index for a household's members: 我的积分 sums the household's balances on every ask

Revision ID: 0900
Revises: 0800
Create Date: 2026-11-21 11:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0900"
down_revision = "0800"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_residents_household", "residents", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_residents_household", table_name="residents")
