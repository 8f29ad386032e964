"""Alembic revisions of this package's tables, branch ``webhooks``.

See :mod:`unified_accounting.storage.migrations`.
"""
