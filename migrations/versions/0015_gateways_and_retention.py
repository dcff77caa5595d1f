"""national telephony gateways' clients, and each region's retention of callers' numbers

Revision ID: 0015_gateways_and_retention
Revises: 0014_incidents

- oauth_clients: a client-credentials client is bound to one tenant, or is a national telephony gateway's
  (scope 'telephony:events', no tenant): its calls are routed by the dialled line;
- call_settings: one row per region that changed its rules (the callers' numbers' retention, 90 days by
  default); tenant-owned under forced row-level security.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls

revision = "0015_gateways_and_retention"
down_revision = "0014_incidents"
branch_labels = None
depends_on = None

BOUND = "('client_credentials' = ANY(grant_types)) = (tenant_id IS NOT NULL)"
BOUND_OR_GATEWAY = "('client_credentials' = ANY(grant_types)) = (tenant_id IS NOT NULL OR scope = 'telephony:events')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_oauth_clients_machine_client_bound_to_tenant"), "oauth_clients", type_="check")
    op.create_check_constraint(op.f("ck_oauth_clients_machine_client_bound_or_gateway"), "oauth_clients", BOUND_OR_GATEWAY)
    op.create_table(
        "call_settings",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("caller_retention_days", sa.Integer(), server_default=sa.text("90"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("caller_retention_days BETWEEN 1 AND 3650", name=op.f("ck_call_settings_caller_retention_days")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_call_settings_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_call_settings"),
    )
    enable_tenant_rls(op, "call_settings")


def downgrade() -> None:
    disable_tenant_rls(op, "call_settings")
    op.drop_table("call_settings")
    op.execute("DELETE FROM oauth_clients WHERE tenant_id IS NULL AND 'client_credentials' = ANY(grant_types)")
    op.drop_constraint(op.f("ck_oauth_clients_machine_client_bound_or_gateway"), "oauth_clients", type_="check")
    op.create_check_constraint(op.f("ck_oauth_clients_machine_client_bound_to_tenant"), "oauth_clients", BOUND)
