"""The audit log: every change, who made it, in the same transaction; a hash chain per tenant."""
