"""Spend and receive money (``/BankTransactions`` of type SPEND and RECEIVE).

Rules, from Xero's Bank Transactions page:

* ``Type`` (SPEND or RECEIVE; or one of the over- and prepayment types, which make an over- or
  prepayment — :mod:`.prepaid` — and cannot be updated or deleted afterwards; the transfer types are
  made by Xero's bank transfers and refused), ``Contact``, ``BankAccount`` (``AccountID`` or ``Code``
  of a BANK account) and at least one line are required.  ``LineAmountTypes`` defaults to **Inclusive**.
* Lines are worked out as on invoices (:mod:`.ledger`): a line needs an account; quantities are
  positive; the document's total must be positive.  A ``TaxAmount`` sent must equal the computed one.
* Amounts are in the bank account's currency: ``CurrencyCode`` follows the account (a different one is
  refused), at the rate of the day unless ``CurrencyRate`` is given.
* ``Status`` is AUTHORISED; ``POST`` with ``Status: DELETED`` deletes one (deleted ones stay readable).
  No webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import prepaid, taxes, tracking
from .dates import read_date
from .errors import ValidationFailed
from .ledger import LINE_AMOUNT_TYPES, ZERO, Ledger, WriteContext, exchange_rate, money
from .state import Record

SPEND_TYPES = {"SPEND": "ACCPAY", "RECEIVE": "ACCPAY"}
XERO_ONLY_TYPES = {"RECEIVE-TRANSFER", "SPEND-TRANSFER"}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def write_bank_transaction(
    ledger: Ledger, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None
) -> Record:
    t, j = ctx.tenant, ctx.journal
    errors: list[str] = []
    if existing is not None:
        if existing["Status"] == "DELETED":
            raise ValidationFailed("A deleted bank transaction cannot be changed.")
        if existing["Type"] in prepaid.TYPES:
            raise ValidationFailed(  # UNVERIFIED message; the rule is Xero's
                "Bank transactions of type overpayment or prepayment cannot be updated or deleted."
            )
        rec = dict(existing)
    else:
        rec = {
            "BankTransactionID": ledger.ids.new(),
            "Status": "AUTHORISED",
            "LineAmountTypes": "Inclusive",
            "LineItems": [],
            "IsReconciled": False,
            "HasAttachments": False,
        }
    if data.get("Status") is not None:
        status = str(data["Status"]).upper()
        if status not in ("AUTHORISED", "DELETED") or (existing is None and status != "AUTHORISED"):
            errors.append(f"Bank transaction Status '{data['Status']}' is not valid here.")
        elif status == "DELETED":
            rec["Status"], rec["UpdatedDateUTC"] = "DELETED", ctx.now
            j.set(t.bank_transactions, rec["BankTransactionID"], rec)
            return rec
    if "Type" in data:
        kind = str(data["Type"] or "").upper()
        if kind in XERO_ONLY_TYPES:
            errors.append(f"Bank transactions of type {kind} are not created this way.")  # UNVERIFIED
        elif kind not in SPEND_TYPES and kind not in prepaid.TYPES:
            errors.append(f"Bank transaction Type '{data['Type']}' is not valid.")
        elif existing is not None and kind != existing["Type"]:
            errors.append("The Type of an existing bank transaction cannot be changed.")
        else:
            rec["Type"] = kind
    if not rec.get("Type"):
        raise ValidationFailed(*(errors or ["Bank transaction Type must be specified."]))
    new_contact: str | None = None
    if "Contact" in data or existing is None:
        given = data.get("Contact")
        contact = ledger.find_contact(t, given) if isinstance(given, Mapping) else None
        if (
            contact is None
            and isinstance(given, Mapping)
            and given.get("Name")
            and not given.get("ContactID")
        ):
            new_contact = str(given["Name"])  # made at commit, as an invoice naming a new contact does
        elif contact is None:
            errors.append(
                "The Contact must contain at least 1 of the following elements to identify the contact: "
                "Name, ContactID, ContactNumber"
            )
        else:
            rec["Contact"] = {"ContactID": contact["ContactID"]}
    if "BankAccount" in data or existing is None:
        given = data.get("BankAccount") if isinstance(data.get("BankAccount"), Mapping) else {}
        assert isinstance(given, Mapping)
        account = None
        if given.get("AccountID"):
            account = t.accounts.get(str(given["AccountID"]).lower())
        elif given.get("Code"):
            account = t.account_by_code(str(given["Code"]))
        if account is None or account.get("Type") != "BANK" or account.get("Status") != "ACTIVE":
            errors.append(
                "A valid bank account (AccountID or Code of an active BANK account) must be specified."
            )
        else:
            rec["BankAccount"] = {
                "AccountID": account["AccountID"],
                "Code": account.get("Code"),
                "Name": account["Name"],
            }
            rec["CurrencyCode"] = account.get("CurrencyCode") or t.base_currency
            rec["CurrencyRate"] = exchange_rate(t, rec["CurrencyCode"])
    if data.get("CurrencyCode") and str(data["CurrencyCode"]).upper() != rec.get("CurrencyCode"):
        errors.append("A bank transaction is in its bank account's currency.")
    rate = ledger._currency_rate(
        t, rec.get("CurrencyCode") or t.base_currency, data.get("CurrencyRate"), errors
    )
    if rate is not None:
        rec["CurrencyRate"] = rate
    when = read_date(data, "Date", errors)
    if when is not None:
        rec["Date"] = when
    rec.setdefault("Date", ctx.now.date())
    for key in ("Reference", "Url"):
        if key in data:
            rec[key] = _text(data[key])
    if "IsReconciled" in data:
        rec["IsReconciled"] = bool(data["IsReconciled"])
    if data.get("LineAmountTypes"):
        mode = LINE_AMOUNT_TYPES.get(str(data["LineAmountTypes"]).upper())
        if mode is None:
            errors.append(f"LineAmountTypes '{data['LineAmountTypes']}' is not valid.")
        else:
            rec["LineAmountTypes"] = mode
    if "LineItems" in data:
        if not isinstance(data["LineItems"], list) or not data["LineItems"]:
            errors.append("A bank transaction must have at least one line item.")
        else:
            side = {"Type": SPEND_TYPES[rec["Type"].split("-")[0]], "LineAmountTypes": rec["LineAmountTypes"]}
            previous = {li["LineItemID"]: li for li in rec.get("LineItems", [])}
            lines = [
                ledger._line_item(t, side, raw, previous, ctx.unitdp, errors) for raw in data["LineItems"]
            ]
            for raw, line in zip(data["LineItems"], lines, strict=False):
                if not line.get("AccountCode"):
                    errors.append("Account code must be specified for each line item.")
                if line.get("Quantity", Decimal(1)) <= 0:
                    errors.append("Quantity must be greater than zero.")
                override = line.pop("_TaxOverride", None)
                if override is not None and isinstance(raw, Mapping):
                    line["_Expected"] = override
            rec["LineItems"] = lines
    elif existing is None:
        errors.append("A bank transaction must have at least one line item.")
    if errors:
        raise ValidationFailed(*dict.fromkeys(errors))
    rec["AmountPaid"], rec["AmountCredited"] = ZERO, ZERO
    ledger.compute_totals(t, rec)
    for key in ("AmountPaid", "AmountCredited", "AmountDue", "TotalDiscount", "IsDiscounted"):
        rec.pop(key, None)
    mismatched = [
        li
        for li in rec["LineItems"]
        if li.get("_Expected") is not None and money(li["_Expected"]) != li["TaxAmount"]
    ]
    if mismatched:
        raise ValidationFailed("The TaxAmount of a line must equal the tax Xero calculates for it.")
    for li in rec["LineItems"]:
        li.pop("_Expected", None)
    if rec["Total"] <= 0:
        raise ValidationFailed("The total of a bank transaction must be positive.")
    if new_contact is not None:
        rec["Contact"] = {"ContactID": ledger.write_contact(ctx, {"Name": new_contact}, None)["ContactID"]}
    rec["UpdatedDateUTC"] = ctx.now
    for li in rec["LineItems"]:
        taxes.mark_used(t, j, str(li.get("TaxType") or ""))
        tracking.mark_used(t, j, li.get("Tracking") or [])
    if existing is None and rec["Type"] in prepaid.TYPES:
        prepaid.record_for(ctx, ledger, rec)
    j.set(t.bank_transactions, rec["BankTransactionID"], rec)
    return rec
