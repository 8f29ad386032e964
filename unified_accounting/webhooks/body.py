"""Reading a webhook's body with a size limit and a deadline, before the signature is checked.

The receiver is on the internet and the signature needs the whole body, so the body is read
first: without limits, anyone can make the receiver hold tens of megabytes per request, or keep a
connection (and its task) forever by sending a byte a second. A body declaring more than the
limit is refused before any of it is read; one that grows past it, or is not complete by the
deadline, is refused as soon as that happens, and the connection is closed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..types import Receive

#: Intuit's CloudEvents deliveries carry up to 100 events, about 1 MB: twice that is accepted.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
#: A delivery is small and QuickBooks wants an answer within 3 s: a sender this slow is not one.
DEFAULT_READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class BodyLimits:
    """How much a webhook body may weigh, and how long its sender may take to send it."""

    max_bytes: int = DEFAULT_MAX_BODY_BYTES
    read_timeout: float = DEFAULT_READ_TIMEOUT

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.read_timeout <= 0:
            raise ValueError("BodyLimits needs max_bytes >= 1 and read_timeout > 0")


class BodyRefused(Exception):
    """The body was not read whole; ``response`` says why (and closes the connection)."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        # "Connection: close": the rest of an unread body must not be taken for the next request.
        self.response = Response(reason, status_code=status_code, headers={"Connection": "close"})


async def read_body(request: Request, limits: BodyLimits) -> bytes:
    """The request's body, or :class:`BodyRefused` (413 too large, 408 too slow, 400 malformed)."""
    return await read_asgi_body(request.receive, request.headers.get("content-length"), limits)


async def read_asgi_body(receive: Receive, declared: str | None, limits: BodyLimits) -> bytes:
    """The body of the ASGI request whose ``receive`` is given and whose ``Content-Length``
    header is ``declared``, or :class:`BodyRefused` (see :func:`read_body`)."""
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise BodyRefused(400, "malformed Content-Length") from None
        if length > limits.max_bytes:
            raise BodyRefused(413, f"body larger than {limits.max_bytes} bytes")
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(limits.read_timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise BodyRefused(400, "the sender went away before the body ended")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limits.max_bytes:
                    raise BodyRefused(413, f"body larger than {limits.max_bytes} bytes")
                parts.append(chunk)
                if not message.get("more_body", False):
                    return parts[0] if len(parts) == 1 else b"".join(parts)
    except TimeoutError:
        raise BodyRefused(408, f"body not received within {limits.read_timeout:g} s") from None
