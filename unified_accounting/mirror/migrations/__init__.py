"""Alembic revisions of this package's tables, branch ``mirror``.

See :mod:`unified_accounting.storage.migrations`.
"""
