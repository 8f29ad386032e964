"""Small structural types shared across modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: An ASGI 3 application, as returned by ``Provider.create_emulator``.
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
