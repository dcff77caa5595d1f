"""incidents handed to a neighbouring region

Revision ID: 0018_incident_transfers
Revises: 0017_agency_webhooks

incident_transfers: each side's record of an incident handed over (`out` at the source, `in` beside the incident the
receiving region got) or referred to a region not live on the platform. Tenant-owned under forced row-level
security; an agency context reads none of it.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import (NOT_AGENCY_SCOPE, disable_agency_rls, disable_tenant_rls, enable_agency_rls,
                                           enable_tenant_rls)


revision = '0018_incident_transfers'
down_revision = '0017_agency_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident_transfers',
    sa.Column('incident_id', sa.UUID(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('peer_region_code', sa.String(length=5), nullable=False),
    sa.Column('peer_tenant_id', sa.UUID(), nullable=True),
    sa.Column('peer_incident_id', sa.UUID(), nullable=True),
    sa.Column('peer_incident_number', sa.String(length=30), nullable=True),
    sa.Column('peer_112_status', sa.String(length=20), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("(kind = 'transferred') = (peer_incident_id IS NOT NULL)", name=op.f('ck_incident_transfers_peer_incident')),
    sa.CheckConstraint("direction = 'out' OR kind = 'transferred'", name=op.f('ck_incident_transfers_received_is_transferred')),
    sa.CheckConstraint("direction IN ('out', 'in')", name=op.f('ck_incident_transfers_direction')),
    sa.CheckConstraint("kind IN ('transferred', 'referred')", name=op.f('ck_incident_transfers_kind')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_incident_transfers_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['peer_region_code'], ['regions.code'], name=op.f('fk_incident_transfers_peer_region_code_regions')),
    sa.ForeignKeyConstraint(['tenant_id', 'incident_id'], ['incidents.tenant_id', 'incidents.id'], name='fk_incident_transfers_tenant_incident'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_incident_transfers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_transfers')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_incident_transfers_tenant_id_id')
    )
    op.create_index(op.f('ix_incident_transfers_tenant_id'), 'incident_transfers', ['tenant_id'], unique=False)
    op.create_index('ix_incident_transfers_tenant_incident', 'incident_transfers', ['tenant_id', 'incident_id'], unique=False)
    enable_tenant_rls(op, "incident_transfers")
    enable_agency_rls(op, "incident_transfers", NOT_AGENCY_SCOPE)


def downgrade() -> None:
    disable_agency_rls(op, "incident_transfers")
    disable_tenant_rls(op, "incident_transfers")
    op.drop_index('ix_incident_transfers_tenant_incident', table_name='incident_transfers')
    op.drop_index(op.f('ix_incident_transfers_tenant_id'), table_name='incident_transfers')
    op.drop_table('incident_transfers')
