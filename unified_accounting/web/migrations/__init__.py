"""Alembic revisions of this package's tables, branch ``web``.

See :mod:`unified_accounting.storage.migrations`.
"""
