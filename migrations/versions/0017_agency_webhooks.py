"""agencies' own systems: webhooks and their deliveries

Revision ID: 0017_agency_webhooks
Revises: 0016_dispatch

- agency_webhooks: where an agency's system wants its dispatches (HMAC-signed with the webhook's secret);
- webhook_deliveries: one event for one webhook, its id the event id the receiver deduplicates on.
Both tenant-owned under forced row-level security, narrowed to the context's agencies in an agency context.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import (agency_condition, disable_agency_rls, disable_tenant_rls, enable_agency_rls,
                                           enable_tenant_rls)

NEW_TABLES = ("agency_webhooks", "webhook_deliveries")


revision = '0017_agency_webhooks'
down_revision = '0016_dispatch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_webhooks',
    sa.Column('agency_id', sa.UUID(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("url ~ '^https?://'", name=op.f('ck_agency_webhooks_url_scheme')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_agency_webhooks_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_agency_webhooks_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agency_webhooks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_webhooks')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_agency_webhooks_tenant_id_id')
    )
    op.create_index('ix_agency_webhooks_tenant_agency', 'agency_webhooks', ['tenant_id', 'agency_id'], unique=False)
    op.create_index(op.f('ix_agency_webhooks_tenant_id'), 'agency_webhooks', ['tenant_id'], unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('webhook_id', sa.UUID(), nullable=False),
    sa.Column('dispatch_id', sa.UUID(), nullable=False),
    sa.Column('agency_id', sa.UUID(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('body', sa.String(length=8000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("event IN ('dispatch.sent', 'dispatch.reminder', 'dispatch.cancelled')", name=op.f('ck_webhook_deliveries_event')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_webhook_deliveries_attempts')),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_webhook_deliveries_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id', 'dispatch_id'], ['dispatches.tenant_id', 'dispatches.id'], name='fk_webhook_deliveries_tenant_dispatch', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'webhook_id'], ['agency_webhooks.tenant_id', 'agency_webhooks.id'], name='fk_webhook_deliveries_tenant_webhook', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_webhook_deliveries_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_webhook_deliveries_tenant_id_id')
    )
    op.create_index(op.f('ix_webhook_deliveries_tenant_id'), 'webhook_deliveries', ['tenant_id'], unique=False)
    op.create_index('ix_webhook_deliveries_tenant_webhook', 'webhook_deliveries', ['tenant_id', 'webhook_id', 'created_at'], unique=False)
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)
        enable_agency_rls(op, table, agency_condition())


def downgrade() -> None:
    for table in NEW_TABLES:
        disable_agency_rls(op, table)
        disable_tenant_rls(op, table)
    op.drop_index('ix_webhook_deliveries_tenant_webhook', table_name='webhook_deliveries')
    op.drop_index(op.f('ix_webhook_deliveries_tenant_id'), table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index(op.f('ix_agency_webhooks_tenant_id'), table_name='agency_webhooks')
    op.drop_index('ix_agency_webhooks_tenant_agency', table_name='agency_webhooks')
    op.drop_table('agency_webhooks')
