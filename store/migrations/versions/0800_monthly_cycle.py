"""monthly cycle: periods, objections, job runs, images stored once

Revision ID: 0800
Revises: 0700
Create Date: 2026-11-21 08:13:15.056090
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0800'
down_revision = '0700'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('images',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images')),
    sa.UniqueConstraint('sha256', name=op.f('uq_images_sha256'))
    )
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('occurrence', sa.String(length=60), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ran_by', sa.String(length=120), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_job_runs_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('community_id', 'job', 'occurrence', name='uq_job_runs_occurrence')
    )
    op.create_table('schedule_marks',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('checked_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('exchange_dates', sa.Text(), server_default='[]', nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_schedule_marks_community_id_communities')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_schedule_marks'))
    )
    op.create_table('periods',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=7), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('objections_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('open_objections', sa.Integer(), server_default='0', nullable=False),
    sa.Column('objections', sa.Integer(), server_default='0', nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('open_objections >= 0', name=op.f('ck_periods_open_objections_not_negative')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_periods_community_id_communities')),
    sa.ForeignKeyConstraint(['published_by'], ['residents.id'], name=op.f('fk_periods_published_by_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_periods')),
    sa.UniqueConstraint('community_id', 'label', name='uq_periods_community_label')
    )
    op.create_table('objections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('result', sa.String(length=300), server_default='', nullable=False),
    sa.Column('points', sa.Integer(), server_default='0', nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('settled_by', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_objections_community_id_communities')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_objections_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_objections_resident_id_residents')),
    sa.ForeignKeyConstraint(['settled_by'], ['residents.id'], name=op.f('fk_objections_settled_by_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    op.create_index('ix_objections_community_status', 'objections', ['community_id', 'status'], unique=False)

    # A picture is stored once in `images` and referenced by every outbox row that posts it.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_image_id_images'), 'images', ['image_id'], ['id'])
        batch_op.drop_column('image_data')



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_data', sa.LargeBinary(), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_outbox_image_id_images'), type_='foreignkey')
        batch_op.drop_column('image_id')

    op.drop_index('ix_objections_community_status', table_name='objections')
    op.drop_table('objections')
    op.drop_table('periods')
    op.drop_table('schedule_marks')
    op.drop_table('job_runs')
    op.drop_table('images')
