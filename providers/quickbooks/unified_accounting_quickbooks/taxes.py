"""Keeping an invoice's tax as it was when an update writes its ``TxnTaxDetail``.

The unified invoice carries the tax total (``total_tax``), not QuickBooks' transaction tax code. An
update that sets ``total_tax`` writes ``TxnTaxDetail``; sent as ``{"TotalTax": ...}`` alone it
replaces the whole element and the company loses the tax code the invoice was read with
(``TxnTaxCodeRef``, which decides the rate QuickBooks applies). So the update carries the code it
read along with the new total. ``TaxLine`` is not sent back: it breaks the total down by rate and
would contradict a new total; QuickBooks derives it from the code.

From Intuit's API reference (Invoice, TxnTaxDetail): ``TxnTaxCodeRef`` is the transaction tax code,
ignored when sales tax is off and replaced by the engine's choice under automated sales tax;
``TotalTax`` is the transaction's tax excluding manually inserted tax lines; in global locales an
update that changes line amounts should leave ``TxnTaxDetail`` out (the sparse updates here do
unless ``total_tax`` is set). UNVERIFIED: whether a sparse update replaces or merges a nested
element such as ``TxnTaxDetail`` (the emulator replaces it, the safe assumption here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def needs_tax_code(fields: Mapping[str, Any]) -> bool:
    """Whether an encoded update writes a ``TxnTaxDetail`` without its tax code."""
    detail = fields.get("TxnTaxDetail")
    return isinstance(detail, Mapping) and "TxnTaxCodeRef" not in detail


def keep_tax_code(fields: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with the tax code of ``current`` (the invoice as read) put back into ``TxnTaxDetail``."""
    out = dict(fields)
    read = current.get("TxnTaxDetail")
    code = read.get("TxnTaxCodeRef") if isinstance(read, Mapping) else None
    if code:
        out["TxnTaxDetail"] = {"TxnTaxCodeRef": dict(code), **dict(fields["TxnTaxDetail"])}
    return out
