"""The unified resources, each declared once.

A :class:`ResourceSpec` says what a resource is: its name (used in provider capabilities, the
mirror, change events and webhook routing), the attribute it has on a connection
(``conn.invoices``), its model, the operations the unified API defines on it, and the list
filters and sort keys it takes (each filter naming the model field it tests and how, so that the
core and the mirror apply it the same way for every resource).

Everything else derives from the declaration: the typed accessors of the async
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
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, StringConstraints, TypeAdapter, ValidationError

from .errors import ConfigurationError, FieldIssue, ValidationFailed
from .models import (
    Bill,
    BillPayment,
    BillPaymentStatus,
    BillStatus,
    ChangeOperation,
    CompanyInfo,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Expense,
    ExpenseStatus,
    Invoice,
    InvoiceStatus,
    Item,
    JournalEntry,
    JournalEntryStatus,
    LedgerAccount,
    Payment,
    PaymentStatus,
    RecordMeta,
    Supplier,
    SupplierCredit,
    TaxRate,
    TaxRateStatus,
    TrackingCategory,
    TrackingStatus,
)
from .models.common import UTCDateTime
from .models.context import lone_surrogate

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


#: How a filter tests its field (``value`` is what ``list()`` was given):
#: ``equals`` — the field equals it; ``one_of`` — the field is one of several values (one value, or
#: a list of them); ``at_least`` / ``at_most`` — the field is ≥ / ≤ it (inclusive: dates);
#: ``after`` — the field is later than it (strictly: ``*_since`` moments).
Match = Literal["equals", "one_of", "at_least", "at_most", "after"]
MATCHES: tuple[str, ...] = get_args(Match)


def _filter_text(value: str) -> str:
    # Text that cannot reach a provider's query or a database intact (PostgreSQL refuses NUL).
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    problem = lone_surrogate(value)
    if problem:
        raise ValueError(problem)
    return value


#: The text a filter compares with a field (an id, a number): 1-255 characters of valid Unicode.
FilterText = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_filter_text)]


@dataclass(frozen=True)
class ListFilter:
    """A filter a resource's ``list()`` takes (``conn.invoices.list(customer_id="42")``).

    ``list()`` has one keyword parameter per filter name of the catalog; a value given for a
    filter the resource does not declare is refused, and a declared one is validated against
    ``type`` before any HTTP call. A filter tests one field of the resource's model (``field``,
    by default its name) in one way (``match``): that is how the core applies it to what a
    provider returns when the provider cannot, and how the mirror applies it (``source="mirror"``).
    Providers apply ``updated_since`` everywhere and declare the other filters they apply in
    ``Provider.list_filters``.
    """

    #: The keyword of ``list()``: ``"updated_since"``.
    name: str
    #: What values must be (a type or annotation pydantic validates: ``datetime``, an enum, ``str``);
    #: for ``match="one_of"``, what each of the values must be.
    type: Any
    #: What the filter keeps, for the docs: "records created or changed after this moment".
    description: str
    #: The model field the filter tests (default: the filter's name).
    field: str = ""
    #: How it tests it (see :data:`Match`).
    match: Match = "equals"

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.islower():
            raise ConfigurationError(f"list filter {self.name!r} is not a lower-case Python identifier")
        if self.match not in MATCHES:
            raise ConfigurationError(
                f"list filter {self.name!r} matches {self.match!r}: use one of {', '.join(MATCHES)}"
            )
        if not self.field:
            object.__setattr__(self, "field", self.name)

    @functools.cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.type)

    def validate(self, value: Any) -> Any:
        """``value`` as the filter's type (a tuple of them for ``one_of``, in the order given,
        without repeats), or ``ValidationFailed`` naming the filter."""
        if self.match != "one_of":
            return self._validated(value, self.name)
        values = (
            [value] if isinstance(value, str | bytes | Enum) or not isinstance(value, Iterable) else value
        )
        checked = [self._validated(item, f"{self.name}.{index}") for index, item in enumerate(values)]
        if not checked:
            raise ValidationFailed(
                "invalid list filter", issues=[FieldIssue(self.name, "give one value or a non-empty list")]
            )
        return tuple(dict.fromkeys(checked))

    def _validated(self, value: Any, where: str) -> Any:
        if self._base in (date, datetime) and isinstance(value, int | float | Decimal):
            # Pydantic would read a number as seconds since 1970: almost surely not what was meant.
            message = f"got the number {value!r}; the {self.name} filter takes {self.expects}"
            raise ValidationFailed("invalid list filter", issues=[FieldIssue(where, message)])
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            issues = [
                FieldIssue(where, f"{error['msg']}; the {self.name} filter takes {self.expects}")
                for error in exc.errors()
            ]
            raise ValidationFailed("invalid list filter", issues=issues) from None

    @functools.cached_property
    def _base(self) -> Any:
        """``type`` without its annotations (``FilterText`` → ``str``)."""
        kind = self.type
        while typing.get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        return kind

    @property
    def expects(self) -> str:
        """What values the filter takes, as the fix in an error message and the docs say it."""
        kind = self._base
        if isinstance(kind, type) and issubclass(kind, Enum):
            one = "one of " + ", ".join(repr(member.value) for member in kind)
        elif kind is datetime:
            one = "a timezone-aware datetime (datetime(2026, 1, 31, tzinfo=UTC))"
        elif kind is date:
            one = "a date (date(2026, 1, 31) or '2026-01-31')"
        elif kind is str:
            one = "text of 1 to 255 characters, compared exactly"
        else:
            one = f"a {getattr(kind, '__name__', kind)}"
        return f"{one}, or a non-empty list of them" if self.match == "one_of" else one

    def matches(self, record: Any, value: Any) -> bool:
        """Whether ``record`` passes the filter given ``value`` (as :meth:`validate` returned it).
        A record without a value for the field never passes."""
        held = getattr(record, self.field, None)
        if held is None:
            return False
        if self.match == "one_of":
            return held in value
        if self.match == "at_least":
            return bool(held >= value)
        if self.match == "at_most":
            return bool(held <= value)
        if self.match == "after":
            return bool(held > value)
        return bool(held == value)


#: The filter every list takes and every provider applies: what incremental syncs rely on.
UPDATED_SINCE = ListFilter(
    "updated_since",
    UTCDateTime,
    "Records created or changed after this moment (timezone-aware).",
    field="updated_at",
    match="after",
)
#: Records created after a moment (timezone-aware), like ``updated_since`` for creation.
CREATED_SINCE = ListFilter(
    "created_since",
    UTCDateTime,
    "Records created after this moment (timezone-aware).",
    field="created_at",
    match="after",
)


@dataclass(frozen=True)
class ListSort:
    """The order a list asks for: a sort key of the resource, ascending or descending.

    Written ``"issue_date"`` or ``"-issue_date"`` in ``list(sort=...)``. Records with the same
    value come in a stable order (by id where the core or the mirror sorts); records without a
    value come last, whichever the direction.
    """

    #: The model field sorted by.
    field: str
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


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
    #: The model fields its ``list(sort=...)`` orders by (each also descending, with a leading ``-``).
    sorts: tuple[str, ...] = ()
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
        fields = self.model.model_fields
        unknown = [f"{f.name} (field {f.field!r})" for f in self.filters if f.field not in fields]
        unknown += [f"sort {key!r}" for key in self.sorts if key not in fields]
        if unknown:
            raise ConfigurationError(
                f"resource {self.name!r} declares list filters or sorts on fields its model "
                f"{self.model.__name__} does not have: {', '.join(unknown)}"
            )
        if len(set(self.sorts)) != len(self.sorts):
            raise ConfigurationError(f"resource {self.name!r} declares a sort key twice: {self.sorts}")

    def filter(self, name: str) -> ListFilter | None:
        """The declared list filter called ``name``, if any."""
        return next((f for f in self.filters if f.name == name), None)

    def sort(self, text: Any) -> ListSort:
        """``list(sort=text)`` as a :class:`ListSort`, or ``ValidationFailed`` naming ``sort`` and
        the keys the resource takes."""
        key = text[1:] if isinstance(text, str) and text.startswith("-") else text
        if not isinstance(text, str) or key not in self.sorts:
            takes = ", ".join(f"{k!r}" for k in self.sorts)
            message = (
                f"{self.name} lists sort by {takes}, each descending with a leading '-'; got {text!r}"
                if self.sorts
                else f"{self.name} lists take no sort (got {text!r})"
            )
            raise ValidationFailed("invalid list sort", issues=[FieldIssue("sort", message)])
        return ListSort(key, descending=text.startswith("-"))

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


def document_filters(
    noun: str,
    status: type[Enum],
    *,
    party: str | None = None,
    party_description: str = "",
    number: bool = True,
    date_field: str = "issue_date",
) -> tuple[ListFilter, ...]:
    """The list filters of a sales, purchase or ledger document: creation time, its party (the
    customer or supplier id field, if it has one), status (one or several), number (if it has one)
    and a range of its date — ``issue_date_from``/``issue_date_to`` for documents with an
    ``issue_date``, ``date_from``/``date_to`` for those with a ``date`` (expenses, payments,
    journal entries)."""
    filters = [UPDATED_SINCE, CREATED_SINCE]
    if party is not None:
        filters.append(ListFilter(party, FilterText, party_description))
    filters.append(
        ListFilter(
            "status",
            status,
            f"{noun} with this status, or with any of several (a list: "
            f"`[{', '.join(repr(member.value) for member in list(status)[:2])}]`).",
            match="one_of",
        )
    )
    if number:
        filters.append(ListFilter("number", FilterText, f"{noun} with exactly this number (case-sensitive)."))
    dated = "issued" if date_field == "issue_date" else "dated"
    filters += [
        ListFilter(
            f"{date_field}_from",
            date,
            f"{noun} {dated} on this day or later.",
            field=date_field,
            match="at_least",
        ),
        ListFilter(
            f"{date_field}_to",
            date,
            f"{noun} {dated} on this day or earlier.",
            field=date_field,
            match="at_most",
        ),
    ]
    return tuple(filters)


#: The sort keys of documents issued on a date (invoices, bills, credit notes, supplier credits).
DOCUMENT_SORTS = ("updated_at", "issue_date", "number")
#: The sort keys of documents with a ``date`` and a number (expenses, journal entries).
DATED_SORTS = ("updated_at", "date", "number")
#: The sort keys of payments (a date, no number).
PAYMENT_SORTS = ("updated_at", "date")

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
            filters=document_filters(
                "Invoices",
                InvoiceStatus,
                party="customer_id",
                party_description="Invoices of this customer (its id).",
            ),
            sorts=DOCUMENT_SORTS,
            after=("customer", "tax_rate", "tracking_category", "item", "ledger_account"),
        ),
        ResourceSpec(
            name="payment",
            collection="payments",
            model=Payment,
            summary="Customer payments and their allocations to invoices.",
            operations=operations("create get list update delete void bulk_create bulk_update"),
            after=("customer", "invoice"),
            filters=document_filters(
                "Payments",
                PaymentStatus,
                party="customer_id",
                party_description="Payments from this customer (its id).",
                number=False,
                date_field="date",
            ),
            sorts=PAYMENT_SORTS,
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
            filters=document_filters(
                "Bills",
                BillStatus,
                party="supplier_id",
                party_description="Bills of this supplier (its id).",
            ),
            sorts=DOCUMENT_SORTS,
        ),
        ResourceSpec(
            name="bill_payment",
            collection="bill_payments",
            model=BillPayment,
            summary="Payments of suppliers' bills (QuickBooks BillPayment, Xero payments on bills).",
            operations=operations("create get list update delete void"),
            after=("supplier", "bill", "supplier_credit", "ledger_account"),
            filters=document_filters(
                "Bill payments",
                BillPaymentStatus,
                party="supplier_id",
                party_description="Payments to this supplier (its id).",
                number=False,
                date_field="date",
            ),
            sorts=PAYMENT_SORTS,
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
            filters=document_filters(
                "Credit notes",
                CreditNoteStatus,
                party="customer_id",
                party_description="Credit notes of this customer (its id).",
            ),
            sorts=DOCUMENT_SORTS,
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
            filters=document_filters(
                "Supplier credits",
                CreditNoteStatus,
                party="supplier_id",
                party_description="Credits from this supplier (its id).",
            ),
            sorts=DOCUMENT_SORTS,
        ),
        ResourceSpec(
            name="expense",
            collection="expenses",
            model=Expense,
            summary="Money spent at once from a bank or card account, and its refunds (QuickBooks "
            "Purchase, Xero SPEND/RECEIVE bank transactions).",
            operations=operations("create get list update delete void"),
            after=("supplier", "tax_rate", "tracking_category", "item", "ledger_account"),
            filters=document_filters(
                "Expenses",
                ExpenseStatus,
                party="supplier_id",
                party_description="Expenses paid to this supplier (its id).",
                date_field="date",
            ),
            sorts=DATED_SORTS,
        ),
        ResourceSpec(
            name="journal_entry",
            collection="journal_entries",
            model=JournalEntry,
            summary="Postings straight to ledger accounts, debits equal to credits (QuickBooks "
            "JournalEntry, Xero manual journals).",
            operations=operations("create get list update delete void"),
            after=("ledger_account", "tax_rate", "tracking_category", "customer", "supplier"),
            filters=document_filters("Journal entries", JournalEntryStatus, date_field="date"),
            sorts=DATED_SORTS,
        ),
    ]
)

__all__ = [
    "CREATED_SINCE",
    "DATED_SORTS",
    "DOCUMENT_SORTS",
    "PAYMENT_SORTS",
    "RESOURCES",
    "UPDATED_SINCE",
    "FilterText",
    "ListFilter",
    "ListSort",
    "Match",
    "Operation",
    "ResourceCatalog",
    "ResourceSpec",
    "document_filters",
    "operations",
]
