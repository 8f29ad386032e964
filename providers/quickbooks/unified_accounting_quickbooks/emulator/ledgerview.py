"""What the rules of sales transactions, name lists, the chart, payables, credit, expenses and
attachables (``invoicing``, ``lists``, ``chart``, ``payables``, ``credits``, ``expenses``,
``attachments``) use of a company's ledger: a protocol, so those modules need not import
``entities`` (which imports them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from .clock import QuickBooksClock
from .options import EmulatorOptions
from .state import RealmState, Record


class LedgerView(Protocol):
    realm: RealmState
    options: EmulatorOptions
    clock: QuickBooksClock
    tax_rates: dict[str, Decimal]

    def emit(self, entity: str, record_id: str, operation: str, when: datetime) -> None: ...

    def currency_ref(self, code: str | None = None) -> dict[str, str]: ...

    def resolve(self, entity: str, ref: Any, element: str, *, required: bool = True) -> Record | None: ...

    def check_name(self, entity: str, name: str, existing: Record | None, element: str) -> None: ...

    def _bump(self, record: Record, when: datetime) -> None: ...

    def read(self, entity: str, record_id: str) -> Record: ...

    def _target(self, entity: str, body: dict[str, Any]) -> Record: ...

    def _stamp_new(
        self,
        entity: str,
        data: dict[str, Any],
        when: datetime,
        stamp: str | None = None,
        record_id: str | None = None,
        versioned: bool = True,
    ) -> Record: ...

    def _stamp_update(self, record: Record, data: dict[str, Any], when: datetime) -> None: ...

    def _refresh_customer_balance(self, customer_id: str) -> None: ...

    def insert(
        self,
        entity: str,
        data: dict[str, Any],
        when: datetime,
        stamp: str | None = None,
        *,
        record_id: str | None = None,
        versioned: bool = True,
    ) -> Record: ...
