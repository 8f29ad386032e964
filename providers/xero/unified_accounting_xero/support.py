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
    "customer_id": (
        "mapped",
        "the contact of the invoice paid (Xero takes it from the invoice): another customer is refused",
    ),
    "currency": ("mapped", "the invoice's CurrencyCode (a payment is in its invoice's currency)"),
    "currency_rate": ("mapped", "1 / CurrencyRate (UNVERIFIED direction, as on invoices)"),
    "allocations": ("mapped", "Invoice: a Xero payment pays exactly one invoice, with its whole amount"),
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

FIELD_SUPPORT: Mapping[str, Mapping[str, Support]] = {
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
