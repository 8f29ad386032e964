"""In-memory state of the emulated organisations.

Each tenant (organisation) owns its records, keyed by id in insertion order, plus the indexes Xero enforces
uniqueness with (ACCREC invoice numbers, active contact names, item codes, account codes).  Records are plain
dicts using Xero field names with Python values: ``Decimal`` for money, ``date`` for ``Date``/``DueDate`` and
aware ``datetime`` for ``UpdatedDateUTC``.  ``serialize`` turns them into wire JSON.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

#: Entity name (as used by ``XeroEmulator.records``) → attribute of :class:`TenantState`.
COLLECTIONS: dict[str, str] = {
    "Invoice": "invoices",
    "Contact": "contacts",
    "Payment": "payments",
    "Account": "accounts",
    "Item": "items",
    "TaxRate": "tax_rates",
    "TrackingCategory": "tracking_categories",
    "Currency": "currencies",
    "ManualJournal": "manual_journals",
    "CreditNote": "credit_notes",
    "BankTransaction": "bank_transactions",
}


class IdFactory:
    """Mints GUIDs; deterministic when seeded so that seeded runs replay identically."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()

    def new(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token(self, nbytes: int = 32) -> str:
        return self._rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


@dataclass
class TenantState:
    tenant_id: str
    name: str
    base_currency: str
    country_code: str
    day_limit: int
    #: Xero's ``Version``: the region whose tax rates and chart the organisation started with.
    version: str = "GLOBAL"
    #: Whether the organisation's plan allows foreign currencies (Organisation Action ``UseMulticurrency``).
    multi_currency: bool = False
    organisation: Record = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    contacts: dict[str, Record] = field(default_factory=dict)
    payments: dict[str, Record] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)
    items: dict[str, Record] = field(default_factory=dict)
    #: TaxType → tax rate (system rates first, then ``TAX001``, ``TAX002``, ... in creation order).
    tax_rates: dict[str, Record] = field(default_factory=dict)
    tracking_categories: dict[str, Record] = field(default_factory=dict)
    #: Currency code → ``{"Code", "Description"}``: the base currency and the ones added.
    currencies: dict[str, Record] = field(default_factory=dict)
    manual_journals: dict[str, Record] = field(default_factory=dict)
    #: ACCRECCREDIT and ACCPAYCREDIT credit notes.
    credit_notes: dict[str, Record] = field(default_factory=dict)
    #: SPEND / RECEIVE money (bank transactions).
    bank_transactions: dict[str, Record] = field(default_factory=dict)
    #: Record id (lower case) → its attachments, bytes included (:mod:`.attachments`).
    attachments: dict[str, list[Record]] = field(default_factory=dict)
    #: Invoices emailed through ``POST /Invoices/{id}/Email`` (:mod:`.documents`), oldest first.
    emails: list[Record] = field(default_factory=list)
    next_tax_type: int = 1
    #: Upper-cased ACCREC invoice number → InvoiceID.
    invoice_numbers: dict[str, str] = field(default_factory=dict)
    #: Upper-cased name of an ACTIVE contact → ContactID.
    active_contact_names: dict[str, str] = field(default_factory=dict)
    #: Upper-cased item code → ItemID.
    item_codes: dict[str, str] = field(default_factory=dict)
    #: Upper-cased account code → AccountID.
    account_codes: dict[str, str] = field(default_factory=dict)
    next_invoice_number: int = 1

    def collection(self, entity: str) -> dict[str, Record]:
        try:
            attr = COLLECTIONS[entity]
        except KeyError as exc:
            raise KeyError(f"unknown entity {entity!r}; expected one of {sorted(COLLECTIONS)}") from exc
        result: dict[str, Record] = getattr(self, attr)
        return result

    def account_by_code(self, code: str) -> Record | None:
        account_id = self.account_codes.get(code.upper())
        return self.accounts.get(account_id) if account_id else None

    def item_by_code(self, code: str) -> Record | None:
        item_id = self.item_codes.get(code.upper())
        return self.items.get(item_id) if item_id else None

    def invoice_by_number(self, number: str) -> Record | None:
        invoice_id = self.invoice_numbers.get(number.upper())
        if invoice_id:
            return self.invoices.get(invoice_id)
        for record in self.invoices.values():  # ACCPAY numbers are not unique and not indexed
            if str(record.get("InvoiceNumber") or "").upper() == number.upper():
                return record
        return None

    def tax_rate(self, tax_type: str) -> Record | None:
        return self.tax_rates.get(tax_type.upper())

    def mint_invoice_number(self) -> str:
        while True:
            number = f"INV-{self.next_invoice_number:04d}"
            self.next_invoice_number += 1
            if number.upper() not in self.invoice_numbers:
                return number
