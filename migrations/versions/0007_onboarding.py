"""onboarding

Revision ID: 0007
Revises: 0006

The ministry's readiness verification: a region's application (one per tenant, pinned to a
checklist version), its answers and evidence, field visits with verifiers and verdicts, telco
routing, and the history of every transition. All tenant-owned: row-level security on each table,
references between them through composite foreign keys (tenant_id, x_id).
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RLS_TABLES = ("onboarding_applications", "onboarding_transitions", "onboarding_answers", "onboarding_visits",
              "onboarding_visit_verifiers", "onboarding_verdicts", "onboarding_evidence", "onboarding_routing")


def upgrade() -> None:
    op.create_table('onboarding_applications',
    sa.Column('status', sa.String(length=20), server_default=sa.text("'draft'"), nullable=False),
    sa.Column('checklist_version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('live_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'in_review', 'visit_scheduled', 'visited', 'changes_requested', 'approved', 'rejected', 'withdrawn', 'live')", name=op.f('ck_onboarding_applications_status')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_applications_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_applications')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_applications_tenant_id_id'),
    sa.UniqueConstraint('tenant_id', name='uq_onboarding_applications_tenant')
    )
    op.create_index(op.f('ix_onboarding_applications_tenant_id'), 'onboarding_applications', ['tenant_id'], unique=False)
    op.create_table('onboarding_answers',
    sa.Column('application_id', sa.UUID(), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('answer', sa.String(length=3), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.UUID(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("answer IN ('yes', 'no')", name=op.f('ck_onboarding_answers_answer')),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_onboarding_answers_answered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'application_id'], ['onboarding_applications.tenant_id', 'onboarding_applications.id'], name='fk_onboarding_answers_tenant_application', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_answers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_answers')),
    sa.UniqueConstraint('tenant_id', 'application_id', 'item_code', name='uq_onboarding_answers_item'),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_answers_tenant_id_id')
    )
    op.create_index(op.f('ix_onboarding_answers_tenant_id'), 'onboarding_answers', ['tenant_id'], unique=False)
    op.create_table('onboarding_routing',
    sa.Column('application_id', sa.UUID(), nullable=False),
    sa.Column('telco', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'requested'"), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('requested_by', sa.UUID(), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activated_by', sa.UUID(), nullable=True),
    sa.Column('test_call_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('test_call_by', sa.UUID(), nullable=True),
    sa.Column('test_call_from', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("(status = 'test_call_passed') = (test_call_at IS NOT NULL)", name=op.f('ck_onboarding_routing_test_call_at')),
    sa.CheckConstraint("status IN ('requested', 'active', 'test_call_passed')", name=op.f('ck_onboarding_routing_status')),
    sa.CheckConstraint("telco IN ('telkomsel', 'indosat', 'xl', 'smartfren', 'telkom')", name=op.f('ck_onboarding_routing_telco')),
    sa.CheckConstraint("test_call_from ~ '^\\+62[1-9][0-9]{5,12}$'", name=op.f('ck_onboarding_routing_test_call_from_e164')),
    sa.ForeignKeyConstraint(['activated_by'], ['users.id'], name=op.f('fk_onboarding_routing_activated_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_onboarding_routing_requested_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'application_id'], ['onboarding_applications.tenant_id', 'onboarding_applications.id'], name='fk_onboarding_routing_tenant_application', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_routing_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['test_call_by'], ['users.id'], name=op.f('fk_onboarding_routing_test_call_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_routing')),
    sa.UniqueConstraint('tenant_id', 'application_id', 'telco', name='uq_onboarding_routing_telco'),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_routing_tenant_id_id')
    )
    op.create_index(op.f('ix_onboarding_routing_tenant_id'), 'onboarding_routing', ['tenant_id'], unique=False)
    op.create_table('onboarding_transitions',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('application_id', sa.UUID(), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.UUID(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_kind', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("subject IN ('application', 'visit', 'routing')", name=op.f('ck_onboarding_transitions_subject')),
    sa.ForeignKeyConstraint(['tenant_id', 'application_id'], ['onboarding_applications.tenant_id', 'onboarding_applications.id'], name='fk_onboarding_transitions_tenant_application', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_transitions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_transitions')),
    sa.UniqueConstraint('seq', name=op.f('uq_onboarding_transitions_seq')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_transitions_tenant_id_id')
    )
    op.create_index('ix_onboarding_transitions_application', 'onboarding_transitions', ['tenant_id', 'application_id', 'seq'], unique=False)
    op.create_index(op.f('ix_onboarding_transitions_tenant_id'), 'onboarding_transitions', ['tenant_id'], unique=False)
    op.create_table('onboarding_visits',
    sa.Column('application_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'scheduled'"), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('recommendations', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)", name=op.f('ck_onboarding_visits_completed_at')),
    sa.CheckConstraint("kind IN ('verification', 'monitoring')", name=op.f('ck_onboarding_visits_kind')),
    sa.CheckConstraint("status IN ('scheduled', 'completed', 'cancelled')", name=op.f('ck_onboarding_visits_status')),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_onboarding_visits_completed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'application_id'], ['onboarding_applications.tenant_id', 'onboarding_applications.id'], name='fk_onboarding_visits_tenant_application', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_visits_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_visits')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_visits_tenant_id_id')
    )
    op.create_index(op.f('ix_onboarding_visits_tenant_id'), 'onboarding_visits', ['tenant_id'], unique=False)
    op.create_table('onboarding_evidence',
    sa.Column('application_id', sa.UUID(), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('visit_id', sa.UUID(), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by', sa.UUID(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name=op.f('ck_onboarding_evidence_content_type')),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_onboarding_evidence_sha256')),
    sa.CheckConstraint('size > 0', name=op.f('ck_onboarding_evidence_size')),
    sa.ForeignKeyConstraint(['tenant_id', 'application_id'], ['onboarding_applications.tenant_id', 'onboarding_applications.id'], name='fk_onboarding_evidence_tenant_application', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'visit_id'], ['onboarding_visits.tenant_id', 'onboarding_visits.id'], name='fk_onboarding_evidence_tenant_visit', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_evidence_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_onboarding_evidence_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_evidence')),
    sa.UniqueConstraint('key', name='uq_onboarding_evidence_key'),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_evidence_tenant_id_id')
    )
    op.create_index('ix_onboarding_evidence_item', 'onboarding_evidence', ['tenant_id', 'application_id', 'item_code'], unique=False)
    op.create_index(op.f('ix_onboarding_evidence_tenant_id'), 'onboarding_evidence', ['tenant_id'], unique=False)
    op.create_table('onboarding_verdicts',
    sa.Column('visit_id', sa.UUID(), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.UUID(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.CheckConstraint("verdict IN ('pass', 'fail', 'not_applicable')", name=op.f('ck_onboarding_verdicts_verdict')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_onboarding_verdicts_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'visit_id'], ['onboarding_visits.tenant_id', 'onboarding_visits.id'], name='fk_onboarding_verdicts_tenant_visit', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_verdicts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_verdicts')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_verdicts_tenant_id_id'),
    sa.UniqueConstraint('tenant_id', 'visit_id', 'item_code', name='uq_onboarding_verdicts_item')
    )
    op.create_index(op.f('ix_onboarding_verdicts_tenant_id'), 'onboarding_verdicts', ['tenant_id'], unique=False)
    op.create_table('onboarding_visit_verifiers',
    sa.Column('visit_id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'visit_id'], ['onboarding_visits.tenant_id', 'onboarding_visits.id'], name='fk_onboarding_visit_verifiers_tenant_visit', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_onboarding_visit_verifiers_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_onboarding_visit_verifiers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_visit_verifiers')),
    sa.UniqueConstraint('tenant_id', 'id', name='uq_onboarding_visit_verifiers_tenant_id_id'),
    sa.UniqueConstraint('tenant_id', 'visit_id', 'user_id', name='uq_onboarding_visit_verifiers_person')
    )
    op.create_index(op.f('ix_onboarding_visit_verifiers_tenant_id'), 'onboarding_visit_verifiers', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_onboarding_visit_verifiers_user_id'), 'onboarding_visit_verifiers', ['user_id'], unique=False)
    for table in RLS_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        disable_tenant_rls(op, table)
    op.drop_index(op.f('ix_onboarding_visit_verifiers_user_id'), table_name='onboarding_visit_verifiers')
    op.drop_index(op.f('ix_onboarding_visit_verifiers_tenant_id'), table_name='onboarding_visit_verifiers')
    op.drop_table('onboarding_visit_verifiers')
    op.drop_index(op.f('ix_onboarding_verdicts_tenant_id'), table_name='onboarding_verdicts')
    op.drop_table('onboarding_verdicts')
    op.drop_index(op.f('ix_onboarding_evidence_tenant_id'), table_name='onboarding_evidence')
    op.drop_index('ix_onboarding_evidence_item', table_name='onboarding_evidence')
    op.drop_table('onboarding_evidence')
    op.drop_index(op.f('ix_onboarding_visits_tenant_id'), table_name='onboarding_visits')
    op.drop_table('onboarding_visits')
    op.drop_index(op.f('ix_onboarding_transitions_tenant_id'), table_name='onboarding_transitions')
    op.drop_index('ix_onboarding_transitions_application', table_name='onboarding_transitions')
    op.drop_table('onboarding_transitions')
    op.drop_index(op.f('ix_onboarding_routing_tenant_id'), table_name='onboarding_routing')
    op.drop_table('onboarding_routing')
    op.drop_index(op.f('ix_onboarding_answers_tenant_id'), table_name='onboarding_answers')
    op.drop_table('onboarding_answers')
    op.drop_index(op.f('ix_onboarding_applications_tenant_id'), table_name='onboarding_applications')
    op.drop_table('onboarding_applications')
