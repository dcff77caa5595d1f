"""Incident categories: national defaults seeded for every tenant, renamed, disabled or added by it, mapped to agencies."""
