"""The unified supplier (QuickBooks ``Vendor``, Xero contacts that are suppliers)."""

from __future__ import annotations

from .party import Party


class Supplier(Party):
    """Someone the company buys from. On Xero a contact can be both a customer and a supplier: it is
    listed by both resources, with the same id."""

    #: Where payments to the supplier go, as the provider keeps it (Xero ``BankAccountDetails``).
    bank_account_details: str | None = None
    #: The ledger account the supplier's bills and expenses go to unless a line says otherwise.
    default_expense_account_id: str | None = None
    #: The supplier's own account number for the company (what they call the company by).
    account_number: str | None = None
