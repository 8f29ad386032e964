"""What every refund payment shares, whatever it refunds (a credit note, an over- or prepayment).

A refund is a payment naming the document it pays money out of (or receives money back into): the
bank account it moves through, its amount and its date are checked the same way, with the same
messages, and deleting it (``Status: DELETED``, the only update Xero allows) gives the money back
to the document. The document's own checks (found, authorised, enough credit left) are the
caller's, passed in so that the messages come in Xero's order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .dates import read_date
from .errors import ValidationFailed
from .ledger import ZERO, Ledger, WriteContext, in_base_currency, money, to_decimal
from .state import Record


def refund_terms(
    ctx: WriteContext, data: Mapping[str, Any], document_errors: Callable[[Decimal], list[str]]
) -> tuple[Record, Decimal, date]:
    """The refund's bank account, amount and date; every problem (those ``document_errors`` finds
    with the amount too) raised together."""
    t = ctx.tenant
    errors: list[str] = []
    given = data.get("Account") if isinstance(data.get("Account"), Mapping) else {}
    assert isinstance(given, Mapping)
    account = t.accounts.get(str(given.get("AccountID") or "").lower()) or t.account_by_code(
        str(given.get("Code") or "")
    )
    if account is None or not (account.get("Type") == "BANK" or account.get("EnablePaymentsToAccount")):
        errors.append("You must specify a bank Account (AccountID or Code) for the payment.")
    amount = ZERO
    try:
        amount = money(to_decimal(data.get("Amount"), "Amount"))
    except ValidationFailed as exc:
        errors.extend(exc.messages)
    errors.extend(document_errors(amount))
    on = read_date(data, "Date", errors) or ctx.now.date()
    if errors:
        raise ValidationFailed(*dict.fromkeys(errors))
    assert account is not None
    return account, amount, on


def refund_payment(
    ledger: Ledger,
    ctx: WriteContext,
    data: Mapping[str, Any],
    terms: tuple[Record, Decimal, date],
    *,
    rate: Decimal,
    payment_type: str,
    documents: Mapping[str, Record],
) -> Record:
    """The refund's payment record, stored; ``documents`` are the references it carries
    (``{"CreditNote": {"CreditNoteID": ...}}``)."""
    account, amount, on = terms
    payment: Record = {
        "PaymentID": ledger.ids.new(),
        "Date": on,
        "Amount": amount,
        "BankAmount": in_base_currency(amount, rate),
        "CurrencyRate": rate,
        "Reference": None if data.get("Reference") in (None, "") else str(data["Reference"]),
        "Status": "AUTHORISED",
        "PaymentType": payment_type,
        "IsReconciled": bool(data.get("IsReconciled", False)),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account.get("Code")},
        **documents,
        "UpdatedDateUTC": ctx.now,
    }
    ctx.journal.set(ctx.tenant.payments, payment["PaymentID"], payment)
    return payment


def deleted_refund(ctx: WriteContext, existing: Record, data: Mapping[str, Any]) -> Record:
    """The refund marked deleted (stored); the caller gives its money back to the document."""
    if str(data.get("Status") or "").upper() != "DELETED":
        raise ValidationFailed("A payment can only be updated to delete it (Status DELETED).")
    if existing["Status"] == "DELETED":
        raise ValidationFailed("This payment has already been deleted.")
    rec = {**existing, "Status": "DELETED", "UpdatedDateUTC": ctx.now}
    ctx.journal.set(ctx.tenant.payments, rec["PaymentID"], rec)
    return rec
