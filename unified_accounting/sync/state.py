"""The state of one connection's sync, and the pure rules that move it on.

A sync is either *initial* (list every record of every resource, page by page) or *incremental*
(read what changed since the bookmark). The state is saved after every page, in the same
transaction as that page's records (see :mod:`unified_accounting.sync.engine`), so a sync killed at
any point resumes from the last page it stored: no page is fetched twice into the mirror, none is
skipped.

Time rules:

- the **signpost** is the moment the current run started. It is kept across a crash, so a resumed
  initial sync still counts from the original start;
- the **bookmark** is the moment up to which the mirror is known complete. A finished run moves it
  to ``min(signpost, server_time)``: never past the run's own start, so a change made while the run
  was going is read again next time rather than lost;
- an incremental run reads from ``bookmark − overlap``: the overlap absorbs clock skew between the
  provider's servers and ours. Records read twice are harmless (the mirror's upsert is ordered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .pages import Anchor


class Phase(StrEnum):
    IDLE = "idle"
    INITIAL = "initial"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class SyncState:
    """Where one connection's sync stands. Immutable: every rule returns a new state."""

    phase: Phase = Phase.IDLE
    #: Resources of the run in progress, in the order they are synced.
    resources: tuple[str, ...] = ()
    #: Initial sync: the cursor of the next page to fetch, per resource started.
    cursors: dict[str, str] = field(default_factory=dict)
    #: Initial sync: resources whose last page is stored.
    done: tuple[str, ...] = ()
    #: Initial sync: the last page stored, per resource whose listing is checked for gaps (what the
    #: next page must overlap; see :mod:`unified_accounting.sync.pages`).
    anchors: dict[str, Anchor] = field(default_factory=dict)
    #: Initial sync: resources the mirror held no row of when their listing began. Every row of
    #: theirs was then written by this run, after the signpost: none is left for the sweep to
    #: look up, and the scan of their rows that would find none is skipped.
    fresh: tuple[str, ...] = ()
    bookmark: datetime | None = None
    signpost: datetime | None = None
    #: Progress of the run in progress (kept across a resume).
    pages: int = 0
    records: int = 0

    # ------------------------------------------------------------------------------- questions

    @property
    def running(self) -> bool:
        return self.phase is not Phase.IDLE

    def needs_initial(self) -> bool:
        """True when the mirror was never filled, or an initial sync was interrupted."""
        return self.bookmark is None or self.phase is Phase.INITIAL

    def next_resource(self) -> str | None:
        """The resource the initial sync works on now (``None`` when every one is done)."""
        for resource in self.resources:
            if resource not in self.done:
                return resource
        return None

    def cursor(self, resource: str) -> str | None:
        return self.cursors.get(resource)

    def anchor(self, resource: str) -> Anchor | None:
        return self.anchors.get(resource)

    def changes_since(self, overlap: timedelta) -> datetime:
        """Where an incremental run reads from: the bookmark less the clock-skew overlap."""
        if self.bookmark is None:
            raise ValueError("no bookmark: run an initial sync first")
        return self.bookmark - overlap

    # ----------------------------------------------------------------------------------- rules

    def start_initial(self, resources: tuple[str, ...], now: datetime) -> SyncState:
        """Begin a full listing; an interrupted one for the same resources is resumed instead."""
        if self.phase is Phase.INITIAL and self.resources == resources:
            return self
        return replace(
            self,
            phase=Phase.INITIAL,
            resources=resources,
            cursors={},
            done=(),
            anchors={},
            fresh=(),
            signpost=now,
            pages=0,
            records=0,
        )

    def listing_fresh(self, resource: str) -> SyncState:
        """``resource``'s listing begins with no row of it in the mirror (see :attr:`fresh`)."""
        return self if resource in self.fresh else replace(self, fresh=(*self.fresh, resource))

    def page_stored(
        self, resource: str, next_cursor: str | None, count: int, anchor: Anchor | None = None
    ) -> SyncState:
        """One page of ``resource`` is in the mirror; ``next_cursor`` is where to go on, and ``anchor``
        what the next page must overlap."""
        cursors = dict(self.cursors)
        anchors = dict(self.anchors)
        done = self.done
        anchors.pop(resource, None)
        if next_cursor is None:
            cursors.pop(resource, None)
            done = (*done, resource) if resource not in done else done
        else:
            cursors[resource] = next_cursor
            if anchor is not None:
                anchors[resource] = anchor
        return replace(
            self,
            cursors=cursors,
            anchors=anchors,
            done=done,
            pages=self.pages + 1,
            records=self.records + count,
        )

    def progressed(self, records: int) -> SyncState:
        """One more page of an incremental run applied (counts only: it resumes from the bookmark)."""
        return replace(self, pages=self.pages + 1, records=self.records + records)

    def start_incremental(self, resources: tuple[str, ...], now: datetime) -> SyncState:
        return replace(self, phase=Phase.INCREMENTAL, resources=resources, signpost=now, pages=0, records=0)

    def finish(self, server_time: datetime | None = None) -> SyncState:
        """The run is complete: move the bookmark to ``min(signpost, server_time)``."""
        if self.signpost is None:
            raise ValueError("finish() without a run in progress")
        bookmark = min(self.signpost, server_time or self.signpost)
        if self.bookmark is not None and bookmark < self.bookmark:
            bookmark = self.bookmark  # a skewed server clock never moves the bookmark back
        return replace(
            self,
            phase=Phase.IDLE,
            cursors={},
            done=(),
            anchors={},
            fresh=(),
            bookmark=bookmark,
            signpost=None,
        )

    # ----------------------------------------------------------------------------- persistence

    def to_json(self) -> str:
        return json.dumps(
            {
                "phase": self.phase.value,
                "resources": list(self.resources),
                "cursors": self.cursors,
                "done": list(self.done),
                "anchors": {
                    resource: {"cursor": anchor.cursor, "ids": sorted(anchor.ids)}
                    for resource, anchor in self.anchors.items()
                },
                "fresh": list(self.fresh),
                "bookmark": _iso(self.bookmark),
                "signpost": _iso(self.signpost),
                "pages": self.pages,
                "records": self.records,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> SyncState:
        if not text:
            return cls()
        data: dict[str, Any] = json.loads(text)
        return cls(
            phase=Phase(data.get("phase", "idle")),
            resources=tuple(data.get("resources", ())),
            cursors=dict(data.get("cursors", {})),
            done=tuple(data.get("done", ())),
            anchors={
                resource: Anchor(value.get("cursor"), frozenset(value.get("ids", ())))
                for resource, value in dict(data.get("anchors", {})).items()
            },
            fresh=tuple(data.get("fresh", ())),
            bookmark=_parse(data.get("bookmark")),
            signpost=_parse(data.get("signpost")),
            pages=int(data.get("pages", 0)),
            records=int(data.get("records", 0)),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
