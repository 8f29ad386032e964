"""The progress bar of ``ua sync``: records, pages, rate-limit waits and an ETA."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..connections import ConnectionKey
from .engine import SyncReport
from .state import SyncState


class RichProgress:
    """Implements :class:`~unified_accounting.sync.engine.SyncProgress` with a rich progress bar.

    ``expected`` is the number of records the run will probably see (for the bar and the ETA):
    the mirror's size for a re-sync; unknown (an open-ended bar) the first time.
    """

    def __init__(self, console: Console | None = None, expected: int | None = None) -> None:
        self.expected = expected or None
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records · {task.fields[pages]} pages · {task.fields[status]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._resource = ""

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def started(self, key: ConnectionKey, kind: str, state: SyncState) -> None:
        self._task = self.progress.add_task(
            f"{kind} sync of {key}",
            total=self.expected if kind == "initial" else None,
            completed=state.records,
            pages=state.pages,
            status="fetching",
        )

    def page(self, resource: str, records: int, state: SyncState) -> None:
        if self._task is None:
            return
        total = self.progress.tasks[0].total
        if total is not None and state.records > total:
            self.progress.update(self._task, total=state.records)
        self.progress.update(self._task, completed=state.records, pages=state.pages, status=resource)
        self._resource = resource

    def rate_limited(self, waiting: bool) -> None:
        if self._task is not None:
            status = "[yellow]waiting on the rate limit[/yellow]" if waiting else self._resource or "fetching"
            self.progress.update(self._task, status=status)

    def finished(self, report: SyncReport) -> None:
        if self._task is not None:
            self.progress.update(
                self._task, total=report.records, completed=report.records, pages=report.pages, status="done"
            )
