"""Incremental reads: Change Data Capture, with ``MetaData.LastUpdatedTime`` queries as the fallback.

CDC answers every change of several entities since a moment in one call, deletions included, but
looks back at most 30 days and returns at most 1000 objects. Beyond the window, or when an answer
hits the cap (it is then truncated), the records are read with paged ``LastUpdatedTime >=``
queries instead; deletions are only known from CDC, so those found in the capped answer are kept
and none can be reported for a read older than 30 days.

Those queries page by position, ordered by ``Id`` (which never changes: ordered by
``LastUpdatedTime``, a record updated during the read would move to the end and shift the rest
back). A record deleted meanwhile still shifts later ones back, so each page is read from
``OVERLAP`` positions before the previous page's end and must share a record with it; when it does
not, the previous page is read again (see ``unified_accounting.sync.pages`` for why this proves
that nothing was skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from unified_accounting.decoding import RecordIssue
from unified_accounting.errors import ProviderError, ValidationFailed
from unified_accounting.provider import ChangeFeedResult, ProviderSession

from . import codec
from .api import Api, settings_of
from .query import MAX_RESULTS, select

CDC_WINDOW = timedelta(days=30)
#: Records each page of a ``LastUpdatedTime`` read repeats from the page before.
OVERLAP = 20
#: Pages read again in a row before giving up.
MAX_REREADS = 8
#: Name lists hide inactive rows from queries unless ``Active`` is filtered on.
NAME_LISTS = frozenset({"Customer", "Item", "Account"})
#: Margin kept inside the window: the provider's clock and QuickBooks' may disagree a little.
CDC_MARGIN = timedelta(hours=1)


#: Decodes the rows (a list) or the parsed query answer of one resource into records and issues.
ReadPage = Callable[[str, Any], tuple[list[Any], list[RecordIssue]]]


def server_time(body: Any) -> datetime | None:
    value = body.get("time") if isinstance(body, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _changed_since(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


async def read_changes(
    api: Api,
    session: ProviderSession,
    resources: Sequence[str],
    since: datetime,
    *,
    now: datetime | None = None,
    read_page: ReadPage | None = None,
) -> ChangeFeedResult:
    """Every record of ``resources`` changed since ``since``, decoded by ``read_page`` (the
    provider's, which goes through its codec; by default the codec's own ``decode_page``)."""
    if read_page is None:
        page_codec, include_raw = codec.QuickBooksCodec(), session.include_raw

        def read_page(resource: str, body: Any) -> tuple[list[Any], list[RecordIssue]]:
            return page_codec.decode_page(resource, body, include_raw)

    entities = [codec.ENTITIES[resource] for resource in resources]
    changes = ChangeFeedResult(records={r: [] for r in resources}, deleted={r: [] for r in resources})
    now = now or datetime.now(UTC)
    if since >= now - CDC_WINDOW + CDC_MARGIN:
        try:
            body = await api.read(
                session, "cdc", params={"entities": ",".join(entities), "changedSince": _changed_since(since)}
            )
        except ValidationFailed as exc:
            # QuickBooks' clock decides what "30 days ago" is; past it, read with queries.
            if not any(issue.field == "changedSince" for issue in exc.issues):
                raise
        else:
            changes.server_time = server_time(body)
            count = _apply_cdc(body, changes, read_page)
            if count < settings_of(session).cdc_max_objects:
                return changes
            changes.records = {r: [] for r in resources}  # truncated: re-read records by query
            changes.issues = []
    for resource in resources:
        changes.records[resource] = await _query_changed(api, session, resource, since, changes, read_page)
    return changes


def _apply_cdc(body: Any, changes: ChangeFeedResult, read_page: ReadPage) -> int:
    count = 0
    for response in body.get("CDCResponse") or ():
        for block in response.get("QueryResponse") or ():
            for entity, rows in block.items():
                resource = codec.RESOURCES.get(entity)
                if resource is None or not isinstance(rows, list) or resource not in changes.records:
                    continue
                live = []
                for row in rows:
                    count += 1
                    if isinstance(row, dict) and row.get("status") == "Deleted" and row.get("Id"):
                        changes.deleted[resource].append(str(row["Id"]))
                    else:
                        live.append(row)
                records, issues = read_page(resource, live)
                changes.records[resource].extend(records)
                changes.issues.extend(issues)
    return count


async def _query_changed(
    api: Api,
    session: ProviderSession,
    resource: str,
    since: datetime,
    changes: ChangeFeedResult,
    read_page: ReadPage,
) -> list[Any]:
    entity = codec.ENTITIES[resource]
    base = select(entity).where("MetaData.LastUpdatedTime", ">=", since)
    if entity in NAME_LISTS:
        base = base.where("Active", "IN", [True, False])  # an archived customer is a change too
    base = base.order_by("Id")
    records: dict[str, Any] = {}
    unreadable: dict[str, RecordIssue] = {}
    # The page before: the position of its first new record, and its ids (what the next must overlap).
    before: tuple[int, frozenset[str]] | None = None
    start, rereads, rereading = 1, 0, False
    while True:
        position = max(1, start - OVERLAP) if before is not None else start
        body = await api.query(session, str(base.page(position, MAX_RESULTS)))
        if changes.server_time is None:
            changes.server_time = server_time(body)
        page, issues = read_page(resource, body)
        ids = frozenset(str(record.id) for record in page) | {
            issue.record_id for issue in issues if issue.record_id
        }
        if before is not None and not ids & before[1]:
            # Deletions shifted records past this page's start: read the page before again, or,
            # when this was that re-read, start over.
            rereads += 1
            if rereads > MAX_REREADS:
                raise ProviderError(
                    "QuickBooks records kept shifting while changes were read; try again",
                    provider="quickbooks",
                )
            if start != before[0]:
                start = before[0]
            else:
                start, before = 1, None
            rereading = True
            continue
        if not rereading:
            rereads = 0
        rereading = False
        records.update((str(record.id), record) for record in page)
        # Overlapping pages read an unreadable record more than once: report it once.
        unreadable.update((issue.record_id or f"#{len(unreadable)}", issue) for issue in issues)
        if len(page) + len(issues) < MAX_RESULTS:
            changes.issues.extend(unreadable.values())
            return list(records.values())
        before = (start, ids)
        start = position + MAX_RESULTS
