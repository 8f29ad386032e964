"""Alembic migrations of the vault schema, run programmatically when a vault store starts."""
