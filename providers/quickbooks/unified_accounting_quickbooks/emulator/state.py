"""In-memory company data: one :class:`RealmState` per company, one :class:`Table` per entity.

Records are kept in a dict in id order (ids are assigned increasing, so insertion order is id order),
which lets a query without ORDERBY page over 100,000 rows without sorting. Each record caches its
own JSON text, rebuilt only after a write, so a page of 1000 rows costs one string join.
Deleted records leave a tombstone for Change Data Capture.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import jsonutil

ENTITIES: tuple[str, ...] = (
    "Invoice",
    "Customer",
    "Payment",
    "Item",
    "Account",
    "CompanyInfo",
    "Preferences",
    "TaxAgency",
    "TaxRate",
    "TaxCode",
    "Term",
    "Class",
    "Department",
    "JournalEntry",
    "Vendor",
    "Bill",
    "BillPayment",
    "CreditMemo",
    "VendorCredit",
    "Purchase",
    "Attachable",
)
ENTITY_BY_LOWER: dict[str, str] = {name.lower(): name for name in ENTITIES}
#: Entities whose names are unique within the company (case-insensitively), and their name field.
NAMED: dict[str, str] = {
    "Customer": "DisplayName",
    "Vendor": "DisplayName",
    "Item": "Name",
    "Account": "Name",
    "TaxAgency": "DisplayName",
    "TaxRate": "Name",
    "TaxCode": "Name",
    "Term": "Name",
    "Class": "FullyQualifiedName",
    "Department": "FullyQualifiedName",
}


@dataclass(slots=True, eq=False)
class Record:
    """One stored object: its wire form plus the facts the emulator needs fast."""

    entity: str
    id: str
    data: dict[str, Any]
    created: datetime
    updated: datetime
    voided: bool = False
    _json: str | None = None

    def json(self) -> str:
        if self._json is None:
            self._json = jsonutil.dumps(self.data)
        return self._json

    def changed(self) -> None:
        """Forget the cached JSON after ``data`` was mutated in place."""
        self._json = None

    @property
    def sync_token(self) -> str:
        return str(self.data.get("SyncToken", "0"))


@dataclass(slots=True)
class Tombstone:
    entity: str
    id: str
    deleted: datetime
    last_updated: str


class Table:
    """All records of one entity in one company."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: dict[str, Record] = {}
        self.tombstones: dict[str, Tombstone] = {}
        self.next_id = 1
        self.version = 0
        self.cache: dict[Any, tuple[int, list[Record]]] = {}

    def new_id(self) -> str:
        value = str(self.next_id)
        while value in self.rows or value in self.tombstones:
            self.next_id += 1
            value = str(self.next_id)
        self.next_id += 1
        return value

    def get(self, record_id: str) -> Record | None:
        return self.rows.get(str(record_id))

    def put(self, record: Record) -> None:
        self.rows[record.id] = record
        record.changed()
        self.version += 1

    def remove(self, record_id: str, tombstone: Tombstone) -> None:
        self.rows.pop(record_id, None)
        self.tombstones[record_id] = tombstone
        self.version += 1

    def touch(self) -> None:
        self.version += 1

    def __iter__(self) -> Iterator[Record]:
        return iter(self.rows.values())

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class StoredResponse:
    status: int
    body: bytes
    media_type: str


@dataclass
class RealmState:
    """One company."""

    realm_id: str
    tables: dict[str, Table] = field(default_factory=lambda: {name: Table(name) for name in ENTITIES})
    request_ids: dict[str, StoredResponse] = field(default_factory=dict)
    # invoice id -> {payment id: amount applied}
    applied: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # bill id -> {bill payment id: amount applied}
    bill_applied: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # credit memo id -> {payment id: credit used}
    credit_applied: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # vendor credit id -> {bill payment id: credit used}
    vendor_credit_applied: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # customer id -> invoice ids
    customer_invoices: dict[str, set[str]] = field(default_factory=dict)
    # lower-cased names -> record id, per entity (uniqueness checks)
    names: dict[str, dict[str, str]] = field(default_factory=lambda: {entity: {} for entity in NAMED})
    # source currency -> [(as-of date, rate)], oldest first: the ExchangeRate entity
    exchange_rates: dict[str, list[tuple[str, Decimal, str]]] = field(default_factory=dict)
    doc_numbers: dict[str, set[str]] = field(default_factory=dict)
    next_doc_number: int = 1001
    # attachable id -> (media type, bytes) of an uploaded file
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def table(self, entity: str) -> Table:
        return self.tables[entity]
