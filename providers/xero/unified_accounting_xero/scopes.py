"""Scopes that only some calls need, and a clearer error when a connection lacks one.

Reports need ``accounting.reports.read`` (apps created from March 2026: a per-report scope) and
attachments ``accounting.attachments``. Both are in the default scopes since the library offered
reports and attachments; a connection made before then lacks them, and Xero answers its calls
with 401 ``AuthorizationUnsuccessful``. That answer becomes ``PermissionDenied`` naming the scope,
so the fix (connect again) is plain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from unified_accounting.errors import AuthenticationError, PermissionDenied

from .errors import PROVIDER

REPORTS = "accounting.reports.read"
ATTACHMENTS = "accounting.attachments"


@asynccontextmanager
async def needing(scope: str, what: str) -> AsyncIterator[None]:
    try:
        yield
    except AuthenticationError as exc:
        if exc.code != "AuthorizationUnsuccessful":
            raise
        raise PermissionDenied(
            f"Xero refused to {what}: the connection lacks the scope {scope} (connections made before "
            "the library asked for it do); connect again to grant it",
            provider=PROVIDER,
            status_code=exc.status_code,
            code=exc.code,
            request_id=exc.request_id,
        ) from exc
