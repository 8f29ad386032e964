"""Provider-neutral records. Every provider decodes into these and encodes from them."""

from .common import Address, Currency, CustomField, Money, Percentage, RecordMeta, UnifiedModel, UTCDateTime
from .company import CompanyInfo, TaxSystem
from .customer import Customer, CustomerStatus, EmailAddress, EmailType, PhoneNumber, PhoneType
from .events import ChangeOperation, WebhookEvent
from .invoice import Invoice, InvoiceStatus, LineItem, LineItemType
from .money import Amount, NonNegativeAmount
from .payment import Allocation, Payment, PaymentStatus
from .raw import RawPayload
from .tax import TaxMode
from .tax_rate import TaxComponent, TaxRate, TaxRateStatus, TaxRateUse
from .terms import PaymentTerms, PaymentTermsType
from .tracking import TrackingCategory, TrackingOption, TrackingRef, TrackingStatus

# Which resource each model stands for is declared in the catalog (unified_accounting.catalog).

__all__ = [
    "Address",
    "Allocation",
    "Amount",
    "ChangeOperation",
    "CompanyInfo",
    "Currency",
    "CustomField",
    "Customer",
    "CustomerStatus",
    "EmailAddress",
    "EmailType",
    "Invoice",
    "InvoiceStatus",
    "LineItem",
    "LineItemType",
    "Money",
    "NonNegativeAmount",
    "Payment",
    "PaymentStatus",
    "PaymentTerms",
    "PaymentTermsType",
    "Percentage",
    "PhoneNumber",
    "PhoneType",
    "RawPayload",
    "RecordMeta",
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
]

#: Deprecated name of :class:`WebhookEvent`.
ChangeEvent = WebhookEvent
