"""Alembic revisions of this package's tables, branch ``shared_limits``.

See :mod:`unified_accounting.storage.migrations`.
"""
