"""Incremental reads: every record changed since a moment, with Xero's deletions told apart.

Xero has no change feed: each resource is listed with ``If-Modified-Since``. Xero keeps deleted and
voided invoices, archived contacts and deleted payments readable with that status, so they come back
as changes and are reported in ``ChangeFeedResult.deleted`` instead of ``records``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from unified_accounting.decoding import RecordIssue
from unified_accounting.provider import ChangeFeedResult, ProviderSession

from . import api
from .chart import account_id_of
from .codec import decode_rows
from .statuses import GONE_INVOICE_STATUSES

MAX_PAGE_SIZE = 1000


def is_gone(resource: str, record: Mapping[str, Any]) -> bool:
    if resource in ("invoice", "bill", "credit_note", "supplier_credit"):
        return str(record.get("Status", "")).upper() in GONE_INVOICE_STATUSES
    if resource in ("customer", "supplier"):
        return str(record.get("ContactStatus", "ACTIVE")).upper() != "ACTIVE"
    if resource in ("payment", "bill_payment", "journal_entry", "ledger_account", "expense"):
        return str(record.get("Status", "")).upper() == "DELETED"
    return False


#: Decodes the elements of one resource into records and issues (the provider's ``read_page``).
ReadPage = Callable[[str, Any], tuple[list[Any], list[RecordIssue]]]


async def read_changes(
    session: ProviderSession, resources: Sequence[str], since: datetime, read_page: ReadPage | None = None
) -> ChangeFeedResult:
    """Every record of ``resources`` changed since ``since``, decoded by ``read_page`` (the
    provider's, which goes through its codec; by default the codec module's row decoding)."""
    if read_page is None:
        include_raw = session.include_raw

        def read_page(resource: str, rows: Any) -> tuple[list[Any], list[RecordIssue]]:
            return decode_rows(resource, rows, include_raw)

    result = ChangeFeedResult()
    for resource in resources:
        records: list[Any] = []
        deleted: list[str] = []
        page: int | None = 1
        while page is not None:
            raw = await api.fetch_page(
                session, resource, page=page, page_size=MAX_PAGE_SIZE, updated_since=since
            )
            # The earliest answer is the safe bookmark: nothing changed after it was missed.
            if raw.server_time is not None and (
                result.server_time is None or raw.server_time < result.server_time
            ):
                result.server_time = raw.server_time
            live = []
            for item in raw.items:
                gone_id = account_id_of(item) if resource == "ledger_account" else api.id_of(resource, item)
                if is_gone(resource, item) and gone_id:
                    deleted.append(gone_id)
                else:
                    live.append(item)
            decoded, issues = read_page(resource, live)
            records.extend(decoded)
            result.issues.extend(issues)
            page = raw.next_page
        result.records[resource] = records
        result.deleted[resource] = deleted
    return result
