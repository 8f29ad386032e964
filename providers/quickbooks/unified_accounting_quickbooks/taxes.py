"""Tax on QuickBooks documents and QuickBooks tax codes as unified tax rates.

**Two tax models** (Intuit API reference: Invoice, TaxCode, TaxRate).

* US companies charge one tax code per transaction (``TxnTaxDetail.TxnTaxCodeRef``, e.g. "2"
  California 8 %); a line only says taxable (``TAX``) or not (``NON``). A unified line's
  ``tax_rate_id`` is the code it is taxed at: a taxable line reads as the transaction's code (or
  ``TAX`` when the transaction names none, e.g. before automated sales tax chose one), an untaxed
  one as ``NON``. Written back, a line naming a real code becomes ``TAX`` and the code goes to
  ``TxnTaxCodeRef``; two different codes on one invoice are refused (one rate per invoice). US
  companies have no tax-inclusive amounts (``GlobalTaxCalculation`` is not applicable there).
* Everywhere else every line names its own tax code (``TaxCodeRef``) and ``GlobalTaxCalculation``
  says whether amounts exclude tax (``TaxExcluded``, QuickBooks' default), include it
  (``TaxInclusive``) or carry none (``NotApplicable``): the unified ``tax_mode`` exclusive, inclusive
  and no_tax. QuickBooks stores a line's net ``Amount`` (and a net ``UnitPrice``, to seven decimals)
  with its gross ``TaxInclusiveAmt``: an inclusive unified line (gross ``total_amount`` and
  ``unit_price``) is written with the gross in ``TaxInclusiveAmt`` and the net the unified rule gives
  (gross less ``round(gross × rate / (100 + rate))``) in ``Amount``, and reads back from
  ``TaxInclusiveAmt``. A line's ``tax_amount`` is ``TaxInclusiveAmt − Amount`` where QuickBooks
  returns both; US lines carry no tax of their own (the tax is per rate, in ``TaxLine``).

**Tax codes as unified tax rates.** A unified ``TaxRate`` is a QuickBooks ``TaxCode`` (what lines
name): its rate is the sum of its sales rates (``SalesTaxRateList``, the rates' ``RateValue``), or of
its purchase rates when it has no sales ones; its components are those rates when there are several;
``applies_to`` says which lists are not empty. The US pseudo code ``NON`` is listed (rate 0; it has
no MetaData, so it reads as created and last changed at the Unix epoch); ``TAX`` is not a rate and
is left out. Codes are created with ``TaxService/taxcode`` (one call creates the
code and its new rates, with a tax agency); QuickBooks offers no way to change or archive them.

**Keeping the tax code on an update.** An update that sets ``total_tax`` writes ``TxnTaxDetail``;
sent as ``{"TotalTax": ...}`` alone it would replace the whole element and drop the transaction's
tax code (``TxnTaxCodeRef``), so the update carries the code it read along with the new total.
``TaxLine`` is not sent back: QuickBooks derives it from the code. UNVERIFIED: whether a sparse
update replaces or merges a nested element such as ``TxnTaxDetail`` (the emulator replaces it, the
safe assumption here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from unified_accounting.models import TaxMode, TaxRate, TaxRateStatus, TaxRateUse
from unified_accounting.models.context import from_provider

TAX, NON = "TAX", "NON"
PSEUDO_CODES = (TAX, NON)
MODES: dict[str, TaxMode] = {
    "TaxExcluded": TaxMode.EXCLUSIVE,
    "TaxInclusive": TaxMode.INCLUSIVE,
    "NotApplicable": TaxMode.NO_TAX,
}
GLOBAL_TAX_CALCULATION: dict[TaxMode, str] = {mode: name for name, mode in MODES.items()}
#: ``created_at``/``updated_at`` of the pseudo code ``NON`` (QuickBooks gives it no MetaData).
PSEUDO_CODE_TIME = "1970-01-01T00:00:00+00:00"
HUNDRED = Decimal(100)
ZERO = Decimal(0)
#: Decimals QuickBooks keeps on a unit price (third-party integrators report seven; Intuit says nothing).
UNIT_PRICE_DECIMALS = 7


# ------------------------------------------------------------------------------------- documents


def document_mode(data: Mapping[str, Any], line_codes: Iterable[str | None]) -> TaxMode:
    """The unified mode of a document: its ``GlobalTaxCalculation``, or for a US one (which has
    none) exclusive when anything is taxable and no_tax otherwise."""
    given = data.get("GlobalTaxCalculation")
    if given is not None:
        return MODES.get(str(given), TaxMode.EXCLUSIVE)
    detail = data.get("TxnTaxDetail")
    if isinstance(detail, Mapping) and _value(detail.get("TxnTaxCodeRef")) is not None:
        return TaxMode.EXCLUSIVE
    if any(code is not None and code != NON for code in line_codes):
        return TaxMode.EXCLUSIVE
    return TaxMode.NO_TAX


def transaction_code(data: Mapping[str, Any]) -> str | None:
    detail = data.get("TxnTaxDetail")
    return _value(detail.get("TxnTaxCodeRef")) if isinstance(detail, Mapping) else None


def line_rate_id(code: str | None, txn_code: str | None) -> str | None:
    """A line's unified ``tax_rate_id``: a US taxable line is taxed at the transaction's code."""
    if code == TAX and txn_code is not None:
        return txn_code
    return code


def inclusive_net(gross: Decimal, percents: Sequence[Decimal], quantum: Decimal) -> Decimal:
    """The net of a tax-inclusive amount: the gross less each rate's tax, each rounded half up."""
    combined = sum(percents, ZERO)
    taxes = (
        (gross * percent / (HUNDRED + combined)).quantize(quantum, rounding=ROUND_HALF_UP)
        for percent in percents
    )
    return gross - sum(taxes, ZERO)


def unit_price(amount: Decimal, quantity: Decimal) -> Decimal:
    """``amount / quantity`` at QuickBooks' unit price precision, without trailing zeros."""
    return tidy((amount / quantity).quantize(Decimal(1).scaleb(-UNIT_PRICE_DECIMALS), rounding=ROUND_HALF_UP))


def tidy(value: Decimal) -> Decimal:
    """``value`` without trailing fraction zeros (``12.3500000`` → ``12.35``; ``150.0`` → ``150``)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _value(ref: Any) -> str | None:
    found = ref.get("value") if isinstance(ref, Mapping) else None
    return None if found in (None, "") else str(found)


def needs_tax_code(fields: Mapping[str, Any]) -> bool:
    """Whether an encoded update writes a ``TxnTaxDetail`` without its tax code."""
    detail = fields.get("TxnTaxDetail")
    return isinstance(detail, Mapping) and "TxnTaxCodeRef" not in detail and "TotalTax" in detail


def keep_tax_code(fields: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with the tax code of ``current`` (the invoice as read) put back into ``TxnTaxDetail``."""
    out = dict(fields)
    read = current.get("TxnTaxDetail")
    code = read.get("TxnTaxCodeRef") if isinstance(read, Mapping) else None
    if code:
        out["TxnTaxDetail"] = {"TxnTaxCodeRef": dict(code), **dict(fields["TxnTaxDetail"])}
    return out


# ------------------------------------------------------------------------------ tax codes as rates


def rate_ids(code: Mapping[str, Any]) -> list[str]:
    """Ids of the ``TaxRate`` records a ``TaxCode`` lists (sales, then purchases)."""
    ids: list[str] = []
    for kind in ("SalesTaxRateList", "PurchaseTaxRateList"):
        for detail in _details(code, kind):
            found = _value(detail.get("TaxRateRef"))
            if found is not None and found not in ids:
                ids.append(found)
    return ids


def _details(code: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    listed = code.get(kind)
    details = listed.get("TaxRateDetail") if isinstance(listed, Mapping) else None
    return [detail for detail in details or () if isinstance(detail, Mapping)]


def _percent(value: Any) -> Decimal:
    if value is None or isinstance(value, bool):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def components_of(
    code: Mapping[str, Any], kind: str, rates: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The rates one list of a code names, in tax order: name, percent, compound."""
    listed = sorted(_details(code, kind), key=lambda detail: int(detail.get("TaxOrder") or 0))
    out = []
    for detail in listed:
        rate_id = _value(detail.get("TaxRateRef"))
        rate = rates.get(rate_id or "")
        if rate is None:
            continue
        out.append(
            {
                "name": rate.get("Name") or (detail.get("TaxRateRef") or {}).get("name"),
                "rate": _percent(rate.get("RateValue")),
                "compound": detail.get("TaxTypeApplicable") == "TaxOnAmountPlusTax",
            }
        )
    return out


def effective(components: Sequence[Mapping[str, Any]]) -> Decimal:
    """The combined percent of a code's rates: simple ones add up; a compound one (tax on tax,
    ``TaxOnAmountPlusTax``) applies to the amount with the taxes before it."""
    total = ZERO
    for component in components:
        percent = component["rate"]
        total = total + percent + (total * percent / HUNDRED if component["compound"] else ZERO)
    return tidy(total) if total else ZERO


def sales_percents(code: Mapping[str, Any], rates: Mapping[str, Mapping[str, Any]]) -> list[Decimal]:
    return [component["rate"] for component in components_of(code, "SalesTaxRateList", rates)]


def decode_tax_code(
    code: Mapping[str, Any], rates: Mapping[str, Mapping[str, Any]], raw: Mapping[str, Any] | None = None
) -> TaxRate:
    """A ``TaxCode`` (with the ``TaxRate`` records it names, by id) as a unified tax rate."""
    sales = components_of(code, "SalesTaxRateList", rates)
    purchases = components_of(code, "PurchaseTaxRateList", rates)
    applies = [
        use for use, listed in ((TaxRateUse.SALES, sales), (TaxRateUse.PURCHASES, purchases)) if listed
    ]
    if _value({"value": code.get("Id")}) == NON:
        applies = [TaxRateUse.SALES]
    charged = sales or purchases
    meta = code.get("MetaData") or {}
    if not meta and str(code.get("Id")) in PSEUDO_CODES:
        # QuickBooks' own pseudo codes have no MetaData and never change: a fixed time keeps a
        # mirror from taking each read of them for a change.
        meta = {"CreateTime": PSEUDO_CODE_TIME, "LastUpdatedTime": PSEUDO_CODE_TIME}
    found: TaxRate = from_provider(
        TaxRate,
        {
            "id": None if code.get("Id") is None else str(code["Id"]),
            "row_version": code.get("SyncToken"),
            "created_at": _time(meta.get("CreateTime")),
            "updated_at": _time(meta.get("LastUpdatedTime")),
            "raw": raw,
            "name": code.get("Name") or code.get("Description") or str(code.get("Id")),
            "rate": effective(charged),
            "status": TaxRateStatus.ARCHIVED if code.get("Active") is False else TaxRateStatus.ACTIVE,
            "applies_to": applies,
            "components": charged if len(charged) > 1 else [],
        },
    )
    return found


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def tax_service_payload(rate: TaxRate, agency_id: str, taken: set[str]) -> dict[str, Any]:
    """``POST /taxservice/taxcode``: the code named like ``rate`` with one new QuickBooks rate per
    component (or the rate itself) and use; rate names are made unique among ``taken``."""
    components = [(c.name or rate.name, c.rate) for c in rate.components] or [(rate.name, rate.rate)]
    uses = rate.applies_to or [TaxRateUse.SALES]
    details = []
    names = set(taken)
    for use in uses:
        for name, percent in components:
            label = name if len(uses) == 1 else f"{name} ({use.value})"
            unique, counter = label, 2
            while unique.lower() in names:
                unique = f"{label} {counter}"
                counter += 1
            names.add(unique.lower())
            details.append(
                {
                    "TaxRateName": unique,
                    "RateValue": percent,
                    "TaxAgencyId": agency_id,
                    "TaxApplicableOn": "Sales" if use is TaxRateUse.SALES else "Purchase",
                }
            )
    return {"TaxCode": rate.name, "TaxRateDetails": details}
