"""Webhook ingestion: 200 signed QuickBooks webhook requests per second for 30 s, on loopback.

Three processes, as deployed with the embedded SQLite store: ``ua serve --no-worker`` (the
webhook receiver, over uvicorn on 127.0.0.1), ``ua worker`` (the embedded worker, which polls the
inbox and fetches each changed invoice, at a lower CPU priority: ``nice ua worker``) and a
QuickBooks emulator served on loopback (its rate limits off, and so the client's: this measures
ingestion, not QuickBooks' 10 requests a second). This process sends one signed notification
every 5 ms, one event each, and also re-sends 5 % of them (duplicates, as QuickBooks' retries do).

It prints the response-time percentiles and **ratio = p99 ÷ 50 ms** (target ≤ 1), and checks in
the database that every distinct event was stored exactly once and processed exactly once
(status ``done`` at the first attempt), none lost.

Run: ``uv run --group dev python bench/webhook_ingest.py [--rate 200] [--seconds 30]``. Exits non-zero
on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_P99 = 0.050
VERIFIER = "bench-verifier-token"

EMULATOR = """
import json, socket
import uvicorn
from unified_accounting_quickbooks.emulator import create_emulator
app = create_emulator(seed=1, invoices=1000, customers=50, payments=0, limits=False)
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
ids = [r["Id"] for r in app.state.emulator.records("Invoice")]
print(json.dumps({"port": port, "invoices": ids}), flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
"""

SERVICE = """
import asyncio, json, socket, sys
import httpx, uvicorn
from unified_accounting import AsyncClient
from unified_accounting.service.embedded import EmbeddedRunner
from unified_accounting.service.app import create_service_app
from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator

database, secret_key, emulator_url = sys.argv[1], sys.argv[2], sys.argv[3]
settings = {{"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "base_url": emulator_url,
            "webhook_secret": "{verifier}",
            # The emulator's limits are off: so are the client's (this measures ingestion).
            "requests_per_second": 100000, "requests_per_minute": 1000000, "max_concurrent": 50}}
client = AsyncClient(providers={{"quickbooks": settings}}, environ={{}}, database_url=database,
                     secret_key=secret_key)
role = sys.argv[4]
runner = EmbeddedRunner(client, poll_interval=0.2)
app = create_service_app(client, runner=runner, worker=False, close_client=True)

async def main():
    async with httpx.AsyncClient(base_url=emulator_url) as http:
        tokens = (await http.post("/_emulator/tokens")).json()
    await client.import_connection(consumer_id="bench", provider="quickbooks", company_id=tokens["realm_id"],
                                   access_token=tokens["access_token"], refresh_token=tokens["refresh_token"])
    if role == "worker":
        import os
        os.nice(10)  # a background worker yields the CPU to the latency-sensitive receiver
        async with runner:
            print(json.dumps({{"worker": True}}), flush=True)
            await asyncio.Event().wait()
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
    print(json.dumps({{"port": port, "realm": tokens["realm_id"]}}), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    await server.serve()

asyncio.run(main())
"""


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()).decode()


def notification(realm: str, invoice: str, moment: datetime) -> bytes:
    entity = {"name": "Invoice", "id": invoice, "operation": "Update", "lastUpdated": moment.isoformat()}
    return json.dumps(
        {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [entity]}}]}
    ).encode()


async def load(
    port: int, realm: str, invoices: list[str], rate: int, seconds: int
) -> tuple[list[float], int, int]:
    import httpx

    latencies: list[float] = []
    failures = 0
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    sent_bodies: list[bytes] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10) as http:

        async def send(body: bytes) -> None:
            nonlocal failures
            began = time.perf_counter()
            response = await http.post(
                "/webhooks/quickbooks", content=body, headers={"intuit-signature": sign(body)}
            )
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                failures += 1

        tasks = []
        total = rate * seconds
        t0 = time.perf_counter()
        for n in range(total):
            await asyncio.sleep(max(0.0, t0 + n / rate - time.perf_counter()))
            if sent_bodies and rng.random() < 0.05:
                body = rng.choice(sent_bodies)  # a duplicate delivery
            else:
                body = notification(realm, rng.choice(invoices), start + timedelta(milliseconds=n))
                sent_bodies.append(body)
            tasks.append(asyncio.create_task(send(body)))
        await asyncio.gather(*tasks)
    return latencies, failures, len(sent_bodies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    from unified_accounting.vault.crypto import new_key

    with tempfile.TemporaryDirectory() as directory:
        database = Path(directory) / "vault.sqlite3"
        emulator = subprocess.Popen([sys.executable, "-c", EMULATOR], stdout=subprocess.PIPE, text=True)
        service = worker = None
        try:
            assert emulator.stdout is not None
            provider_side = json.loads(emulator.stdout.readline())
            _wait_listening(provider_side["port"])
            key = new_key()

            def start(role: str) -> subprocess.Popen[str]:
                arguments = [f"sqlite:///{database}", key, f"http://127.0.0.1:{provider_side['port']}", role]
                code = SERVICE.format(verifier=VERIFIER)
                return subprocess.Popen(
                    [sys.executable, "-c", code, *arguments], stdout=subprocess.PIPE, text=True
                )

            service = start("receiver")
            assert service.stdout is not None
            info = json.loads(service.stdout.readline())
            _wait_listening(info["port"])
            worker = start("worker")
            assert worker.stdout is not None
            worker.stdout.readline()
            latencies, failures, distinct = asyncio.run(
                load(info["port"], info["realm"], provider_side["invoices"], args.rate, args.seconds)
            )
            stored, done, first_try = _wait_processed(database, distinct)
            cpu = {
                name: _cpu(p.pid)
                for name, p in (("receiver", service), ("worker", worker), ("emulator", emulator))
            }
        finally:
            for process in (worker, service, emulator):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=20)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    ratio = p99 / TARGET_P99
    print(
        f"requests               {len(latencies)} at {args.rate}/s for {args.seconds} s ({failures} not 200)"
    )
    worst = latencies[-1] * 1000
    print(f"response time          p50 {p50 * 1000:.1f} ms  p99 {p99 * 1000:.1f} ms  max {worst:.1f} ms")
    print(f"ratio p99/50 ms        {ratio:.3f}  (target <= 1)")
    print(f"cpu seconds            {cpu}")
    print(f"distinct events sent   {distinct}")
    print(f"events stored          {stored}  (each once: duplicates dropped)")
    print(f"events processed       {done}  (at the first attempt: {first_try})")
    ok = ratio <= 1 and failures == 0 and stored == distinct == done == first_try
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux), for the record."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


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


def _wait_processed(database: Path, distinct: int, limit: float = 120) -> tuple[int, int, int]:
    """Poll the inbox until every event is processed (or the limit passes)."""
    deadline = time.monotonic() + limit
    while True:
        with sqlite3.connect(database, timeout=30) as db:
            stored = db.execute("SELECT count(*) FROM ua_webhook_events").fetchone()[0]
            done = db.execute("SELECT count(*) FROM ua_webhook_events WHERE status = 'done'").fetchone()[0]
            first_try = db.execute(
                "SELECT count(*) FROM ua_webhook_events WHERE status = 'done' AND attempts = 0"
            ).fetchone()[0]
        if done >= distinct or time.monotonic() > deadline:
            return stored, done, first_try
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
