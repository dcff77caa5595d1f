"""call blocks: a supervisor's temporary block of a caller, by the keyed hash of the number

Revision ID: 0013_call_blocks
Revises: 0012_calls

Tenant-owned, forced row-level security, composite key to the call it was made from.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = "0013_call_blocks"
down_revision = "0012_calls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_blocks",
        sa.Column("caller_key", sa.String(length=64), nullable=False),
        sa.Column("from_call_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_call_blocks_expires_after_creation")),
        sa.CheckConstraint("length(btrim(reason)) > 0", name=op.f("ck_call_blocks_reason")),
        sa.ForeignKeyConstraint(["tenant_id", "from_call_id"], ["calls.tenant_id", "calls.id"],
                                name="fk_call_blocks_tenant_call"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_call_blocks_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lifted_by"], ["users.id"], name=op.f("fk_call_blocks_lifted_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_call_blocks_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_blocks")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_call_blocks_tenant_id_id"),
    )
    op.create_index(op.f("ix_call_blocks_tenant_id"), "call_blocks", ["tenant_id"], unique=False)
    op.create_index("ix_call_blocks_tenant_caller_key", "call_blocks", ["tenant_id", "caller_key", "expires_at"],
                    unique=False)
    enable_tenant_rls(op, "call_blocks")


def downgrade() -> None:
    disable_tenant_rls(op, "call_blocks")
    op.drop_table("call_blocks")
