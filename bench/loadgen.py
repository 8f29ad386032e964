"""A light HTTP/1.1 load sender for the benchmarks: raw asyncio streams, keep-alive, bodies prepared up front.

A general HTTP client spends more CPU per request than a tuned receiver (``httpx`` pooling 200
connections: about 8.6 ms a request here), so on a small machine a benchmark driven by one mostly
measures its own sender. This one writes requests prepared before the clock starts (each one's
bytes, signature included) on connections opened before it starts, reads only the status line and
``Content-Length`` of each answer, and runs on uvloop when it is installed. It measures its own
CPU (``time.process_time``) over the run, so each benchmark prints it beside the server's.

Requests leave on a schedule (``rate`` a second), whatever the server's speed: a request whose
connection is still busy waits for a free one, and its response time counts from its scheduled
time, so a slow server cannot hide its delays by slowing the sender ("coordinated omission").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
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


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lowered.find(b"\r\n", at + 2)
        length = int(lowered[at + 17 : end])
    if length:
        await reader.readexactly(length)
    return status


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
    result = LoadResult()
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    streams = [await asyncio.open_connection(host, port) for _ in range(connections)]

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (item := await queue.get()) is not None:
            due, data = item
            try:
                writer.write(data)
                status = await asyncio.wait_for(_read_response(reader), answer_within)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                result.errors += 1
                result.latencies.append(time.perf_counter() - due)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.latencies.append(time.perf_counter() - due)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        writer.close()

    cpu_started = time.process_time()
    workers = [asyncio.create_task(connection(r, w)) for r, w in streams]
    started = time.perf_counter()
    sent = 0
    total = len(requests)
    while sent < total:
        now = time.perf_counter() - started
        while sent < total and schedule[sent] <= now:
            queue.put_nowait((started + schedule[sent], requests[sent]))
            sent += 1
        if sent < total:
            await asyncio.sleep(max(0.0, schedule[sent] - (time.perf_counter() - started)))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    result.wall = time.perf_counter() - started
    result.sender_cpu = time.process_time() - cpu_started
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
