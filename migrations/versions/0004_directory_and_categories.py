"""directory and categories

Revision ID: 0004
Revises: 0003

Agencies gain an affiliation (OPD, instansi vertikal, other), an e-mail and a
version; numbers (112 lines and agency contacts) and incident categories with
their agency mapping are new. An active 112 line belongs to one tenant on the
whole platform: the partial unique index uq_numbers_active_line enforces it,
and PostgreSQL checks unique indexes against every row, including those that
row-level security hides from the inserting tenant. The national categories
are seeded for the tenants that exist now; later tenants get them from the
tenant.created event (or on their first read).

Tables have FORCE ROW LEVEL SECURITY, which binds the owner running this
migration too: it works in platform scope to backfill and seed.
"""

from alembic import op
import sqlalchemy as sa

from siaga112.platform.tenancy.rls import disable_tenant_rls, enable_tenant_rls
from siaga112.tenants.categories.defaults import NATIONAL_CATEGORIES

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW_TABLES = ("numbers", "incident_categories", "category_agencies")
PLATFORM_SCOPE = "SELECT set_config('app.scope', 'platform', true)"


def _tenant_columns():
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
    ]


def _timestamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    ]


def upgrade() -> None:
    op.execute(PLATFORM_SCOPE)
    _extend_agencies()
    _create_numbers()
    _create_categories()
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)
    _seed_national_categories()


def _extend_agencies() -> None:
    op.add_column("agencies", sa.Column("affiliation", sa.String(length=20), nullable=True))
    op.add_column("agencies", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("agencies", sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                                        nullable=False))
    op.add_column("agencies", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    # The same rule as models.affiliation_for: police are instansi vertikal, PLN/PMI/other are neither.
    op.execute("UPDATE agencies SET affiliation = CASE WHEN kind = 'police' THEN 'vertical' "
               "WHEN kind IN ('utility', 'blood', 'other') THEN 'other' ELSE 'opd' END")
    op.alter_column("agencies", "affiliation", nullable=False)
    op.create_check_constraint(op.f("ck_agencies_affiliation"), "agencies", "affiliation IN ('opd', 'vertical', 'other')")
    op.create_check_constraint(op.f("ck_agencies_email_format"), "agencies",
                               "email = btrim(email) AND position('@' in email) > 1")
    op.create_index("uq_agencies_tenant_lower_name", "agencies", ["tenant_id", sa.literal_column("lower(name)")],
                    unique=True)


def _create_numbers() -> None:
    op.create_table(
        "numbers",
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=120), server_default=sa.text("''"), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        *_timestamps(),
        *_tenant_columns(),
        sa.CheckConstraint("kind IN ('inbound_line', 'backup_line', 'agency_contact')", name=op.f("ck_numbers_kind")),
        sa.CheckConstraint(r"e164 ~ '^\+62[1-9][0-9]{5,12}$'", name=op.f("ck_numbers_e164_indonesian")),
        sa.CheckConstraint("(kind = 'agency_contact') = (agency_id IS NOT NULL)",
                           name=op.f("ck_numbers_agency_only_for_contacts")),
        sa.ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                                name="fk_numbers_tenant_agency"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_numbers_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_numbers")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_numbers_tenant_id_id"),
    )
    op.create_index(op.f("ix_numbers_tenant_id"), "numbers", ["tenant_id"], unique=False)
    op.create_index("uq_numbers_active_line", "numbers", ["e164"], unique=True,
                    postgresql_where=sa.text("active AND kind IN ('inbound_line', 'backup_line')"))
    op.create_index("uq_numbers_entry", "numbers", ["tenant_id", "kind", "e164", "agency_id"], unique=True,
                    postgresql_nulls_not_distinct=True)


def _create_categories() -> None:
    op.create_table(
        "incident_categories",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_id", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("national", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("1000"), nullable=False),
        *_timestamps(),
        *_tenant_columns(),
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'", name=op.f("ck_incident_categories_code_format")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_incident_categories_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_categories")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_incident_categories_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_incident_categories_tenant_code"),
    )
    op.create_index(op.f("ix_incident_categories_tenant_id"), "incident_categories", ["tenant_id"], unique=False)
    op.create_table(
        "category_agencies",
        sa.Column("category_id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(["tenant_id", "agency_id"], ["agencies.tenant_id", "agencies.id"],
                                name="fk_category_agencies_tenant_agency", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id", "category_id"],
                                ["incident_categories.tenant_id", "incident_categories.id"],
                                name="fk_category_agencies_tenant_category", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_category_agencies_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_agencies")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_category_agencies_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "category_id", "agency_id", name="uq_category_agencies_route"),
    )
    op.create_index(op.f("ix_category_agencies_tenant_id"), "category_agencies", ["tenant_id"], unique=False)


def _seed_national_categories() -> None:
    # The same rows and order as service.national_rows; ON CONFLICT keeps this safe to meet an earlier seeding.
    insert = sa.text(
        "INSERT INTO incident_categories (tenant_id, code, name_id, name_en, emergency, national, position) "
        "SELECT id, :code, :name_id, :name_en, :emergency, true, :position FROM tenants "
        "ON CONFLICT ON CONSTRAINT uq_incident_categories_tenant_code DO NOTHING")
    for index, category in enumerate(NATIONAL_CATEGORIES):
        op.get_bind().execute(insert, {"code": category.code, "name_id": category.name_id, "name_en": category.name_en,
                                       "emergency": category.emergency, "position": (index + 1) * 10})


def downgrade() -> None:
    op.execute(PLATFORM_SCOPE)
    for table in NEW_TABLES:
        disable_tenant_rls(op, table)
    op.drop_index(op.f("ix_category_agencies_tenant_id"), table_name="category_agencies")
    op.drop_table("category_agencies")
    op.drop_index(op.f("ix_incident_categories_tenant_id"), table_name="incident_categories")
    op.drop_table("incident_categories")
    op.drop_index("uq_numbers_entry", table_name="numbers")
    op.drop_index("uq_numbers_active_line", table_name="numbers")
    op.drop_index(op.f("ix_numbers_tenant_id"), table_name="numbers")
    op.drop_table("numbers")
    op.drop_index("uq_agencies_tenant_lower_name", table_name="agencies")
    op.drop_constraint(op.f("ck_agencies_email_format"), "agencies", type_="check")
    op.drop_constraint(op.f("ck_agencies_affiliation"), "agencies", type_="check")
    for column in ("version", "updated_at", "email", "affiliation"):
        op.drop_column("agencies", column)
