"""incidents, and what a call carries besides its events

Revision ID: 0014_incidents
Revises: 0013_call_blocks

- incidents: what happened, apart from the calls about it (several calls, one incident), numbered per region
  and year from incident_numbers (one row per region and year, taken by an atomic upsert);
- calls gain a category, a location (what the caller said; AML's position, radius, method, time), notes
  and their incident (composite keys: a call can only point at its own region's incident and category);
- callbacks: abandoned and silent calls to ring back, with an outcome;
- handovers: shift handover notes, written by the outgoing supervisor and acknowledged by the incoming one;
- agent_extensions: the PBX extension each person answers on.
Every new table is tenant-owned under forced row-level security.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

NEW_TABLES = ("agent_extensions", "handovers", "incident_numbers", "incidents", "callbacks")
LOCATION_CHECKS = {
    "coordinates_pair": "(latitude IS NULL) = (longitude IS NULL)",
    "latitude": "latitude IS NULL OR latitude BETWEEN -90 AND 90",
    "longitude": "longitude IS NULL OR longitude BETWEEN -180 AND 180",
    "location_radius": "location_radius_m IS NULL OR location_radius_m >= 0",
    "location_method": "location_method IS NULL OR location_method IN ('gnss', 'wifi', 'cell', 'hybrid', 'manual')",
}


revision = '0014_incidents'
down_revision = '0013_call_blocks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_extensions',
    sa.Column('extension', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("extension ~ '^[0-9A-Za-z*#._-]{1,20}$'", name=op.f('ck_agent_extensions_extension')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agent_extensions_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_extensions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_extensions')),
    sa.UniqueConstraint('tenant_id', 'extension', name='uq_agent_extensions_tenant_extension'),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_agent_extensions_tenant_id_id')
    )
    op.create_index(op.f('ix_agent_extensions_tenant_id'), 'agent_extensions', ['tenant_id'], unique=False)
    op.create_table('handovers',
    sa.Column('note', sa.String(length=4000), nullable=False),
    sa.Column('written_by', sa.UUID(), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('acknowledged_by', sa.UUID(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint('(acknowledged_by IS NULL) = (acknowledged_at IS NULL)', name=op.f('ck_handovers_acknowledged_pair')),
    sa.CheckConstraint('length(btrim(note)) > 0', name=op.f('ck_handovers_note')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_handovers_acknowledged_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_handovers_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['written_by'], ['users.id'], name=op.f('fk_handovers_written_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handovers')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_handovers_tenant_id_id')
    )
    op.create_index(op.f('ix_handovers_tenant_id'), 'handovers', ['tenant_id'], unique=False)
    op.create_index('ix_handovers_tenant_written', 'handovers', ['tenant_id', 'written_at'], unique=False)
    op.create_table('incident_numbers',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_incident_numbers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'year', name='pk_incident_numbers')
    )
    op.create_table('incidents',
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('priority', sa.String(length=20), server_default=sa.text("'normal'"), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'open'"), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('category_id', sa.UUID(), nullable=True),
    sa.Column('created_by', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.UUID(), nullable=True),
    sa.Column('closed_reason', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('location_text', sa.String(length=500), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('location_radius_m', sa.Integer(), nullable=True),
    sa.Column('location_method', sa.String(length=20), nullable=True),
    sa.Column('location_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_incidents_closed_at')),
    sa.CheckConstraint("location_method IS NULL OR location_method IN ('gnss', 'wifi', 'cell', 'hybrid', 'manual')", name=op.f('ck_incidents_location_method')),
    sa.CheckConstraint("priority IN ('urgent', 'high', 'normal', 'low')", name=op.f('ck_incidents_priority')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_incidents_status')),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_incidents_coordinates_pair')),
    sa.CheckConstraint('latitude IS NULL OR latitude BETWEEN -90 AND 90', name=op.f('ck_incidents_latitude')),
    sa.CheckConstraint('location_radius_m IS NULL OR location_radius_m >= 0', name=op.f('ck_incidents_location_radius')),
    sa.CheckConstraint('longitude IS NULL OR longitude BETWEEN -180 AND 180', name=op.f('ck_incidents_longitude')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_incidents_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_incidents_closed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'category_id'], ['incident_categories.tenant_id', 'incident_categories.id'], name='fk_incidents_tenant_category', ondelete='SET NULL (category_id)'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_incidents_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_incidents_tenant_id_id'),
    sa.UniqueConstraint('tenant_id', 'number', name='uq_incidents_tenant_number')
    )
    op.create_index(op.f('ix_incidents_tenant_id'), 'incidents', ['tenant_id'], unique=False)
    op.create_index('ix_incidents_tenant_status_created', 'incidents', ['tenant_id', 'status', 'created_at'], unique=False)
    op.create_table('callbacks',
    sa.Column('call_id', sa.UUID(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.UUID(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('reached_emergency', 'reached_no_emergency', 'no_answer', 'unreachable')", name=op.f('ck_callbacks_outcome')),
    sa.CheckConstraint("reason IN ('abandoned', 'ghost')", name=op.f('ck_callbacks_reason')),
    sa.CheckConstraint('(outcome IS NULL) = (done_at IS NULL)', name=op.f('ck_callbacks_done_with_outcome')),
    sa.ForeignKeyConstraint(['done_by'], ['users.id'], name=op.f('fk_callbacks_done_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'call_id'], ['calls.tenant_id', 'calls.id'], name='fk_callbacks_tenant_call', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_callbacks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks')),
    sa.UniqueConstraint('tenant_id', 'call_id', name='uq_callbacks_tenant_call'),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_callbacks_tenant_id_id')
    )
    op.create_index(op.f('ix_callbacks_tenant_id'), 'callbacks', ['tenant_id'], unique=False)
    op.create_index('ix_callbacks_tenant_open', 'callbacks', ['tenant_id', 'created_at'], unique=False, postgresql_where=sa.text('done_at IS NULL'))
    op.add_column('calls', sa.Column('category_id', sa.UUID(), nullable=True))
    op.add_column('calls', sa.Column('notes', sa.String(length=4000), nullable=True))
    op.add_column('calls', sa.Column('incident_id', sa.UUID(), nullable=True))
    op.add_column('calls', sa.Column('location_text', sa.String(length=500), nullable=True))
    op.add_column('calls', sa.Column('latitude', sa.Float(), nullable=True))
    op.add_column('calls', sa.Column('longitude', sa.Float(), nullable=True))
    op.add_column('calls', sa.Column('location_radius_m', sa.Integer(), nullable=True))
    op.add_column('calls', sa.Column('location_method', sa.String(length=20), nullable=True))
    op.add_column('calls', sa.Column('location_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_calls_tenant_incident', 'calls', ['tenant_id', 'incident_id'], unique=False)
    op.create_foreign_key('fk_calls_tenant_category', 'calls', 'incident_categories', ['tenant_id', 'category_id'], ['tenant_id', 'id'], ondelete='SET NULL (category_id)')
    op.create_foreign_key('fk_calls_tenant_incident', 'calls', 'incidents', ['tenant_id', 'incident_id'], ['tenant_id', 'id'])
    for name, condition in LOCATION_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_calls_{name}"), "calls", condition)
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in NEW_TABLES:
        disable_tenant_rls(op, table)
    for name in LOCATION_CHECKS:
        op.drop_constraint(op.f(f"ck_calls_{name}"), "calls", type_="check")
    op.drop_constraint('fk_calls_tenant_incident', 'calls', type_='foreignkey')
    op.drop_constraint('fk_calls_tenant_category', 'calls', type_='foreignkey')
    op.drop_index('ix_calls_tenant_incident', table_name='calls')
    op.drop_column('calls', 'location_at')
    op.drop_column('calls', 'location_method')
    op.drop_column('calls', 'location_radius_m')
    op.drop_column('calls', 'longitude')
    op.drop_column('calls', 'latitude')
    op.drop_column('calls', 'location_text')
    op.drop_column('calls', 'incident_id')
    op.drop_column('calls', 'notes')
    op.drop_column('calls', 'category_id')
    op.drop_index('ix_callbacks_tenant_open', table_name='callbacks', postgresql_where=sa.text('done_at IS NULL'))
    op.drop_index(op.f('ix_callbacks_tenant_id'), table_name='callbacks')
    op.drop_table('callbacks')
    op.drop_index('ix_incidents_tenant_status_created', table_name='incidents')
    op.drop_index(op.f('ix_incidents_tenant_id'), table_name='incidents')
    op.drop_table('incidents')
    op.drop_table('incident_numbers')
    op.drop_index('ix_handovers_tenant_written', table_name='handovers')
    op.drop_index(op.f('ix_handovers_tenant_id'), table_name='handovers')
    op.drop_table('handovers')
    op.drop_index(op.f('ix_agent_extensions_tenant_id'), table_name='agent_extensions')
    op.drop_table('agent_extensions')
