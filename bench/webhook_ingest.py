"""Webhook ingestion: signed QuickBooks deliveries at 200 a second for 30 s, then a burst of 1,000 a
second for 10 s, on loopback, with the worker and a QuickBooks emulator running on the same machine.

Processes:

* ``--deployment embedded`` (the default deployment, ``ua serve``): the receiver, and the worker
  that ``ua serve`` starts as its child process;
* ``--deployment split``: ``ua serve --no-worker`` (receiver) beside ``ua worker`` (niced);
* a QuickBooks emulator (its rate limits off, and so the client's: this measures ingestion);
* this process, the load sender (:mod:`loadgen`: keep-alive connections, requests signed before
  the clock starts). 5 % of the deliveries repeat an earlier body, as QuickBooks' retries do.

The service runs with the same server settings as ``ua serve``. With ``--database-url
postgresql://...`` the store (and the runner: procrastinate) is that database; else a new SQLite file.

Printed per phase, and checked (exit status 1 on a miss):

* **receiver CPU per delivery**: the receiver's own CPU time (``/proc``: the ``ua serve`` process;
  its worker is a child process) over the phase ÷ deliveries;
  ratio = that ÷ 0.5 ms (target ≤ 1, steady phase);
* **p99 response time**, from each request's scheduled time: ratio = p99 ÷ 50 ms at 200/s,
  p99 ÷ 500 ms in the burst;
* **sender CPU per request** beside the receiver's: the sender must cost less than what it measures;
* **worker CPU per event**: the worker's CPU from the start of the load until every event is
  processed ÷ events; ratio = that ÷ 1 ms; and its provider calls (GETs and change-feed reads);
* in the database: every distinct event stored once and processed once, none lost, all ``200``.

Run: ``uv run --group dev python bench/webhook_ingest.py [--deployment embedded|split] [--rate 200]
[--seconds 30] [--burst-rate 1000] [--burst-seconds 10] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import loadgen

RECEIVER_CPU_BOUND = 0.0005
WORKER_CPU_BOUND = 0.001
STEADY_P99_BOUND, BURST_P99_BOUND = 0.050, 0.500
VERIFIER = "bench-verifier-token"

EMULATOR = """
import json, socket
import uvicorn
from unified_accounting_quickbooks.emulator import create_emulator
app = create_emulator(seed=1, invoices=1000, customers=50, payments=0, limits=False,
                      request_log_limit=1_000_000)
emulator = app.state.emulator
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
ids = [r["Id"] for r in emulator.records("Invoice")]
print(json.dumps({"port": port, "invoices": ids}), flush=True)

async def calls(scope, receive, send):
    # The emulator's request log, by kind: GETs of one record and change-feed (CDC) reads.
    if scope["type"] == "http" and scope["path"] == "/_bench/calls":
        paths = [entry.path for entry in emulator.request_log]
        body = json.dumps({"cdc": sum("/cdc" in p for p in paths),
                           "get": sum("/invoice/" in p for p in paths),
                           "all": len(paths)}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    await app(scope, receive, send)

uvicorn.run(calls, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
"""

CONNECT = """
import asyncio, sys
import httpx
from unified_accounting import AsyncClient

async def connect(emulator_url):
    async with httpx.AsyncClient(base_url=emulator_url) as http:
        tokens = (await http.post("/_emulator/tokens")).json()
    async with AsyncClient() as client:
        await client.import_connection(consumer_id="bench", provider="quickbooks",
                                       company_id=tokens["realm_id"], access_token=tokens["access_token"],
                                       refresh_token=tokens["refresh_token"])
    print(tokens["realm_id"], flush=True)

asyncio.run(connect(sys.argv[1]))
"""


def service_environment(database: str, emulator_url: str) -> dict[str, str]:
    """``ua``'s configuration for the bench, from the environment as a deployment gives it."""
    from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    from unified_accounting.vault.crypto import new_key

    return {
        **os.environ,
        "UA_DATABASE_URL": database,
        "UA_SECRET_KEY": new_key(),
        "UA_QUICKBOOKS_CLIENT_ID": DEFAULT_CLIENT_ID,
        "UA_QUICKBOOKS_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "UA_QUICKBOOKS_BASE_URL": emulator_url,
        "UA_QUICKBOOKS_WEBHOOK_SECRET": VERIFIER,
        # The emulator's limits are off: so are the client's (this measures ingestion).
        "UA_QUICKBOOKS_REQUESTS_PER_SECOND": "100000",
        "UA_QUICKBOOKS_REQUESTS_PER_MINUTE": "1000000",
        "UA_QUICKBOOKS_MAX_CONCURRENT": "50",
    }


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()).decode()


def notification(realm: str, invoice: str, moment: datetime) -> bytes:
    entity = {"name": "Invoice", "id": invoice, "operation": "Update", "lastUpdated": moment.isoformat()}
    return json.dumps(
        {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [entity]}}]}
    ).encode()


@dataclass
class Phase:
    name: str
    rate: int
    seconds: int
    p99_bound: float


def deliveries(
    realm: str, invoices: list[str], phases: list[Phase], rng: random.Random
) -> tuple[list[list[bytes]], int]:
    """Each phase's requests (signed; 5 % repeat an earlier body) and the number of distinct bodies."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    sent: list[bytes] = []
    out = []
    n = 0
    for phase in phases:
        requests = []
        for _ in range(phase.rate * phase.seconds):
            if sent and rng.random() < 0.05:
                body = rng.choice(sent)
            else:
                body = notification(realm, rng.choice(invoices), start + timedelta(milliseconds=n))
                sent.append(body)
                n += 1
            requests.append(
                loadgen.request_bytes("/webhooks/quickbooks", body, {"intuit-signature": sign(body)})
            )
        out.append(requests)
    return out, len(sent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deployment", choices=("embedded", "split"), default="embedded")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--burst-rate", type=int, default=1000)
    parser.add_argument("--burst-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--database-url", help="postgresql://... (default: a new SQLite file)")
    args = parser.parse_args()
    phases = [Phase("steady", args.rate, args.seconds, STEADY_P99_BOUND)]
    if args.burst_seconds > 0:
        phases.append(Phase("burst", args.burst_rate, args.burst_seconds, BURST_P99_BOUND))
    processes: list[subprocess.Popen[str]] = []
    ua = [sys.executable, "-m", "unified_accounting.cli"]
    with tempfile.TemporaryDirectory() as directory:
        database = args.database_url or f"sqlite:///{Path(directory) / 'vault.sqlite3'}"
        try:
            emulator = subprocess.Popen([sys.executable, "-c", EMULATOR], stdout=subprocess.PIPE, text=True)
            processes.append(emulator)
            provider_side = json.loads(_line(emulator))
            _wait_listening(provider_side["port"])
            emulator_url = f"http://127.0.0.1:{provider_side['port']}"
            environment = service_environment(database, emulator_url)
            realm = subprocess.run(
                [sys.executable, "-c", CONNECT, emulator_url],
                env=environment,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            port = _free_port()
            serve = [*ua, "serve", "--port", str(port)]
            if args.deployment == "split":
                serve.append("--no-worker")
            service = subprocess.Popen(serve, env=environment, stdout=subprocess.DEVNULL)
            processes.append(service)
            _wait_listening(port)
            worker = None
            if args.deployment == "split":
                # A background worker yields the CPU to the latency-sensitive receiver.
                worker = subprocess.Popen(
                    ["nice", "-n", "10", *ua, "worker"], env=environment, stdout=subprocess.DEVNULL
                )
                processes.append(worker)
            requests, distinct = deliveries(realm, provider_side["invoices"], phases, random.Random(7))
            time.sleep(2.0)  # let start-up work settle before the counters start
            worker_started = _worker_cpu(service, worker)
            results = []
            for phase, batch in zip(phases, requests, strict=True):
                receiver_before = _receiver_cpu(service)
                schedule = [n / phase.rate for n in range(len(batch))]
                result = loadgen.run(port, batch, schedule, connections=args.connections)
                receiver_cpu = _receiver_cpu(service) - receiver_before
                results.append((phase, result, receiver_cpu))
            processed = _wait_processed(database, distinct)
            worker_cpu = _worker_cpu(service, worker) - worker_started
            calls = _calls(emulator_url)
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    return report(args, results, processed, distinct, worker_cpu, calls)


def report(
    args: argparse.Namespace,
    results: list[tuple[Phase, loadgen.LoadResult, float]],
    processed: tuple[int, int, int],
    distinct: int,
    worker_cpu: float,
    calls: dict[str, int],
) -> int:
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"deployment {args.deployment}, store {store}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    ok = True
    for phase, result, receiver_cpu in results:
        n = result.sent
        not_ok = n - result.statuses.get(200, 0)
        p50, p99 = result.percentile(0.50), result.percentile(0.99)
        per_delivery = receiver_cpu / n
        per_request = result.sender_cpu / n
        p99_ratio = p99 / phase.p99_bound
        print(
            f"[{phase.name}] {n} deliveries at {phase.rate}/s for {phase.seconds} s: "
            f"{not_ok} not 200 ({dict(result.statuses)}, {result.errors} errors), wall {result.wall:.1f} s"
        )
        print(
            f"[{phase.name}] response time   p50 {p50 * 1000:.1f} ms  p99 {p99 * 1000:.1f} ms  "
            f"max {max(result.latencies) * 1000:.1f} ms   ratio p99/{phase.p99_bound * 1000:.0f} ms "
            f"{p99_ratio:.3f}"
        )
        cpu_ratio = per_delivery / RECEIVER_CPU_BOUND
        print(
            f"[{phase.name}] receiver CPU    {per_delivery * 1000:.3f} ms/delivery "
            f"(ratio to 0.5 ms {cpu_ratio:.3f})   sender CPU {per_request * 1000:.3f} ms/request"
        )
        ok &= not_ok == 0 and p99_ratio <= 1 and per_request < per_delivery
        if phase.name == "steady":
            ok &= cpu_ratio <= 1
    stored, done, first_try = processed
    per_event = worker_cpu / max(done, 1)
    worker_ratio = per_event / WORKER_CPU_BOUND
    print(
        f"worker CPU      {per_event * 1000:.3f} ms/event (ratio to 1 ms {worker_ratio:.3f}); "
        f"provider calls: {calls}"
    )
    print(
        f"events          {distinct} distinct sent, {stored} stored, {done} processed "
        f"({first_try} at the first attempt)"
    )
    ok &= stored == distinct == done == first_try and worker_ratio <= 1
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"process {process.args[:2]} ended before it was ready")
    return line


def _ticks(path: str) -> float:
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as listing:
            found += [int(child) for child in listing.read().split()]
    return found


def _receiver_cpu(service: subprocess.Popen[str]) -> float:
    """The receiver's CPU seconds: the ``ua serve`` process alone (its worker is a child process)."""
    return _ticks(f"/proc/{service.pid}/stat")


def _worker_cpu(service: subprocess.Popen[str], worker: subprocess.Popen[str] | None) -> float:
    """The worker's CPU seconds: ``ua worker`` (split), or the children of ``ua serve``."""
    if worker is not None:
        return _ticks(f"/proc/{worker.pid}/stat") + sum(
            _ticks(f"/proc/{c}/stat") for c in _children(worker.pid)
        )
    return sum(_ticks(f"/proc/{child}/stat") for child in _children(service.pid))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _calls(url: str) -> dict[str, int]:
    import httpx

    return dict(httpx.get(f"{url}/_bench/calls").json())


def _wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _wait_processed(url: str, distinct: int, limit: float = 180) -> tuple[int, int, int]:
    """Poll the inbox until every event is processed (or the limit passes)."""
    import sqlalchemy

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sqlalchemy.create_engine(url)
    deadline = time.monotonic() + limit
    try:
        while True:
            with engine.connect() as db:
                row = db.execute(
                    sqlalchemy.text(
                        "SELECT count(*), sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END), "
                        "sum(CASE WHEN status = 'done' AND attempts = 0 THEN 1 ELSE 0 END) "
                        "FROM ua_webhook_events"
                    )
                ).one()
            stored, done, first_try = (int(value or 0) for value in row)
            if done >= distinct or time.monotonic() > deadline:
                return stored, done, first_try
            time.sleep(0.2)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
