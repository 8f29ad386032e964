"""Undo log for one write request.

Xero applies a batch all-or-nothing unless ``summarizeErrors=false``.  Every change the ledger makes goes
through a :class:`Journal`, which remembers the previous value so a failed batch (or a failed element) can be
undone, and collects the webhook events the changes produce so they are only published once the write
stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class _Attr:
    value: Any


@dataclass(frozen=True)
class ChangeEvent:
    tenant_id: str
    category: str  # INVOICE | CONTACT | CREDITNOTE
    event_type: str  # CREATE | UPDATE
    resource_id: str
    #: What CREDITNOTE events add: ``{"Type": ..., "Status": ...}``.
    data: tuple[tuple[str, str], ...] = ()


@dataclass
class Journal:
    _undo: list[tuple[Any, Any, Any]] = field(default_factory=list)
    events: list[ChangeEvent] = field(default_factory=list)

    def set(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def delete(self, mapping: dict[Any, Any], key: Any) -> None:
        if key in mapping:
            self._undo.append((mapping, key, mapping[key]))
            del mapping[key]

    def setattr(self, obj: object, name: str, value: Any) -> None:
        self._undo.append((obj, name, _Attr(getattr(obj, name))))
        object.__setattr__(obj, name, value)

    def event(self, tenant_id: str, category: str, event_type: str, resource_id: str, **data: str) -> None:
        self.events.append(ChangeEvent(tenant_id, category, event_type, resource_id, tuple(data.items())))

    def rollback(self) -> None:
        while self._undo:
            target, key, previous = self._undo.pop()
            if isinstance(previous, _Attr):
                object.__setattr__(target, key, previous.value)
            elif previous is _MISSING:
                target.pop(key, None)
            else:
                target[key] = previous
        self.events.clear()

    def absorb(self, other: Journal) -> None:
        """Take over another journal's undo entries and events (used to nest element journals)."""
        self._undo.extend(other._undo)
        self.events.extend(other.events)
        other._undo = []
        other.events = []
