"""dispatch to agencies, escalation, and the agency context

Revision ID: 0016_dispatch
Revises: 0015_gateways_and_retention

- dispatches: one agency's part in one incident (sent, acknowledged, on scene, reported, done, or cancelled),
  with who acted and how (signed in, the e-mailed link, the agency's system); at most one live dispatch per agency
  and incident;
- dispatch_photos: the follow-up report's photos (bytes in the file store); dispatch_links: the e-mailed links
  (only a token's SHA-256);
- escalation_policies and escalation_steps: a region's own steps (none: the national default); escalations: each
  dispatch's steps with their due times, taken by the sweep with SKIP LOCKED;
- incidents.status gains dispatched and responding (it follows the dispatches).
Every new table is under forced row-level security. In an agency context (app.scope = 'agency', an agency
responder or a link's holder) restrictive policies narrow the dispatch tables to the context's agencies, the
incidents to those dispatched to them, and hide the call floor entirely.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import (NOT_AGENCY_SCOPE, agency_condition, disable_agency_rls, disable_tenant_rls,
                                           enable_agency_rls, enable_tenant_rls)

NEW_TABLES = ("escalation_policies", "escalation_steps", "dispatches", "dispatch_links", "dispatch_photos",
              "escalations")
AGENCY_TABLES = ("dispatches", "dispatch_links", "dispatch_photos", "escalations")
# What an agency's responder never reads: the call floor (callers' numbers among it).
FLOOR_TABLES = ("calls", "call_events", "call_blocks", "callbacks", "handovers", "agent_extensions")
# An incident is theirs to read when one of their agency's dispatches is for it (dispatches' own policy applies
# inside the subquery).
DISPATCHED_TO_AGENCY = (f"{NOT_AGENCY_SCOPE} OR EXISTS (SELECT 1 FROM dispatches d WHERE d.tenant_id = incidents.tenant_id "
                        "AND d.incident_id = incidents.id)")


revision = '0016_dispatch'
down_revision = '0015_gateways_and_retention'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('escalation_policies',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_escalation_policies_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_escalation_policies_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('tenant_id', name='pk_escalation_policies')
    )
    op.create_table('escalation_steps',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('after_minutes', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.CheckConstraint("action IN ('agency_again', 'supervisor_on_duty', 'regional_admin')", name=op.f('ck_escalation_steps_action')),
    sa.CheckConstraint('after_minutes BETWEEN 1 AND 1440', name=op.f('ck_escalation_steps_after_minutes')),
    sa.CheckConstraint('position BETWEEN 1 AND 10', name=op.f('ck_escalation_steps_position')),
    sa.ForeignKeyConstraint(['tenant_id'], ['escalation_policies.tenant_id'], name=op.f('fk_escalation_steps_tenant_id_escalation_policies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'position', name='pk_escalation_steps')
    )
    op.create_table('dispatches',
    sa.Column('incident_id', sa.UUID(), nullable=False),
    sa.Column('agency_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'sent'"), nullable=False),
    sa.Column('channel', sa.String(length=20), server_default=sa.text("'platform'"), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('sent_by', sa.UUID(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.UUID(), nullable=True),
    sa.Column('acknowledged_via', sa.String(length=20), nullable=True),
    sa.Column('acknowledged_name', sa.String(length=120), nullable=True),
    sa.Column('on_scene_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_text', sa.String(length=4000), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by', sa.UUID(), nullable=True),
    sa.Column('reported_via', sa.String(length=20), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_reason', sa.String(length=500), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name=op.f('ck_dispatches_cancelled_pair')),
    sa.CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name=op.f('ck_dispatches_done_pair')),
    sa.CheckConstraint("acknowledged_via IS NULL OR acknowledged_via IN ('user', 'link', 'machine')", name=op.f('ck_dispatches_acknowledged_via')),
    sa.CheckConstraint("channel IN ('platform', 'phone')", name=op.f('ck_dispatches_channel')),
    sa.CheckConstraint("reported_via IS NULL OR reported_via IN ('user', 'link', 'machine')", name=op.f('ck_dispatches_reported_via')),
    sa.CheckConstraint("status IN ('sent', 'acknowledged', 'on_scene', 'reported', 'done', 'cancelled')", name=op.f('ck_dispatches_status')),
    sa.CheckConstraint("status IN ('sent', 'cancelled') OR acknowledged_at IS NOT NULL", name=op.f('ck_dispatches_acknowledged_first')),
    sa.CheckConstraint('(acknowledged_at IS NULL) = (acknowledged_via IS NULL)', name=op.f('ck_dispatches_acknowledged_pair')),
    sa.CheckConstraint('(reported_at IS NULL) = (report_text IS NULL)', name=op.f('ck_dispatches_reported_pair')),
    sa.CheckConstraint('done_at IS NULL OR reported_at IS NOT NULL', name=op.f('ck_dispatches_done_after_report')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_dispatches_acknowledged_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reported_by'], ['users.id'], name=op.f('fk_dispatches_reported_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by'], ['users.id'], name=op.f('fk_dispatches_sent_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_dispatches_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id', 'incident_id'], ['incidents.tenant_id', 'incidents.id'], name='fk_dispatches_tenant_incident'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispatches_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatches')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_dispatches_tenant_id_id')
    )
    op.create_index('ix_dispatches_tenant_agency_sent', 'dispatches', ['tenant_id', 'agency_id', 'sent_at'], unique=False)
    op.create_index(op.f('ix_dispatches_tenant_id'), 'dispatches', ['tenant_id'], unique=False)
    op.create_index('ix_dispatches_tenant_incident', 'dispatches', ['tenant_id', 'incident_id'], unique=False)
    op.create_index('uq_dispatches_live_per_agency', 'dispatches', ['tenant_id', 'incident_id', 'agency_id'], unique=True, postgresql_where=sa.text("status <> 'cancelled'"))
    op.create_table('dispatch_links',
    sa.Column('dispatch_id', sa.UUID(), nullable=False),
    sa.Column('agency_id', sa.UUID(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.UUID(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_dispatch_links_expires_after_creation')),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_dispatch_links_revoked_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_dispatch_links_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id', 'dispatch_id'], ['dispatches.tenant_id', 'dispatches.id'], name='fk_dispatch_links_tenant_dispatch', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispatch_links_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_links')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_dispatch_links_tenant_id_id'),
    sa.UniqueConstraint('token_hash', name='uq_dispatch_links_token_hash')
    )
    op.create_index('ix_dispatch_links_tenant_dispatch', 'dispatch_links', ['tenant_id', 'dispatch_id'], unique=False)
    op.create_index(op.f('ix_dispatch_links_tenant_id'), 'dispatch_links', ['tenant_id'], unique=False)
    op.create_table('dispatch_photos',
    sa.Column('dispatch_id', sa.UUID(), nullable=False),
    sa.Column('agency_id', sa.UUID(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('uploaded_by', sa.UUID(), nullable=True),
    sa.Column('uploaded_via', sa.String(length=20), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name=op.f('ck_dispatch_photos_content_type')),
    sa.CheckConstraint("uploaded_via IN ('user', 'link', 'machine')", name=op.f('ck_dispatch_photos_uploaded_via')),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_dispatch_photos_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id', 'dispatch_id'], ['dispatches.tenant_id', 'dispatches.id'], name='fk_dispatch_photos_tenant_dispatch', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dispatch_photos_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_dispatch_photos_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_photos')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_dispatch_photos_tenant_id_id')
    )
    op.create_index('ix_dispatch_photos_tenant_dispatch', 'dispatch_photos', ['tenant_id', 'dispatch_id'], unique=False)
    op.create_index(op.f('ix_dispatch_photos_tenant_id'), 'dispatch_photos', ['tenant_id'], unique=False)
    op.create_table('escalations',
    sa.Column('dispatch_id', sa.UUID(), nullable=False),
    sa.Column('agency_id', sa.UUID(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified', sa.Integer(), nullable=True),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("action IN ('agency_again', 'supervisor_on_duty', 'regional_admin')", name=op.f('ck_escalations_action')),
    sa.CheckConstraint('fired_at IS NULL OR cancelled_at IS NULL', name=op.f('ck_escalations_fired_or_cancelled')),
    sa.ForeignKeyConstraint(['tenant_id', 'agency_id'], ['agencies.tenant_id', 'agencies.id'], name='fk_escalations_tenant_agency'),
    sa.ForeignKeyConstraint(['tenant_id', 'dispatch_id'], ['dispatches.tenant_id', 'dispatches.id'], name='fk_escalations_tenant_dispatch', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_escalations_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('tenant_id', 'dispatch_id', 'position', name='uq_escalations_step'),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_escalations_tenant_id_id')
    )
    op.create_index('ix_escalations_pending_due', 'escalations', ['due_at'], unique=False, postgresql_where=sa.text('fired_at IS NULL AND cancelled_at IS NULL'))
    op.create_index(op.f('ix_escalations_tenant_id'), 'escalations', ['tenant_id'], unique=False)
    op.drop_constraint(op.f('ck_incidents_status'), 'incidents', type_='check')
    op.create_check_constraint(op.f('ck_incidents_status'), 'incidents',
                               "status IN ('open', 'dispatched', 'responding', 'closed')")
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)
    for table in AGENCY_TABLES:
        enable_agency_rls(op, table, agency_condition())
    enable_agency_rls(op, "incidents", DISPATCHED_TO_AGENCY)
    for table in FLOOR_TABLES:
        enable_agency_rls(op, table, NOT_AGENCY_SCOPE)


def downgrade() -> None:
    for table in FLOOR_TABLES + ("incidents",) + AGENCY_TABLES:
        disable_agency_rls(op, table)
    for table in NEW_TABLES:
        disable_tenant_rls(op, table)
    op.execute("UPDATE incidents SET status = 'open' WHERE status IN ('dispatched', 'responding')")
    op.drop_constraint(op.f('ck_incidents_status'), 'incidents', type_='check')
    op.create_check_constraint(op.f('ck_incidents_status'), 'incidents', "status IN ('open', 'closed')")
    op.drop_index(op.f('ix_escalations_tenant_id'), table_name='escalations')
    op.drop_index('ix_escalations_pending_due', table_name='escalations', postgresql_where=sa.text('fired_at IS NULL AND cancelled_at IS NULL'))
    op.drop_table('escalations')
    op.drop_index(op.f('ix_dispatch_photos_tenant_id'), table_name='dispatch_photos')
    op.drop_index('ix_dispatch_photos_tenant_dispatch', table_name='dispatch_photos')
    op.drop_table('dispatch_photos')
    op.drop_index(op.f('ix_dispatch_links_tenant_id'), table_name='dispatch_links')
    op.drop_index('ix_dispatch_links_tenant_dispatch', table_name='dispatch_links')
    op.drop_table('dispatch_links')
    op.drop_index('uq_dispatches_live_per_agency', table_name='dispatches', postgresql_where=sa.text("status <> 'cancelled'"))
    op.drop_index('ix_dispatches_tenant_incident', table_name='dispatches')
    op.drop_index(op.f('ix_dispatches_tenant_id'), table_name='dispatches')
    op.drop_index('ix_dispatches_tenant_agency_sent', table_name='dispatches')
    op.drop_table('dispatches')
    op.drop_table('escalation_steps')
    op.drop_table('escalation_policies')
