"""The request log: what an emulator was asked, in arrival order, for tests to inspect.

:class:`RequestRecorder` is an ASGI middleware that appends a :class:`LoggedRequest` for every
HTTP request (method, path, query, the headers the emulator chose to keep, the status answered,
the emulator time) to a bounded :class:`RequestLog`. ``Accept``, ``Content-Type`` and ``User-Agent``
are always kept, with the headers the emulator names. Credentials are never kept: of the
``Authorization`` header only the scheme (``bearer``, ``basic``) is noted. An emulator adds its own
facts in ``extra`` through ``annotate`` (QuickBooks notes ``intuit_tid`` and ``minorversion``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload
from urllib.parse import parse_qsl

from ..types import ASGIApp, Message, Receive, Scope, Send
from .clock import EmulatorClock
from .faults import FAULT_STATE_KEY


@dataclass
class LoggedRequest:
    """One request as the emulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: datetime
    #: The status answered; ``None`` while in flight or when no answer was sent (timeout, disconnect).
    status: int | None = None
    #: The scheme of the ``Authorization`` header (``"bearer"``, ``"basic"``), never its value.
    auth_scheme: str | None = None
    #: Whether an injected fault met this request.
    fault: bool = False
    #: What the emulator adds about its provider (``minorversion``, ``intuit_tid``, ...).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def at(self) -> datetime:
        return self.time


class RequestLog:
    """The last ``limit`` requests, oldest first."""

    def __init__(self, limit: int | None = 10_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)

    def append(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def matching(self, path_contains: str = "", method: str | None = None) -> list[LoggedRequest]:
        """Requests whose path contains ``path_contains`` (and with ``method``, when given)."""
        wanted = method.upper() if method else None
        return [
            entry
            for entry in self._entries
            if path_contains in entry.path and (wanted is None or entry.method == wanted)
        ]

    def under(self, path_prefix: str) -> list[LoggedRequest]:
        """Requests whose path starts with ``path_prefix``."""
        return [entry for entry in self._entries if entry.path.startswith(path_prefix)]

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> LoggedRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[LoggedRequest]: ...
    def __getitem__(self, index: int | slice) -> LoggedRequest | list[LoggedRequest]:
        if isinstance(index, slice):
            return list(self._entries)[index]
        return self._entries[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestLog):
            return list(self._entries) == list(other._entries)
        if isinstance(other, Iterable):
            return list(self._entries) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RequestLog({list(self._entries)!r})"


Annotate = Callable[[LoggedRequest, Scope], None]
#: Headers every request log keeps.
COMMON_HEADERS = ("accept", "content-type", "user-agent")


class RequestRecorder:
    """ASGI middleware: log every HTTP request in ``log`` (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: RequestLog,
        clock: EmulatorClock,
        headers: Collection[str] = (),
        annotate: Annotate | None = None,
    ) -> None:
        self.app = app
        self.log = log
        self.clock = clock
        kept = {name.lower() for name in (*COMMON_HEADERS, *headers)}
        self.headers = frozenset(kept - {"authorization", "cookie"})
        self.annotate = annotate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry = self._entry(scope)
        self.log.append(entry)

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            state = scope.get("state") or {}
            entry.fault = bool(state.get(FAULT_STATE_KEY, False))
            if self.annotate is not None:
                self.annotate(entry, scope)

    def _entry(self, scope: Scope) -> LoggedRequest:
        headers: dict[str, str] = {}
        auth_scheme: str | None = None
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            if name == "authorization":
                auth_scheme = raw_value.decode("latin-1").strip().split(" ", 1)[0].lower() or None
            elif name in self.headers:
                headers[name] = raw_value.decode("latin-1")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        return LoggedRequest(
            method=scope["method"],
            path=scope["path"],
            query=query,
            headers=headers,
            time=self.clock.now(),
            auth_scheme=auth_scheme,
        )
