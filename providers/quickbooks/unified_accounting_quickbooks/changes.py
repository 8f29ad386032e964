"""Incremental reads: Change Data Capture, with ``MetaData.LastUpdatedTime`` queries as the fallback.

CDC answers every change of several entities since a moment in one call, deletions included, but
looks back at most 30 days and returns at most 1000 objects. Beyond the window, or when an answer
hits the cap (it is then truncated), the records are read with paged ``LastUpdatedTime >=``
queries instead; deletions are only known from CDC, so those found in the capped answer are kept
and none can be reported for a read older than 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from unified_accounting.errors import ValidationFailed
from unified_accounting.provider import ChangeSet, ProviderSession

from . import codec
from .api import Api, settings_of
from .query import MAX_RESULTS, select

CDC_WINDOW = timedelta(days=30)
#: Margin kept inside the window: the provider's clock and QuickBooks' may disagree a little.
CDC_MARGIN = timedelta(hours=1)


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
) -> ChangeSet:
    entities = [codec.ENTITIES[resource] for resource in resources]
    changes = ChangeSet(records={r: [] for r in resources}, deleted={r: [] for r in resources})
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
            count = _apply_cdc(body, changes, session.include_raw)
            if count < settings_of(session).cdc_max_objects:
                return changes
            changes.records = {r: [] for r in resources}  # truncated: re-read records by query
            changes.issues = []
    for resource in resources:
        changes.records[resource] = await _query_changed(api, session, resource, since, changes)
    return changes


def _apply_cdc(body: Any, changes: ChangeSet, include_raw: bool) -> int:
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
                records, issues = codec.decode_rows(resource, live, include_raw)
                changes.records[resource].extend(records)
                changes.issues.extend(issues)
    return count


async def _query_changed(
    api: Api, session: ProviderSession, resource: str, since: datetime, changes: ChangeSet
) -> list[Any]:
    entity = codec.ENTITIES[resource]
    base = select(entity).where("MetaData.LastUpdatedTime", ">=", since).order_by("MetaData.LastUpdatedTime")
    records: list[Any] = []
    start = 1
    while True:
        body = await api.query(session, str(base.page(start, MAX_RESULTS)))
        if changes.server_time is None:
            changes.server_time = server_time(body)
        page, issues = codec.decode_query_rows(resource, body, session.include_raw)
        records.extend(page)
        changes.issues.extend(issues)
        if len(page) + len(issues) < MAX_RESULTS:
            return records
        start += MAX_RESULTS
