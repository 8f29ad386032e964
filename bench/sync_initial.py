"""Initial sync of N QuickBooks invoices from the emulator, under QuickBooks' real limits.

The emulator runs in its own process (as the real service would be elsewhere), with Intuit's
limits — 500 requests per minute, 10 per second, 10 in flight — and 150 ms of latency on every
call. This process syncs the invoices into the embedded SQLite mirror (pages of 1000, the
maximum), exactly as ``ua sync`` does (one worker process decodes the pages: ``read_processes=1``),
three times (a fresh mirror each time; the worker, started by the first run, serves the next ones),
and prints each run and their min, median and max of:

* the wall time against the **bound** the limits impose on any client: listing N invoices in pages
  of 1000 takes R = N/1000 + 1 requests (the last page comes back short, or empty when N is a
  multiple of 1000). The emulator counts a request when it arrives, so request k (from 0) cannot
  arrive before floor(k/10) s (10 per second, sliding window), nor before floor(k/500) min (500 per
  minute); with at most 10 in flight, R requests of latency L take at least ceil(R/10) × L. The
  last request then lasts L. So::

      bound = max(floor((R-1)/10) s + L,  floor((R-1)/500) min + L,  ceil(R/10) × L)

  (The simpler R ÷ (500/min) = 12.1 s for N = 100,000 is not a bound: the 500-per-minute window
  lets the first 500 requests through at once; the 10-per-second window binds first.) The bound
  leaves out what no limit imposes but every client pays: making, sending and decoding the last
  page, writing it, and finishing the sync. What this client adds on top of it: its limiter counts
  each request from the moment it is sent plus a margin (``limiter_counts_from="send"``,
  ``limiter_margin_s`` 0.05: every one-second window lasts 1.05 s), each page is read from 20
  records before the previous one's end (the listing's proof that no record was skipped: 2 % more
  pages), the company's term list is read once, and the second page can only be asked for once the
  first has named where it ends.
* ratio = wall ÷ bound (target: median ≤ 1.10), the number of 429 answers (target 0), the CPU of
  this process per 1000 invoices and of the emulator per page, and the peak resident memory of
  this, the syncing, process (target < 300 MB).

``--scale`` runs 10,000 and 100,000 invoices three times each (and 1,000,000 once with
``--million``: several minutes, a 1M-invoice emulator needs several GB), each size in a process of
its own, and prints the median wall/bound and the peak memory per size. It is met when no size
meets a 429 or reaches 300 MB and wall/bound does not grow with the company (each size's median at
most 0.02 above the smaller size's). The fixed costs (the first page's round trip, the last page's
reading and writing) weigh most at 10,000 invoices, whose bound is 1.15 s.

Run: ``uv run --group dev python bench/sync_initial.py [--invoices 100000] [--runs 3]`` or
``... --scale [--million]``. Exits non-zero on a missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LATENCY = 0.150
PER_SECOND, PER_MINUTE, CONCURRENT = 10, 500, 10
PAGE = 1000
TARGET_RATIO, TARGET_MEMORY_MB = 1.10, 300

EMULATOR = """
import json, socket, sys
import uvicorn
from unified_accounting_quickbooks.emulator import create_emulator
invoices = int(sys.argv[1])
app = create_emulator(seed=1, invoices=invoices, customers=200, payments=0, latency_ms={latency_ms},
                      requests_per_minute={per_minute}, requests_per_second={per_second},
                      max_concurrent={concurrent}, request_log_limit=100000)
emulator = app.state.emulator
# A record's JSON is rendered on its first read, then kept: rendered here, so that the first run too
# meets an emulator answering at its steady speed. Rendering 1,000 invoices takes it ~35 ms of CPU, on
# the cores the sync uses: its answers then queue, its count of a request starts late, and a
# request sent on time can meet a 429 (a remote service's cores are its own).
for realm in emulator.realms.values():
    for record in realm.table("Invoice"):
        record.json()
# The seeded company is millions of objects: a full pass of the collector over them stops the
# emulator for seconds at 1,000,000 invoices, and requests arriving meanwhile are counted late.
import gc
gc.collect()
gc.freeze()
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


async def limiter_floor(requests: int, counts_from: str) -> float:
    """How long the QuickBooks provider's own client-side limiter takes to let ``requests`` calls of
    ``LATENCY`` through, with no I/O and no work at all: the floor this client cannot go under.

    (Counting from the send, each 10-per-second window lasts one second plus the margin; counting
    from the answer, one second plus the latency.)
    """
    from unified_accounting_quickbooks.limits import RATE_LIMITS

    from unified_accounting.ratelimits import LimitKey, RateLimiter

    limiter = RateLimiter()
    limits = RATE_LIMITS.adjusted(
        calls={"minute": PER_MINUTE, "second": PER_SECOND},
        concurrent=CONCURRENT,
        count_from=counts_from,  # type: ignore[arg-type]
        margin=0.05,
    )
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


async def run(invoices: int, directory: Path, info: dict[str, Any], counts_from: str) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    import httpx
    from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    from unified_accounting import AsyncClient, hookimpl
    from unified_accounting.mirror.query import count
    from unified_accounting.sync import SyncOptions, SyncService, page_readers
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
        "limiter_counts_from": counts_from,
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
        service = SyncService(client, SyncOptions(resources=("invoice",), page_size=PAGE, read_processes=1))
        await service.database()  # create the schema before the clock starts
        # The page-reading worker starts with the first sync of a process and serves the next ones.
        worker_ready = page_readers(1).ready
        started, cpu = time.perf_counter(), time.process_time()
        report = await service.sync(conn)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        mirrored = await count(await service.database(), conn.key, "invoice")
    return {
        "wall": wall,
        "cpu": cpu,
        "report": report,
        "statuses": statuses,
        "mirrored": mirrored,
        "worker_ready": worker_ready,
    }


def emulator_cpu(pid: int) -> float:
    """CPU seconds (user + system) the emulator process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sync_runs(invoices: int, runs: int, counts_from: str) -> dict[str, Any]:
    """``runs`` syncs of one emulated company, each into a fresh mirror."""
    from unified_accounting.sync import bulk_collection

    process, info = start_emulator(invoices)
    results = []
    try:
        for index in range(runs):
            if index:
                time.sleep(1.2)  # the one-second windows of the run before are empty again
            before = emulator_cpu(process.pid)
            with tempfile.TemporaryDirectory() as directory, bulk_collection():  # as ua sync does
                result = asyncio.run(run(invoices, Path(directory), info, counts_from))
            result["emulator_cpu"] = emulator_cpu(process.pid) - before
            results.append(result)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {"runs": results, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def report_runs(invoices: int, outcome: dict[str, Any], counts_from: str) -> dict[str, Any]:
    """Print every run and their min, median and max; return what a scaling run compares."""
    runs = outcome["runs"]
    requests = invoices // PAGE + 1
    limit = bound(requests)
    r, latency = requests, LATENCY
    print(
        f"{invoices:,} invoices; bound {limit:.2f} s = max(floor(({r}-1)/{PER_SECOND}) s + {latency} s, "
        f"floor(({r}-1)/{PER_MINUTE}) min + {latency} s, ceil({r}/{CONCURRENT}) x {latency} s); "
        f"limiter counts from {counts_from}; load average {os.getloadavg()[0]:.2f}"
    )
    ok = True
    for index, result in enumerate(runs, start=1):
        report = result["report"]
        pages = max(1, report.pages)
        sent = sum(result["statuses"].values())
        throttled = result["statuses"].get(429, 0)
        print(
            f"  run {index}: wall {result['wall']:.2f} s, ratio {result['wall'] / limit:.3f}; "
            f"{report.records:,} invoices in {report.pages} pages, {sent} requests, {throttled} x 429; "
            f"CPU {result['cpu'] / invoices * 1000 * 1000:.0f} ms per 1000 invoices here, "
            f"emulator {result['emulator_cpu'] / pages * 1000:.0f} ms per page; page-reading worker "
            f"{'running' if result['worker_ready'] else 'started by this run'}"
        )
        ok = ok and throttled == 0 and report.records == invoices and result["mirrored"] == invoices
    ratios = sorted(result["wall"] / limit for result in runs)
    median = statistics.median(ratios)
    print(
        f"  wall/bound min {ratios[0]:.3f}, median {median:.3f}, max {ratios[-1]:.3f} (target: median <= "
        f"{TARGET_RATIO}); peak memory {outcome['peak_mb']:.0f} MB (target < {TARGET_MEMORY_MB} MB)"
    )
    return {
        "invoices": invoices,
        "complete": ok,
        "median": median,
        "peak_mb": outcome["peak_mb"],
        "met": ok and median <= TARGET_RATIO and outcome["peak_mb"] < TARGET_MEMORY_MB,
    }


def scale(sizes: list[int], counts_from: str) -> bool:
    """Each size in a process of its own (its own peak memory, its own emulator), three runs each
    but 1,000,000 (one: several minutes, bound by the minute window). Met when every size has no
    429 and stays under the memory target, and wall/bound does not grow with the company: each
    size's median at most 0.02 above the smaller size's."""
    found: list[dict[str, Any]] = []
    for size in sizes:
        runs = 1 if size >= 1_000_000 else 3
        with tempfile.NamedTemporaryFile(suffix=".json") as summary:
            options = ["--invoices", str(size), "--runs", str(runs), "--counts-from", counts_from]
            subprocess.run([sys.executable, __file__, *options, "--summary", summary.name], check=False)
            text = Path(summary.name).read_text()
        found.append(json.loads(text) if text else {"invoices": size, "complete": False})
    print("scaling: invoices, median wall/bound, peak memory")
    ok, before = True, None
    for row in found:
        if not row["complete"]:
            print(f"  {row['invoices']:>9,}: incomplete (a 429, or invoices missing: see above)")
            ok = False
            continue
        grew = before is not None and row["median"] > before + 0.02
        note = "  (grew)" if grew else ""
        print(f"  {row['invoices']:>9,}: {row['median']:.3f}{note}, {row['peak_mb']:.0f} MB")
        ok = ok and not grew and row["peak_mb"] < TARGET_MEMORY_MB
        before = row["median"]
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", action="store_true", help="10k and 100k invoices, each in its own process")
    parser.add_argument("--million", action="store_true", help="with --scale: 1M invoices too")
    parser.add_argument("--counts-from", choices=("send", "answer"), default="send")
    parser.add_argument("--summary", help=argparse.SUPPRESS)  # where a scaling run's size writes its figures
    args = parser.parse_args()
    if args.scale:
        ok = scale([10_000, 100_000, *([1_000_000] if args.million else [])], args.counts_from)
    else:
        outcome = sync_runs(args.invoices, args.runs, args.counts_from)
        requests = args.invoices // PAGE + 1
        floor = asyncio.run(limiter_floor(requests, args.counts_from))
        summary = report_runs(args.invoices, outcome, args.counts_from)
        ok = summary["met"]
        if args.summary:
            Path(args.summary).write_text(json.dumps(summary))
        print(
            f"  for reference: the provider's limiter alone lets {requests} calls of {LATENCY} s through in "
            f"{floor:.2f} s ({floor / bound(requests):.3f} x bound)"
        )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
