"""Alembic revisions of this package's tables, branch ``vault``.

See :mod:`unified_accounting.storage.migrations`.
"""
