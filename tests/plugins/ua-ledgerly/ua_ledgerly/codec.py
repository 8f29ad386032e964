"""Ledgerly JSON ↔ unified models (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from unified_accounting import (
    Allocation,
    Customer,
    CustomerStatus,
    Invoice,
    InvoiceStatus,
    LineItem,
    LineItemType,
    Payment,
)
from unified_accounting.models import RecordMeta

STATES = {
    "draft": InvoiceStatus.DRAFT,
    "open": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "void": InvoiceStatus.VOID,
    "deleted": InvoiceStatus.DELETED,
}


def _meta(payload: Mapping[str, Any], include_raw: bool) -> dict[str, Any]:
    return {
        "id": payload["id"],
        "row_version": str(payload["version"]),
        "created_at": datetime.fromisoformat(payload["createdAt"]),
        "updated_at": datetime.fromisoformat(payload["updatedAt"]),
        "raw": dict(payload) if include_raw else None,
    }


class LedgerlyCodec:
    def decode(self, resource: str, payload: Mapping[str, Any] | bytes, include_raw: bool = False) -> Any:
        data: Mapping[str, Any] = json.loads(payload) if isinstance(payload, bytes) else payload
        if resource == "customer":
            return Customer(
                display_name=data["name"],
                email=data.get("email"),
                status=CustomerStatus.ARCHIVED if data.get("archived") else CustomerStatus.ACTIVE,
                **_meta(data, include_raw),
            )
        if resource == "invoice":
            total, balance = data["total"], data["balance"]
            status = STATES[data["state"]]
            if status is InvoiceStatus.OPEN and balance != total:
                status = InvoiceStatus.PARTIALLY_PAID
            return Invoice(
                number=data.get("number"),
                customer_id=data["customer"],
                currency=data.get("currency"),
                issue_date=date.fromisoformat(data["issuedOn"]) if data.get("issuedOn") else None,
                memo=data.get("notes"),
                status=status,
                line_items=[
                    LineItem(
                        type=LineItemType.DESCRIPTION if "qty" not in line else LineItemType.SALES_ITEM,
                        description=line.get("description"),
                        quantity=line.get("qty"),
                        unit_price=line.get("price"),
                    )
                    for line in data.get("lines", [])
                ],
                total=total,
                amount_due=balance,
                **_meta(data, include_raw),
            )
        if resource == "payment":
            return Payment(
                customer_id=data["customer"],
                total_amount=data["amount"],
                date=date.fromisoformat(data["paidOn"]) if data.get("paidOn") else None,
                allocations=[Allocation(invoice_id=data["invoice"], amount=data["amount"])],
                **_meta(data, include_raw),
            )
        raise ValueError(f"Ledgerly has no resource {resource!r}")

    def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]:
        return [self.decode(resource, row, include_raw) for row in json.loads(body)["data"]]

    def encode(self, model: RecordMeta) -> dict[str, Any]:
        payload = encode_fields(model, set(type(model).model_fields) - {"raw", "pass_through"}, model)
        return {**payload, **model.pass_through}


def encode_fields(model: RecordMeta, fields: set[str], values: Any) -> dict[str, Any]:
    """Ledgerly JSON for the given unified ``fields``, read from ``values`` (a model or a mapping)."""

    def get(name: str) -> Any:
        return values[name] if isinstance(values, Mapping) else getattr(values, name)

    out: dict[str, Any] = {}
    if isinstance(model, Customer) or model is Customer:
        if "display_name" in fields:
            out["name"] = get("display_name")
        if "email" in fields:
            out["email"] = get("email")
        if "status" in fields:
            out["archived"] = get("status") == CustomerStatus.ARCHIVED
    elif isinstance(model, Invoice) or model is Invoice:
        simple = {"number": "number", "customer_id": "customer", "currency": "currency", "memo": "notes"}
        out.update({wire: get(name) for name, wire in simple.items() if name in fields})
        if "issue_date" in fields and get("issue_date") is not None:
            out["issuedOn"] = get("issue_date").isoformat()
        if "status" in fields and get("status") == InvoiceStatus.DRAFT:
            out["state"] = "draft"
        if "line_items" in fields:
            out["lines"] = [
                {"description": line.description}
                | (
                    {"qty": str(line.quantity), "price": str(line.unit_price)}
                    if line.quantity is not None
                    else {}
                )
                for line in get("line_items")
            ]
    elif isinstance(model, Payment) or model is Payment:
        allocation = get("allocations")[0]
        out = {
            "customer": get("customer_id"),
            "invoice": allocation.invoice_id,
            "amount": str(get("total_amount")),
        }
        if get("date") is not None:
            out["paidOn"] = get("date").isoformat()
    return {k: v for k, v in out.items() if v is not None}
