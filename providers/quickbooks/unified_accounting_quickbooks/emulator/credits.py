"""Customer credit: credit memos, and their use through payments.

From Intuit's API reference (CreditMemo, Payment): a ``CreditMemo`` has the body of an invoice
(``CustomerRef``, sales lines, tax) and ``RemainingCredit`` (read only), the credit still to use;
its ``Balance`` is the same amount. Credit is applied to an invoice by a ``Payment`` naming both:
one line linking the invoice (``TxnType`` ``Invoice``) and one linking the credit memo
(``TxnType`` ``CreditMemo``), usually with ``TotalAmt`` 0 — the credit pays the invoice instead of
money. The invoice's ``Balance`` falls and the credit memo's ``RemainingCredit`` falls by the
amounts of their lines. (Positive amounts on both lines with ``TotalAmt`` the money part is the
common reading; an Intuit sample of it is UNVERIFIED.) A credit memo whose credit is in use is not
voided or deleted here until the payment goes (the real service's answer is UNVERIFIED).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults, invoicing
from .numbers import check_date

if TYPE_CHECKING:
    from .ledgerview import LedgerView as Ledger
    from .state import Record

ZERO = Decimal(0)


def build_credit_memo(
    ledger: Ledger, data: dict[str, Any], existing: Record | None, sent: dict[str, Any]
) -> None:
    customer = ledger.resolve("Customer", data.get("CustomerRef"), "CustomerRef")
    assert customer is not None
    used = ledger.realm.credit_applied.get(existing.id, {}) if existing is not None else {}
    if used and (existing.data.get("CustomerRef") or {}).get("value") != customer.id:  # type: ignore[union-attr]
        raise faults.business(
            "The customer of a credit memo whose credit is used cannot change", "CustomerRef"
        )
    data["CustomerRef"] = {"value": customer.id, "name": customer.data.get("DisplayName", "")}
    lines = data.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today().isoformat(), "TxnDate")
    code = invoicing.currency(ledger, data, customer)
    invoicing.tracking(ledger, data)
    for key in ("BillEmail", "BillAddr", "ShipAddr", "CustomerMemo"):
        if key in data and data[key] is None:
            del data[key]
    doc = data.get("DocNumber")
    if doc is not None and len(str(doc)) > 21:
        raise faults.invalid_property("DocNumber is longer than 21 characters", "DocNumber")
    invoicing.SalesTotals(ledger, data, sent, code).run()
    total = Decimal(str(data["TotalAmt"]))
    spent = sum(used.values(), ZERO)
    if spent > total:
        raise faults.business(
            f"The credit memo total {total} is less than the credit already used ({spent})", "Line"
        )
    data["RemainingCredit"] = total - spent
    data["Balance"] = total - spent
    data.pop("DueDate", None)
    invoicing.home_amounts(ledger, data, "TotalAmt", "Balance")


def check_use(ledger: Ledger, memo_id: str, customer_id: str, currency: str) -> Record:
    """The credit memo a payment line links, checked against the payment."""
    memo = ledger.realm.table("CreditMemo").get(memo_id)
    if memo is None:
        raise faults.invalid_reference("CreditMemo", memo_id, "Line.LinkedTxn.TxnId")
    if memo.voided:
        raise faults.business(f"Credit memo {memo_id} is voided", "Line.LinkedTxn.TxnId")
    if (memo.data.get("CustomerRef") or {}).get("value") != customer_id:
        raise faults.business(f"Credit memo {memo_id} belongs to another customer", "Line.LinkedTxn.TxnId")
    if (memo.data.get("CurrencyRef") or {}).get("value") not in (None, currency):
        raise faults.business(f"Credit memo {memo_id} is in another currency", "Line.LinkedTxn.TxnId")
    return memo


def check_uses(ledger: Ledger, uses: dict[str, Decimal], existing: Record | None) -> None:
    for memo_id, amount in uses.items():
        memo = ledger.realm.table("CreditMemo").get(memo_id)
        assert memo is not None
        before = ledger.realm.credit_applied.get(memo_id, {}).get(existing.id, ZERO) if existing else ZERO
        remaining = Decimal(str(memo.data.get("RemainingCredit") or 0)) + before
        if amount > remaining:
            raise faults.business(
                f"The credit {amount} used from credit memo {memo_id} is more than its remaining credit "
                f"{remaining}",
                "Line.Amount",
            )


def apply(ledger: Ledger, payment: Record, uses: dict[str, Decimal], when: datetime) -> None:
    """Make the credit memos' remaining credit match ``uses`` of this payment (empty: give it back)."""
    realm = ledger.realm
    previous = {
        memo_id: amounts[payment.id]
        for memo_id, amounts in realm.credit_applied.items()
        if payment.id in amounts
    }
    for memo_id in set(previous) | set(uses):
        if previous.get(memo_id) == uses.get(memo_id):
            continue
        amounts = realm.credit_applied.setdefault(memo_id, {})
        if memo_id in uses:
            amounts[payment.id] = uses[memo_id]
        else:
            amounts.pop(payment.id, None)
        if not amounts:
            realm.credit_applied.pop(memo_id, None)
        memo = realm.table("CreditMemo").get(memo_id)
        if memo is None:
            continue
        remaining = Decimal(str(memo.data["TotalAmt"])) - sum(amounts.values(), ZERO)
        memo.data["RemainingCredit"] = remaining
        memo.data["Balance"] = remaining
        invoicing.home_amounts(ledger, memo.data, "Balance")
        memo.data["LinkedTxn"] = [{"TxnId": pid, "TxnType": "Payment"} for pid in amounts]
        if not memo.data["LinkedTxn"]:
            memo.data.pop("LinkedTxn")
        ledger._bump(memo, when)
        ledger.emit("CreditMemo", memo_id, "Update", when)
        ledger._refresh_customer_balance(str(memo.data["CustomerRef"]["value"]))


def removable(ledger: Ledger, memo: Record, action: str) -> None:
    if ledger.realm.credit_applied.get(memo.id):
        raise faults.business(
            "The credit of this credit memo is applied: delete or void the payments using it "
            f"before you {action} it",
            "Id",
        )


def void(data: dict[str, Any]) -> None:
    for line in data.get("Line") or []:
        line["Amount"] = ZERO
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict) and "Qty" in detail:
            detail["Qty"] = 0
    tax = dict(data.get("TxnTaxDetail") or {})
    tax["TotalTax"] = ZERO
    data["TxnTaxDetail"] = tax
    for key in ("TotalAmt", "Balance", "RemainingCredit"):
        data[key] = ZERO
    note = data.get("PrivateNote")
    data["PrivateNote"] = (
        f"Voided - {note}" if note and not str(note).startswith("Voided") else (note or "Voided")
    )
