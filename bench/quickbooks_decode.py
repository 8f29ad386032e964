"""How fast a 1000-invoice QuickBooks query page becomes unified ``Invoice`` models.

Builds one realistic query answer (bytes) once, then times, on those same bytes and in the same
run, best of several rounds:

* unified-accounting's codec (``decode_list``), without and with ``include_raw``;
* the provider's read path (``QuickBooksProvider.read_page``: what ``list()`` and syncs call, the
  codec's ``decode_page`` behind the core's error handling), which must cost no more than the codec;
* python-quickbooks: ``json.loads`` then ``Invoice.from_json`` for each invoice;
* plain ``json.loads`` (the floor: parsing alone).

Prints the ratios and exits non-zero when a target is missed (``--no-check`` only prints)::

    uv run --group dev python bench/quickbooks_decode.py
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import timeit
from collections.abc import Callable
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from quickbooks.objects.invoice import Invoice as QuickBooksInvoice
from unified_accounting_quickbooks.codec import QuickBooksCodec, decode_query, loads
from unified_accounting_quickbooks.provider import QuickBooksProvider

#: Minimum speed-up over python-quickbooks, without and with ``include_raw``.
TARGET = 3.5
TARGET_WITH_RAW = 1.8
#: The core's read path adds per-page work only: its time over the codec's, noise allowed for.
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


def best(function: Callable[[], object], rounds: int, number: int) -> float:
    return min(timeit.repeat(function, repeat=rounds, number=number)) / number


def best_interleaved(
    first: Callable[[], object], second: Callable[[], object], rounds: int, number: int
) -> tuple[float, float]:
    """Best times of two functions measured round by round in turn, so a busy machine slows both."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for function, found in zip((first, second), times, strict=True):
            found.append(timeit.timeit(function, number=number) / number)
    return min(times[0]), min(times[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-check", action="store_true", help="print the ratios, never fail")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=3, help="decodes per round")
    args = parser.parse_args(argv)

    body = query_page()
    codec = QuickBooksCodec()

    def unified() -> object:
        return codec.decode_list("invoice", body)

    def unified_raw() -> object:
        return codec.decode_list("invoice", body, include_raw=True)

    provider = QuickBooksProvider()
    session: Any = SimpleNamespace(include_raw=False)

    def provider_path() -> object:
        return provider.read_page(session, "invoice", body)

    def python_quickbooks() -> object:
        rows = json.loads(body)["QueryResponse"]["Invoice"]
        return [QuickBooksInvoice.from_json(row) for row in rows]

    def plain_json() -> object:
        return json.loads(body)

    # The results must agree before their speed means anything: the fast page decoder gives exactly
    # what the reference decoder (record by record from parsed JSON) gives.
    decoded = unified()
    assert isinstance(decoded, list) and len(decoded) == 1000
    assert decoded == decode_query("invoice", loads(body))
    assert provider_path() == (decoded, [])
    del decoded
    assert len(python_quickbooks()) == 1000  # type: ignore[arg-type]

    codec_time, path_time = best_interleaved(unified, provider_path, args.rounds, args.number)
    timings = {
        "unified": codec_time,
        "provider read path": path_time,
        **{
            name: best(function, args.rounds, args.number)
            for name, function in (
                ("unified+raw", unified_raw),
                ("python-quickbooks", python_quickbooks),
                ("json.loads", plain_json),
            )
        },
    }
    print(f"1000-invoice query page: {len(body) / 1024:.0f} KiB")
    for name, seconds in timings.items():
        print(f"  {name:<18} {seconds * 1000:8.2f} ms")
    speedup = timings["python-quickbooks"] / timings["unified"]
    speedup_raw = timings["python-quickbooks"] / timings["unified+raw"]
    print(f"speed-up over python-quickbooks: {speedup:.2f}x (target {TARGET}x)")
    print(f"speed-up over python-quickbooks with include_raw: {speedup_raw:.2f}x (target {TARGET_WITH_RAW}x)")
    print(f"unified decode / plain json.loads: {timings['unified'] / timings['json.loads']:.2f}x the time")
    overhead = timings["provider read path"] / timings["unified"]
    print(f"provider read path / codec: {overhead:.2f}x the time (at most {MAX_READ_PATH_OVERHEAD}x)")
    missed = speedup < TARGET or speedup_raw < TARGET_WITH_RAW or overhead > MAX_READ_PATH_OVERHEAD
    if missed and not args.no_check:
        print("a target was missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
