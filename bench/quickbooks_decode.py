"""How fast a 1000-invoice QuickBooks query page becomes unified ``Invoice`` models.

Builds one realistic query answer (bytes) once, then measures, on those same bytes and in the same
run, the CPU time (``time.process_time``) of each of these, round after round in turn (so a busy
machine slows them all alike), and keeps each one's best round:

* a bare ``json.loads`` of the page (the floor: parsing alone, into dicts and floats);
* unified-accounting's codec (``QuickBooksCodec.decode_list``): validated unified invoices, their
  amounts at the currency's minor units, without and with ``include_raw``;
* the provider's read path from the HTTP answer to the unified page (``QuickBooksProvider.list_page``
  with the HTTP call answered at once by the page: the Fault check, the company's payment terms
  looked up for the page, ``read_page``'s error handling and quantizing) for a company whose term
  list is kept, as during a sync;
* python-quickbooks: ``json.loads`` then ``Invoice.from_json`` for each invoice (for comparison).

Targets: the codec no slower than ``json.loads`` (ratio of times ≤ 1), with ``include_raw`` within
1.3 × ``json.loads``, and the provider's read path within 1.15 × the codec. Prints the CPU per page
of each, the ratios, and exits non-zero when a target is missed (``--no-check`` only prints)::

    uv run --group dev python bench/quickbooks_decode.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
from quickbooks.objects.invoice import Invoice as QuickBooksInvoice
from unified_accounting_quickbooks.codec import QuickBooksCodec, decode_query, loads
from unified_accounting_quickbooks.provider import QuickBooksProvider
from unified_accounting_quickbooks.settings import QuickBooksSettings
from unified_accounting_quickbooks.terms import TermBook

from unified_accounting.models.money import quantized

#: The codec's time over a bare ``json.loads`` of the same bytes, without and with ``include_raw``.
MAX_CODEC_RATIO = 1.0
MAX_RAW_RATIO = 1.3
#: The provider's read path adds per-page work only: its time over the codec's, noise allowed for.
MAX_READ_PATH_OVERHEAD = 1.15

ITEMS = [
    ("1", "Consulting", "150.00"),
    ("2", "Design", "75.00"),
    ("5", "Rock Fountain", "275.00"),
    ("11", "Pump", "12.75"),
    ("7", "Rocks", "12.10"),
    ("9", "Hours", "15.00"),
]


def _amount(value: str) -> float:
    # Written into the JSON text as a literal number, exactly as QuickBooks sends money.
    return float(value)


def invoice(index: int, rng: random.Random) -> dict[str, Any]:
    issued = date(2025, 1, 1) + timedelta(days=index % 365)
    lines: list[dict[str, Any]] = []
    subtotal = 0
    for number in range(1, rng.randint(2, 5)):
        item_id, name, price = rng.choice(ITEMS)
        qty = rng.randint(1, 9)
        cents = int(price.replace(".", "")) * qty
        subtotal += cents
        lines.append(
            {
                "Id": str(number),
                "LineNum": number,
                "Description": f"{name} for job {index}",
                "Amount": cents / 100,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item_id, "name": name},
                    "UnitPrice": _amount(price),
                    "Qty": qty,
                    "ItemAccountRef": {"value": "79", "name": "Sales of Product Income"},
                    "TaxCodeRef": {"value": "TAX"},
                },
            }
        )
    lines.append({"Amount": subtotal / 100, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    tax = subtotal * 8 // 100
    total = subtotal + tax
    paid = rng.choice([0, 0, total, total // 2])
    customer = str(rng.randint(1, 200))
    stamp = f"{issued.isoformat()}T10:{index % 60:02d}:08-07:00"
    return {
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "domain": "QBO",
        "sparse": False,
        "Id": str(1000 + index),
        "SyncToken": str(rng.randint(0, 4)),
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        "CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType", "StringValue": "102"}],
        "DocNumber": str(5000 + index),
        "TxnDate": issued.isoformat(),
        "DueDate": (issued + timedelta(days=30)).isoformat(),
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "LinkedTxn": [],
        "Line": lines,
        "TxnTaxDetail": {
            "TxnTaxCodeRef": {"value": "2"},
            "TotalTax": tax / 100,
            "TaxLine": [
                {
                    "Amount": tax / 100,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": "3"},
                        "PercentBased": True,
                        "TaxPercent": 8,
                        "NetAmountTaxable": subtotal / 100,
                    },
                }
            ],
        },
        "CustomerRef": {"value": customer, "name": f"Customer {customer}"},
        "CustomerMemo": {"value": "Thank you for your business and have a great day!"},
        "BillAddr": {
            "Id": "95",
            "Line1": f"{index} Cypress Hill Ave.",
            "City": "Middlefield",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94303",
        },
        "ShipAddr": {
            "Id": "25",
            "Line1": f"{index} Cypress Hill Ave.",
            "City": "Middlefield",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94303",
            "Country": "USA",
        },
        "SalesTermRef": {"value": "3"},
        "TotalAmt": total / 100,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NotSet",
        "EmailStatus": "NotSet",
        "BillEmail": {"Address": f"billing{customer}@example.com"},
        "Balance": (total - paid) / 100,
    }


def query_page(count: int = 1000, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    rows = [invoice(index, rng) for index in range(count)]
    body = {
        "QueryResponse": {"Invoice": rows, "startPosition": 1, "maxResults": count},
        "time": "2025-09-10T09:01:03.123-07:00",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def cpu_times(
    functions: dict[str, Callable[[], object]], rounds: int, number: int, *, collect: bool
) -> dict[str, float]:
    """Best CPU seconds per call of each function, measured round by round in turn, with the
    garbage collector running (``collect``: as in a program) or paused (as ``timeit`` does). Its
    passes are part of what decoding costs a program, and they cost whoever makes the most
    containers: ``json.loads`` makes more than the codec (whose wire structs are not tracked)."""
    found: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            gc.collect()
            if not collect:
                gc.disable()
            try:
                started = time.process_time()
                for _ in range(number):
                    function()
                found[name].append((time.process_time() - started) / number)
            finally:
                gc.enable()
    return {name: min(times) for name, times in found.items()}


def read_path(body: bytes) -> Callable[[], object]:
    """``QuickBooksProvider.list_page`` of one page whose HTTP call is answered at once by ``body``,
    for a company whose term list the provider keeps (as it does during a sync)."""
    provider = QuickBooksProvider()
    settings = QuickBooksSettings(client_id="bench", client_secret="bench", monthly_read_budget=None)

    async def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(200, content=body, request=httpx.Request(method, url))

    session: Any = SimpleNamespace(
        provider_name="quickbooks",
        settings=settings,
        company_id="9130",
        include_raw=False,
        limiter=None,
        request=request,
    )
    terms = [{"Id": "3", "Name": "Net 30", "Type": "STANDARD", "DueDays": 30, "Active": True}]
    provider.directory._put("terms", session, TermBook.from_rows(terms))
    loop = asyncio.new_event_loop()

    def run() -> object:
        page = loop.run_until_complete(
            provider.list_page(session, "invoice", cursor=None, updated_since=None, page_size=1000)
        )
        return page.items, page.issues

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-check", action="store_true", help="print the ratios, never fail")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=3, help="decodes per round")
    args = parser.parse_args(argv)

    body = query_page()
    codec = QuickBooksCodec()
    functions: dict[str, Callable[[], object]] = {
        "json.loads": lambda: json.loads(body),
        "unified": lambda: codec.decode_list("invoice", body),
        "unified+raw": lambda: codec.decode_list("invoice", body, include_raw=True),
        "provider read path": read_path(body),
        "python-quickbooks": lambda: [
            QuickBooksInvoice.from_json(row) for row in json.loads(body)["QueryResponse"]["Invoice"]
        ],
    }

    # The results must agree before their speed means anything: the fast page decoder gives what
    # the reference decoder (record by record from parsed JSON) gives, once quantized as every read
    # is; the read path gives the same records (the bench page's term is in the kept term list).
    decoded = functions["unified"]()
    assert isinstance(decoded, list) and len(decoded) == 1000
    assert decoded == [quantized(record) for record in decode_query("invoice", loads(body))]
    read, issues = functions["provider read path"]()  # type: ignore[misc]
    assert not issues and [r.model_copy(update={"terms": None}) for r in read] == decoded
    assert all(record.terms is not None and record.terms.days == 30 for record in read)
    del decoded, read
    assert len(functions["python-quickbooks"]()) == 1000  # type: ignore[arg-type]

    load = os.getloadavg()
    running = cpu_times(functions, args.rounds, args.number, collect=True)
    paused = cpu_times(functions, args.rounds, args.number, collect=False)
    print(f"1000-invoice query page: {len(body) / 1024:.0f} KiB; load average {load[0]:.2f} {load[1]:.2f}")
    print(f"CPU per page, best of {args.rounds} rounds of {args.number}:   GC running   GC paused")
    for name in functions:
        print(f"  {name:<32} {running[name] * 1000:8.2f} ms {paused[name] * 1000:8.2f} ms")
    missed = False
    for label, timings in (("GC running", running), ("GC paused", paused)):
        floor = timings["json.loads"]
        codec_ratio = timings["unified"] / floor
        raw_ratio = timings["unified+raw"] / floor
        overhead = timings["provider read path"] / timings["unified"]
        speedup = timings["python-quickbooks"] / timings["unified"]
        gate = label == "GC running"
        print(f"{label}{' (the targets)' if gate else ' (for reference)'}:")
        rows = (
            ("unified / json.loads", codec_ratio, MAX_CODEC_RATIO),
            ("unified with include_raw / json.loads", raw_ratio, MAX_RAW_RATIO),
            ("provider read path / codec", overhead, MAX_READ_PATH_OVERHEAD),
        )
        for what, ratio, most in rows:
            print(f"  {what:<38} {ratio:.2f}x the time (at most {most}x)")
        print(f"  speed-up over python-quickbooks        {speedup:.2f}x")
        if gate:
            missed = (
                codec_ratio > MAX_CODEC_RATIO
                or raw_ratio > MAX_RAW_RATIO
                or overhead > MAX_READ_PATH_OVERHEAD
            )
    print("FAIL: a target was missed" if missed else "PASS")
    if missed and not args.no_check:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
