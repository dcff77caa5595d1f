"""Row-level security for tenant-owned tables, as migrations apply it.

A policy sees a row when its tenant_id is the transaction's tenant, or when
the transaction runs in platform scope. With neither set, nothing is visible
and nothing can be written. NULLIF turns the '' that an unset (but once set)
setting reads as into NULL, which matches no row.
"""

POLICY_CONDITION = (
    "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid "
    "OR current_setting('app.scope', true) = 'platform'"
)


def enable_tenant_rls(op, table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY_CONDITION}) WITH CHECK ({POLICY_CONDITION})")


def disable_tenant_rls(op, table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
