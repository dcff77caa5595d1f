"""outgoing mail

Revision ID: 0008
Revises: 0007

Every e-mail the platform sends is a row first (written with the change that
caused it), then an rq job that delivers it and sets sent_at. Platform-level:
no tenant_id, so no row-level security; only jobs in platform context use it.
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("recipient_name", sa.String(length=120), server_default=sa.text("''"), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outgoing_mail_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    op.create_index("ix_outgoing_mail_unsent", "outgoing_mail", ["created_at"], unique=False,
                    postgresql_where=sa.text("sent_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_outgoing_mail_unsent", table_name="outgoing_mail", postgresql_where=sa.text("sent_at IS NULL"))
    op.drop_table("outgoing_mail")
