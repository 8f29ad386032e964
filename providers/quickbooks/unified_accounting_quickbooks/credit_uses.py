"""Where QuickBooks credit went: the allocations of credit memos and vendor credits.

QuickBooks applies a credit memo to an invoice with a ``Payment`` whose lines link both (one line
``LinkedTxn`` ``Invoice``, one ``CreditMemo``; usually ``TotalAmt`` 0), and a vendor credit to a
bill with a ``BillPayment`` linking both (``Bill`` and ``VendorCredit`` lines). The credit itself
names neither the payments nor the documents it paid — Intuit's sample of a used-up credit memo
has ``RemainingCredit`` 0 and no ``LinkedTxn`` — so its allocations are read from the payments:
for a page of credits, one query (paged at 1,000) for the payments of the customers (vendors) of
the credits with some credit used, ``CustomerRef IN (...)`` — never one query per credit. Credits
with nothing used cost nothing.

Inside one payment, credit lines and document lines are matched in line order: each credit's
amount goes to the first documents not yet covered. QuickBooks records no finer link when one
payment applies credit to several invoices; the amounts per credit are always its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from unified_accounting.models import CreditAllocation, CreditNoteStatus

from .query import MAX_RESULTS, select


@dataclass(frozen=True)
class Use:
    """Where one kind of credit is used: the payment entity, its party reference, and the
    ``TxnType`` of the credit's lines and of the documents' lines."""

    payment: str
    party_ref: str
    party_field: str
    credit: str
    document: str


USES = {
    "credit_note": Use("Payment", "CustomerRef", "customer_id", "CreditMemo", "Invoice"),
    "supplier_credit": Use("BillPayment", "VendorRef", "supplier_id", "VendorCredit", "Bill"),
}
#: Parties named in one query (QuickBooks' query text has its limits; pages of credits are ≤1,000).
PARTY_CHUNK = 100

Query = Callable[[str], Awaitable[Any]]


def used(record: Any) -> bool:
    """Whether some of the credit is used (so payments apply it)."""
    remaining, total = getattr(record, "remaining_credit", None), getattr(record, "total", None)
    if remaining is None or total is None or getattr(record, "status", None) is CreditNoteStatus.VOID:
        return False
    return bool(remaining < total)


async def with_allocations(query: Query, resource: str, records: Sequence[Any]) -> list[Any]:
    """``records`` (credit notes or supplier credits) with the allocations the payments record."""
    use = USES.get(resource)
    if use is None:
        return list(records)
    parties = sorted({str(getattr(r, use.party_field)) for r in records if used(r)})
    if not parties:
        return list(records)
    applied: dict[str, list[CreditAllocation]] = {}
    for start in range(0, len(parties), PARTY_CHUNK):
        chunk = parties[start : start + PARTY_CHUNK]
        position = 1
        while True:
            text = str(
                select(use.payment)
                .where(use.party_ref, "IN", chunk)
                .order_by("Id")
                .page(position, MAX_RESULTS)
            )
            payments = ((await query(text)).get("QueryResponse") or {}).get(use.payment) or []
            for payment in payments:
                for credit_id, allocation in allocations_of(use, payment):
                    applied.setdefault(credit_id, []).append(allocation)
            if len(payments) < MAX_RESULTS:
                break
            position += MAX_RESULTS
    return [
        record.model_copy(update={"allocations": applied.get(str(record.id), [])}) if used(record) else record
        for record in records
    ]


def allocations_of(use: Use, payment: Mapping[str, Any]) -> list[tuple[str, CreditAllocation]]:
    """The (credit id, allocation) pairs one payment records: its credit lines matched to its
    document lines in line order."""
    credits: list[tuple[str, Decimal]] = []
    documents: list[list[Any]] = []  # [document id, amount still to cover]
    for line in payment.get("Line") or ():
        amount = _decimal(line.get("Amount"))
        if amount is None or amount <= 0:
            continue
        for link in line.get("LinkedTxn") or ():
            if link.get("TxnType") == use.credit:
                credits.append((str(link.get("TxnId")), amount))
            elif link.get("TxnType") == use.document:
                documents.append([str(link.get("TxnId")), amount])
    when = _date(payment.get("TxnDate"))
    found: list[tuple[str, CreditAllocation]] = []
    for credit_id, amount in credits:
        left = amount
        for document in documents:
            if left <= 0:
                break
            share = min(left, document[1])
            if share <= 0:
                continue
            document[1] -= share
            left -= share
            found.append((credit_id, CreditAllocation(document_id=document[0], amount=share, date=when)))
    return found


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
