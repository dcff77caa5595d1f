"""region registry and outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 16:27:57.628765

The registry is public reference data written only by `siaga112 regions sync`
(as the owner): the runtime role may read it, never change it.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('relayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deliveries', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_pending', 'outbox', ['id'], unique=False, postgresql_where=sa.text('relayed_at IS NULL'))
    op.create_table('provinces',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('time_zone', sa.String(length=40), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{2}$'", name=op.f('ck_provinces_code_format')),
    sa.CheckConstraint("time_zone IN ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')", name=op.f('ck_provinces_indonesian_time_zone')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_provinces'))
    )
    op.create_table('regions',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{2}\\.[0-9]{2}$'", name=op.f('ck_regions_code_format')),
    sa.CheckConstraint("kind IN ('kabupaten', 'kota')", name=op.f('ck_regions_kind')),
    sa.ForeignKeyConstraint(['province_code'], ['provinces.code'], name=op.f('fk_regions_province_code_provinces')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    op.create_index(op.f('ix_regions_province_code'), 'regions', ['province_code'], unique=False)
    op.execute(RUNTIME_READS_REGISTRY_ONLY)


RUNTIME_READS_REGISTRY_ONLY = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_database() || '_app') THEN
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON provinces, regions FROM %I', current_database() || '_app');
  END IF;
END $$;
"""


def downgrade() -> None:
    op.drop_index(op.f('ix_regions_province_code'), table_name='regions')
    op.drop_table('regions')
    op.drop_table('provinces')
    op.drop_index('ix_outbox_pending', table_name='outbox', postgresql_where=sa.text('relayed_at IS NULL'))
    op.drop_table('outbox')
