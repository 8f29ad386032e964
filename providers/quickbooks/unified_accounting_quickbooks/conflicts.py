"""The ``reapply`` conflict policy: retry an update over a concurrent change that did not touch it.

QuickBooks rejects a write whose ``SyncToken`` is stale (fault 5010), even when the other change
touched unrelated fields: a payment applied to an invoice bumps the invoice's SyncToken, so a memo
edit made from the version read before the payment fails. With ``conflict_policy="reapply"`` the
provider re-reads the record and sends the caller's changes again on the new SyncToken, but only
when it can show the other change left the caller's fields alone:

* the version the caller had (their ``row_version``) must be known to this process: the provider
  remembers the QuickBooks payload of every record version it returned (a bounded cache);
* for every top-level QuickBooks field the update writes (``CustomerMemo``, ``Line``, ...), the
  value in that version must equal the value in the current one (compared as parsed JSON, so
  ``12.10`` equals ``12.1``).

Otherwise the original ``Conflict`` is raised, naming the fields that changed. A second conflict
while re-applying is raised as is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

# Fields QuickBooks rewrites on every write: never evidence of a conflicting change.
BOOKKEEPING = frozenset({"Id", "SyncToken", "MetaData", "sparse", "domain"})


class VersionCache:
    """The QuickBooks payloads of recently returned record versions, keyed by id and SyncToken."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, str, str], Mapping[str, Any]] = OrderedDict()

    def remember(self, company_id: str, entity: str, payload: Mapping[str, Any]) -> None:
        record_id, token = payload.get("Id"), payload.get("SyncToken")
        if record_id is None or token is None:
            return
        key = (company_id, entity, str(record_id), str(token))
        with self._lock:
            self._entries[key] = payload
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def version(self, company_id: str, entity: str, record_id: str, token: str) -> Mapping[str, Any] | None:
        with self._lock:
            return self._entries.get((company_id, entity, record_id, token))


def changed_fields(base: Mapping[str, Any], current: Mapping[str, Any], touched: Iterable[str]) -> list[str]:
    """The ``touched`` QuickBooks fields whose value differs between ``base`` and ``current``."""
    return sorted(
        name for name in set(touched) - BOOKKEEPING if _normal(base.get(name)) != _normal(current.get(name))
    )


def _normal(value: Any) -> Any:
    # Absent, null and empty mean the same to QuickBooks.
    if value in (None, "", [], {}):
        return None
    return value
