"""points economy: rule items applied, the points supermarket (products, stock, redemptions, shop days)

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-21 08:05:32.191195
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0400'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('products',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('unit', sa.String(length=10), server_default='', nullable=False),
    sa.Column('limit_per_household', sa.Integer(), server_default='0', nullable=False),
    sa.Column('stock', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price > 0', name=op.f('ck_products_price_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_products_stock_not_negative')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_products_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('community_id', 'code', name='uq_products_community_code')
    )
    op.create_table('redemptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('cashier_id', sa.Integer(), nullable=False),
    sa.Column('second_staff_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reversed_by', sa.Integer(), nullable=True),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reverse_reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_redemptions_points_positive')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_redemptions_quantity_positive')),
    sa.ForeignKeyConstraint(['cashier_id'], ['residents.id'], name=op.f('fk_redemptions_cashier_id_residents')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_redemptions_community_id_communities')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_redemptions_household_id_households')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_redemptions_product_id_products')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_redemptions_resident_id_residents')),
    sa.ForeignKeyConstraint(['reversed_by'], ['residents.id'], name=op.f('fk_redemptions_reversed_by_residents')),
    sa.ForeignKeyConstraint(['second_staff_id'], ['residents.id'], name=op.f('fk_redemptions_second_staff_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemptions'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_redemptions_community_day', ['community_id', 'day'], unique=False)

    op.create_table('rule_applications',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=20), nullable=False),
    sa.Column('item_name', sa.String(length=60), nullable=False),
    sa.Column('category', sa.String(length=60), server_default='', nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=False),
    sa.Column('remark', sa.String(length=200), server_default='', nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=False),
    sa.Column('reversed_by', sa.Integer(), nullable=True),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points <> 0', name=op.f('ck_rule_applications_points_not_zero')),
    sa.ForeignKeyConstraint(['applied_by'], ['residents.id'], name=op.f('fk_rule_applications_applied_by_residents')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_rule_applications_community_id_communities')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_rule_applications_resident_id_residents')),
    sa.ForeignKeyConstraint(['reversed_by'], ['residents.id'], name=op.f('fk_rule_applications_reversed_by_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_applications'))
    )
    with op.batch_alter_table('rule_applications', schema=None) as batch_op:
        batch_op.create_index('ix_rule_applications_resident_year', ['resident_id', 'year'], unique=False)

    op.create_table('shop_days',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_shop_days_community_id_communities')),
    sa.ForeignKeyConstraint(['set_by'], ['residents.id'], name=op.f('fk_shop_days_set_by_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_days')),
    sa.UniqueConstraint('community_id', 'day', name='uq_shop_days_community_day')
    )
    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('stock_after', sa.Integer(), nullable=False),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('delta <> 0', name=op.f('ck_stock_movements_delta_not_zero')),
    sa.CheckConstraint('stock_after >= 0', name=op.f('ck_stock_movements_stock_after_not_negative')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_stock_movements_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by'], ['residents.id'], name=op.f('fk_stock_movements_created_by_residents')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_movements_product_id_products')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_stock_movements_redemption_id_redemptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movements_product_id', ['product_id', 'id'], unique=False)

    op.create_table('economy_entries',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(redemption_id IS NULL) <> (application_id IS NULL)', name=op.f('ck_economy_entries_one_owner')),
    sa.ForeignKeyConstraint(['application_id'], ['rule_applications.id'], name=op.f('fk_economy_entries_application_id_rule_applications')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_economy_entries_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_economy_entries_redemption_id_redemptions')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_economy_entries'))
    )
    with op.batch_alter_table('economy_entries', schema=None) as batch_op:
        batch_op.create_index('ix_economy_entries_application_id', ['application_id'], unique=False)
        batch_op.create_index('ix_economy_entries_redemption_id', ['redemption_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('economy_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_economy_entries_redemption_id')
        batch_op.drop_index('ix_economy_entries_application_id')

    op.drop_table('economy_entries')
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_product_id')

    op.drop_table('stock_movements')
    op.drop_table('shop_days')
    with op.batch_alter_table('rule_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_rule_applications_resident_year')

    op.drop_table('rule_applications')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_redemptions_community_day')

    op.drop_table('redemptions')
    op.drop_table('products')
