"""The payables side of an emulated company: vendors, bills and bill payments.

From Intuit's API reference (Vendor, Bill and BillPayment entity pages):

* ``Vendor``: the name fields of a customer (``DisplayName`` unique among customers, vendors and
  employees), ``BillAddr``, ``TermRef`` (not ``SalesTermRef``), ``AcctNum`` (≤ 15),
  ``TaxIdentifier``, ``CurrencyRef`` (fixed once set), ``Balance`` (read only: what the company owes
  on open bills). Never deleted (``Active`` false).
* ``Bill``: ``VendorRef`` and ``Line`` (``AccountBasedExpenseLineDetail`` with ``AccountRef``, or
  ``ItemBasedExpenseLineDetail`` with ``ItemRef``, ``Qty`` and ``UnitPrice``) are required;
  ``APAccountRef`` defaults to the company's accounts payable account, ``DueDate`` to ``TxnDate``
  (or the term's due date), ``TotalAmt`` and ``Balance`` are computed. Outside the US each line's
  ``TaxCodeRef`` taxes it at the code's purchase rates (``GlobalTaxCalculation`` as on invoices).
  Bills are deleted, not voided; a bill with payments applied cannot be deleted until they are
  unlinked.
* ``BillPayment``: ``VendorRef``, ``TotalAmt``, ``PayType`` ``Check`` (``CheckPayment.BankAccountRef``,
  a bank account) or ``CreditCard`` (``CreditCardPayment.CCAccountRef``, a credit card account) and
  ``Line`` entries linking bills (``LinkedTxn`` ``TxnType`` ``Bill``). Each linked bill's
  ``Balance`` falls by its line's amount (never below 0: fault 6000) and its ``SyncToken`` moves.
  Void (``?operation=update&include=void``) keeps the payment with ``TotalAmt`` 0, no lines and
  "Voided" in front of ``PrivateNote``; void and delete give the bills their balance back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults, invoicing
from .faults import QBOFault
from .invoicing import code_rates, quantum
from .numbers import AMOUNT_MISMATCH_MESSAGE, check_date, money, to_decimal
from .taxmath import Taxable, inclusive_net, totals_by_rate

if TYPE_CHECKING:
    from .ledgerview import LedgerView as Ledger
    from .state import Record

ZERO = Decimal(0)
EXPENSE_LINES = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")


def _named(found: Record, name_key: str = "Name") -> dict[str, str]:
    return {"value": found.id, "name": str(found.data.get(name_key) or "")}


# ----------------------------------------------------------------------------------------- vendors


def build_vendor(ledger: Ledger, data: dict[str, Any], existing: Record | None) -> None:
    display = data.get("DisplayName")
    if not isinstance(display, str) or not display.strip():
        parts = [data.get(key) for key in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
        display = " ".join(str(part).strip() for part in parts if part) or str(data.get("CompanyName") or "")
        if not display.strip():
            raise faults.required("DisplayName")
    display = display.strip()
    if len(display) > 500:
        raise faults.invalid_property("DisplayName is longer than 500 characters", "DisplayName")
    ledger.check_name("Vendor", display, existing, "DisplayName")
    data["DisplayName"] = display
    data.setdefault("PrintOnCheckName", display)
    data["Balance"] = existing.data.get("Balance", ZERO) if existing is not None else ZERO
    home = ledger.options.home_currency
    given = (
        (data.get("CurrencyRef") or {}).get("value") if isinstance(data.get("CurrencyRef"), dict) else None
    )
    before = (existing.data.get("CurrencyRef") or {}).get("value") if existing is not None else None
    code = str(given or before or home).upper()
    if before is not None and code != before:
        raise faults.business(f"The currency of a vendor cannot change (it is {before})", "CurrencyRef")
    if code != home and not ledger.options.multi_currency:
        raise faults.business(f"Multicurrency is off for this company: vendors are in {home}", "CurrencyRef")
    data["CurrencyRef"] = ledger.currency_ref(code)
    number = data.get("AcctNum")
    if number is not None and len(str(number)) > 15:
        raise faults.invalid_property("AcctNum has at most 15 characters", "AcctNum")
    for key, entity, name_key in (("TermRef", "Term", "Name"), ("PrefillAccountRef", "Account", "Name")):
        if data.get(key) is None:
            data.pop(key, None)
            continue
        found = ledger.resolve(entity, data[key], key)
        assert found is not None
        data[key] = _named(found, name_key)
    for key in (
        "PrimaryEmailAddr",
        "PrimaryPhone",
        "AlternatePhone",
        "Mobile",
        "Fax",
        "BillAddr",
        "ShipAddr",
    ):
        if key in data and data[key] is None:
            del data[key]
    data.setdefault("Vendor1099", False)


def refresh_vendor_balance(ledger: Ledger, vendor_id: str) -> None:
    vendor = ledger.realm.table("Vendor").get(vendor_id)
    if vendor is None:
        return

    def left(entity: str) -> Decimal:
        return sum(
            (
                Decimal(str(row.data.get("Balance") or 0))
                for row in ledger.realm.table(entity)
                if (row.data.get("VendorRef") or {}).get("value") == vendor_id
            ),
            ZERO,
        )

    # Unused vendor credit lowers what the company owes the vendor.
    owed = left("Bill") - left("VendorCredit")
    vendor.data["Balance"] = owed
    vendor.changed()


# ------------------------------------------------------------------------------------------- bills


def build_bill(
    ledger: Ledger, data: dict[str, Any], existing: Record | None, *, credit: bool = False
) -> None:
    """A bill, or with ``credit`` a vendor credit (the same lines; no due date or terms; its
    ``Balance`` is the credit left to apply)."""
    vendor = ledger.resolve("Vendor", data.get("VendorRef"), "VendorRef")
    assert vendor is not None
    data["VendorRef"] = _named(vendor, "DisplayName")
    data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today().isoformat(), "TxnDate")
    if credit:
        data.pop("DueDate", None)
        data.pop("SalesTermRef", None)
    else:
        due_given = data.get("DueDate") is not None
        if due_given:
            data["DueDate"] = check_date(data["DueDate"], "DueDate")
        else:
            data["DueDate"] = data["TxnDate"]
        invoicing.terms(ledger, data, due_given)
    code = invoicing.currency(ledger, data, vendor)
    unit = quantum(code)
    ap = data.get("APAccountRef")
    account = (
        ledger.resolve("Account", ap, "APAccountRef")
        if ap is not None
        else next(
            (a for a in ledger.realm.table("Account") if a.data.get("AccountType") == "Accounts Payable"),
            None,
        )
    )
    if account is None:
        raise faults.required("APAccountRef")
    if account.data.get("AccountType") != "Accounts Payable":
        raise faults.business("APAccountRef must be an accounts payable account", "APAccountRef")
    data["APAccountRef"] = _named(account)
    invoicing.tracking(ledger, data)
    total = expense_totals(ledger, data, unit)
    data["TotalAmt"] = total
    book = ledger.realm.vendor_credit_applied if credit else ledger.realm.bill_applied
    paid = sum(book.get(existing.id, {}).values(), ZERO) if existing is not None else ZERO
    if paid > total:
        raise faults.business(
            f"The total {total} is less than the {paid} already applied: unlink the bill payments first",
            "Line",
        )
    data["Balance"] = total - paid
    invoicing.home_amounts(ledger, data, "TotalAmt", "Balance")


def expense_totals(ledger: Ledger, data: dict[str, Any], unit: Decimal) -> Decimal:
    """Check and complete the expense lines of a bill, vendor credit or purchase, compute their tax
    (``TxnTaxDetail``) and return the total."""
    lines = data.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    us = not ledger.options.profile.global_tax
    inclusive = not us and data.get("GlobalTaxCalculation") == "TaxInclusive"
    no_tax = not us and data.get("GlobalTaxCalculation") == "NotApplicable"
    subtotal = ZERO
    taxables: list[Taxable] = []
    for index, line in enumerate(lines, start=1):
        amount, taxable = _expense_line(ledger, line, index, unit, us=us, inclusive=inclusive and not no_tax)
        subtotal += amount
        if taxable is not None and not no_tax:
            taxables.append(taxable)
    tax = ZERO
    if taxables:
        totals = totals_by_rate(
            taxables, inclusive=inclusive, rounding=ledger.options.tax_rounding, quantum=unit
        )
        tax = sum((t.tax for t in totals), ZERO)
        data["TxnTaxDetail"] = {
            "TotalTax": tax,
            "TaxLine": [
                {
                    "Amount": t.tax,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": t.rate.id, "name": t.rate.name},
                        "PercentBased": True,
                        "TaxPercent": t.rate.percent,
                        "NetAmountTaxable": t.net_taxable,
                    },
                }
                for t in totals
            ],
        }
    elif not us:
        data["TxnTaxDetail"] = {"TotalTax": ZERO}
    if not us:
        data.setdefault("GlobalTaxCalculation", "TaxExcluded")
    total = subtotal + (ZERO if inclusive else tax)
    return total


def _expense_line(
    ledger: Ledger, line: Any, index: int, unit: Decimal, *, us: bool, inclusive: bool
) -> tuple[Decimal, Taxable | None]:
    if not isinstance(line, dict):
        raise faults.request_parse("each Line is an object")
    kind = line.get("DetailType")
    if kind not in EXPENSE_LINES:
        raise faults.invalid_property(
            f"Line {index}: DetailType is AccountBasedExpenseLineDetail or ItemBasedExpenseLineDetail",
            "Line.DetailType",
        )
    detail = line.get(kind)
    if not isinstance(detail, dict):
        raise faults.required(f"Line.{kind}")
    amount = line.get("Amount")
    if kind == "ItemBasedExpenseLineDetail":
        item = ledger.resolve("Item", detail.get("ItemRef"), f"Line.{kind}.ItemRef")
        assert item is not None
        detail["ItemRef"] = _named(item)
        qty = detail.get("Qty")
        price = detail.get("UnitPrice")
        if qty is not None and price is not None:
            product = money(to_decimal(qty, "Qty") * to_decimal(price, "UnitPrice"), "Amount", unit)
            if amount is None:
                amount = product
            elif money(to_decimal(amount, "Line.Amount"), "Line.Amount", unit) != product:
                raise QBOFault(
                    faults.AMOUNT_MISMATCH,
                    "Amount calculation incorrect",
                    f"{AMOUNT_MISMATCH_MESSAGE}{amount}",
                    "Line.Amount",
                )
    else:
        account = ledger.resolve("Account", detail.get("AccountRef"), f"Line.{kind}.AccountRef")
        assert account is not None
        detail["AccountRef"] = _named(account)
    if amount is None:
        raise faults.required("Line.Amount")
    value = money(to_decimal(amount, "Line.Amount"), "Line.Amount", unit)
    line["Amount"] = value
    for key, entity in (("ClassRef", "Class"), ("CustomerRef", "Customer")):
        if detail.get(key) is not None:
            found = ledger.resolve(entity, detail[key], f"Line.{kind}.{key}")
            assert found is not None
            detail[key] = _named(found, "FullyQualifiedName" if entity == "Class" else "DisplayName")
    detail.setdefault("BillableStatus", "NotBillable")
    code_ref = detail.get("TaxCodeRef")
    if us:
        detail.setdefault("TaxCodeRef", {"value": "NON"})
        return value, None
    if code_ref is None:
        return value, None
    code = ledger.resolve("TaxCode", code_ref, f"Line.{kind}.TaxCodeRef")
    assert code is not None
    detail["TaxCodeRef"] = {"value": code.id}
    rates = code_rates(ledger, code, "Purchase") or code_rates(ledger, code, "Sales")
    if not rates:
        return value, None
    if inclusive:
        net = inclusive_net(value, rates, unit)
        detail["TaxInclusiveAmt"] = value
        line["Amount"] = net
        return net, Taxable(net, rates, value)
    return value, Taxable(value, rates)


def bill_deletable(ledger: Ledger, bill: Record) -> None:
    applied = (
        ledger.realm.vendor_credit_applied if bill.entity == "VendorCredit" else ledger.realm.bill_applied
    )
    if applied.get(bill.id):
        raise faults.business(
            "This bill has payments applied: delete or void the bill payments first (unlink them).", "Id"
        )


# ---------------------------------------------------------------------------------- bill payments


def build_bill_payment(
    ledger: Ledger, data: dict[str, Any], existing: Record | None
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Check a bill payment and return the amount it applies to each bill, and the credit it uses
    of each vendor credit (credit pays bills instead of money)."""
    vendor = ledger.resolve("Vendor", data.get("VendorRef"), "VendorRef")
    assert vendor is not None
    data["VendorRef"] = _named(vendor, "DisplayName")
    data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today().isoformat(), "TxnDate")
    code = invoicing.currency(ledger, data, vendor)
    unit = quantum(code)
    if data.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    total = money(to_decimal(data["TotalAmt"], "TotalAmt"), "TotalAmt", unit)
    if total < 0:
        raise faults.invalid_property("TotalAmt cannot be negative", "TotalAmt")
    data["TotalAmt"] = total
    pay_type = data.get("PayType")
    if pay_type == "Check":
        block, key, wanted = "CheckPayment", "BankAccountRef", ("Bank",)
    elif pay_type == "CreditCard":
        block, key, wanted = "CreditCardPayment", "CCAccountRef", ("Credit Card",)
    else:
        raise faults.required("PayType")
    paid_from = data.get(block)
    if not isinstance(paid_from, dict):
        raise faults.required(block)
    account = ledger.resolve("Account", paid_from.get(key), f"{block}.{key}")
    assert account is not None
    if account.data.get("AccountType") not in wanted:
        raise faults.business(f"{block}.{key} must be a {wanted[0]} account", f"{block}.{key}")
    paid_from[key] = _named(account)
    if pay_type == "Check":
        paid_from.setdefault("PrintStatus", "NeedToPrint")
    data.pop("CreditCardPayment" if pay_type == "Check" else "CheckPayment", None)
    applications: dict[str, Decimal] = {}
    uses: dict[str, Decimal] = {}
    bills = ledger.realm.table("Bill")
    vendor_credits = ledger.realm.table("VendorCredit")
    for line in data.get("Line") or []:
        amount = money(to_decimal(line.get("Amount"), "Line.Amount"), "Line.Amount", unit)
        if amount < 0:
            raise faults.invalid_property("Line.Amount cannot be negative", "Line.Amount")
        line["Amount"] = amount
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "VendorCredit":
                used = vendor_credits.get(str(link.get("TxnId")))
                if used is None:
                    raise faults.invalid_reference("VendorCredit", link.get("TxnId"), "Line.LinkedTxn.TxnId")
                if (used.data.get("VendorRef") or {}).get("value") != vendor.id:
                    raise faults.business(f"Vendor credit {used.id} is another vendor's", "Line.LinkedTxn")
                uses[used.id] = uses.get(used.id, ZERO) + amount
                continue
            if link.get("TxnType") != "Bill":
                raise faults.business(
                    f"A bill payment line links a Bill or a VendorCredit, not {link.get('TxnType')}",
                    "Line.LinkedTxn",
                )
            bill = bills.get(str(link.get("TxnId")))
            if bill is None:
                raise faults.invalid_reference("Bill", link.get("TxnId"), "Line.LinkedTxn.TxnId")
            if (bill.data.get("VendorRef") or {}).get("value") != vendor.id:
                raise faults.business(f"Bill {bill.id} is not a bill of vendor {vendor.id}", "Line.LinkedTxn")
            applications[bill.id] = applications.get(bill.id, ZERO) + amount
    data.setdefault("Line", [])
    applied = sum(applications.values(), ZERO) - sum(uses.values(), ZERO)
    if applied > total:
        raise faults.business(f"The lines apply {applied}, more than TotalAmt {total}", "Line.Amount")
    if applied < 0:
        raise faults.business("More vendor credit is used than the payment applies to bills", "Line.Amount")
    for credit_id, amount in uses.items():
        used = vendor_credits.get(credit_id)
        assert used is not None
        before = (
            ledger.realm.vendor_credit_applied.get(credit_id, {}).get(existing.id, ZERO) if existing else ZERO
        )
        left = Decimal(str(used.data.get("Balance") or 0)) + before
        if amount > left:
            raise faults.business(
                f"The credit {amount} used from vendor credit {credit_id} is more than its balance {left}",
                "Line.Amount",
            )
    for bill_id, amount in applications.items():
        bill = bills.get(bill_id)
        assert bill is not None
        before = ledger.realm.bill_applied.get(bill_id, {}).get(existing.id, ZERO) if existing else ZERO
        open_balance = Decimal(str(bill.data.get("Balance") or 0)) + before
        if amount > open_balance:
            raise faults.business(
                f"The payment amount {amount} applied to bill {bill_id} is more than its open balance "
                f"{open_balance}",
                "Line.Amount",
            )
    invoicing.home_amounts(ledger, data, "TotalAmt")
    return applications, uses


def apply_bill_payment(
    ledger: Ledger,
    payment: Record,
    applications: dict[str, Decimal],
    when: datetime,
    uses: dict[str, Decimal] | None = None,
) -> None:
    """Make the bills' balances match ``applications`` of this payment, and the vendor credits'
    match ``uses`` (both empty: unapply it)."""
    _apply(ledger, payment, "Bill", ledger.realm.bill_applied, applications, when)
    _apply(ledger, payment, "VendorCredit", ledger.realm.vendor_credit_applied, uses or {}, when)


def _apply(
    ledger: Ledger,
    payment: Record,
    entity: str,
    book: dict[str, dict[str, Decimal]],
    applications: dict[str, Decimal],
    when: datetime,
) -> None:
    realm = ledger.realm
    previous = {bill_id: amounts[payment.id] for bill_id, amounts in book.items() if payment.id in amounts}
    vendors: set[str] = set()
    for bill_id in set(previous) | set(applications):
        if previous.get(bill_id) == applications.get(bill_id):
            continue
        amounts = book.setdefault(bill_id, {})
        if bill_id in applications:
            amounts[payment.id] = applications[bill_id]
        else:
            amounts.pop(payment.id, None)
        if not amounts:
            book.pop(bill_id, None)
        bill = realm.table(entity).get(bill_id)
        if bill is None:
            continue
        bill.data["Balance"] = Decimal(str(bill.data["TotalAmt"])) - sum(amounts.values(), ZERO)
        invoicing.home_amounts(ledger, bill.data, "Balance")
        bill.data["LinkedTxn"] = [{"TxnId": pid, "TxnType": "BillPaymentCheck"} for pid in amounts]
        if not bill.data["LinkedTxn"]:
            bill.data.pop("LinkedTxn")
        ledger._bump(bill, when)
        ledger.emit(entity, bill_id, "Update", when)
        vendors.add(str((bill.data.get("VendorRef") or {}).get("value")))
    for vendor_id in vendors:
        refresh_vendor_balance(ledger, vendor_id)


def void_bill_payment(data: dict[str, Any]) -> None:
    data["TotalAmt"] = ZERO
    data["Line"] = []
    note = data.get("PrivateNote")
    data["PrivateNote"] = (
        f"Voided - {note}" if note and not str(note).startswith("Voided") else (note or "Voided")
    )


__all__ = ["apply_bill_payment", "build_bill", "build_bill_payment", "build_vendor", "void_bill_payment"]
