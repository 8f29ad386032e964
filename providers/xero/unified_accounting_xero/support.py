"""What Xero does with each unified field it does not simply store (``XeroProvider.field_support``).

Kinds (see ``unified_accounting.provider.Provider.field_support``): ``computed`` (Xero sets it),
``refused`` (refused before any call, the note saying why and what to do instead), ``mapped`` (stored,
the note saying how). A field not named is stored as it is. The refusals below are also what
``rules`` checks, so the declaration and the checks cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

Support = tuple[str, str]

INVOICE: dict[str, Support] = {
    "customer_name": ("computed", "the contact's Name"),
    "sub_total": ("computed", "SubTotal: the lines' tax-exclusive total"),
    "total_tax": ("computed", "TotalTax: the sum of the lines' tax, each rounded half-up to cents"),
    "total": ("computed", "Total"),
    "amount_due": ("computed", "AmountDue"),
    "amount_paid": ("computed", "AmountPaid"),
    "status": ("mapped", "Status: open and partially_paid are AUTHORISED (told apart by AmountPaid)"),
    "tax_mode": (
        "mapped",
        "LineAmountTypes Exclusive / Inclusive / NoTax; none given: the organisation's DefaultSalesTax "
        "(or the line_amount_types setting)",
    ),
    "currency_rate": (
        "mapped",
        "1 / CurrencyRate: Xero's rate is taken as foreign units per base unit (UNVERIFIED direction)",
    ),
    "reference": ("mapped", "Reference (sales invoices only); the same Xero field as po_number"),
    "po_number": ("mapped", "Reference: the customer's order number goes in Xero's Reference"),
    "terms": (
        "mapped",
        "not kept: Xero invoices have a due date only; without due_date the terms set DueDate from the "
        "issue date, and reads give none",
    ),
    "memo": ("refused", "Xero invoices have no memo; use reference (shown on the invoice)"),
    "billing_address": ("refused", "Xero invoices take the address of their contact"),
    "shipping_address": ("refused", "Xero invoices take the address of their contact"),
    "email": ("refused", "Xero invoices are e-mailed to their contact"),
    "custom_fields": ("refused", "Xero invoices have no custom fields"),
    "tracking": ("refused", "Xero tracks lines only: put the tracking on each line (line_items.N.tracking)"),
    "line_items.type": (
        "mapped",
        "sales_item and description lines only: Xero has no discount lines (use the line's "
        "discount_percentage or discount_amount) and no group lines",
    ),
    "line_items.quantity": ("mapped", "Quantity, at most 4 decimals"),
    "line_items.unit_price": ("mapped", "UnitAmount, at most 4 decimals (requests carry unitdp=4)"),
    "line_items.total_amount": (
        "mapped",
        "LineAmount: quantity × unit price less the discount, rounded to cents by Xero; sent only "
        "when the line has no unit price",
    ),
    "line_items.discount_percentage": ("mapped", "DiscountRate, at most 4 decimals"),
    "line_items.discount_amount": ("mapped", "DiscountAmount (Xero's lists leave it out: get() reads it)"),
    "line_items.item_id": ("mapped", "ItemCode: Xero lines name items by code"),
    "line_items.account_id": ("mapped", "AccountCode (a GUID is sent as AccountID)"),
    "line_items.tax_rate_id": (
        "mapped",
        "TaxType; none given: the item's, else the account's default tax type",
    ),
    "line_items.tax_amount": (
        "mapped",
        "TaxAmount: computed per line; a value sent overrides Xero's calculation (a line read and then "
        "changed is taxed again)",
    ),
    "line_items.tracking": ("mapped", "Tracking, written by category and option name; at most 2 per line"),
}

CUSTOMER: dict[str, Support] = {
    "display_name": ("mapped", "Name (unique among active contacts)"),
    "company_name": ("mapped", "sent as Name when there is no display_name; reads give none"),
    "balance": ("computed", "Balances.AccountsReceivable.Outstanding"),
    "phone": ("mapped", "the DEFAULT phone (else mobile, else direct dial), read as +country area number"),
    "emails": (
        "mapped",
        "EmailAddress (primary) and ContactPersons (at most 5; billing = IncludeInEmails)",
    ),
    "phones": ("mapped", "Phones, one per type: primary DEFAULT, mobile MOBILE, fax FAX, other DDI"),
    "billing_address": ("mapped", "the POBOX address; contact_name is AttentionTo; line5 joins AddressLine4"),
    "shipping_address": (
        "mapped",
        "the STREET address; contact_name is AttentionTo; line5 joins AddressLine4",
    ),
    "status": ("mapped", "ContactStatus: ARCHIVED and GDPRREQUEST read as archived"),
    "currency": ("mapped", "DefaultCurrency"),
    "terms": ("mapped", "PaymentTerms.Sales (Day, Type); the bills terms are kept"),
    "parent_id": ("refused", "Xero contacts have no parent contact: keep the relation in your own records"),
}

PAYMENT: dict[str, Support] = {
    "type": (
        "mapped",
        "PaymentType: invoice_payment ACCRECPAYMENT, credit_note_refund ARCREDITPAYMENT (the note in "
        "CreditNote), overpayment AROVERPAYMENTPAYMENT and prepayment ARPREPAYMENTPAYMENT (refunds of "
        "Xero's over- and prepayments: read only)",
    ),
    "customer_id": (
        "mapped",
        "the contact of the invoice paid (Xero takes it from the invoice): another customer is refused",
    ),
    "currency": ("mapped", "the invoice's CurrencyCode (a payment is in its invoice's currency)"),
    "currency_rate": ("mapped", "1 / CurrencyRate (UNVERIFIED direction, as on invoices)"),
    "allocations": (
        "mapped",
        "Invoice (or CreditNote for a refund): a Xero payment pays exactly one document, with its whole "
        "amount; credit notes are applied to invoices with conn.credit_notes.allocate",
    ),
    "account_id": ("mapped", "Account Code (or AccountID), a bank account"),
    "status": ("mapped", "Status AUTHORISED (posted) or DELETED"),
    "payment_method": ("refused", "Xero payments have no payment method"),
    "unapplied_amount": ("refused", "a Xero payment applies its whole amount to one invoice"),
}

TAX_RATE: dict[str, Support] = {
    "id": ("mapped", "TaxType (OUTPUT2, TAX001, ...)"),
    "code": ("computed", "TaxType, as id: what lines name"),
    "rate": ("mapped", "EffectiveRate; written as one component unless components are given"),
    "status": ("mapped", "Status: deleting a rate a document used makes it ARCHIVED"),
    "applies_to": (
        "mapped",
        "CanApplyToRevenue (sales) and CanApplyToExpenses (purchases); written as ReportTaxType "
        "OUTPUT or INPUT",
    ),
    "components": ("mapped", "TaxComponents (IsCompound); components are added, never removed or renamed"),
}

TRACKING_CATEGORY: dict[str, Support] = {
    "status": ("mapped", "Status; deleting a category a document used archives it; at most 2 active"),
    "options": (
        "mapped",
        "Options, each written on its own; options left out of an update stay (send one with status "
        "deleted to remove it)",
    ),
}

COMPANY_INFO: dict[str, Support] = {
    "id": ("computed", "OrganisationID"),
    "fiscal_year_start_month": ("computed", "the month after FinancialYearEndMonth (FinancialYearEndDay)"),
    "multi_currency_enabled": ("computed", "Organisation/Actions UseMulticurrency is ALLOWED"),
    "tax_system": ("computed", "PaysTax and Version: none, sales_tax (US) or vat"),
    "default_tax_mode": ("computed", "DefaultSalesTax, else exclusive"),
    "email": ("computed", "Xero's Organisation has no e-mail address: always None"),
    "address": ("computed", "the POBOX address, else STREET"),
    "phone": ("computed", "the OFFICE phone, else DEFAULT"),
    "website": ("computed", "ExternalLinks Website"),
}

SUPPLIER: dict[str, Support] = {
    **{name: note for name, note in CUSTOMER.items() if name not in ("balance", "terms", "parent_id")},
    "balance": ("computed", "Balances.AccountsPayable.Outstanding"),
    "terms": ("mapped", "PaymentTerms.Bills (Day, Type); the sales terms are kept"),
    "bank_account_details": ("mapped", "BankAccountDetails"),
    "default_expense_account_id": ("mapped", "PurchasesDefaultAccountCode"),
    "account_number": ("mapped", "AccountNumber"),
}

_BILL_LINES: dict[str, Support] = {
    name: note
    for name, note in INVOICE.items()
    if name.startswith("line_items.")
    and name not in ("line_items.discount_percentage", "line_items.discount_amount")
}

BILL: dict[str, Support] = {
    "supplier_name": ("computed", "the contact's Name"),
    "sub_total": ("computed", "SubTotal"),
    "total_tax": ("computed", "TotalTax"),
    "total": ("computed", "Total"),
    "amount_due": ("computed", "AmountDue"),
    "amount_paid": ("computed", "AmountPaid"),
    "number": ("mapped", "InvoiceNumber: the supplier's number, which Xero shows as the bill's reference"),
    "status": (
        "mapped",
        "Status: draft DRAFT (SUBMITTED reads so), open AUTHORISED (the default on create), "
        "partially_paid and paid follow from payments",
    ),
    "tax_mode": ("mapped", "LineAmountTypes Exclusive / Inclusive / NoTax"),
    "currency_rate": INVOICE["currency_rate"],
    "terms": INVOICE["terms"],
    "reference": ("refused", "Xero shows a bill's InvoiceNumber as its reference: use number"),
    "memo": ("refused", "Xero bills have no memo"),
    "tracking": INVOICE["tracking"],
    **_BILL_LINES,
    "line_items.account_id": (
        "mapped",
        "AccountCode (a GUID is sent as AccountID); each line needs one or an item",
    ),
    "line_items.discount_percentage": ("refused", "Xero bills take no discounts"),
    "line_items.discount_amount": ("refused", "Xero bills take no discounts"),
}

_CREDIT: dict[str, Support] = {
    "sub_total": ("computed", "SubTotal"),
    "total_tax": ("computed", "TotalTax"),
    "total": ("computed", "Total"),
    "remaining_credit": ("computed", "RemainingCredit: the total less what is allocated or refunded"),
    "allocations": (
        "computed",
        "Allocations (invoice or bill, amount, date): made with allocate(), never written with the note",
    ),
    "number": ("mapped", "CreditNoteNumber (customer credit notes get CN-0001... when none is given)"),
    "status": (
        "mapped",
        "Status: draft DRAFT (SUBMITTED reads so), open AUTHORISED (the default on create), used PAID "
        "(no credit left), void VOIDED, deleted DELETED",
    ),
    "tax_mode": ("mapped", "LineAmountTypes Exclusive / Inclusive / NoTax"),
    "currency_rate": INVOICE["currency_rate"],
    "memo": ("refused", "Xero credit notes have no memo"),
    "tracking": INVOICE["tracking"],
    **_BILL_LINES,
    "line_items.discount_percentage": ("refused", "Xero credit notes take no discounts"),
    "line_items.discount_amount": ("refused", "Xero credit notes take no discounts"),
}

CREDIT_NOTE: dict[str, Support] = {
    **_CREDIT,
    "customer_name": ("computed", "the contact's Name"),
    "reference": ("mapped", "Reference (customer credit notes only)"),
}

SUPPLIER_CREDIT: dict[str, Support] = {
    **_CREDIT,
    "supplier_name": ("computed", "the contact's Name"),
    "number": ("mapped", "CreditNoteNumber: the supplier's number, which Xero shows as its reference"),
    "reference": ("refused", "Xero shows a supplier credit's CreditNoteNumber as its reference: use number"),
    "line_items.account_id": BILL["line_items.account_id"],
}

EXPENSE: dict[str, Support] = {
    "type": ("mapped", "Type: expense SPEND, refund RECEIVE (spend and receive money)"),
    "account_id": ("mapped", "BankAccount Code (or AccountID): a bank or card account (Xero Type BANK)"),
    "supplier_id": ("mapped", "Contact (Xero requires one)"),
    "supplier_name": ("computed", "the contact's Name"),
    "currency": ("mapped", "the bank account's CurrencyCode: another currency is refused"),
    "currency_rate": INVOICE["currency_rate"],
    "tax_mode": ("mapped", "LineAmountTypes; none given: Inclusive (Xero's default for spend money)"),
    "reference": ("mapped", "Reference"),
    "status": ("mapped", "Status AUTHORISED (posted) or DELETED"),
    "payment_type": (
        "refused",
        "Xero keeps no payment type, only the account paid from: pay by card from a credit-card "
        "account (ledger account type credit_card) and leave payment_type out",
    ),
    "sub_total": ("computed", "SubTotal"),
    "total_tax": ("computed", "TotalTax"),
    "total": ("computed", "Total"),
    "number": ("refused", "Xero spend money has no number: use reference"),
    "memo": ("refused", "Xero spend money has no memo: use reference or the lines' descriptions"),
    "tracking": INVOICE["tracking"],
    **_BILL_LINES,
    "line_items.account_id": ("mapped", "AccountCode (a GUID is sent as AccountID); each line needs one"),
    "line_items.tax_amount": (
        "mapped",
        "TaxAmount: computed per line; one sent must equal Xero's calculation",
    ),
    "line_items.discount_percentage": ("refused", "Xero spend money takes no discounts"),
    "line_items.discount_amount": ("refused", "Xero spend money takes no discounts"),
}

BILL_PAYMENT: dict[str, Support] = {
    "type": (
        "mapped",
        "PaymentType: bill_payment ACCPAYPAYMENT, supplier_credit_refund APCREDITPAYMENT (the supplier "
        "credit in CreditNote), overpayment APOVERPAYMENTPAYMENT and prepayment APPREPAYMENTPAYMENT "
        "(refunds of Xero's over- and prepayments to suppliers: read only)",
    ),
    "supplier_id": ("mapped", "the contact of the bill paid (Xero takes it from the bill)"),
    "supplier_name": ("computed", "the bill's contact Name"),
    "currency": ("mapped", "the bill's CurrencyCode (a payment is in its bill's currency)"),
    "currency_rate": PAYMENT["currency_rate"],
    "allocations": (
        "mapped",
        "Invoice (or CreditNote for a refund): a Xero payment pays exactly one bill (or refunds one "
        "supplier credit), with its whole amount",
    ),
    "account_id": ("mapped", "Account Code (or AccountID), a bank account"),
    "status": ("mapped", "Status AUTHORISED (posted) or DELETED"),
}

LEDGER_ACCOUNT: dict[str, Support] = {
    "id": ("computed", "the account's Code (AccountID for a bank account without a code): what lines name"),
    "code": ("mapped", "Code, at most 10 characters, unique; changing it changes the id"),
    "name": ("mapped", "Name, at most 150 characters, unique"),
    "type": (
        "mapped",
        "Type: bank BANK, credit_card BANK with BankAccountType CREDITCARD, current_asset CURRENT, "
        "fixed_asset FIXED, inventory INVENTORY, non_current_asset NONCURRENT, prepayment PREPAYMENT, "
        "current_liability CURRLIAB (LIABILITY and PAYG read so), long_term_liability TERMLIAB, equity "
        "EQUITY, income REVENUE (SALES reads so), other_income OTHERINCOME, cost_of_sales DIRECTCOSTS, "
        "expense EXPENSE, other_expense OVERHEADS (read back as expense), depreciation DEPRECIATN; "
        "accounts_receivable and accounts_payable are Xero's system accounts DEBTORS and CREDITORS",
    ),
    "provider_type": ("mapped", "Type as Xero names it; on writes a Xero type given here wins over type"),
    "classification": ("computed", "follows from type (Xero's Class)"),
    "currency": ("mapped", "CurrencyCode (bank accounts)"),
    "tax_rate_id": ("mapped", "TaxType: the tax lines on the account get by default"),
    "bank_account_number": ("mapped", "BankAccountNumber (bank accounts, required for them)"),
    "status": (
        "mapped",
        "Status ACTIVE or ARCHIVED (changed in a request of its own); deleted accounts leave the chart",
    ),
    "system": ("computed", "SystemAccount is set: Xero refuses to change, archive or delete these"),
    "current_balance": ("computed", "Xero's accounts carry no balance: always None (see the reports)"),
    "sub_type": ("refused", "Xero accounts have no sub-type: use type (or provider_type)"),
    "parent_id": ("refused", "Xero has no sub-accounts: keep the chart flat"),
}

ITEM: dict[str, Support] = {
    "id": ("computed", "the item's Code: Xero lines name items by ItemCode (line_items.N.item_id)"),
    "code": ("mapped", "Code, required, at most 30 characters, unique; changing it changes the id"),
    "name": ("mapped", "Name, at most 50 characters"),
    "description": ("mapped", "Description (the sales description)"),
    "type": (
        "mapped",
        "inventory: IsTrackedAsInventory (needs inventory_account_id and purchase.account_id, the cost "
        "of sales account); service and non_inventory are untracked items, read back as service",
    ),
    "sales": ("mapped", "IsSold and SalesDetails (UnitPrice, AccountCode, TaxType)"),
    "sales.description": ("mapped", "Description"),
    "purchase": (
        "mapped",
        "IsPurchased and PurchaseDetails (UnitPrice, AccountCode, or COGSAccountCode for tracked items, "
        "TaxType)",
    ),
    "purchase.description": ("mapped", "PurchaseDescription"),
    "quantity_on_hand": ("computed", "QuantityOnHand (tracked items; moved by bills and invoices)"),
    "inventory_account_id": ("mapped", "InventoryAssetAccountCode"),
    "status": ("computed", "Xero items have no status: active until deleted (delete removes them)"),
}

JOURNAL_ENTRY: dict[str, Support] = {
    "memo": ("mapped", "Narration (required by Xero)"),
    "status": (
        "mapped",
        "Status: draft DRAFT, posted POSTED (the default on create), void VOIDED, deleted DELETED (drafts "
        "only)",
    ),
    "number": ("refused", "Xero manual journals have no number: put it in memo"),
    "currency": ("refused", "Xero manual journals are in the base currency only: leave currency out"),
    "currency_rate": ("refused", "Xero manual journals are in the base currency only"),
    "lines.debit": ("mapped", "LineAmount, positive"),
    "lines.credit": ("mapped", "LineAmount, negative"),
    "lines.ledger_account_id": (
        "mapped",
        "AccountCode (a GUID is sent as AccountID); bank and system accounts are refused by Xero",
    ),
    "lines.tax_rate_id": ("mapped", "TaxType (journals are written with LineAmountTypes NoTax)"),
    "lines.tax_amount": ("computed", "TaxAmount"),
    "lines.tracking": ("mapped", "Tracking, written by category and option name; at most 2 per line"),
    "lines.customer_id": ("refused", "Xero journal lines name no contact"),
    "lines.supplier_id": ("refused", "Xero journal lines name no contact"),
}

FIELD_SUPPORT: Mapping[str, Mapping[str, Support]] = {
    "supplier": SUPPLIER,
    "bill": BILL,
    "bill_payment": BILL_PAYMENT,
    "credit_note": CREDIT_NOTE,
    "expense": EXPENSE,
    "supplier_credit": SUPPLIER_CREDIT,
    "ledger_account": LEDGER_ACCOUNT,
    "item": ITEM,
    "journal_entry": JOURNAL_ENTRY,
    "invoice": INVOICE,
    "customer": CUSTOMER,
    "payment": PAYMENT,
    "tax_rate": TAX_RATE,
    "tracking_category": TRACKING_CATEGORY,
    "company_info": COMPANY_INFO,
}


def refused(resource: str) -> dict[str, str]:
    """Field path → why it is refused, for ``resource``."""
    return {path: note for path, (kind, note) in FIELD_SUPPORT.get(resource, {}).items() if kind == "refused"}


def computed(resource: str) -> frozenset[str]:
    return frozenset(
        path
        for path, (kind, _) in FIELD_SUPPORT.get(resource, {}).items()
        if kind == "computed" and "." not in path
    )
