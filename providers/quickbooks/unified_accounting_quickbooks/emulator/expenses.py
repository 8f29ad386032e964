"""Money spent at once: the emulated ``Purchase`` (expense, check, credit-card charge or credit).

From Intuit's API reference (Purchase): ``PaymentType`` (``Cash``, ``Check`` or ``CreditCard``),
``AccountRef`` (the account paid from: a bank account for a check, a credit card account for a
card; "a valid and active account of the appropriate type") and ``Line`` (expense lines as on a
bill) are required. ``Credit`` true is a credit-card credit (a refund), valid only for
``CreditCard``. ``EntityRef`` (with ``type`` Vendor, Customer or Employee) is the payee;
``TotalAmt`` is computed. Purchases are deleted or voided (void webhooks exist for Purchase; the
request form is UNVERIFIED: the emulator takes both ``?operation=void`` and
``?operation=update&include=void``), a voided one kept with zero amounts and "Voided" in front of
``PrivateNote``. Which account types a cash purchase may use is UNVERIFIED (bank or other current
asset here).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults, invoicing
from .invoicing import quantum
from .numbers import check_date
from .payables import expense_totals

if TYPE_CHECKING:
    from .ledgerview import LedgerView as Ledger

ZERO = Decimal(0)
#: PaymentType → the account types it pays from.
PAID_FROM = {
    "Cash": ("Bank", "Other Current Asset"),
    "Check": ("Bank",),
    "CreditCard": ("Credit Card",),
}
PAYEES = ("Vendor", "Customer", "Employee")


def build_purchase(ledger: Ledger, data: dict[str, Any]) -> None:
    kind = data.get("PaymentType")
    if kind not in PAID_FROM:
        raise faults.required("PaymentType")
    account = ledger.resolve("Account", data.get("AccountRef"), "AccountRef")
    assert account is not None
    if account.data.get("AccountType") not in PAID_FROM[kind]:
        raise faults.business(
            f"A {kind} purchase is paid from a {' or '.join(PAID_FROM[kind])} account, not "
            f"{account.data.get('AccountType')}",
            "AccountRef",
        )
    data["AccountRef"] = {"value": account.id, "name": str(account.data.get("Name") or "")}
    credit = data.get("Credit")
    if credit not in (None, True, False):
        raise faults.request_parse("Credit must be true or false")
    if credit and kind != "CreditCard":
        raise faults.business("Credit (a refund) is for CreditCard purchases only", "Credit")
    data["Credit"] = bool(credit)
    data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today().isoformat(), "TxnDate")
    payee = data.get("EntityRef")
    customer_like = None
    if payee is not None:
        if not isinstance(payee, dict):
            raise faults.request_parse("EntityRef must be an object")
        entity = payee.get("type") or "Vendor"
        if entity not in PAYEES:
            raise faults.invalid_property("EntityRef.type is Vendor, Customer or Employee", "EntityRef.type")
        if entity in ("Vendor", "Customer"):
            found = ledger.resolve(entity, payee, "EntityRef")
            assert found is not None
            customer_like = found
            data["EntityRef"] = {"value": found.id, "name": found.data.get("DisplayName", ""), "type": entity}
    else:
        data.pop("EntityRef", None)
    code = _currency(ledger, data, customer_like)
    if kind == "Check":
        data.setdefault("PrintStatus", "NeedToPrint")
    else:
        data.pop("PrintStatus", None)
    invoicing.tracking(ledger, data)
    data["TotalAmt"] = expense_totals(ledger, data, quantum(code))
    invoicing.home_amounts(ledger, data, "TotalAmt")


def _currency(ledger: Ledger, data: dict[str, Any], payee: Any) -> str:
    if payee is not None:
        return invoicing.currency(ledger, data, payee)
    home = ledger.options.home_currency
    given = (
        (data.get("CurrencyRef") or {}).get("value") if isinstance(data.get("CurrencyRef"), dict) else None
    )
    code = str(given or home).upper()
    if code != home and not ledger.options.multi_currency:
        raise faults.business(
            f"Multicurrency is off for this company: transactions are in {home}", "CurrencyRef"
        )
    data["CurrencyRef"] = ledger.currency_ref(code)
    return code


def void(data: dict[str, Any]) -> None:
    for line in data.get("Line") or []:
        line["Amount"] = ZERO
    if isinstance(data.get("TxnTaxDetail"), dict):
        data["TxnTaxDetail"] = {**data["TxnTaxDetail"], "TotalTax": ZERO, "TaxLine": []}
    data["TotalAmt"] = ZERO
    note = data.get("PrivateNote")
    data["PrivateNote"] = (
        f"Voided - {note}" if note and not str(note).startswith("Voided") else (note or "Voided")
    )
