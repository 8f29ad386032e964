"""The chart of accounts (``/Accounts``) and manual journals (``/ManualJournals``).

Accounts, from Xero's Accounts page:

* ``PUT /Accounts`` creates one account: ``Code`` (at most 10 characters, unique), ``Name`` (at most 150,
  unique: "Please enter a unique Name.") and ``Type`` are required; a BANK account needs a
  ``BankAccountNumber`` and may leave ``Code`` out.  ``Class`` follows from ``Type``.
* ``POST /Accounts/{id}`` updates one account; a ``Status`` change (ACTIVE/ARCHIVED) must come alone
  ("Cannot update account details and STATUS on the same request"); ``BankAccountType`` never changes.
* ``DELETE /Accounts/{id}`` answers the account with ``Status: DELETED``; an account a document used is
  refused (archive it instead).  Deleted accounts leave lists and cannot be read again.
* System accounts (``SystemAccount`` set: receivables, payables, tax, retained earnings...) are not
  changed, archived or deleted.  The exact wording of these refusals is UNVERIFIED.

Manual journals: ``Narration`` and at least two ``JournalLines`` (``LineAmount`` signed, debit positive,
and ``AccountCode``) are required; lines must total zero ("The total debits (100.00) must equal total
credits (-10.00)"); ``LineAmountTypes`` defaults to NoTax; statuses DRAFT (default) → POSTED | DELETED,
POSTED → VOIDED.  Lines may not name bank accounts or system accounts.  No webhooks for either.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import taxes, tracking
from .dates import read_date
from .errors import ValidationFailed
from .ledger import LINE_AMOUNT_TYPES, ZERO, WriteContext, money, to_decimal
from .state import IdFactory, Record, TenantState

#: Account type → class (Xero publishes no table; inferred from the type names and examples).
ACCOUNT_CLASS: dict[str, str] = {
    **dict.fromkeys(("BANK", "CURRENT", "FIXED", "INVENTORY", "NONCURRENT", "PREPAYMENT"), "ASSET"),
    **dict.fromkeys(("CURRLIAB", "LIABILITY", "TERMLIAB", "PAYG"), "LIABILITY"),
    "EQUITY": "EQUITY",
    **dict.fromkeys(("DEPRECIATN", "DIRECTCOSTS", "EXPENSE", "OVERHEADS"), "EXPENSE"),
    **dict.fromkeys(("REVENUE", "SALES", "OTHERINCOME"), "REVENUE"),
}
BANK_ACCOUNT_TYPES = ("BANK", "CREDITCARD", "PAYPAL")
ACCOUNT_TEXT = ("Description", "ReportingCode", "CurrencyCode")
JOURNAL_STATUSES = ("DRAFT", "POSTED", "DELETED", "VOIDED")
JOURNAL_TRANSITIONS = {"DRAFT": {"DRAFT", "POSTED", "DELETED"}, "POSTED": {"POSTED", "VOIDED"}}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value).strip()


def account_used(t: TenantState, account: Record) -> bool:
    """Whether a document names the account (then Xero archives instead of deleting)."""
    account_id, code = account["AccountID"], account.get("Code")
    for invoice in t.invoices.values():
        for line in invoice.get("LineItems") or []:
            if line.get("AccountID") == account_id or (code and line.get("AccountCode") == code):
                return True
    for payment in t.payments.values():
        if (payment.get("Account") or {}).get("AccountID") == account_id:
            return True
    for journal in t.manual_journals.values():
        for line in journal.get("JournalLines") or []:
            if line.get("AccountID") == account_id:
                return True
    return any(
        (txn.get("BankAccount") or {}).get("AccountID") == account_id
        or any(line.get("AccountID") == account_id for line in txn.get("LineItems") or [])
        for txn in t.bank_transactions.values()
    )


def write_account(
    ids: IdFactory, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None
) -> Record:
    t, j = ctx.tenant, ctx.journal
    errors: list[str] = []
    if existing is not None:
        if existing.get("Status") == "DELETED":
            raise ValidationFailed("The account has been deleted and cannot be changed.")
        if existing.get("SystemAccount"):
            raise ValidationFailed(f"'{existing.get('Name')}' is a system account and cannot be changed.")
        details = [k for k in data if k not in ("AccountID", "Status")]
        if "Status" in data and details:
            raise ValidationFailed("Cannot update account details and STATUS on the same request")
        rec = dict(existing)
    else:
        rec = {
            "AccountID": ids.new(),
            "Status": "ACTIVE",
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": False,
            "HasAttachments": False,
            "AddToWatchlist": False,
        }
        if "Status" in data and str(data["Status"]).upper() != "ACTIVE":
            errors.append("A new account is ACTIVE.")
    if "Type" in data:
        kind = str(data["Type"] or "").upper()
        if kind not in ACCOUNT_CLASS:
            errors.append(f"Account Type '{data['Type']}' is not valid.")
        elif existing is not None and (existing["Type"] == "BANK") != (kind == "BANK"):
            errors.append("The type of a bank account cannot be changed.")
        else:
            rec["Type"], rec["Class"] = kind, ACCOUNT_CLASS[kind]
    if not rec.get("Type") and "Type" not in data:
        errors.append("Account Type must be specified.")
    if "Code" in data:
        rec["Code"] = _text(data["Code"])
    code = rec.get("Code")
    if code:
        if len(code) > 10:
            errors.append("Account Code is too long. Maximum of 10 characters allowed")
        holder = t.account_codes.get(code.upper())
        if holder is not None and holder != rec["AccountID"]:
            errors.append("Please enter a unique Code.")
    elif rec.get("Type") != "BANK":
        errors.append("Account Code must be specified.")
    if "Name" in data:
        rec["Name"] = _text(data["Name"])
    name = rec.get("Name")
    if not name:
        errors.append("Account Name must be specified.")
    elif len(name) > 150:
        errors.append("Account Name is too long. Maximum of 150 characters allowed")
    elif any(
        a["AccountID"] != rec["AccountID"]
        and a.get("Status") != "DELETED"
        and str(a.get("Name") or "").upper() == name.upper()
        for a in t.accounts.values()
    ):
        errors.append("Please enter a unique Name.")
    for key in ACCOUNT_TEXT:
        if key in data:
            rec[key] = _text(data[key])
    if "BankAccountNumber" in data:
        rec["BankAccountNumber"] = _text(data["BankAccountNumber"])
    if "BankAccountType" in data:
        given = str(data["BankAccountType"] or "").upper()
        if existing is not None and given != str(existing.get("BankAccountType") or ""):
            errors.append("BankAccountType cannot be changed.")
        elif given == "PAYPAL":
            errors.append("PayPal accounts cannot be created through the API.")
        elif given and given not in BANK_ACCOUNT_TYPES:
            errors.append(f"BankAccountType '{given}' is not valid.")
        elif given:
            rec["BankAccountType"] = given
    if rec.get("Type") == "BANK":
        rec.setdefault("BankAccountType", "BANK")
        rec.setdefault("CurrencyCode", t.base_currency)
        if not rec.get("BankAccountNumber"):
            errors.append("Bank account number must be specified for a bank account.")
        if rec.get("CurrencyCode") and rec["CurrencyCode"].upper() not in t.currencies:
            errors.append(f"The currency '{rec['CurrencyCode']}' has not been added to this organisation.")
    if data.get("TaxType"):
        tax = str(data["TaxType"]).upper()
        rate = taxes.usable_rate(t, tax)
        if rate is None:
            errors.append(f"The TaxType code '{tax}' does not exist or cannot be used for this type of item.")
        elif rec.get("Class") and not taxes.can_apply(rate, rec):
            errors.append(f"The TaxType code '{tax}' cannot be used with account code '{code}'.")
        rec["TaxType"] = tax
    for flag in ("EnablePaymentsToAccount", "ShowInExpenseClaims", "AddToWatchlist"):
        if flag in data:
            rec[flag] = bool(data[flag])
    if "Status" in data and existing is not None:
        status = str(data["Status"] or "").upper()
        if status not in ("ACTIVE", "ARCHIVED"):
            errors.append(f"Account Status '{data['Status']}' is not valid: ACTIVE or ARCHIVED.")
        rec["Status"] = status
    if errors:
        raise ValidationFailed(*dict.fromkeys(errors))
    rec.setdefault("TaxType", "NONE")
    rec["UpdatedDateUTC"] = ctx.now
    old_code = str((existing or {}).get("Code") or "").upper()
    if old_code and t.account_codes.get(old_code) == rec["AccountID"]:
        j.delete(t.account_codes, old_code)
    if code:
        j.set(t.account_codes, code.upper(), rec["AccountID"])
    j.set(t.accounts, rec["AccountID"], rec)
    return rec


def delete_account(ctx: WriteContext, account: Record) -> Record:
    t, j = ctx.tenant, ctx.journal
    if account.get("SystemAccount"):
        raise ValidationFailed(f"'{account.get('Name')}' is a system account and cannot be deleted.")
    if account_used(t, account):
        raise ValidationFailed(
            "This account has transactions and cannot be deleted; archive it instead."  # UNVERIFIED
        )
    rec = {**account, "Status": "DELETED", "UpdatedDateUTC": ctx.now}
    code = str(account.get("Code") or "").upper()
    if code and t.account_codes.get(code) == account["AccountID"]:
        j.delete(t.account_codes, code)
    j.set(t.accounts, rec["AccountID"], rec)
    return rec


# ------------------------------------------------------------------------------------------ manual journals
def _journal_line(t: TenantState, raw: Any, errors: list[str]) -> Record:
    if not isinstance(raw, Mapping):
        errors.append("Journal lines must be objects.")
        return {"LineAmount": ZERO}
    amount = ZERO
    if raw.get("LineAmount") is None:
        errors.append("Line amount must be specified for each journal line.")
    else:
        try:
            amount = money(to_decimal(raw["LineAmount"], "LineAmount"))
        except ValidationFailed as exc:
            errors.extend(exc.messages)
    account: Record | None = None
    code = _text(raw.get("AccountCode"))
    if code:
        account = t.account_by_code(code)
    elif raw.get("AccountID"):
        account = t.accounts.get(str(raw["AccountID"]).lower())
    if account is None or account.get("Status") != "ACTIVE":
        if code or raw.get("AccountID"):
            errors.append(
                f"Account code '{code or raw.get('AccountID')}' is not a valid code for this document."
            )
        else:
            errors.append("Account code must be specified for each journal line.")
    elif account.get("Type") == "BANK" or account.get("SystemAccount"):
        errors.append(
            f"Account code '{account.get('Code')}' cannot be used on a manual journal: bank and system "
            "accounts are posted to by their own transactions."
        )
    line: Record = {
        "LineAmount": amount,
        "Description": _text(raw.get("Description")),
        "IsBlank": False,
        "Tracking": tracking.line_tracking(t, raw.get("Tracking"), None, errors),
    }
    if account is not None:
        line["AccountCode"], line["AccountID"] = account.get("Code"), account["AccountID"]
    tax = _text(raw.get("TaxType"))
    if tax:
        rate = taxes.usable_rate(t, tax.upper())
        if rate is None:
            errors.append(
                f"The TaxType code '{tax}' does not exist or cannot be used for this type of transaction."
            )
        line["TaxType"] = tax.upper()
    return line


def write_manual_journal(
    ids: IdFactory, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None
) -> Record:
    t, j = ctx.tenant, ctx.journal
    errors: list[str] = []
    if existing is not None:
        if existing["Status"] in ("DELETED", "VOIDED"):
            raise ValidationFailed(f"A {existing['Status']} manual journal cannot be changed.")
        rec = dict(existing)
    else:
        rec = {
            "ManualJournalID": ids.new(),
            "Status": "DRAFT",
            "LineAmountTypes": "NoTax",
            "ShowOnCashBasisReports": True,
            "HasAttachments": False,
            "JournalLines": [],
            "Date": ctx.now.date(),
        }
    old = existing["Status"] if existing is not None else None
    if "Status" in data and data["Status"] is not None:
        status = str(data["Status"]).upper()
        if status not in JOURNAL_STATUSES:
            errors.append(f"Manual journal Status '{data['Status']}' is not valid.")
        elif old is None and status not in ("DRAFT", "POSTED"):
            errors.append("A manual journal is created as DRAFT or POSTED.")
        elif old is not None and status not in JOURNAL_TRANSITIONS.get(old, set()):
            errors.append(f"A manual journal cannot be changed from {old} to {status}.")
        else:
            rec["Status"] = status
    if "Narration" in data:
        rec["Narration"] = _text(data["Narration"])
    if not rec.get("Narration"):
        errors.append("Narration must be specified.")
    when = read_date(data, "Date", errors)
    if when is not None:
        rec["Date"] = when
    for key in ("Url",):
        if key in data:
            rec[key] = _text(data[key])
    if "ShowOnCashBasisReports" in data:
        rec["ShowOnCashBasisReports"] = bool(data["ShowOnCashBasisReports"])
    if data.get("LineAmountTypes"):
        mode = LINE_AMOUNT_TYPES.get(str(data["LineAmountTypes"]).upper())
        if mode is None:
            errors.append(f"LineAmountTypes '{data['LineAmountTypes']}' is not valid.")
        else:
            rec["LineAmountTypes"] = mode
    if "JournalLines" in data:
        if not isinstance(data["JournalLines"], list):
            errors.append("JournalLines must be a list.")
        else:
            rec["JournalLines"] = [_journal_line(t, raw, errors) for raw in data["JournalLines"]]
    lines = rec["JournalLines"]
    if len(lines) < 2:
        errors.append("A manual journal must have at least two journal lines.")
    debits = sum((line["LineAmount"] for line in lines if line["LineAmount"] > 0), start=ZERO)
    credits = sum((line["LineAmount"] for line in lines if line["LineAmount"] < 0), start=ZERO)
    if debits + credits != 0:
        errors.append(f"The total debits ({money(debits)}) must equal total credits ({money(credits)})")
    if errors:
        raise ValidationFailed(*dict.fromkeys(errors))
    for line in lines:
        rate = t.tax_rate(str(line.get("TaxType") or "")) if rec["LineAmountTypes"] != "NoTax" else None
        percent = rate["EffectiveRate"] if rate is not None else Decimal(0)
        line["TaxAmount"] = taxes.line_tax(rec["LineAmountTypes"], line["LineAmount"], percent)
        taxes.mark_used(t, j, str(line.get("TaxType") or ""))
        tracking.mark_used(t, j, line.get("Tracking") or [])
    rec["UpdatedDateUTC"] = ctx.now
    j.set(t.manual_journals, rec["ManualJournalID"], rec)
    return rec
