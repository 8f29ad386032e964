"""Which unified fields QuickBooks stores, computes, refuses or keeps in another shape.

One declaration (:data:`FIELD_SUPPORT`, the provider's ``field_support``) serves the portability
table of the docs and the refusals before any HTTP call (:func:`refused_issues`). Fields not named
are stored as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from unified_accounting.errors import FieldIssue

COMPUTED = "computed"
REFUSED = "refused"
MAPPED = "mapped"

_CONTACT_NAME = (
    REFUSED,
    "QuickBooks addresses have no contact name (Line1-Line5, City, CountrySubDivisionCode, "
    "PostalCode, Country): put the name in line1",
)

FIELD_SUPPORT: dict[str, dict[str, tuple[str, str]]] = {
    "invoice": {
        "customer_name": (COMPUTED, "the customer's DisplayName"),
        "status": (COMPUTED, "from Balance, TotalAmt and the voided note; QuickBooks has no status field"),
        "sub_total": (COMPUTED, "the SubTotalLineDetail line"),
        "total_tax": (
            MAPPED,
            "TxnTaxDetail.TotalTax, computed by QuickBooks from the lines' tax codes; a value given "
            "overrides it",
        ),
        "total": (COMPUTED, "TotalAmt"),
        "amount_due": (COMPUTED, "Balance"),
        "amount_paid": (COMPUTED, "TotalAmt - Balance"),
        "reference": (REFUSED, "QuickBooks invoices have no reference field: use po_number or pass_through"),
        "tax_mode": (
            MAPPED,
            "GlobalTaxCalculation (TaxExcluded, TaxInclusive, NotApplicable) outside the US; US companies "
            "have exclusive (a TxnTaxCodeRef) or no_tax (every line NON), never inclusive",
        ),
        "currency_rate": (MAPPED, "ExchangeRate: home-currency units per unit of the invoice's currency"),
        "po_number": (
            MAPPED,
            'the sales form custom field named "P.O. Number" (refused when the company has none turned on)',
        ),
        "terms": (MAPPED, "SalesTermRef: the company's Term with the same rule, created when missing"),
        "tracking": (
            MAPPED,
            "DepartmentRef (category department) and, with class tracking per transaction, ClassRef "
            "(category class)",
        ),
        "line_items.tax_rate_id": (
            MAPPED,
            "outside the US the line's TaxCodeRef; US companies: the transaction's TxnTaxCodeRef "
            "(one per invoice), lines TAX or NON",
        ),
        "line_items.tax_amount": (
            REFUSED,
            "QuickBooks computes line tax from the tax code: leave tax_amount out (it is read back "
            "where QuickBooks reports it)",
        ),
        "line_items.discount_amount": (
            MAPPED,
            "only on discount lines (DiscountLineDetail); sales lines have no discount in QuickBooks: "
            "add a discount line",
        ),
        "line_items.discount_percentage": (
            MAPPED,
            "only on discount lines (DiscountLineDetail PercentBased); sales lines have no discount",
        ),
        "line_items.tracking": (MAPPED, "the line's ClassRef, with class tracking per line"),
        "billing_address.contact_name": _CONTACT_NAME,
        "shipping_address.contact_name": _CONTACT_NAME,
    },
    "customer": {
        "balance": (COMPUTED, "Balance"),
        "emails": (
            MAPPED,
            "PrimaryEmailAddr.Address holds several addresses separated by commas (100 characters): "
            "primary first, then other; no billing type, no names",
        ),
        "phones": (MAPPED, "PrimaryPhone (primary), Mobile (mobile), Fax (fax), AlternatePhone (other)"),
        "parent_id": (MAPPED, "ParentRef with Job true (a sub-customer or job)"),
        "terms": (MAPPED, "SalesTermRef: the company's Term with the same rule, created when missing"),
        "currency": (MAPPED, "CurrencyRef: fixed once the customer exists"),
        "billing_address.contact_name": _CONTACT_NAME,
        "shipping_address.contact_name": _CONTACT_NAME,
    },
    "payment": {
        "type": (
            COMPUTED,
            "always invoice_payment: QuickBooks refunds credit with RefundReceipt and has no overpayment "
            "or prepayment records",
        ),
        "allocations": (
            MAPPED,
            "Line[].LinkedTxn: TxnType Invoice, or CreditMemo for credit used in the payment",
        ),
        "unapplied_amount": (COMPUTED, "UnappliedAmt"),
        "status": (COMPUTED, "from the voided note"),
        "currency_rate": (MAPPED, "ExchangeRate: home-currency units per unit of the payment's currency"),
    },
    "tax_rate": {
        "code": (COMPUTED, "QuickBooks tax codes are named by id"),
        "rate": (MAPPED, "the sum of the code's sales rates (RateValue), or of its purchase rates"),
        "components": (MAPPED, "the TaxRate records of the code's rate lists"),
        "applies_to": (MAPPED, "which of SalesTaxRateList and PurchaseTaxRateList are not empty"),
    },
    "tracking_category": {
        "name": (COMPUTED, '"Class", or the company\'s DepartmentTerminology ("Location")'),
    },
    "ledger_account": {
        "code": (
            MAPPED,
            "AcctNum (unique; at most 7 characters in US, UK and IN companies, 20 in AU and CA)",
        ),
        "type": (
            MAPPED,
            "AccountType, written with a sub-type of that type (inventory, prepayment and depreciation "
            "are Other Current Asset / Other Expense accounts with the Inventory, PrepaidExpenses and "
            "Depreciation sub-types)",
        ),
        "classification": (COMPUTED, "Classification, which follows from AccountType (Revenue reads income)"),
        "provider_type": (COMPUTED, "AccountType"),
        "sub_type": (MAPPED, "AccountSubType (QuickBooks' detail type); must be one of the type's"),
        "currency": (
            MAPPED,
            "CurrencyRef: multi-currency companies only, never for income or expense accounts",
        ),
        "tax_rate_id": (MAPPED, "TaxCodeRef (companies outside the US)"),
        "parent_id": (MAPPED, "ParentRef with SubAccount true; a sub-account has its parent's type"),
        "bank_account_number": (MAPPED, "BankNum"),
        "status": (MAPPED, "Active; QuickBooks never deletes an account"),
        "current_balance": (COMPUTED, "CurrentBalance"),
        "system": (
            COMPUTED,
            "the sub-types QuickBooks keeps for itself (opening balance equity, undeposited funds, "
            "retained earnings, cash receipt income, cash expenditure expense, exchange gain or loss): "
            "their type, parent and status are refused before any write",
        ),
    },
    "item": {
        "code": (MAPPED, "Sku"),
        "type": (
            MAPPED,
            "Type Service, Inventory (TrackQtyOnHand) or NonInventory; bundles (Group) and categories "
            "are read only",
        ),
        "sales": (MAPPED, "UnitPrice, IncomeAccountRef (an income account) and SalesTaxCodeRef"),
        "sales.description": (MAPPED, "the item's Description (QuickBooks has one sales text)"),
        "purchase": (MAPPED, "PurchaseCost, ExpenseAccountRef, PurchaseTaxCodeRef and PurchaseDesc"),
        "quantity_on_hand": (
            MAPPED,
            "QtyOnHand, for inventory items (which also need income, cost of sales and inventory asset "
            "accounts; InvStartDate is the day of the create)",
        ),
        "inventory_account_id": (MAPPED, "AssetAccountRef (an Other Current Asset account)"),
        "status": (MAPPED, "Active; QuickBooks never deletes an item"),
    },
    "supplier": {
        "balance": (COMPUTED, "Balance: what is owed on open bills, less unused vendor credit"),
        "emails": (MAPPED, "PrimaryEmailAddr.Address: several addresses separated by commas, primary first"),
        "phones": (MAPPED, "PrimaryPhone (primary), Mobile (mobile), Fax (fax), AlternatePhone (other)"),
        "terms": (MAPPED, "TermRef: the company's Term with the same rule, created when missing"),
        "currency": (MAPPED, "CurrencyRef: fixed once the vendor exists"),
        "tax_number": (MAPPED, "TaxIdentifier"),
        "account_number": (MAPPED, "AcctNum (15 characters at most)"),
        "default_expense_account_id": (MAPPED, "PrefillAccountRef"),
        "bank_account_details": (
            REFUSED,
            "QuickBooks Online keeps no vendor bank details through the Accounting API: use pass_through",
        ),
        "status": (MAPPED, "Active; QuickBooks never deletes a vendor"),
        "billing_address.contact_name": _CONTACT_NAME,
        "shipping_address.contact_name": _CONTACT_NAME,
    },
    "bill": {
        "supplier_name": (COMPUTED, "the vendor's DisplayName"),
        "status": (
            COMPUTED,
            "from Balance and TotalAmt: open, partially_paid or paid; bills are deleted, not voided",
        ),
        "sub_total": (COMPUTED, "TotalAmt less TxnTaxDetail.TotalTax"),
        "total_tax": (COMPUTED, "TxnTaxDetail.TotalTax, from the lines' tax codes"),
        "total": (COMPUTED, "TotalAmt"),
        "amount_due": (COMPUTED, "Balance"),
        "amount_paid": (COMPUTED, "TotalAmt - Balance"),
        "reference": (REFUSED, "QuickBooks bills have no reference besides DocNumber (number)"),
        "memo": (MAPPED, "PrivateNote"),
        "terms": (MAPPED, "SalesTermRef: the company's Term with the same rule, created when missing"),
        "tracking": (MAPPED, "DepartmentRef (category department)"),
        "line_items.account_id": (
            MAPPED,
            "AccountBasedExpenseLineDetail.AccountRef; a line names an account or an item, never both",
        ),
        "line_items.item_id": (MAPPED, "ItemBasedExpenseLineDetail.ItemRef, with Qty and UnitPrice"),
        "line_items.quantity": (MAPPED, "Qty on item lines; an account line keeps its amount only"),
        "line_items.unit_price": (MAPPED, "UnitPrice on item lines; an account line keeps its amount only"),
        "line_items.tax_amount": (
            REFUSED,
            "QuickBooks computes line tax from the tax code: leave tax_amount out",
        ),
        "line_items.tracking": (MAPPED, "the line's ClassRef"),
    },
    "bill_payment": {
        "type": (
            COMPUTED,
            "always bill_payment: a QuickBooks BillPayment pays bills; money a vendor pays back is not "
            "a BillPayment",
        ),
        "supplier_name": (COMPUTED, "the vendor's DisplayName"),
        "status": (COMPUTED, "void when voided (TotalAmt 0, Voided in PrivateNote), else posted"),
        "account_id": (
            MAPPED,
            "CheckPayment.BankAccountRef (PayType Check) for a bank account, CreditCardPayment.CCAccountRef "
            "(PayType CreditCard) for a credit card account: the account is read to choose",
        ),
        "reference": (MAPPED, "DocNumber"),
        "allocations": (MAPPED, "Line[].LinkedTxn: TxnType Bill, or VendorCredit for supplier credit used"),
    },
    "credit_note": {
        "customer_name": (COMPUTED, "the customer's DisplayName"),
        "status": (COMPUTED, "void when voided, used when RemainingCredit is 0, else open"),
        "remaining_credit": (COMPUTED, "RemainingCredit"),
        "allocations": (
            COMPUTED,
            "read from the Payments that apply the credit memo (their Invoice and CreditMemo lines; one "
            "query per page of credit notes, dated by the payment's TxnDate); allocate() makes a payment "
            "naming the invoice and the credit memo (TotalAmt 0)",
        ),
        "reference": (REFUSED, "QuickBooks credit memos have no reference field: use pass_through"),
        "memo": (MAPPED, "CustomerMemo"),
        "line_items.tax_amount": (
            REFUSED,
            "QuickBooks computes line tax from the tax code: leave tax_amount out",
        ),
    },
    "supplier_credit": {
        "supplier_name": (COMPUTED, "the vendor's DisplayName"),
        "status": (COMPUTED, "used when Balance is 0, else open; vendor credits are deleted, not voided"),
        "remaining_credit": (COMPUTED, "Balance"),
        "allocations": (
            COMPUTED,
            "read from the BillPayments that apply the vendor credit (their Bill and VendorCredit lines; "
            "one query per page of supplier credits); allocate() makes a bill payment naming the bill and "
            "the vendor credit (TotalAmt 0)",
        ),
        "reference": (REFUSED, "QuickBooks vendor credits have no reference besides DocNumber (number)"),
        "memo": (MAPPED, "PrivateNote"),
        "line_items.tax_amount": (REFUSED, "QuickBooks computes line tax from the tax code"),
    },
    "expense": {
        "account_id": (MAPPED, "AccountRef: the bank or credit card account paid from"),
        "supplier_id": (MAPPED, "EntityRef with type Vendor (customer and employee payees stay in raw)"),
        "supplier_name": (COMPUTED, "EntityRef.name"),
        "type": (
            MAPPED,
            "Credit: a refund is a credit-card credit (Credit true), so it needs a card account",
        ),
        "payment_type": (
            MAPPED,
            "PaymentType Cash, Check or CreditCard; when not given, CreditCard for a card account and Cash "
            "for a bank account",
        ),
        "status": (COMPUTED, "void when voided, else posted"),
        "sub_total": (COMPUTED, "TotalAmt less TxnTaxDetail.TotalTax"),
        "total_tax": (COMPUTED, "TxnTaxDetail.TotalTax"),
        "total": (COMPUTED, "TotalAmt"),
        "reference": (REFUSED, "QuickBooks purchases have no reference besides DocNumber (number)"),
        "memo": (MAPPED, "PrivateNote"),
        "line_items.tax_amount": (REFUSED, "QuickBooks computes line tax from the tax code"),
    },
    "journal_entry": {
        "status": (
            COMPUTED,
            "always posted: QuickBooks journal entries are saved posted and deleted, never voided",
        ),
        "currency_rate": (MAPPED, "ExchangeRate: home-currency units per unit of the entry's currency"),
        "lines.debit": (MAPPED, "Amount with PostingType Debit"),
        "lines.credit": (MAPPED, "Amount with PostingType Credit"),
        "lines.tax_rate_id": (
            MAPPED,
            "TaxCodeRef with TaxApplicableOn Sales on credit lines and Purchase on debit lines (companies "
            "outside the US)",
        ),
        "lines.tax_amount": (MAPPED, "TaxAmount (0 when a tax code is given without it)"),
        "lines.tracking": (MAPPED, "the line's ClassRef and DepartmentRef"),
        "lines.customer_id": (
            MAPPED,
            "Entity of Type Customer; lines on accounts receivable accounts need one",
        ),
        "lines.supplier_id": (MAPPED, "Entity of Type Vendor; lines on accounts payable accounts need one"),
    },
}


def refused_issues(resource: str, values: Mapping[str, Any]) -> list[FieldIssue]:
    """An issue for each refused field that ``values`` (a record's fields, or an update's) sets."""
    refused = {
        path: note for path, (kind, note) in FIELD_SUPPORT.get(resource, {}).items() if kind == REFUSED
    }
    issues: list[FieldIssue] = []
    for path, note in refused.items():
        head, _, rest = path.partition(".")
        if head not in values:
            continue
        issues += _set_at(values[head], rest, head, note)
    return issues


def _set_at(value: Any, rest: str, where: str, note: str) -> list[FieldIssue]:
    if value is None or value == [] or value == "":
        return []
    if not rest:
        return [FieldIssue(where, note)]
    if isinstance(value, list | tuple):
        found: list[FieldIssue] = []
        for index, entry in enumerate(value):
            found += _set_at(entry, rest, f"{where}.{index}", note)
        return found
    head, _, tail = rest.partition(".")
    inner = getattr(value, head, None) if isinstance(value, BaseModel) else None
    if isinstance(value, Mapping):
        inner = value.get(head)
    return _set_at(inner, tail, f"{where}.{head}", note)


def record_values(record: BaseModel) -> dict[str, Any]:
    return {name: getattr(record, name) for name in type(record).model_fields}
