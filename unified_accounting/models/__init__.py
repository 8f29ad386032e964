"""Provider-neutral records. Every provider decodes into these and encodes from them."""

from .common import Address, Currency, CustomField, Money, Percentage, RecordMeta, UnifiedModel, UTCDateTime
from .customer import Customer, CustomerStatus
from .events import ChangeOperation, WebhookEvent
from .invoice import Invoice, InvoiceStatus, LineItem, LineItemType
from .payment import Allocation, Payment, PaymentStatus
from .raw import RawPayload
from .tax_rate import TaxComponent, TaxRate, TaxRateStatus, TaxRateUse

# Which resource each model stands for is declared in the catalog (unified_accounting.catalog).

__all__ = [
    "Address",
    "Allocation",
    "ChangeOperation",
    "Currency",
    "CustomField",
    "Customer",
    "CustomerStatus",
    "Invoice",
    "InvoiceStatus",
    "LineItem",
    "LineItemType",
    "Money",
    "Payment",
    "PaymentStatus",
    "Percentage",
    "RawPayload",
    "RecordMeta",
    "TaxComponent",
    "TaxRate",
    "TaxRateStatus",
    "TaxRateUse",
    "UTCDateTime",
    "UnifiedModel",
    "WebhookEvent",
]

#: Deprecated name of :class:`WebhookEvent`.
ChangeEvent = WebhookEvent
