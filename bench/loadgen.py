"""A light HTTP/1.1 load sender for the benchmarks: asyncio protocols, keep-alive, bodies prepared up front.

A general HTTP client spends more CPU per request than a tuned receiver (``httpx`` pooling 200
connections: about 8.6 ms a request here), so on a small machine a benchmark driven by one mostly
measures its own sender. This one writes requests prepared before the clock starts (each one's
bytes, signature included) on connections opened before it starts, reads only the status line and
``Content-Length`` of each answer, in protocol callbacks (no task, future or stream per request:
with streams and a ``wait_for`` per request it cost more than ``ua serve`` in the burst), and runs
on uvloop when it is installed. It measures its own
CPU (``time.process_time``) over the run, so each benchmark prints it beside the server's.

Requests leave on a schedule (``rate`` a second), whatever the server's speed: a request whose
connection is still busy waits for a free one, and its response time counts from its scheduled
time, so a slow server cannot hide its delays by slowing the sender ("coordinated omission").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field


def request_bytes(path: str, body: bytes, headers: dict[str, str], host: str = "127.0.0.1") -> bytes:
    """One complete ``POST`` request (head and body), ready to write."""
    head = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    sender_cpu: float = 0.0
    wall: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.latencies)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * fraction + 0.999999) - 1))]


def _parse_response(buffer: bytearray) -> tuple[int, int] | None:
    """The status and the size of the first whole response in ``buffer``, or ``None`` yet."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[: end + 4]).lower()
    status = int(head[9:12])
    length = 0
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        length = int(head[at + 17 : head.find(b"\r\n", at + 2)])
    size = end + 4 + length
    return (status, size) if len(buffer) >= size else None


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a request at a time, its answer read in ``data_received``."""

    def __init__(self, sender: _Sender) -> None:
        self.sender = sender
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.due: float | None = None  # the scheduled moment of the request awaiting its answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, due: float, data: bytes) -> None:
        assert self.transport is not None
        self.due = due
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.due is not None and (parsed := _parse_response(self.buffer)) is not None:
            status, size = parsed
            del self.buffer[:size]
            due, self.due = self.due, None
            self.sender.answered(self, due, status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sender.lost(self)


class _Sender:
    """Requests dispatched on schedule to idle connections (or queued for the next free one),
    with callbacks only: no task, future or stream per request, so the sender costs less CPU
    than the receivers it measures."""

    def __init__(self, host: str, port: int, total: int, answer_within: float) -> None:
        self.host, self.port = host, port
        self.total, self.answer_within = total, answer_within
        self.result = LoadResult()
        self.idle: deque[_Connection] = deque()
        self.waiting: deque[tuple[float, bytes]] = deque()
        self.busy: set[_Connection] = set()
        self.reconnecting: set[asyncio.Future[None]] = set()
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        self._free(connection)

    def dispatch(self, due: float, data: bytes) -> None:
        if self.idle:
            connection = self.idle.popleft()
            self.busy.add(connection)
            connection.send(due, data)
        else:
            self.waiting.append((due, data))

    def answered(self, connection: _Connection, due: float, status: int) -> None:
        result = self.result
        result.latencies.append(time.perf_counter() - due)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        self._free(connection)
        self._check_done()

    def lost(self, connection: _Connection) -> None:
        self.busy.discard(connection)
        with contextlib.suppress(ValueError):
            self.idle.remove(connection)
        if connection.due is not None:  # closed before its answer: an error, and a new connection
            self.result.errors += 1
            self.result.latencies.append(time.perf_counter() - connection.due)
            connection.due = None
            self._check_done()
        if not self.finished.done():
            reconnecting = asyncio.ensure_future(self.connect())
            self.reconnecting.add(reconnecting)
            reconnecting.add_done_callback(self.reconnecting.discard)

    def expire(self) -> None:
        """Give up on answers later than ``answer_within`` (their connections are closed)."""
        limit = time.perf_counter() - self.answer_within
        for connection in list(self.busy):
            if connection.due is not None and connection.due < limit and connection.transport:
                connection.transport.close()

    def _free(self, connection: _Connection) -> None:
        if self.waiting:
            self.busy.add(connection)
            connection.send(*self.waiting.popleft())
        else:
            self.busy.discard(connection)
            self.idle.append(connection)

    def _check_done(self) -> None:
        if len(self.result.latencies) >= self.total and not self.finished.done():
            self.finished.set_result(None)


async def send_schedule(
    port: int,
    requests: Sequence[bytes],
    schedule: Sequence[float],
    *,
    connections: int = 64,
    host: str = "127.0.0.1",
    answer_within: float = 30.0,
) -> LoadResult:
    """Send ``requests[i]`` at ``schedule[i]`` seconds after the start, over ``connections``
    keep-alive connections; return every response time (from its scheduled moment) and status."""
    loop = asyncio.get_running_loop()
    sender = _Sender(host, port, len(requests), answer_within)
    for _ in range(connections):
        await sender.connect()
    total = len(requests)
    cpu_started = time.process_time()
    started = time.perf_counter()
    sent = 0

    def release() -> None:
        # Every request whose moment has come, then a timer for the next one.
        nonlocal sent
        now = time.perf_counter() - started
        while sent < total and schedule[sent] <= now:
            sender.dispatch(started + schedule[sent], requests[sent])
            sent += 1
        if sent < total:
            loop.call_later(max(0.0, schedule[sent] - (time.perf_counter() - started)), release)

    def watch() -> None:
        sender.expire()
        if not sender.finished.done():
            loop.call_later(1.0, watch)

    if total:
        release()
        watch()
        await sender.finished
    result = sender.result
    result.wall = time.perf_counter() - started
    result.sender_cpu = time.process_time() - cpu_started
    for connection in list(sender.idle) + list(sender.busy):
        if connection.transport is not None:
            connection.transport.close()
    return result


def run(
    port: int, requests: Sequence[bytes], schedule: Sequence[float], *, connections: int = 64
) -> LoadResult:
    """:func:`send_schedule` on a new event loop (uvloop when installed)."""
    coroutine = send_schedule(port, requests, schedule, connections=connections)
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)
