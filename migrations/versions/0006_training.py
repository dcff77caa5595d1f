"""training

Revision ID: 0006
Revises: 0005

Training records of a tenant's people, with the stored certificate's key,
SHA-256, sniffed type and size (the bytes are in SIAGA_DATA_DIR/files).
Tenant-owned: row-level security like every table with a tenant_id.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CERTIFICATE_COLUMNS = ("certificate_sha256", "certificate_type", "certificate_size", "certificate_name",
                       "certificate_uploaded_at")


def upgrade() -> None:
    op.create_table(
        "training_records",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("course", sa.String(length=160), nullable=False),
        sa.Column("provider", sa.String(length=160), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("certificate_key", sa.String(length=200), nullable=True),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=True),
        sa.Column("certificate_type", sa.String(length=40), nullable=True),
        sa.Column("certificate_size", sa.Integer(), nullable=True),
        sa.Column("certificate_name", sa.String(length=200), nullable=True),
        sa.Column("certificate_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= completed_on",
                           name=op.f("ck_training_records_valid_after_completion")),
        sa.CheckConstraint(" AND ".join(f"({name} IS NULL) = (certificate_key IS NULL)" for name in CERTIFICATE_COLUMNS),
                           name=op.f("ck_training_records_certificate_complete")),
        sa.CheckConstraint("certificate_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                           name=op.f("ck_training_records_certificate_type")),
        sa.CheckConstraint("certificate_size > 0", name=op.f("ck_training_records_certificate_size")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_training_records_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_training_records_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_training_records_tenant_id_id"),
    )
    op.create_index(op.f("ix_training_records_tenant_id"), "training_records", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_training_records_user_id"), "training_records", ["user_id"], unique=False)
    enable_tenant_rls(op, "training_records")


def downgrade() -> None:
    disable_tenant_rls(op, "training_records")
    op.drop_index(op.f("ix_training_records_user_id"), table_name="training_records")
    op.drop_index(op.f("ix_training_records_tenant_id"), table_name="training_records")
    op.drop_table("training_records")
