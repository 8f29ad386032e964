"""Initial sync of N QuickBooks invoices from the emulator, under QuickBooks' real limits.

The emulator runs in its own process (as the real service would be elsewhere), with Intuit's
limits — 500 requests per minute, 10 per second, 10 in flight — and 150 ms of latency on every
call. This process syncs the invoices into the embedded SQLite mirror (pages of 1000, the
maximum), exactly as ``ua sync`` does, and prints:

* the wall time, and the **bound** the limits impose on any client: listing N invoices in pages of
  1000 takes R = N/1000 + 1 requests (the last page comes back short, or empty when N is a
  multiple of 1000). Request k (from 0) cannot start before floor(k/10) s (10 per second, sliding
  window), nor before floor(k/500) min (500 per minute); with at most 10 in flight, R requests of
  latency L take at least ceil(R/10) × L. Each request then lasts L. So::

      bound = max(floor((R-1)/10) s + L,  floor((R-1)/500) min + L,  ceil(R/10) × L)

  (The simpler R ÷ (500/min) = 12.1 s for N = 100,000 is not a bound: the 500-per-minute window
  lets the first 500 requests through at once; the 10-per-second window binds first.)
* ratio = wall ÷ bound (target ≤ 1.15), the number of 429 answers (target 0), and the peak
  resident memory of this, the syncing, process (target < 300 MB).

Run: ``uv run --group dev python bench/sync_initial.py [--invoices 100000]``. Exits non-zero on a
missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LATENCY = 0.150
PER_SECOND, PER_MINUTE, CONCURRENT = 10, 500, 10
PAGE = 1000
TARGET_RATIO, TARGET_MEMORY_MB = 1.15, 300

EMULATOR = """
import json, socket, sys
import uvicorn
from unified_accounting_quickbooks.emulator import create_emulator
invoices = int(sys.argv[1])
app = create_emulator(seed=1, invoices=invoices, customers=200, payments=0, latency_ms={latency_ms},
                      requests_per_minute={per_minute}, requests_per_second={per_second},
                      max_concurrent={concurrent}, request_log_limit=100000)
emulator = app.state.emulator
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
tokens = emulator.issue_tokens()
print(json.dumps({{"port": port, "realm": tokens["realm_id"], "access_token": tokens["access_token"],
                   "refresh_token": tokens["refresh_token"], "expires_in": tokens["expires_in"]}}),
      flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
"""


def bound(requests: int) -> float:
    by_second = (requests - 1) // PER_SECOND + LATENCY
    by_minute = (requests - 1) // PER_MINUTE * 60 + LATENCY
    by_concurrency = math.ceil(requests / CONCURRENT) * LATENCY
    return max(by_second, by_minute, by_concurrency)


async def limiter_floor(requests: int) -> float:
    """How long the QuickBooks provider's own client-side limiter takes to let ``requests`` calls of
    ``LATENCY`` through, with no I/O and no work at all: the floor this client cannot go under.

    (It counts each call in its windows from the moment the answer arrived, a safety margin
    against 429s, so each 10-per-second window lasts about one second plus the latency.)
    """
    from unified_accounting_quickbooks.limits import RATE_LIMITS

    from unified_accounting.ratelimits import LimitKey, RateLimiter

    limiter = RateLimiter()
    limits = RATE_LIMITS.adjusted(calls={"minute": PER_MINUTE, "second": PER_SECOND}, concurrent=CONCURRENT)
    key = LimitKey("quickbooks", "bench", "floor", "floor")
    started = time.perf_counter()

    async def call() -> None:
        async with limiter.slot(key, limits):
            await asyncio.sleep(LATENCY)

    await asyncio.gather(*(call() for _ in range(requests)))
    return time.perf_counter() - started


def start_emulator(invoices: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    code = EMULATOR.format(
        latency_ms=LATENCY * 1000, per_minute=PER_MINUTE, per_second=PER_SECOND, concurrent=CONCURRENT
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(invoices)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    deadline = time.monotonic() + 60
    import socket

    while True:  # wait until uvicorn listens
        try:
            socket.create_connection(("127.0.0.1", info["port"]), timeout=0.2).close()
            return process, info
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


async def run(invoices: int, directory: Path, info: dict[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    import httpx
    from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    from unified_accounting import AsyncClient, hookimpl
    from unified_accounting.mirror.query import count
    from unified_accounting.sync import SyncOptions, SyncService
    from unified_accounting.vault.crypto import new_key

    statuses: dict[int, int] = {}

    class CountStatuses:
        @hookimpl
        def ua_after_response(
            self,
            provider: str,
            company_id: str,
            request: httpx.Request,
            response: httpx.Response,
            elapsed: float,
        ) -> None:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    settings = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "base_url": f"http://127.0.0.1:{info['port']}",
    }
    async with AsyncClient(
        providers={"quickbooks": settings},
        environ={},
        database_url=f"sqlite:///{directory / 'vault.sqlite3'}",
        secret_key=new_key(),
        plugins=(CountStatuses(),),
        max_retries=0,  # a 429 must show, not be hidden by a retry
    ) as client:
        conn = await client.import_connection(
            consumer_id="bench",
            provider="quickbooks",
            company_id=info["realm"],
            access_token=info["access_token"],
            refresh_token=info["refresh_token"],
            expires_at=datetime.now(UTC) + timedelta(seconds=int(info["expires_in"])),
        )
        service = SyncService(client, SyncOptions(resources=("invoice",), page_size=PAGE))
        await service.database()  # create the schema before the clock starts
        started = time.perf_counter()
        report = await service.sync(conn)
        wall = time.perf_counter() - started
        mirrored = await count(await service.database(), conn.key, "invoice")
    return {"wall": wall, "report": report, "statuses": statuses, "mirrored": mirrored}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    process, info = start_emulator(args.invoices)
    try:
        with tempfile.TemporaryDirectory() as directory:
            result = asyncio.run(run(args.invoices, Path(directory), info))
    finally:
        process.terminate()
        process.wait(timeout=10)
    report = result["report"]
    requests = args.invoices // PAGE + 1
    limit = bound(requests)
    ratio = result["wall"] / limit
    floor = asyncio.run(limiter_floor(requests))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    throttled = result["statuses"].get(429, 0)
    sent = sum(result["statuses"].values())
    print(f"invoices synced        {report.records:,} ({report.pages} pages)")
    print(f"requests               {sent} sent, {requests} needed; statuses {result['statuses']}")
    print(
        f"bound                  {limit:.2f} s = max(floor(({requests}-1)/{PER_SECOND}) s + {LATENCY} s, "
        f"floor(({requests}-1)/{PER_MINUTE}) min + {LATENCY} s, ceil({requests}/{CONCURRENT}) x {LATENCY} s)"
    )
    print(f"wall time              {result['wall']:.2f} s")
    print(f"ratio wall/bound       {ratio:.3f}  (target <= {TARGET_RATIO})")
    print(
        f"for reference          the provider's limiter alone needs {floor:.2f} s for {requests} calls "
        f"({floor / limit:.3f} x bound); wall / that = {result['wall'] / floor:.3f}"
    )
    print(f"429 answers            {throttled}  (target 0)")
    print(f"peak memory (RSS)      {peak_mb:.0f} MB  (target < {TARGET_MEMORY_MB} MB)")
    ok = (
        ratio <= TARGET_RATIO
        and throttled == 0
        and peak_mb < TARGET_MEMORY_MB
        and report.records == args.invoices
        and result["mirrored"] == args.invoices
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
