"""Alembic revisions of this package's tables, branch ``sync``.

See :mod:`unified_accounting.storage.migrations`.
"""
