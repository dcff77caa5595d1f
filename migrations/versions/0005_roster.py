"""roster: shift templates and assignments

Revision ID: 0005
Revises: 0004

Both tables are tenant-owned (row-level security); an assignment points at its shift and at
the member on duty through composite foreign keys (tenant_id, …), so it can never name
another tenant's shift or person.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RLS_TABLES = ("shifts", "roster_assignments")


def upgrade() -> None:
    op.create_table(
        "shifts",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("min_staff", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z0-9]{1,3}$'", name=op.f("ck_shifts_code_format")),
        sa.CheckConstraint("min_staff BETWEEN 1 AND 999", name=op.f("ck_shifts_min_staff")),
        sa.CheckConstraint("start_time <> end_time", name=op.f("ck_shifts_not_empty")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_shifts_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_shifts_tenant_code"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_shifts_tenant_id_id"),
    )
    op.create_index(op.f("ix_shifts_tenant_id"), "shifts", ["tenant_id"], unique=False)
    op.create_table(
        "roster_assignments",
        sa.Column("shift_id", sa.UUID(), nullable=False),
        sa.Column("membership_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "membership_id"], ["memberships.tenant_id", "memberships.id"],
                                name="fk_roster_assignments_tenant_membership", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id", "shift_id"], ["shifts.tenant_id", "shifts.id"],
                                name="fk_roster_assignments_tenant_shift"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_roster_assignments_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_roster_assignments_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_assignments")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_roster_assignments_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "user_id", "shift_id", "local_date", name="uq_roster_assignments_slot"),
    )
    op.create_index("ix_roster_assignments_tenant_date", "roster_assignments", ["tenant_id", "local_date"],
                    unique=False)
    op.create_index(op.f("ix_roster_assignments_tenant_id"), "roster_assignments", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_roster_assignments_membership_id"), "roster_assignments", ["membership_id"],
                    unique=False)
    op.create_index(op.f("ix_roster_assignments_user_id"), "roster_assignments", ["user_id"], unique=False)
    for table in RLS_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(RLS_TABLES):
        disable_tenant_rls(op, table)
    op.drop_index(op.f("ix_roster_assignments_user_id"), table_name="roster_assignments")
    op.drop_index(op.f("ix_roster_assignments_membership_id"), table_name="roster_assignments")
    op.drop_index(op.f("ix_roster_assignments_tenant_id"), table_name="roster_assignments")
    op.drop_index("ix_roster_assignments_tenant_date", table_name="roster_assignments")
    op.drop_table("roster_assignments")
    op.drop_index(op.f("ix_shifts_tenant_id"), table_name="shifts")
    op.drop_table("shifts")
