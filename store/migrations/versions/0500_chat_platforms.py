"""chat platforms: who opened a private chat with the bot, and questions asked with buttons

Revision ID: 0500
Revises: 0400
Create Date: 2026-11-21 08:10:00.219954
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0500'
down_revision = '0400'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('private_chats',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.String(length=120), nullable=False),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'user_id', name=op.f('pk_private_chats'))
    )
    op.create_table('chat_prompts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=120), nullable=False),
    sa.Column('message_id', sa.String(length=120), nullable=False),
    sa.Column('command', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_user_id', sa.String(length=120), nullable=True),
    sa.Column('origin_message_id', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_prompts'))
    )
    with op.batch_alter_table('chat_prompts', schema=None) as batch_op:
        batch_op.create_index('ix_chat_prompts_message', ['platform', 'chat_id', 'message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_prompts_message')
    op.drop_table('chat_prompts')
    op.drop_table('private_chats')
