"""Tenants (one per region), the tenant context of every transaction, and row-level security."""
