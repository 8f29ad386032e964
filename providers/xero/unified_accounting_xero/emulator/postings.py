"""The general ledger the emulated organisation's reports are computed from: every stored document
turned into balanced postings (debit positive) in the base currency.

Accrual basis (what Xero reports by default):

* an ACCREC invoice (AUTHORISED or PAID) debits Accounts Receivable with its total and credits each
  line's account with the line's amount before tax and the tax account with its tax; an ACCPAY invoice
  is the mirror image on Accounts Payable; ACCREC/ACCPAY credit notes reverse those;
* a payment debits its bank account and credits receivables (a bill payment: the reverse); a refund of
  a credit note (ARCREDITPAYMENT / APCREDITPAYMENT) the other way round;
* spend and receive money (bank transactions, AUTHORISED) post their lines against the bank account;
* a POSTED manual journal posts its lines as they are (``LineAmount`` signed, debit positive).

Cash basis (``paymentsOnly=true``): bank transactions and manual journals as above; a document counts
only as it is paid, in the share paid, on the day of the payment (the bank account taking the place of
receivables or payables), or of a credit note's allocation (both documents' shares against
receivables or payables, which then net out).

Simplifications: amounts are converted at each document's (or payment's) own ``CurrencyRate`` and no
foreign-exchange gain or loss is posted; tax on manual journal lines is not split out; a line without
an account posts to Sales (200) or General Expenses (429) (a line's account is its ``AccountID``, then
its ``AccountCode``); DRAFT, SUBMITTED, VOIDED and DELETED
documents post nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from .ledger import ZERO, in_base_currency, money
from .state import Record, TenantState

Basis = Literal["accrual", "cash"]
#: Document statuses that are in the books.
POSTED_DOCUMENTS = frozenset({"AUTHORISED", "PAID"})
#: Which side a document's lines are on: -1 credits them (sales, supplier credits, money received).
_LINE_SIDE = {"ACCREC": -1, "ACCPAY": 1, "ACCRECCREDIT": 1, "ACCPAYCREDIT": -1}
_FALLBACK_CODES = {-1: "200", 1: "429"}


@dataclass(frozen=True)
class Posting:
    on: date
    account_id: str
    #: Base currency, debit positive.
    amount: Decimal
    contact_id: str | None = None


def _account_id(t: TenantState, line: Record, side: int) -> str:
    account = t.accounts.get(str(line.get("AccountID") or "").lower())
    if account is None and line.get("AccountCode"):
        account = t.account_by_code(str(line["AccountCode"]))
    if account is None:
        account = t.account_by_code(_FALLBACK_CODES[side])
    assert account is not None, "the emulator's chart always holds Sales and General Expenses"
    return str(account["AccountID"])


def system_account(t: TenantState, kind: str) -> str:
    """The AccountID of a system account: ``DEBTORS``, ``CREDITORS``, ``GST``, ``RETAINEDEARNINGS``."""
    for account in t.accounts.values():
        if (account.get("SystemAccount") or "") == kind:
            return str(account["AccountID"])
    raise KeyError(f"the organisation has no {kind} system account")


def _rate(rec: Record) -> Decimal:
    return Decimal(rec.get("CurrencyRate") or 1)


def _contact(rec: Record) -> str | None:
    contact = rec.get("Contact") or {}
    return str(contact["ContactID"]) if contact.get("ContactID") else None


def _legs(t: TenantState, rec: Record, side: int) -> list[tuple[str, Decimal]]:
    """A document's lines (before tax) and its tax, in the base currency, signed by ``side``."""
    rate = _rate(rec)
    legs: dict[str, Decimal] = {}
    tax_total = ZERO
    for line in rec.get("LineItems") or []:
        amount = Decimal(line.get("LineAmount") or 0)
        tax = Decimal(line.get("TaxAmount") or 0)
        net = amount - tax if rec.get("LineAmountTypes") == "Inclusive" else amount
        account = _account_id(t, line, side)
        legs[account] = legs.get(account, ZERO) + side * in_base_currency(net, rate)
        tax_total += tax
    if tax_total:
        gst = system_account(t, "GST")
        legs[gst] = legs.get(gst, ZERO) + side * in_base_currency(tax_total, rate)
    return [(account, amount) for account, amount in legs.items() if amount]


def _balanced(
    legs: list[tuple[str, Decimal]], control: str, on: date, contact: str | None, share: Decimal = Decimal(1)
) -> Iterator[Posting]:
    """``legs`` (scaled by ``share``) against ``control``, which takes what balances them."""
    scaled = [(account, money(amount * share)) for account, amount in legs]
    for account, amount in scaled:
        yield Posting(on, account, amount, contact)
    rest = -sum((amount for _, amount in scaled), ZERO)
    if rest:
        yield Posting(on, control, rest, contact)


def _document(t: TenantState, rec: Record) -> tuple[list[tuple[str, Decimal]], str]:
    """The legs of an invoice or credit note and its control account (receivables or payables)."""
    kind = str(rec["Type"])
    control = system_account(t, "DEBTORS" if kind in ("ACCREC", "ACCRECCREDIT") else "CREDITORS")
    return _legs(t, rec, _LINE_SIDE[kind]), control


def _share(part: Decimal, rec: Record) -> Decimal:
    total = Decimal(rec.get("Total") or 0)
    return part / total if total else Decimal(0)


def _bank_transactions(t: TenantState) -> Iterator[Posting]:
    for rec in t.bank_transactions.values():
        if rec.get("Status") != "AUTHORISED":
            continue
        side = -1 if str(rec["Type"]).startswith("RECEIVE") else 1
        bank = str((rec.get("BankAccount") or {}).get("AccountID"))
        yield from _balanced(_legs(t, rec, side), bank, rec["Date"], _contact(rec))


def _manual_journals(t: TenantState) -> Iterator[Posting]:
    for rec in t.manual_journals.values():
        if rec.get("Status") != "POSTED":
            continue
        for line in rec.get("JournalLines") or []:
            if line.get("AccountID") and line.get("LineAmount"):
                yield Posting(rec["Date"], str(line["AccountID"]), money(Decimal(line["LineAmount"])))


def _paid_document(t: TenantState, payment: Record) -> Record | None:
    if payment.get("CreditNote"):
        return t.credit_notes.get(str(payment["CreditNote"].get("CreditNoteID") or "").lower())
    return t.invoices.get(str((payment.get("Invoice") or {}).get("InvoiceID") or "").lower())


def _accrual(t: TenantState) -> Iterator[Posting]:
    for rec in (*t.invoices.values(), *t.credit_notes.values()):
        if rec.get("Status") in POSTED_DOCUMENTS:
            legs, control = _document(t, rec)
            yield from _balanced(legs, control, rec["Date"], _contact(rec))
    for payment in t.payments.values():
        document = _paid_document(t, payment)
        if payment.get("Status") != "AUTHORISED" or document is None:
            continue
        control = system_account(
            t, "DEBTORS" if document["Type"] in ("ACCREC", "ACCRECCREDIT") else "CREDITORS"
        )
        # Money comes in for a sale and for a supplier's refund; it goes out otherwise.
        incoming = document["Type"] in ("ACCREC", "ACCPAYCREDIT")
        amount = Decimal(payment.get("BankAmount") or payment["Amount"])
        bank = str(payment["Account"]["AccountID"])
        signed = amount if incoming else -amount
        contact = _contact(document)
        yield Posting(payment["Date"], bank, signed, contact)
        yield Posting(payment["Date"], control, -signed, contact)


def _cash(t: TenantState) -> Iterator[Posting]:
    for payment in t.payments.values():
        document = _paid_document(t, payment)
        if payment.get("Status") != "AUTHORISED" or document is None:
            continue
        legs, _ = _document(t, document)
        share = _share(Decimal(payment["Amount"]), document)
        yield from _balanced(
            legs, str(payment["Account"]["AccountID"]), payment["Date"], _contact(document), share
        )
    for credit in t.credit_notes.values():
        if credit.get("Status") not in POSTED_DOCUMENTS:
            continue
        credit_legs, control = _document(t, credit)
        for allocation in credit.get("Allocations") or []:
            invoice = t.invoices.get(str(allocation["Invoice"]["InvoiceID"]).lower())
            if invoice is None:
                continue
            amount = Decimal(allocation["Amount"])
            invoice_legs, _ = _document(t, invoice)
            on = allocation.get("Date") or credit["Date"]
            yield from _balanced(invoice_legs, control, on, _contact(invoice), _share(amount, invoice))
            yield from _balanced(credit_legs, control, on, _contact(credit), _share(amount, credit))


def postings(t: TenantState, basis: Basis = "accrual") -> list[Posting]:
    """Every posting of the organisation on ``basis``, in no particular order."""
    documents = _accrual(t) if basis == "accrual" else _cash(t)
    return [*documents, *_bank_transactions(t), *_manual_journals(t)]


def balances(entries: list[Posting], start: date | None, end: date) -> dict[str, Decimal]:
    """Each account's net debit of the postings dated from ``start`` (``None``: the beginning) to ``end``."""
    out: dict[str, Decimal] = {}
    for entry in entries:
        if entry.on <= end and (start is None or entry.on >= start):
            out[entry.account_id] = out.get(entry.account_id, ZERO) + entry.amount
    return out
