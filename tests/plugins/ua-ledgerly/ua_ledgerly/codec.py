"""Ledgerly JSON ↔ unified models (pure functions), one :class:`Wire` entry per resource.

This table is everything Ledgerly-specific about a resource: where Ledgerly serves it, what it
supports there, how its fields map, which list filters its API takes and which unified fields it
cannot store. The provider derives its capabilities, list filters, field support and URLs from
it; ``unified_accounting.codec.RecordCodec`` turns the mappings into the ``Codec``
contract (provider context, ``raw``, one unreadable record never failing a page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from unified_accounting import (
    RESOURCES,
    AccountClassification,
    CustomerStatus,
    InvoiceStatus,
    LineItemType,
    ReportName,
)
from unified_accounting.codec import RecordCodec
from unified_accounting.models import RecordMeta

STATES = {
    "draft": InvoiceStatus.DRAFT,
    "open": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "void": InvoiceStatus.VOID,
    "deleted": InvoiceStatus.DELETED,
}

#: The state Ledgerly keeps for each unified status it can hold (it derives partially paid from the
#: balance, and has no submitted state).
STATE_OF = {
    InvoiceStatus.DRAFT: "draft",
    InvoiceStatus.OPEN: "open",
    InvoiceStatus.PARTIALLY_PAID: "open",
    InvoiceStatus.PAID: "paid",
    InvoiceStatus.VOID: "void",
    InvoiceStatus.DELETED: "deleted",
}

Fields = dict[str, Any]
#: A unified list filter's value → the value of Ledgerly's query parameter (``None``: do not send).
FilterValue = Callable[[Any], str | None]


@dataclass(frozen=True)
class Wire:
    """How Ledgerly serves one unified resource."""

    #: The collection's URL segment: ``/v1/companies/{company}/{collection}``.
    collection: str
    #: The operations Ledgerly offers on it (its capabilities).
    operations: str
    #: Ledgerly JSON → the unified fields.
    read: Callable[[Mapping[str, Any]], Fields]
    #: The unified fields given (all of a new record, or the changes of an update) → Ledgerly JSON.
    write: Callable[[Mapping[str, Any]], Fields]
    #: Unified list filter → Ledgerly's query parameter and how its value is written
    #: (``updated_since`` is always ``modified_after``).
    filters: Mapping[str, tuple[str, FilterValue]] = field(default_factory=dict)
    #: The unified fields Ledgerly does not simply store (``Provider.field_support``).
    field_support: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _meta(data: Mapping[str, Any]) -> Fields:
    return {
        "id": data["id"],
        "row_version": str(data["version"]),
        "created_at": datetime.fromisoformat(data["createdAt"]),
        "updated_at": datetime.fromisoformat(data["updatedAt"]),
    }


def _kept(out: Fields) -> Fields:
    return {key: value for key, value in out.items() if value is not None}


# --------------------------------------------------------------------------------- customers


def read_customer(data: Mapping[str, Any]) -> Fields:
    return {
        "display_name": data["name"],
        "email": data.get("email"),
        "status": CustomerStatus.ARCHIVED if data.get("archived") else CustomerStatus.ACTIVE,
    }


def write_customer(values: Mapping[str, Any]) -> Fields:
    out: Fields = {}
    if "display_name" in values:
        out["name"] = values["display_name"]
    if "email" in values:
        out["email"] = values["email"]
    if "status" in values:
        out["archived"] = values["status"] == CustomerStatus.ARCHIVED
    return _kept(out)


# ---------------------------------------------------------------------------------- invoices


def read_invoice(data: Mapping[str, Any]) -> Fields:
    total, balance = data["total"], data["balance"]
    status = STATES[data["state"]]
    if status is InvoiceStatus.OPEN and balance != total:
        status = InvoiceStatus.PARTIALLY_PAID
    return {
        "number": data.get("number"),
        "customer_id": data["customer"],
        "currency": data.get("currency"),
        "issue_date": date.fromisoformat(data["issuedOn"]) if data.get("issuedOn") else None,
        "memo": data.get("notes"),
        "status": status,
        "line_items": [
            {
                "type": LineItemType.DESCRIPTION if "qty" not in line else LineItemType.SALES_ITEM,
                "description": line.get("description"),
                "quantity": line.get("qty"),
                "unit_price": line.get("price"),
            }
            for line in data.get("lines", [])
        ],
        "total": total,
        "amount_due": balance,
    }


def invoice_states(statuses: tuple[InvoiceStatus, ...]) -> str | None:
    """The ``state`` values holding invoices of these statuses (comma-separated; Ledgerly's open
    state holds open and partially paid ones, which the core tells apart). ``None`` when no state
    can hold them: the list is then not narrowed, and the core keeps nothing."""
    states = sorted({STATE_OF[status] for status in statuses if status in STATE_OF})
    return ",".join(states) or None


#: What Ledgerly's invoices cannot hold, and what it computes.
INVOICE_FIELD_SUPPORT: dict[str, tuple[str, str]] = {
    "tax_mode": ("refused", "Ledgerly invoices carry no tax: leave tax_mode out"),
    "line_items.tax_rate_id": ("refused", "Ledgerly lines carry no tax: leave tax_rate_id out"),
    "line_items.tax_amount": ("refused", "Ledgerly lines carry no tax: leave tax_amount out"),
    "tracking": ("refused", "Ledgerly has no tracking categories"),
    "line_items.tracking": ("refused", "Ledgerly has no tracking categories"),
    "line_items.discount_percentage": ("refused", "Ledgerly lines take no discount: lower unit_price"),
    "line_items.discount_amount": ("refused", "Ledgerly lines take no discount: lower unit_price"),
    "currency_rate": ("refused", "Ledgerly keeps no exchange rates"),
    "total": ("computed", "the sum of quantity × unit_price over the lines"),
    "amount_due": ("computed", "the total less the payments"),
    "status": (
        "mapped",
        "only draft can be asked for on create; partially_paid is an open invoice with payments",
    ),
}


def write_invoice(values: Mapping[str, Any]) -> Fields:
    simple = {"number": "number", "customer_id": "customer", "currency": "currency", "memo": "notes"}
    out: Fields = {wire: values[name] for name, wire in simple.items() if name in values}
    if values.get("issue_date") is not None:
        out["issuedOn"] = values["issue_date"].isoformat()
    if values.get("status") == InvoiceStatus.DRAFT:
        out["state"] = "draft"
    if "line_items" in values:
        out["lines"] = [
            {"description": line.description}
            | (
                {"qty": str(line.quantity), "price": str(line.unit_price)}
                if line.quantity is not None
                else {}
            )
            for line in values["line_items"]
        ]
    return _kept(out)


# ---------------------------------------------------------------------------------- payments


def read_payment(data: Mapping[str, Any]) -> Fields:
    return {
        "customer_id": data["customer"],
        "total_amount": data["amount"],
        "date": date.fromisoformat(data["paidOn"]) if data.get("paidOn") else None,
        "allocations": [{"invoice_id": data["invoice"], "amount": data["amount"]}],
    }


def write_payment(values: Mapping[str, Any]) -> Fields:
    allocation = values["allocations"][0]
    out: Fields = {
        "customer": values.get("customer_id"),
        "invoice": allocation.invoice_id,
        "amount": str(values["total_amount"]),
    }
    if values.get("date") is not None:
        out["paidOn"] = values["date"].isoformat()
    return _kept(out)


# -------------------------------------------------------------------------------- tax rates


def read_tax_rate(data: Mapping[str, Any]) -> Fields:
    return {
        "name": data["label"],
        "code": data.get("code"),
        "rate": data["percent"],
        "status": data.get("state", "active"),
        "applies_to": list(data.get("scope") or []),
        "components": [
            {"name": part.get("label"), "rate": part["percent"], "compound": bool(part.get("compound"))}
            for part in data.get("parts") or []
        ],
    }


def write_tax_rate(values: Mapping[str, Any]) -> Fields:
    out: Fields = {"label": values.get("name"), "code": values.get("code")}
    if values.get("rate") is not None:
        out["percent"] = str(values["rate"])
    if values.get("status") is not None:
        out["state"] = str(values["status"])
    if values.get("applies_to"):
        out["scope"] = [str(use) for use in values["applies_to"]]
    if values.get("components"):
        out["parts"] = [
            {"label": part.name, "percent": str(part.rate), "compound": part.compound}
            for part in values["components"]
        ]
    return _kept(out)


#: Every resource Ledgerly serves.
WIRE: dict[str, Wire] = {
    "customer": Wire("customers", "create get list update", read_customer, write_customer),
    "invoice": Wire(
        "invoices",
        "create get list update delete void pdf",
        read_invoice,
        write_invoice,
        # Number, issue dates and creation time are left to the core: Ledgerly's API has no such filter.
        filters={"customer_id": ("customer", str), "status": ("state", invoice_states)},
        field_support=INVOICE_FIELD_SUPPORT,
    ),
    "payment": Wire("payments", "create get list", read_payment, write_payment),
    "tax_rate": Wire(
        "taxRates", "create get list", read_tax_rate, write_tax_rate, filters={"status": ("state", str)}
    ),
}


def resource_of(model: RecordMeta) -> str:
    """The unified resource a model is a record of."""
    for name, spec in RESOURCES.items():
        if isinstance(model, spec.model):
            return name
    raise ValueError(f"Ledgerly stores no {type(model).__name__}")


class LedgerlyCodec(RecordCodec):
    provider = "ledgerly"

    def fields(self, resource: str, data: Mapping[str, Any]) -> Fields:
        return {**_meta(data), **WIRE[resource].read(data)}

    def rows(self, resource: str, body: Any) -> Iterable[Any]:
        data = self.parse(body) if isinstance(body, bytes | str) else body
        return data["data"]  # type: ignore[no-any-return]

    def encode(self, model: RecordMeta) -> dict[str, Any]:
        values = {name: getattr(model, name) for name in type(model).model_fields}
        return {**WIRE[resource_of(model)].write(values), **model.pass_through}

    def encode_changes(self, resource: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The Ledgerly JSON of a partial update (``changes`` maps unified fields to values)."""
        return {**WIRE[resource].write(changes), **changes.get("pass_through", {})}


# ----------------------------------------------------------------------- reports and files

#: Ledgerly's report names and account classes, in unified terms.
REPORT_PATHS = {
    ReportName.PROFIT_AND_LOSS: "profitAndLoss",
    ReportName.BALANCE_SHEET: "balanceSheet",
    ReportName.TRIAL_BALANCE: "trialBalance",
    ReportName.AGED_RECEIVABLES: "agedReceivables",
}
CLASSES = {
    "asset": AccountClassification.ASSET,
    "liability": AccountClassification.LIABILITY,
    "equity": AccountClassification.EQUITY,
    "revenue": AccountClassification.INCOME,
    "expense": AccountClassification.EXPENSE,
}
COLUMN_KINDS = {"label": "label", "money": "amount", "date": "date"}


def _report_row(line: Mapping[str, Any], kind: str) -> Fields:
    return {
        "kind": kind,
        "label": line.get("label") or "",
        "ledger_account_id": line.get("account"),
        "document_id": line.get("invoice"),
        "values": dict(line.get("cells") or {}),
    }


def _report_section(section: Mapping[str, Any]) -> Fields:
    total = section.get("total")
    return {
        "kind": "section",
        "label": section.get("title") or "",
        "party_id": section.get("customer"),
        "classification": CLASSES.get(section.get("class") or ""),
        "rows": [_report_row(line, "row") for line in section.get("lines") or []],
        "total": None if total is None else _report_row(total, "total"),
    }


def read_report(name: ReportName, data: Mapping[str, Any]) -> Fields:
    """A Ledgerly report as the unified :class:`~unified_accounting.Report`'s fields: every
    section, line, summary row and cell, the account, customer and invoice ids on their rows."""
    if data.get("report") != REPORT_PATHS[name]:
        raise ValueError(f"expected the {REPORT_PATHS[name]} report, got {data.get('report')!r}")
    columns = [
        {
            "key": column["key"],
            "title": column.get("title") or "",
            "kind": COLUMN_KINDS.get(column.get("type"), "text"),
            "start_date": column.get("from"),
            "end_date": column.get("to"),
        }
        for column in data["columns"]
    ]
    return {
        "name": name,
        "title": data.get("title") or "",
        "start_date": data.get("from"),
        "end_date": data.get("to"),
        "as_of": data.get("asOf"),
        "currency": data.get("currency"),
        "basis": data.get("basis"),
        "columns": columns,
        "rows": [
            *(_report_section(section) for section in data.get("sections") or []),
            *(_report_row(line, "total") for line in data.get("summary") or []),
        ],
    }


#: Ledgerly collections that hold files → the unified resource.
ATTACHABLE = {"invoices": "invoice", "payments": "payment"}


def read_attachment(data: Mapping[str, Any]) -> Fields:
    parent = data.get("parent") or {}
    return {
        **_meta(data),
        "file_name": data["fileName"],
        "content_type": data.get("mimeType"),
        "size": data.get("bytes"),
        "resource": ATTACHABLE.get(parent.get("collection", "")),
        "record_id": parent.get("id"),
        "note": data.get("note"),
        "include_online": bool(data.get("public")),
        "download_url": data.get("downloadUrl"),
    }
