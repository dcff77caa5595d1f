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


# In an agency context (an agency responder, a dispatch link), a restrictive policy narrows a table further to
# rows of the context's agencies; an agency context naming none sees nothing (ANY of NULL is never true).
AGENCY_IDS = "string_to_array(NULLIF(current_setting('app.agency_ids', true), ''), ',')::uuid[]"
NOT_AGENCY_SCOPE = "current_setting('app.scope', true) IS DISTINCT FROM 'agency'"


def agency_condition(column: str = "agency_id") -> str:
    return f"{NOT_AGENCY_SCOPE} OR {column} = ANY ({AGENCY_IDS})"


def enable_agency_rls(op, table: str, condition: str | None = None) -> None:
    """On a tenant table with forced RLS: in an agency context, only the rows `condition` allows (by default those
    of the context's agencies)."""
    condition = condition or agency_condition()
    op.execute(f"CREATE POLICY agency_only ON {table} AS RESTRICTIVE USING ({condition}) WITH CHECK ({condition})")


def disable_agency_rls(op, table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS agency_only ON {table}")


def enable_tenant_rls(op, table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY_CONDITION}) WITH CHECK ({POLICY_CONDITION})")


def disable_tenant_rls(op, table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
