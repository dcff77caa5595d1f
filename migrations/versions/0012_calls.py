"""calls: each call as its own record, derived from the telephony events it came with

Revision ID: 0012_calls
Revises: 0011_password_resets

- calls: one row per PBX call id and region; the caller's number and its keyed hash (repeat callers
  are found by the hash); tenant-owned, forced row-level security.
- call_events: the PBX's events as sent, each stored once (natural key: call, event, sequence; an
  Idempotency-Key once per region); composite key to its call.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = "0012_calls"
down_revision = "0011_password_resets"
branch_labels = None
depends_on = None

CLASSIFICATIONS = "('emergency', 'non_emergency', 'information', 'prank', 'ghost', 'wrong_number', 'test')"


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("pbx_call_id", sa.String(length=120), nullable=False),
        sa.Column("dialed_e164", sa.String(length=16), nullable=False),
        sa.Column("caller_e164", sa.String(length=16), nullable=True),
        sa.Column("caller_key", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), server_default=sa.text("'ringing'"), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent", sa.String(length=120), nullable=True),
        sa.Column("operator_id", sa.UUID(), nullable=True),
        sa.Column("classification", sa.String(length=20), nullable=True),
        sa.Column("is_test", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source", sa.String(length=20), server_default=sa.text("'telephony'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("state IN ('ringing', 'in_progress', 'ended', 'abandoned')", name=op.f("ck_calls_state")),
        sa.CheckConstraint("source IN ('telephony', 'manual')", name=op.f("ck_calls_source")),
        sa.CheckConstraint(f"classification IN {CLASSIFICATIONS}", name=op.f("ck_calls_classification")),
        sa.CheckConstraint(r"caller_e164 IS NULL OR caller_e164 ~ '^\+[1-9][0-9]{5,14}$'",
                           name=op.f("ck_calls_caller_e164")),
        sa.ForeignKeyConstraint(["operator_id"], ["users.id"], name=op.f("fk_calls_operator_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_calls_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_calls_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "pbx_call_id", name="uq_calls_tenant_pbx_call_id"),
    )
    op.create_index(op.f("ix_calls_tenant_id"), "calls", ["tenant_id"], unique=False)
    op.create_index("ix_calls_tenant_offered_at", "calls", ["tenant_id", "offered_at"], unique=False)
    op.create_index("ix_calls_tenant_caller_key", "calls", ["tenant_id", "caller_key", "offered_at"], unique=False)
    enable_tenant_rls(op, "calls")

    op.create_table(
        "call_events",
        sa.Column("call_id", sa.UUID(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("event IN ('offered', 'answered', 'ended')", name=op.f("ck_call_events_event")),
        sa.ForeignKeyConstraint(["tenant_id", "call_id"], ["calls.tenant_id", "calls.id"],
                                name="fk_call_events_tenant_call", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_call_events_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_call_events_tenant_id_id"),
    )
    op.create_index(op.f("ix_call_events_tenant_id"), "call_events", ["tenant_id"], unique=False)
    op.create_index("uq_call_events_natural", "call_events", ["tenant_id", "call_id", "event", "sequence"], unique=True,
                    postgresql_nulls_not_distinct=True)
    op.create_index("uq_call_events_idempotency_key", "call_events", ["tenant_id", "idempotency_key"], unique=True,
                    postgresql_where=sa.text("idempotency_key IS NOT NULL"))
    enable_tenant_rls(op, "call_events")


def downgrade() -> None:
    disable_tenant_rls(op, "call_events")
    op.drop_table("call_events")
    disable_tenant_rls(op, "calls")
    op.drop_table("calls")
