"""Training records of the people on a tenant's roster, with certificates."""
