"""Provider-neutral records. Every provider decodes into these and encodes from them."""

from .attachment import Attachment, AttachmentLimits
from .bill import Bill, BillStatus
from .bill_payment import BillAllocation, BillPayment, BillPaymentStatus, BillPaymentType
from .common import Address, Currency, CustomField, Money, Percentage, RecordMeta, UnifiedModel, UTCDateTime
from .company import CompanyInfo, TaxSystem
from .credit_note import CreditAllocation, CreditNote, CreditNoteStatus, SupplierCredit
from .customer import Customer, CustomerStatus
from .events import ChangeOperation, WebhookEvent, webhook_event
from .expense import Expense, ExpensePaymentType, ExpenseStatus, ExpenseType
from .invoice import Invoice, InvoiceStatus, LineItem, LineItemType
from .item import Item, ItemPricing, ItemStatus, ItemType
from .journal_entry import JournalEntry, JournalEntryStatus, JournalLine
from .ledger_account import (
    CLASSIFICATION_OF,
    AccountClassification,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
)
from .money import Amount, NonNegativeAmount
from .party import EmailAddress, EmailType, Party, PartyStatus, PhoneNumber, PhoneType
from .payment import Allocation, Payment, PaymentStatus, PaymentType
from .raw import RawPayload
from .report import (
    AccountingMethod,
    Report,
    ReportColumn,
    ReportName,
    ReportPeriod,
    ReportRow,
)
from .supplier import Supplier
from .tax import TaxMode
from .tax_rate import TaxComponent, TaxRate, TaxRateStatus, TaxRateUse
from .terms import PaymentTerms, PaymentTermsType
from .tracking import TrackingCategory, TrackingOption, TrackingRef, TrackingStatus

# Which resource each model stands for is declared in the catalog (unified_accounting.catalog).

__all__ = [
    "CLASSIFICATION_OF",
    "AccountClassification",
    "AccountingMethod",
    "Address",
    "Allocation",
    "Amount",
    "Attachment",
    "AttachmentLimits",
    "Bill",
    "BillAllocation",
    "BillPayment",
    "BillPaymentStatus",
    "BillPaymentType",
    "BillStatus",
    "ChangeOperation",
    "CompanyInfo",
    "CreditAllocation",
    "CreditNote",
    "CreditNoteStatus",
    "Currency",
    "CustomField",
    "Customer",
    "CustomerStatus",
    "EmailAddress",
    "EmailType",
    "Expense",
    "ExpensePaymentType",
    "ExpenseStatus",
    "ExpenseType",
    "Invoice",
    "InvoiceStatus",
    "Item",
    "ItemPricing",
    "ItemStatus",
    "ItemType",
    "JournalEntry",
    "JournalEntryStatus",
    "JournalLine",
    "LedgerAccount",
    "LedgerAccountStatus",
    "LedgerAccountType",
    "LineItem",
    "LineItemType",
    "Money",
    "NonNegativeAmount",
    "Party",
    "PartyStatus",
    "Payment",
    "PaymentStatus",
    "PaymentTerms",
    "PaymentTermsType",
    "PaymentType",
    "Percentage",
    "PhoneNumber",
    "PhoneType",
    "RawPayload",
    "RecordMeta",
    "Report",
    "ReportColumn",
    "ReportName",
    "ReportPeriod",
    "ReportRow",
    "Supplier",
    "SupplierCredit",
    "TaxComponent",
    "TaxMode",
    "TaxRate",
    "TaxRateStatus",
    "TaxRateUse",
    "TaxSystem",
    "TrackingCategory",
    "TrackingOption",
    "TrackingRef",
    "TrackingStatus",
    "UTCDateTime",
    "UnifiedModel",
    "WebhookEvent",
    "webhook_event",
]

#: Deprecated name of :class:`WebhookEvent`.
ChangeEvent = WebhookEvent
