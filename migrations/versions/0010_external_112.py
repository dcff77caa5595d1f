"""external 112 status of regions, and the registry's version

Revision ID: 0010_external_112
Revises: 0009

- regions gain external_112_since / external_112_note and who imported them when: the ministry's
  list of regions that already run 112 outside Siaga112 (imported from a CSV, a full replace). The
  runtime role may update these four columns only (the rest of the registry stays the sync's).
- registry_state: one row whose version the sync and the import bump, so that every web process
  knows when its copy of the registry (home page, GET /api/v1/regions) is out of date; triggers on
  registry_state and tenants NOTIFY the channel siaga112_registry at commit.
"""

from alembic import op
import sqlalchemy as sa

revision = "0010_external_112"
down_revision = "0009"
branch_labels = None
depends_on = None

EXTERNAL_COLUMNS = ("external_112_since", "external_112_note", "external_112_imported_by", "external_112_imported_at")

RUNTIME_UPDATES_EXTERNAL = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_database() || '_app') THEN
    EXECUTE format('GRANT UPDATE (%s) ON regions TO %I', '{columns}', current_database() || '_app');
  END IF;
END $$;
""".replace("{columns}", ", ".join(EXTERNAL_COLUMNS))

# Every web process LISTENs on this channel (platform/regions/published.py); PostgreSQL delivers the
# notification when the writer's transaction commits, and not at all if it rolls back.
NOTIFY_FUNCTION = """
CREATE FUNCTION siaga112_notify_registry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('siaga112_registry', TG_TABLE_NAME);
  RETURN NULL;
END $$;
"""
NOTIFY_TABLES = {"registry_state": "UPDATE", "tenants": "INSERT OR UPDATE OR DELETE"}

RUNTIME_NO_EXTERNAL = RUNTIME_UPDATES_EXTERNAL.replace("GRANT UPDATE", "REVOKE UPDATE").replace(" TO %I", " FROM %I")


def upgrade() -> None:
    op.add_column("regions", sa.Column("external_112_since", sa.Date(), nullable=True))
    op.add_column("regions", sa.Column("external_112_note", sa.Text(), nullable=True))
    op.add_column("regions", sa.Column("external_112_imported_by", sa.String(length=80), nullable=True))
    op.add_column("regions", sa.Column("external_112_imported_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "registry_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_registry_state_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_state")),
    )
    op.execute("INSERT INTO registry_state (id) VALUES (1)")
    op.execute(RUNTIME_UPDATES_EXTERNAL)
    op.execute(NOTIFY_FUNCTION)
    for table, events in NOTIFY_TABLES.items():
        op.execute(f"CREATE TRIGGER {table}_notify_registry AFTER {events} ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION siaga112_notify_registry()")


def downgrade() -> None:
    op.execute("DROP TRIGGER tenants_notify_registry ON tenants")
    op.drop_table("registry_state")
    op.execute("DROP FUNCTION siaga112_notify_registry()")
    op.execute(RUNTIME_NO_EXTERNAL)
    for column in reversed(EXTERNAL_COLUMNS):
        op.drop_column("regions", column)
