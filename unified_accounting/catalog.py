"""The unified resources, each declared once.

A :class:`ResourceSpec` says what a resource is: its name (used in provider capabilities, the
mirror, change events and webhook routing), the attribute it has on a connection
(``conn.invoices``), its model, the operations the unified API defines on it and the list
filters it takes. Everything else derives from the declaration: the typed accessors of the async
and blocking connections (generated source, see ``scripts/generate_client.py``), the mirror's
decoding, the resources a sync mirrors and the order it mirrors them in, webhook routing,
outbound event names, the conformance kit and the capability table of the docs.

Adding a resource is one :class:`ResourceSpec` in :data:`BUILTIN_RESOURCES` plus a model; a
provider then supports it by mapping it (its codec) and, for its emulator, by serving it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import ConfigurationError
from .models import Customer, Invoice, Payment, RecordMeta

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
    BULK_CREATE = "bulk_create"
    BULK_UPDATE = "bulk_update"


def operations(names: str) -> frozenset[Operation]:
    """``operations("create get")`` → the set of those operations."""
    return frozenset(Operation(name) for name in names.split())


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
    operations: frozenset[Operation] = field(default_factory=lambda: frozenset(Operation))
    #: Whether ``ua sync`` mirrors it unless told otherwise.
    mirrored: bool = True
    #: Resources mirrored before this one (the records this one names: customers before invoices).
    after: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for label, value in (("name", self.name), ("collection", self.collection)):
            if not RESOURCE_NAME.match(value):
                raise ConfigurationError(
                    f"resource {label} {value!r} is not 2-40 lower-case letters, digits or underscores"
                )

    def event_name(self, operation: str) -> str:
        """The name outbound webhooks give a change: ``invoice.created``."""
        return f"{self.name}.{operation}"


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


_DOCUMENT = operations("create get list update delete void send bulk_create bulk_update")

#: Every unified resource of the library.
RESOURCES = ResourceCatalog(
    [
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
            after=("customer",),
        ),
        ResourceSpec(
            name="payment",
            collection="payments",
            model=Payment,
            summary="Customer payments and their allocations to invoices.",
            operations=operations("create get list update delete void"),
            after=("customer", "invoice"),
        ),
    ]
)

__all__ = ["RESOURCES", "Operation", "ResourceCatalog", "ResourceSpec", "operations"]
