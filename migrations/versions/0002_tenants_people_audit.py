"""tenants, people, memberships, agencies, audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:39:29.324700

Tenant-owned tables get row-level security (forced, so the owner obeys it too).
The runtime role may only INSERT and SELECT the audit log.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

RLS_TABLES = ("agencies", "memberships", "audit_log", "audit_heads")
AUDIT_APPEND_ONLY = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_database() || '_app') THEN
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', current_database() || '_app');
    EXECUTE format('REVOKE DELETE, TRUNCATE ON audit_heads FROM %I', current_database() || '_app');
  END IF;
END $$;
"""

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("email = btrim(email) AND position('@' in email) > 1", name=op.f('ck_users_email_format')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_index('uq_users_lower_email', 'users', [sa.literal_column('lower(email)')], unique=True)
    op.create_table('platform_roles',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('platform_admin', 'ministry_verifier', 'national_monitor')", name=op.f('ck_platform_roles_role')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_platform_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_platform_roles'))
    )
    op.create_table('tenants',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('region_code', sa.String(length=5), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'prospect'"), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_tenants_slug_format')),
    sa.CheckConstraint("status IN ('prospect', 'onboarding', 'live', 'suspended')", name=op.f('ck_tenants_status')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_tenants_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants')),
    sa.UniqueConstraint('region_code', name=op.f('uq_tenants_region_code')),
    sa.UniqueConstraint('slug', name=op.f('uq_tenants_slug'))
    )
    op.create_table('agencies',
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("kind IN ('police', 'fire', 'medical', 'disaster', 'utility', 'public_order', 'social', 'health_center', 'blood', 'other')", name=op.f('ck_agencies_kind')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agencies_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_agencies_tenant_id_id')
    )
    op.create_index(op.f('ix_agencies_tenant_id'), 'agencies', ['tenant_id'], unique=False)
    op.create_table('audit_heads',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_heads_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_heads')),
    sa.UniqueConstraint('tenant_id', name='uq_audit_heads_tenant_id', postgresql_nulls_not_distinct=True)
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('actor_kind', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.String(length=80), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_log_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('tenant_id', 'seq', name='uq_audit_log_chain_seq', postgresql_nulls_not_distinct=True)
    )
    op.create_index(op.f('ix_audit_log_tenant_id'), 'audit_log', ['tenant_id'], unique=False)
    op.create_table('memberships',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('agency_id', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("(role = 'agency_responder') = (agency_id IS NOT NULL)", name=op.f('ck_memberships_agency_only_for_responder')),
    sa.CheckConstraint("role IN ('regional_admin', 'supervisor', 'operator', 'agency_responder')", name=op.f('ck_memberships_role')),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_memberships_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_memberships_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_memberships_tenant_id_id'),
    sa.UniqueConstraint('tenant_id', 'user_id', 'role', 'agency_id', name='uq_memberships_grant', postgresql_nulls_not_distinct=True)
    )
    op.create_index(op.f('ix_memberships_tenant_id'), 'memberships', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_memberships_user_id'), 'memberships', ['user_id'], unique=False)
    for table in RLS_TABLES:
        enable_tenant_rls(op, table)
    op.execute(AUDIT_APPEND_ONLY)


def downgrade() -> None:
    for table in RLS_TABLES:
        disable_tenant_rls(op, table)
    op.drop_index(op.f('ix_memberships_user_id'), table_name='memberships')
    op.drop_index(op.f('ix_memberships_tenant_id'), table_name='memberships')
    op.drop_table('memberships')
    op.drop_index(op.f('ix_audit_log_tenant_id'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('audit_heads')
    op.drop_index(op.f('ix_agencies_tenant_id'), table_name='agencies')
    op.drop_table('agencies')
    op.drop_table('tenants')
    op.drop_table('platform_roles')
    op.drop_index('uq_users_lower_email', table_name='users')
    op.drop_table('users')
