"""The unified resources, each declared once.

A :class:`ResourceSpec` says what a resource is: its name (used in provider capabilities, the
mirror, change events and webhook routing), the attribute it has on a connection
(``conn.invoices``), its model, the operations the unified API defines on it and the list
filters it takes. Everything else derives from the declaration: the typed accessors of the async
and blocking connections (generated source, see ``scripts/generate_client.py``), the mirror's
decoding, the resources a sync mirrors and the order it mirrors them in, webhook routing,
outbound event names, the provider registration check, the conformance kit, and the resource
pages and capability table of the docs (``scripts/generate_docs.py``).

Adding a resource is one :class:`ResourceSpec` in :data:`RESOURCES` plus a model; a provider then
supports it by mapping it (its codec, its capabilities) and, for its emulator, by serving it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import ConfigurationError, FieldIssue, ValidationFailed
from .models import (
    Bill,
    BillPayment,
    ChangeOperation,
    CompanyInfo,
    CreditNote,
    Customer,
    Expense,
    Invoice,
    Item,
    JournalEntry,
    LedgerAccount,
    Payment,
    RecordMeta,
    Supplier,
    SupplierCredit,
    TaxRate,
    TaxRateStatus,
    TrackingCategory,
    TrackingStatus,
)
from .models.common import UTCDateTime

RESOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class Operation(StrEnum):
    """Operations a provider can support per resource (its ``capabilities``)."""

    CREATE = "create"
    GET = "get"
    LIST = "list"
    UPDATE = "update"
    DELETE = "delete"
    VOID = "void"
    ARCHIVE = "archive"
    SEND = "send"
    #: Apply a credit to a document (a credit note to an invoice, a supplier credit to a bill).
    ALLOCATE = "allocate"
    BULK_CREATE = "bulk_create"
    BULK_UPDATE = "bulk_update"
    #: The document as the provider prints it: PDF bytes (``conn.invoices.pdf(id)``).
    PDF = "pdf"


def operations(names: str) -> frozenset[Operation]:
    """``operations("create get")`` → the set of those operations."""
    return frozenset(Operation(name) for name in names.split())


@dataclass(frozen=True)
class ListFilter:
    """A filter a resource's ``list()`` takes (``conn.tax_rates.list(status="active")``).

    ``list()`` has one keyword parameter per filter name of the catalog; a value given for a
    filter the resource does not declare is refused, and a declared one is validated against
    ``type`` before any HTTP call. Providers apply ``updated_since`` everywhere and declare the
    other filters they apply in ``Provider.list_filters``.
    """

    #: The keyword of ``list()``: ``"updated_since"``.
    name: str
    #: What values must be (a type or annotation pydantic validates: ``datetime``, an enum, ``str``).
    type: Any
    #: What the filter keeps, for the docs: "records created or changed after this moment".
    description: str

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.islower():
            raise ConfigurationError(f"list filter {self.name!r} is not a lower-case Python identifier")

    @functools.cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.type)

    def validate(self, value: Any) -> Any:
        """``value`` as the filter's type, or ``ValidationFailed`` naming the filter."""
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            issues = [FieldIssue(self.name, error["msg"]) for error in exc.errors()]
            raise ValidationFailed("invalid list filter", issues=issues) from None


#: The filter every list takes and every provider applies: what incremental syncs rely on.
UPDATED_SINCE = ListFilter(
    "updated_since", UTCDateTime, "Records created or changed after this moment (timezone-aware)."
)

#: What a mirror change is called in outbound events (``invoice.created``).
EVENT_OPERATIONS = (ChangeOperation.CREATED, ChangeOperation.UPDATED, ChangeOperation.DELETED)


@dataclass(frozen=True)
class ResourceSpec:
    """One unified resource. See the module docstring for what derives from it."""

    #: Singular, lower case: ``"invoice"``. Capabilities, mirror rows and events use it.
    name: str
    #: The connection attribute, plural: ``"invoices"`` (``conn.invoices``).
    collection: str
    model: type[RecordMeta]
    #: One line for the docs and the accessor's docstring.
    summary: str
    #: What the unified API defines on the resource; a provider supports a subset of it.
    operations: frozenset[Operation] = field(
        default_factory=lambda: frozenset(Operation) - {Operation.ALLOCATE}
    )
    #: Whether ``ua sync`` mirrors it unless told otherwise.
    mirrored: bool = True
    #: Resources mirrored before this one (the records this one names: customers before invoices).
    after: tuple[str, ...] = ()
    #: The filters its ``list()`` takes besides paging (see :class:`ListFilter`).
    filters: tuple[ListFilter, ...] = (UPDATED_SINCE,)
    #: One record per company (company info): read with ``conn.<collection>.get()``, no id, no list.
    singleton: bool = False
    #: For a credit document, the resource its credit is allocated to (``"invoice"``, ``"bill"``):
    #: ``allocate(id, invoice_id=..., amount=...)`` takes that resource's id.
    allocates_to: str | None = None

    def __post_init__(self) -> None:
        for label, value in (("name", self.name), ("collection", self.collection)):
            if not RESOURCE_NAME.match(value):
                raise ConfigurationError(
                    f"resource {label} {value!r} is not 2-40 lower-case letters, digits or underscores"
                )
        names = [f.name for f in self.filters]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"resource {self.name!r} declares a list filter twice: {names}")
        if self.singleton:
            beyond = sorted(op.value for op in self.operations - {Operation.GET, Operation.UPDATE})
            if beyond or self.mirrored or self.after:
                raise ConfigurationError(
                    f"resource {self.name!r} is a singleton: it offers get (and update) only, and is "
                    f"not mirrored (got operations {beyond}, mirrored={self.mirrored}, after={self.after})"
                )
        if (Operation.ALLOCATE in self.operations) != (self.allocates_to is not None):
            raise ConfigurationError(
                f"resource {self.name!r}: the allocate operation and allocates_to go together"
            )
        if UPDATED_SINCE not in self.filters:
            # Incremental syncs and the conformance kit list every resource with it.
            raise ConfigurationError(f"resource {self.name!r} must take the updated_since list filter")

    def filter(self, name: str) -> ListFilter | None:
        """The declared list filter called ``name``, if any."""
        return next((f for f in self.filters if f.name == name), None)

    def event_name(self, operation: str) -> str:
        """The name outbound webhooks give a change: ``invoice.created``."""
        return f"{self.name}.{operation}"

    @property
    def events(self) -> tuple[str, ...]:
        """Every event name outbound webhooks use for the resource."""
        return tuple(self.event_name(op.value) for op in EVENT_OPERATIONS)


class ResourceCatalog(Mapping[str, ResourceSpec]):
    """The declared resources by name, in mirroring order (dependencies first)."""

    def __init__(self, specs: Iterable[ResourceSpec]) -> None:
        by_name: dict[str, ResourceSpec] = {}
        collections: dict[str, str] = {}
        for spec in specs:
            for taken, label in ((by_name, spec.name), (collections, spec.collection)):
                if label in taken:
                    raise ConfigurationError(f"resource {label!r} is declared twice")
            by_name[spec.name] = spec
            collections[spec.collection] = spec.name
        for spec in by_name.values():
            unknown = [name for name in spec.after if name not in by_name]
            if unknown:
                raise ConfigurationError(f"resource {spec.name!r} comes after unknown {unknown}")
        self._specs = {spec.name: spec for spec in _dependencies_first(by_name)}

    def __getitem__(self, name: str) -> ResourceSpec:
        return self._specs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def spec(self, name: str) -> ResourceSpec:
        """The resource called ``name``, or a ``ConfigurationError`` listing the known ones."""
        try:
            return self._specs[name]
        except KeyError:
            raise ConfigurationError(
                f"no unified resource is called {name!r} (known: {', '.join(self._specs)})"
            ) from None

    def model(self, name: str) -> type[RecordMeta]:
        return self.spec(name).model

    def mirrored(self) -> tuple[str, ...]:
        """The resources a sync mirrors by default, dependencies first."""
        return tuple(name for name, spec in self._specs.items() if spec.mirrored)

    def in_order(self, names: Iterable[str]) -> tuple[str, ...]:
        """``names`` (unified resources) in mirroring order; an unknown one is a ``ConfigurationError``."""
        wanted = {self.spec(name).name for name in names}
        return tuple(name for name in self._specs if name in wanted)

    def filter_names(self) -> tuple[str, ...]:
        """Every list filter some resource declares (``list()`` has a keyword for each)."""
        return tuple(dict.fromkeys(f.name for spec in self._specs.values() for f in spec.filters))


def _dependencies_first(specs: Mapping[str, ResourceSpec]) -> list[ResourceSpec]:
    ordered: list[ResourceSpec] = []
    visiting: set[str] = set()

    def visit(spec: ResourceSpec) -> None:
        if spec in ordered:
            return
        if spec.name in visiting:
            raise ConfigurationError(f"resource {spec.name!r} depends on itself through 'after'")
        visiting.add(spec.name)
        for name in spec.after:
            visit(specs[name])
        visiting.discard(spec.name)
        ordered.append(spec)

    for spec in specs.values():
        visit(spec)
    return ordered


_DOCUMENT = operations("create get list update delete void send pdf bulk_create bulk_update")

#: Every unified resource of the library.
RESOURCES = ResourceCatalog(
    [
        ResourceSpec(
            name="tax_rate",
            collection="tax_rates",
            model=TaxRate,
            summary="Sales and purchase tax rates that lines name (QuickBooks TaxRate, Xero TaxRate).",
            operations=operations("create get list update archive delete"),
            filters=(UPDATED_SINCE, ListFilter("status", TaxRateStatus, "Tax rates with this status.")),
        ),
        ResourceSpec(
            name="company_info",
            collection="company_info",
            model=CompanyInfo,
            summary="The connected company: name, country, home currency, tax system, fiscal year.",
            operations=operations("get"),
            mirrored=False,
            singleton=True,
        ),
        ResourceSpec(
            name="tracking_category",
            collection="tracking_categories",
            model=TrackingCategory,
            summary="Tracking categories and their options (Xero tracking; QuickBooks classes and "
            "departments).",
            operations=operations("create get list update archive delete"),
            filters=(UPDATED_SINCE, ListFilter("status", TrackingStatus, "Categories with this status.")),
        ),
        ResourceSpec(
            name="ledger_account",
            collection="ledger_accounts",
            model=LedgerAccount,
            summary="The chart of accounts (QuickBooks Account, Xero accounts).",
            operations=operations("create get list update archive delete"),
            after=("tax_rate",),
        ),
        ResourceSpec(
            name="item",
            collection="items",
            model=Item,
            summary="Products and services sold or bought (QuickBooks Item, Xero items).",
            operations=operations("create get list update archive delete"),
            after=("ledger_account", "tax_rate"),
        ),
        ResourceSpec(
            name="customer",
            collection="customers",
            model=Customer,
            summary="The people and companies invoiced (QuickBooks Customer, Xero Contact).",
            operations=operations("create get list update archive bulk_create bulk_update"),
        ),
        ResourceSpec(
            name="invoice",
            collection="invoices",
            model=Invoice,
            summary="Sales invoices (QuickBooks Invoice, Xero ACCREC invoice).",
            operations=_DOCUMENT,
            after=("customer", "tax_rate", "tracking_category", "item", "ledger_account"),
        ),
        ResourceSpec(
            name="payment",
            collection="payments",
            model=Payment,
            summary="Customer payments and their allocations to invoices.",
            operations=operations("create get list update delete void bulk_create bulk_update"),
            after=("customer", "invoice"),
        ),
        ResourceSpec(
            name="supplier",
            collection="suppliers",
            model=Supplier,
            summary="The people and companies the company buys from (QuickBooks Vendor, Xero Contact).",
            operations=operations("create get list update archive bulk_create bulk_update"),
        ),
        ResourceSpec(
            name="bill",
            collection="bills",
            model=Bill,
            summary="Suppliers' bills (QuickBooks Bill, Xero ACCPAY invoice).",
            operations=operations("create get list update delete void"),
            after=("supplier", "tax_rate", "tracking_category", "item", "ledger_account"),
        ),
        ResourceSpec(
            name="bill_payment",
            collection="bill_payments",
            model=BillPayment,
            summary="Payments of suppliers' bills (QuickBooks BillPayment, Xero payments on bills).",
            operations=operations("create get list update delete void"),
            after=("supplier", "bill", "supplier_credit", "ledger_account"),
        ),
        ResourceSpec(
            name="credit_note",
            collection="credit_notes",
            model=CreditNote,
            summary="Credit given to customers, allocated to their invoices (QuickBooks CreditMemo, "
            "Xero ACCRECCREDIT).",
            operations=operations("create get list update delete void allocate pdf"),
            after=("customer", "invoice", "tax_rate", "tracking_category", "item", "ledger_account"),
            allocates_to="invoice",
        ),
        ResourceSpec(
            name="supplier_credit",
            collection="supplier_credits",
            model=SupplierCredit,
            summary="Credit from suppliers, allocated to their bills (QuickBooks VendorCredit, Xero "
            "ACCPAYCREDIT).",
            operations=operations("create get list update delete void allocate"),
            after=("supplier", "bill", "tax_rate", "tracking_category", "item", "ledger_account"),
            allocates_to="bill",
        ),
        ResourceSpec(
            name="expense",
            collection="expenses",
            model=Expense,
            summary="Money spent at once from a bank or card account, and its refunds (QuickBooks "
            "Purchase, Xero SPEND/RECEIVE bank transactions).",
            operations=operations("create get list update delete void"),
            after=("supplier", "tax_rate", "tracking_category", "item", "ledger_account"),
        ),
        ResourceSpec(
            name="journal_entry",
            collection="journal_entries",
            model=JournalEntry,
            summary="Postings straight to ledger accounts, debits equal to credits (QuickBooks "
            "JournalEntry, Xero manual journals).",
            operations=operations("create get list update delete void"),
            after=("ledger_account", "tax_rate", "tracking_category", "customer", "supplier"),
        ),
    ]
)

__all__ = [
    "RESOURCES",
    "UPDATED_SINCE",
    "ListFilter",
    "Operation",
    "ResourceCatalog",
    "ResourceSpec",
    "operations",
]
