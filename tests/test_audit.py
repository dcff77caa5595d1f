"""The audit log: written with each change, append-only for the app, and a chain that shows tampering."""

import psycopg
import pytest
from sqlalchemy import select, text

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor, record, verify_chains
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.service import create_tenant, find_tenant


@pytest.fixture(scope="module")
def chain_tenant(database):
    """A tenant of its own (Kota Denpasar) whose chain these tests may break."""
    with database.transaction(PLATFORM) as session:
        tenant = find_tenant(session, "kota-denpasar") or create_tenant(session, "51.71", Actor.system("tests"))
        for n in range(5):
            record(session, Actor("user", "someone", "regional_admin", f"req-{n}"), "test.change", "thing", n,
                   tenant_id=tenant.id, before={"n": n}, after={"n": n + 1})
    return tenant


def _problems_of(database, tenant):
    with database.transaction(PLATFORM) as session:
        checked, problems = verify_chains(session)
    return checked, [str(p) for p in problems if p.tenant_id == tenant.id]


def _tamper(owner_database, sql, tenant, seq):
    with owner_database.transaction(PLATFORM) as session:
        session.execute(text(sql), {"t": tenant.id, "seq": seq})


def test_tenant_creation_is_audited_in_the_same_transaction(database, tenants):
    tenant = tenants["a"]["tenant"]
    with database.transaction(TenantContext(tenant.id)) as session:
        first = session.scalar(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id, AuditEntry.seq == 1))
    assert first.action == "tenant.create" and first.actor_kind == "system"
    assert first.after["slug"] == "kota-pekalongan"


def test_an_intact_chain_verifies(database, chain_tenant):
    checked, problems = _problems_of(database, chain_tenant)
    assert checked >= 6 and problems == []


def test_the_runtime_role_cannot_change_or_delete_entries(services, chain_tenant):
    with psycopg.connect(services.urls.runtime) as conn:
        conn.execute("SELECT set_config('app.scope', 'platform', false)")
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
            conn.execute("SELECT set_config('app.scope', 'platform', false)")


def test_a_changed_entry_is_found(database, owner_database, chain_tenant):
    _tamper(owner_database, "UPDATE audit_log SET after = '{\"n\": 99}' WHERE tenant_id = :t AND seq = :seq",
            chain_tenant, 3)
    _, problems = _problems_of(database, chain_tenant)
    assert any("entry 3: was changed" in p for p in problems)


def test_a_deleted_entry_is_found(database, owner_database, chain_tenant):
    _tamper(owner_database, "DELETE FROM audit_log WHERE tenant_id = :t AND seq = :seq", chain_tenant, 2)
    _, problems = _problems_of(database, chain_tenant)
    assert any("entry 2: missing" in p for p in problems)


def test_deleting_the_newest_entry_is_found(database, owner_database, chain_tenant):
    _tamper(owner_database, "DELETE FROM audit_log WHERE tenant_id = :t AND seq = :seq", chain_tenant, 6)
    _, problems = _problems_of(database, chain_tenant)
    assert any("newest entries are missing" in p for p in problems)
