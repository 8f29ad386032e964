"""unified-accounting: one accounting API over QuickBooks Online, Xero and provider plugins."""

from .catalog import RESOURCES, ResourceCatalog, ResourceSpec
from .changes import RecordChange
from .client import (
    AsyncClient,
    AsyncConnection,
    AsyncPager,
    AsyncResource,
    Client,
    Connection,
    Pager,
    Resource,
)
from .connections import (
    ConnectionHealth,
    ConnectionKey,
    ConnectionRecord,
    ConnectionStore,
    MemoryConnectionStore,
)
from .decoding import RecordIssue
from .errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    DecodeFailed,
    DuplicateRecord,
    FieldIssue,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
    UnifiedAccountingError,
    UnsupportedOperation,
    ValidationFailed,
)
from .hookspecs import hookimpl
from .http.paths import path_segment
from .models import (
    Address,
    Allocation,
    ChangeOperation,
    Customer,
    CustomerStatus,
    CustomField,
    Invoice,
    InvoiceStatus,
    LineItem,
    LineItemType,
    Payment,
    PaymentStatus,
    WebhookEvent,
)
from .plugins import ProviderInfo, ProviderRegistry, get_plugin_manager, get_provider, list_providers
from .provider import (
    BulkResult,
    BulkUpdate,
    ChangeFeedResult,
    Codec,
    OAuthSettings,
    Operation,
    Page,
    Provider,
    ProviderSession,
    ProviderSettings,
    capabilities,
)
from .tokens import Grant, TokenSet

__version__ = "0.1.0"

#: Deprecated names, kept importable: ``ChangeEvent`` is :class:`WebhookEvent`, ``ChangeSet`` is
#: :class:`ChangeFeedResult` (see the glossary in ``docs/concepts.md``).
ChangeEvent = WebhookEvent
ChangeSet = ChangeFeedResult

__all__ = [
    "RESOURCES",
    "Address",
    "Allocation",
    "AsyncClient",
    "AsyncConnection",
    "AsyncPager",
    "AsyncResource",
    "AuthenticationError",
    "BulkResult",
    "BulkUpdate",
    "ChangeFeedResult",
    "ChangeOperation",
    "Client",
    "Codec",
    "ConfigurationError",
    "Conflict",
    "Connection",
    "ConnectionHealth",
    "ConnectionKey",
    "ConnectionRecord",
    "ConnectionStore",
    "CustomField",
    "Customer",
    "CustomerStatus",
    "DecodeFailed",
    "DuplicateRecord",
    "FieldIssue",
    "Grant",
    "Invoice",
    "InvoiceStatus",
    "LineItem",
    "LineItemType",
    "MemoryConnectionStore",
    "NotFound",
    "OAuthSettings",
    "Operation",
    "Page",
    "Pager",
    "Payment",
    "PaymentStatus",
    "PermissionDenied",
    "Provider",
    "ProviderError",
    "ProviderInfo",
    "ProviderRegistry",
    "ProviderSession",
    "ProviderSettings",
    "ProviderUnavailable",
    "RateLimited",
    "ReauthorizationRequired",
    "RecordChange",
    "RecordIssue",
    "Resource",
    "ResourceCatalog",
    "ResourceSpec",
    "TokenSet",
    "UnifiedAccountingError",
    "UnsupportedOperation",
    "ValidationFailed",
    "WebhookEvent",
    "__version__",
    "capabilities",
    "get_plugin_manager",
    "get_provider",
    "hookimpl",
    "list_providers",
    "path_segment",
]
