"""Over- and prepayments, and the payments that refund them.

From Xero's Overpayments, Prepayments, Bank Transactions and Payments pages: an over- or prepayment
is made by a bank transaction of type ``RECEIVE-OVERPAYMENT`` / ``RECEIVE-PREPAYMENT`` (from a
customer) or ``SPEND-OVERPAYMENT`` / ``SPEND-PREPAYMENT`` (to a supplier); the transaction names it
in ``OverpaymentID`` / ``PrepaymentID``. It holds ``RemainingCredit`` (its total at first) and is
``AUTHORISED`` until nothing is left (``PAID``). Money paid back out of it is a payment naming
``Overpayment{OverpaymentID}`` or ``Prepayment{PrepaymentID}``, of ``PaymentType``
``AROVERPAYMENTPAYMENT`` / ``ARPREPAYMENTPAYMENT`` (customer side) or ``APOVERPAYMENTPAYMENT`` /
``APPREPAYMENTPAYMENT`` (supplier side); deleting it gives the credit back.

Kept small here: the records live beside the bank transactions and are reached through them and
through their refunds (no ``/Overpayments`` or ``/Prepayments`` endpoints, no allocation to
invoices), and an overpayment keeps the lines it was sent with (Xero codes its single line to the
receivables or payables account itself). Where a refund names the contact is UNVERIFIED: the
payment's ``Overpayment`` / ``Prepayment`` object carries ``Contact`` and ``CurrencyCode``, as the
``Invoice`` object of a credit-note refund does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import ValidationFailed
from .ledger import Ledger, WriteContext, money
from .refunds import deleted_refund, refund_payment, refund_terms
from .state import Record

#: Bank transaction types that make an over- or prepayment: the kind made and its side.
TYPES: dict[str, tuple[str, str]] = {
    "RECEIVE-OVERPAYMENT": ("Overpayment", "AR"),
    "RECEIVE-PREPAYMENT": ("Prepayment", "AR"),
    "SPEND-OVERPAYMENT": ("Overpayment", "AP"),
    "SPEND-PREPAYMENT": ("Prepayment", "AP"),
}
KINDS = ("Overpayment", "Prepayment")


def record_for(ctx: WriteContext, ledger: Ledger, transaction: Record) -> None:
    """Make the over- or prepayment a new bank transaction of one of :data:`TYPES` stands for."""
    kind, _ = TYPES[transaction["Type"]]
    record_id = ledger.ids.new()
    transaction[f"{kind}ID"] = record_id
    ctx.journal.set(
        ctx.tenant.prepaid,
        record_id,
        {
            "Kind": kind,
            f"{kind}ID": record_id,
            "Type": transaction["Type"],
            "Contact": dict(transaction["Contact"]),
            "Date": transaction["Date"],
            "Status": "AUTHORISED",
            "CurrencyCode": transaction["CurrencyCode"],
            "CurrencyRate": transaction["CurrencyRate"],
            "Total": transaction["Total"],
            "RemainingCredit": transaction["Total"],
            "UpdatedDateUTC": ctx.now,
        },
    )


def named(data: Mapping[str, Any]) -> str | None:
    """Which kind of over- or prepayment a payment names (``None``: neither)."""
    return next((kind for kind in KINDS if isinstance(data.get(kind), Mapping)), None)


def refund(ledger: Ledger, ctx: WriteContext, data: Mapping[str, Any], kind: str) -> Record:
    """A payment naming an over- or prepayment: money paid back out of it."""
    ref = data[kind]
    held = ctx.tenant.prepaid.get(str(ref.get(f"{kind}ID") or "").lower())
    if held is None or held["Kind"] != kind:
        raise ValidationFailed(f"{kind} could not be found.")
    found = held

    def held_errors(amount: Decimal) -> list[str]:
        if found["Status"] != "AUTHORISED" or amount <= 0 or amount > found["RemainingCredit"]:
            return ["Payment amount exceeds the amount outstanding on this document"]
        return []

    terms = refund_terms(ctx, data, held_errors)
    _, side = TYPES[held["Type"]]
    payment = refund_payment(
        ledger,
        ctx,
        data,
        terms,
        rate=held["CurrencyRate"],
        payment_type=f"{side}{kind.upper()}PAYMENT",
        documents={kind: {f"{kind}ID": held[f"{kind}ID"]}},
    )
    _use(ctx, held, payment["Amount"])
    return payment


def delete_refund(ctx: WriteContext, existing: Record, data: Mapping[str, Any], kind: str) -> Record:
    """``Status: DELETED`` on a refund: the credit comes back to its over- or prepayment."""
    rec = deleted_refund(ctx, existing, data)
    _use(ctx, ctx.tenant.prepaid[rec[kind][f"{kind}ID"]], -rec["Amount"])
    return rec


def _use(ctx: WriteContext, held: Record, amount: Any) -> None:
    rec = dict(held)
    rec["RemainingCredit"] = money(rec["RemainingCredit"] - amount)
    rec["Status"] = "PAID" if rec["RemainingCredit"] == 0 else "AUTHORISED"
    rec["UpdatedDateUTC"] = ctx.now
    ctx.journal.set(ctx.tenant.prepaid, rec[f"{rec['Kind']}ID"], rec)
