"""binding requests that move a binding to a new account (WeChat ids that changed)

Revision ID: 0600
Revises: 0400
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0600"
down_revision = "0500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("binding_requests") as batch:
        batch.add_column(sa.Column("replaces_account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_binding_requests_replaces_account_id_accounts"), "accounts", ["replaces_account_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("binding_requests") as batch:
        batch.drop_constraint(op.f("fk_binding_requests_replaces_account_id_accounts"), type_="foreignkey")
        batch.drop_column("replaces_account_id")
