"""Row-level security, proven by the database itself while connected as the runtime role."""

import uuid

import psycopg
import pytest
from sqlalchemy import text

from siaga112.platform.app import import_models
from siaga112.platform.db import Base
from siaga112.platform.tenancy.context import PLATFORM, PUBLIC, MissingTenantContext, TenantContext

import_models()
TENANT_TABLES = sorted(t.name for t in Base.metadata.tables.values() if "tenant_id" in t.c)


def test_the_tenant_tables_are_the_expected_ones():
    assert {"agencies", "memberships", "audit_log", "audit_heads"} <= set(TENANT_TABLES)


# In an agency context (an agency responder, a dispatch link) these tables are narrowed further, by a restrictive
# policy: the dispatch tables to the context's agencies, incidents to those dispatched to them, the call floor to
# nothing.
AGENCY_NARROWED = {"dispatches", "dispatch_links", "dispatch_photos", "escalations", "agency_webhooks",
                   "webhook_deliveries", "incidents", "calls", "call_events", "call_blocks", "callbacks", "handovers",
                   "agent_extensions", "incident_transfers"}


def test_every_tenant_table_forces_row_level_security_with_a_policy(services):
    with psycopg.connect(services.urls.runtime) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT array_agg(p.polname || ':' || p.polpermissive ORDER BY p.polname) FROM pg_policy p "
            " WHERE p.polrelid = c.oid) "
            "FROM pg_class c WHERE c.relname = ANY(%s)", (TENANT_TABLES,)).fetchall()
    expected = [(name, True, True, ["agency_only:false", "tenant_isolation:true"] if name in AGENCY_NARROWED
                 else ["tenant_isolation:true"]) for name in TENANT_TABLES]
    assert sorted(rows) == expected


def test_tenant_owned_tables_are_unique_on_tenant_and_id():
    """A row with an id is the target of composite keys (tenant_id, id); a row without one (a counter) is keyed
    by its tenant."""
    owned = [t for t in Base.metadata.tables.values() if "tenant_id" in t.c and not t.c.tenant_id.nullable]
    assert owned
    for table in owned:
        if "id" not in table.c:
            assert "tenant_id" in table.primary_key.columns, table.name
            continue
        uniques = {tuple(c.name for c in constraint.columns) for constraint in table.constraints
                   if constraint.__class__.__name__ == "UniqueConstraint"}
        assert ("tenant_id", "id") in uniques, table.name


def test_without_a_context_every_tenant_table_reads_zero_rows(services, tenants):
    with psycopg.connect(services.urls.runtime) as conn:
        for table in TENANT_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenants["a"]["tenant"].id),))
        conn.execute("SELECT set_config('app.tenant_id', '', false)")  # unset again, as a pooled connection would
        assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0


def test_a_tenant_sees_only_its_own_rows(database, tenants):
    a, b = tenants["a"], tenants["b"]
    with database.transaction(TenantContext(a["tenant"].id)) as session:
        agencies = set(session.execute(text("SELECT id FROM agencies")).scalars())
        assert a["agency_id"] in agencies and b["agency_id"] not in agencies
        assert set(session.execute(text("SELECT DISTINCT tenant_id FROM memberships")).scalars()) == {a["tenant"].id}


def test_a_write_into_another_tenant_is_refused_by_the_database(database, tenants):
    a, b = tenants["a"], tenants["b"]
    with pytest.raises(Exception, match="row-level security"):
        with database.transaction(TenantContext(a["tenant"].id)) as session:
            session.execute(text("INSERT INTO agencies (tenant_id, name, kind) VALUES (:t, 'Sneaky', 'fire')"),
                            {"t": b["tenant"].id})
    with database.transaction(TenantContext(a["tenant"].id)) as session:
        changed = session.execute(text("UPDATE agencies SET name = 'Taken' WHERE id = :id"), {"id": b["agency_id"]})
        assert changed.rowcount == 0
        deleted = session.execute(text("DELETE FROM memberships WHERE tenant_id = :t"), {"t": b["tenant"].id})
        assert deleted.rowcount == 0
    with database.transaction(PLATFORM) as session:
        assert session.execute(text("SELECT name FROM agencies WHERE id = :id"), {"id": b["agency_id"]}).scalar() \
            == f"Polres {b['tenant'].name}"


def test_a_row_cannot_point_into_another_tenant(database, tenants):
    a, b = tenants["a"], tenants["b"]
    with pytest.raises(Exception, match="fk_memberships_tenant_agency"):
        with database.transaction(PLATFORM) as session:
            session.execute(text(
                "INSERT INTO memberships (tenant_id, user_id, role, agency_id) VALUES (:t, :u, 'agency_responder', :a)"),
                {"t": a["tenant"].id, "u": a["admin"].id, "a": b["agency_id"]})


def test_a_session_without_a_context_raises(database):
    session = database.sessions()
    with pytest.raises(MissingTenantContext):
        session.execute(text("SELECT 1"))
    session.close()


def test_the_context_does_not_leak_to_the_next_transaction_on_a_pooled_connection(database, tenants):
    with database.transaction(TenantContext(tenants["a"]["tenant"].id)) as session:
        assert session.execute(text("SELECT count(*) FROM agencies")).scalar() >= 1
    for _ in range(3):  # whichever pooled connection comes next
        with database.transaction(PUBLIC) as session:
            assert session.execute(text("SELECT count(*) FROM agencies")).scalar() == 0
            assert session.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() == ""


def test_an_unknown_tenant_context_sees_nothing(database, tenants):
    with database.transaction(TenantContext(uuid.uuid4())) as session:
        assert session.execute(text("SELECT count(*) FROM memberships")).scalar() == 0
