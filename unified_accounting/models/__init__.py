"""Provider-neutral records. Every provider decodes into these and encodes from them."""

from .common import Address, Currency, CustomField, Money, RecordMeta, UnifiedModel, UTCDateTime
from .customer import Customer, CustomerStatus
from .events import ChangeOperation, WebhookEvent
from .invoice import Invoice, InvoiceStatus, LineItem, LineItemType
from .payment import Allocation, Payment, PaymentStatus
from .raw import RawPayload

#: The unified resource name of each model, as used by codecs and capabilities.
RESOURCE_MODELS: dict[str, type[RecordMeta]] = {
    "invoice": Invoice,
    "customer": Customer,
    "payment": Payment,
}

__all__ = [
    "RESOURCE_MODELS",
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
    "RawPayload",
    "RecordMeta",
    "UTCDateTime",
    "UnifiedModel",
    "WebhookEvent",
]

#: Deprecated name of :class:`WebhookEvent`.
ChangeEvent = WebhookEvent
