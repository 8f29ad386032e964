"""uvicorn settings for a server on the internet: read deadlines and a cap on connections.

uvicorn closes idle keep-alive connections, but any byte received resets that timer, so a client
sending one byte a second holds a connection — and, once its request head is complete, a task —
forever. :func:`hardened_server_options` gives ``uvicorn.run``/``uvicorn.Config`` an HTTP/1.1
protocol that closes a connection whose request (head and body) has not fully arrived within
``read_timeout`` of the connection opening or of the previous answer, plus ``limit_concurrency``
(uvicorn answers 503 beyond it) and a small cap on the size of a request head.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a whole request (head and body) on its connection.
DEFAULT_READ_TIMEOUT = 10.0
#: Connections plus running requests served at once; uvicorn answers 503 beyond.
DEFAULT_LIMIT_CONCURRENCY = 1000
#: Bytes of request head (request line and headers) accepted.
MAX_HEAD_BYTES = 16 * 1024


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on reading each request (see the module docstring).

    The deadline does not limit the application: once the request has fully arrived, it may take
    as long as it needs to answer.
    """

    read_timeout: float = DEFAULT_READ_TIMEOUT
    _read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_read_deadline()  # the next request on this connection gets its own deadline

    def _arm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._read_deadline_passed)

    def _read_deadline_passed(self) -> None:
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        if answering and self.conn.their_state is not h11.SEND_BODY:
            return  # the request is in; the application is working on it
        # No complete request head yet, or a body still trickling in: give up on this client.
        # (uvicorn then tells a waiting application that the client disconnected.)
        self.logger.info("closed a connection whose request was not received within %ss", self.read_timeout)
        self.transport.close()


def deadline_protocol(read_timeout: float) -> type[DeadlineH11Protocol]:
    """A :class:`DeadlineH11Protocol` class with its own ``read_timeout``."""
    if read_timeout <= 0:
        raise ValueError("read_timeout must be positive")
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,), {"read_timeout": float(read_timeout)})


def hardened_server_options(
    *, read_timeout: float = DEFAULT_READ_TIMEOUT, limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY
) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` (see the module docstring)."""
    return {
        "http": deadline_protocol(read_timeout),
        "limit_concurrency": limit_concurrency,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }
