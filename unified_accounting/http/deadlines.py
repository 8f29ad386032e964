"""uvicorn settings for a server on the internet: read deadlines and a cap on connections.

uvicorn closes idle keep-alive connections, but any byte received resets that timer, so a client
sending one byte a second holds a connection — and, once its request head is complete, a task —
forever. :func:`hardened_server_options` gives ``uvicorn.run``/``uvicorn.Config`` an HTTP/1.1
protocol that closes a connection whose request (head and body) has not fully arrived within
``read_timeout`` of the connection opening or of the previous answer, plus ``limit_concurrency``
(uvicorn answers 503 beyond it) and a small cap on the size of a request head.

Two protocols do this: one on httptools (uvicorn's fast C parser, a dependency of the library, used
by default) and one on h11 (pure Python, ``parser="h11"``). Both give the
same guarantees; the httptools one costs several times less CPU per request, which a webhook
receiver answering hundreds of deliveries a second on a small machine needs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on reading each request and a cap on the
    size of its head (see the module docstring).

    The read deadline and uvicorn's keep-alive timeout share one timer per connection, re-armed
    lazily: an answer moves both deadlines later without touching the timer, which, when it
    fires, closes the connection if a deadline has passed and otherwise waits for the nearest
    one. uvicorn cancels and creates a timer for every request and answer; at hundreds of
    requests a second on a small machine, that churn is a measurable share of the server's CPU.
    """

    read_timeout: float = DEFAULT_READ_TIMEOUT
    #: Between a request's first byte and its last: what the deadline cuts off.
    _receiving = False
    _head_done = True
    _head_bytes = 0
    #: When the request being read must have arrived (checked once, then ``None``), and when an
    #: idle keep-alive connection is closed (``None`` once a byte arrives).
    _read_by: float | None = None
    _idle_by: float | None = None
    _watch: asyncio.TimerHandle | None = None
    _watch_at = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_done = False  # the first request's head is awaited from now on
        self._read_by = self.loop.time() + self.read_timeout
        self._watch_until(self._read_by)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self._read_by = self._idle_by = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._head_done:
            self._head_bytes += len(data)
        super().data_received(data)
        if not self._head_done and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self.send_400_response("Request head too large.")

    def _unset_keepalive_if_required(self) -> None:
        self._idle_by = None  # a byte arrived (or the connection ends): not idle
        super()._unset_keepalive_if_required()

    def on_message_begin(self) -> None:
        self._receiving, self._head_done = True, False
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._receiving = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # uvicorn's, with the keep-alive timeout as a deadline of the shared timer.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        now = self.loop.time()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle_by = now + self.timeout_keep_alive
        self._head_done, self._head_bytes = False, 0
        self._read_by = now + self.read_timeout  # the next request on this connection
        self._watch_until(self._read_by if self._idle_by is None else min(self._idle_by, self._read_by))

    def _watch_until(self, when: float) -> None:
        """Make sure the timer fires by ``when`` (it may fire earlier: it then waits again)."""
        if self._watch is not None:
            if self._watch_at <= when:
                return
            self._watch.cancel()
        self._watch_at = when
        self._watch = self.loop.call_at(when, self._watched)

    def _watched(self) -> None:
        self._watch = None
        if self.transport.is_closing():
            return
        # uvloop's timers count whole milliseconds: one may fire a little before its time.
        now = self.loop.time() + 0.002
        if self._idle_by is not None and now >= self._idle_by:
            self._idle_by = None
            self.timeout_keep_alive_handler()
            return
        if self._read_by is not None and now >= self._read_by:
            self._read_by = None
            self._read_deadline_passed()
            if self.transport.is_closing():
                return
        pending = [deadline for deadline in (self._idle_by, self._read_by) if deadline is not None]
        if pending:
            self._watch_until(min(pending))

    def _read_deadline_passed(self) -> None:
        answering = self.cycle is not None and not self.cycle.response_complete
        if answering and not self._receiving:
            return  # the request is in; the application is working on it
        self.logger.info("closed a connection whose request was not received within %ss", self.read_timeout)
        self.transport.close()


def deadline_protocol(read_timeout: float, *, parser: str = "auto") -> type[Any]:
    """A protocol class with its own ``read_timeout``: on httptools (``parser="auto"`` or
    ``"httptools"``) or on h11 (``"h11"``)."""
    if read_timeout <= 0:
        raise ValueError("read_timeout must be positive")
    base: type[Any] = DeadlineHttpToolsProtocol
    if parser == "h11":
        base = DeadlineH11Protocol
    elif parser not in ("auto", "httptools"):
        raise ValueError(f"parser must be 'auto', 'httptools' or 'h11', not {parser!r}")
    return type(base.__name__, (base,), {"read_timeout": float(read_timeout)})


def hardened_server_options(
    *,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY,
    parser: str = "auto",
) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` (see the module docstring);
    ``parser``: see :func:`deadline_protocol`."""
    return {
        "http": deadline_protocol(read_timeout, parser=parser),
        "limit_concurrency": limit_concurrency,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }
