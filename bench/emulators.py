"""How fast the emulators are where tests and benchmarks lean on them (moved here from the tests).

Three measurements, each printed with its cost per unit, its bound and ratio = measured ÷ bound
(a ratio above 1 is a miss):

* **QuickBooks seeding**: CPU seconds to build a company of 100,000 invoices (bound 15 s), per
  1,000 invoices;
* **QuickBooks paging**: CPU per ``select * from Invoice startposition … maxresults 1000`` page,
  over all 100 pages of that company, in process (bound 50 ms a page);
* **Xero seeding**: CPU seconds to build an organisation of 30,000 invoices, 1,000 contacts and
  8,000 payments (bound 10 s), per 1,000 invoices;
* **latency injection**: the wall time an API call takes with ``latency_ms`` set, over the same call
  without it, for each emulator: the extra time must cover the configured latency (ratio =
  configured ÷ extra ≤ 1) and not exceed it by more than 25 ms of overhead (second ratio).

CPU time (``time.process_time``) is used where the work is CPU-bound, so a loaded machine does not
fake a miss; the latency check is about wall time by nature. Exits non-zero on a miss (``--no-check``
only prints)::

    uv run --group dev python bench/emulators.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from unified_accounting_quickbooks.emulator import create_emulator as quickbooks
from unified_accounting_xero.emulator import create_emulator as xero

QBO_INVOICES, QBO_SEED_BOUND_S, QBO_PAGE_BOUND_S = 100_000, 15.0, 0.050
XERO_INVOICES, XERO_SEED_BOUND_S = 30_000, 10.0
LATENCY_MS, LATENCY_OVERHEAD_S = 40.0, 0.025


def cpu(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.process_time()
    result = function()
    return result, time.process_time() - started


def line(name: str, per_unit: str, measured: float, bound: float, unit: str = "s") -> bool:
    ratio = measured / bound
    verdict = "ok" if ratio <= 1 else "MISS"
    measure = f"{measured:8.3f} {unit} / bound {bound:.3f} {unit}"
    print(f"{name:<27} {per_unit:<28} {measure}  ratio {ratio:.3f}  {verdict}")
    return ratio <= 1


async def page_through(app: Any) -> list[float]:
    emulator = app.state.emulator
    costs: list[float] = []
    async with emulator.http_client(app) as client:
        for page in range(QBO_INVOICES // 1000):
            text = f"select * from Invoice startposition {page * 1000 + 1} maxresults 1000"
            started = time.process_time()
            response = await client.get(f"{emulator.api_path()}/query", params={"query": text})
            costs.append(time.process_time() - started)
            rows = response.json()["QueryResponse"]["Invoice"]
            assert response.status_code == 200 and len(rows) == 1000, response.text[:200]
    return costs


async def with_and_without_latency(make: Callable[..., Any], call: Callable[[Any, Any], Any]) -> float:
    """Median extra wall time of one API call with ``latency_ms`` over the same call without it."""

    async def median(app: Any) -> float:
        async with app_client(app) as client:
            await call(app, client)  # warm up
            walls = []
            for _ in range(15):
                started = time.perf_counter()
                response = await call(app, client)
                walls.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:200]
        return statistics.median(walls)

    return await median(make(latency_ms=LATENCY_MS)) - await median(make())


def app_client(app: Any) -> httpx.AsyncClient:
    emulator = app.state.emulator
    if hasattr(emulator, "http_client"):
        client: httpx.AsyncClient = emulator.http_client(app)
        return client
    tokens = emulator.issue_tokens()
    headers = {
        "Authorization": f"Bearer {tokens['access_token']}",
        "Accept": "application/json",
        "xero-tenant-id": tokens["tenant_ids"][0],
    }
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://xero.test", headers=headers
    )


async def quickbooks_call(app: Any, client: httpx.AsyncClient) -> httpx.Response:
    emulator = app.state.emulator
    return await client.get(f"{emulator.api_path()}/companyinfo/{emulator.default_realm_id}")


async def xero_call(app: Any, client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api.xro/2.0/Organisation")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-check", action="store_true", help="print the ratios, never fail")
    args = parser.parse_args(argv)
    results = []

    app, seconds = cpu(
        lambda: quickbooks(seed=2, invoices=QBO_INVOICES, customers=200, items=12, limits=False)
    )
    assert app.state.emulator.count("Invoice") == QBO_INVOICES
    per_k = f"{seconds / QBO_INVOICES * 1000 * 1000:.1f} ms per 1,000 invoices"
    results.append(line("QuickBooks seeding", per_k, seconds, QBO_SEED_BOUND_S))
    costs = asyncio.run(page_through(app))
    mean = statistics.mean(costs)
    results.append(
        line("QuickBooks paging", f"{len(costs)} pages of 1,000", mean, QBO_PAGE_BOUND_S, "s/page")
    )
    del app
    gc.collect()

    app, seconds = cpu(
        lambda: xero(seed=1, invoices=XERO_INVOICES, contacts=1_000, payments=8_000, limits=False)
    )
    assert len(app.state.emulator.records("Invoice")) == XERO_INVOICES
    per_k = f"{seconds / XERO_INVOICES * 1000 * 1000:.1f} ms per 1,000 invoices"
    results.append(line("Xero seeding", per_k, seconds, XERO_SEED_BOUND_S))
    del app
    gc.collect()

    configured = LATENCY_MS / 1000
    for name, make, call in (
        ("QuickBooks latency", lambda **o: quickbooks(limits=False, **o), quickbooks_call),
        ("Xero latency", lambda **o: xero(limits=False, **o), xero_call),
    ):
        extra = asyncio.run(with_and_without_latency(make, call))
        covered = configured / extra if extra > 0 else float("inf")
        verdict = "ok" if covered <= 1 else "MISS"
        print(
            f"{name:<27} {'extra wall per call':<28} {extra:8.3f} s for {configured:.3f} s configured  "
            f"ratio configured/extra {covered:.3f}  {verdict}"
        )
        results.append(covered <= 1)
        results.append(
            line(name + " overhead", "extra wall - configured", extra - configured, LATENCY_OVERHEAD_S)
        )

    ok = all(results)
    print("PASS" if ok else "FAIL")
    return 0 if ok or args.no_check else 1


if __name__ == "__main__":
    sys.exit(main())
