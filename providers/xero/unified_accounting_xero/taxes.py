"""Tax between Xero and the unified models: tax modes and ``TaxRates``.

``LineAmountTypes`` Exclusive / Inclusive / NoTax are the unified tax modes. A Xero tax rate is keyed by
its ``TaxType`` (``OUTPUT2``, ``TAX001``, a GUID in some US organisations: opaque), which is both its
unified ``id`` and its ``code``, and what lines name in ``tax_rate_id``. Its rate is Xero's
``EffectiveRate`` (components included); ``applies_to`` reads ``CanApplyToRevenue`` (sales) and
``CanApplyToExpenses`` (purchases).

A created rate needs a ``ReportTaxType`` in AU, NZ and UK organisations: ``OUTPUT`` for a rate applying
to sales only, ``INPUT`` for purchases only (``pass_through`` may name another). Xero then fills the
``CanApplyTo*`` flags from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from unified_accounting.models import TaxComponent, TaxMode, TaxRate, TaxRateStatus, TaxRateUse
from unified_accounting.models.context import from_provider

TO_LINE_AMOUNT_TYPES = {
    TaxMode.EXCLUSIVE: "Exclusive",
    TaxMode.INCLUSIVE: "Inclusive",
    TaxMode.NO_TAX: "NoTax",
}
_FROM_LINE_AMOUNT_TYPES = {value.upper(): mode for mode, value in TO_LINE_AMOUNT_TYPES.items()}
#: Organisation ``DefaultSalesTax`` (a display string) → the mode it names.
_DEFAULT_SALES_TAX = {
    "TAX EXCLUSIVE": TaxMode.EXCLUSIVE,
    "TAX INCLUSIVE": TaxMode.INCLUSIVE,
    "NO TAX": TaxMode.NO_TAX,
}
_STATUS = {
    "ACTIVE": TaxRateStatus.ACTIVE,
    "ARCHIVED": TaxRateStatus.ARCHIVED,
    "DELETED": TaxRateStatus.DELETED,
    # PENDING appears only in Xero's spec enum (meaning UNVERIFIED): the rate exists and is not retired.
    "PENDING": TaxRateStatus.ACTIVE,
}
#: Regions whose created rates need a ReportTaxType (Tax Rates page).
REPORT_TYPE_REGIONS = frozenset({"AU", "NZ", "GB", "UK"})


def tax_mode(line_amount_types: Any) -> TaxMode:
    """The mode of a document: Xero's ``LineAmountTypes``, exclusive when absent (Xero's default for
    invoices)."""
    return _FROM_LINE_AMOUNT_TYPES.get(str(line_amount_types or "Exclusive").upper(), TaxMode.EXCLUSIVE)


def default_sales_tax(display: Any) -> TaxMode | None:
    """The mode an organisation's ``DefaultSalesTax`` names (``None``: "Remember previous" and the like)."""
    return _DEFAULT_SALES_TAX.get(str(display or "").strip().upper())


def _flag(value: Any) -> bool:
    # Xero's documentation renders booleans as strings ("true"); real answers use JSON booleans.
    return value is True or str(value).strip().lower() == "true"


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def decode_tax_rate(data: Mapping[str, Any], meta: Mapping[str, Any]) -> TaxRate:
    """A Xero tax rate; ``meta`` holds the fields every record has (id, version, raw)."""
    components = [
        {
            "name": c.get("Name"),
            "rate": _decimal(c.get("Rate")) or Decimal(0),
            "compound": _flag(c.get("IsCompound")),
        }
        for c in data.get("TaxComponents") or []
        if isinstance(c, Mapping)
    ]
    rate = _decimal(data.get("EffectiveRate"))
    if rate is None:
        rate = _decimal(data.get("DisplayTaxRate"))
    if rate is None:
        rate = sum(
            (_decimal(c.get("Rate")) or Decimal(0) for c in data.get("TaxComponents") or []), Decimal(0)
        )
    applies_to = [
        use
        for use, flag in (
            (TaxRateUse.SALES, "CanApplyToRevenue"),
            (TaxRateUse.PURCHASES, "CanApplyToExpenses"),
        )
        if _flag(data.get(flag))
    ]
    tax_type = str(data.get("TaxType") or "")
    return from_provider(
        TaxRate,
        {
            "name": str(data.get("Name") or tax_type),
            "code": tax_type or None,
            "rate": rate,
            "status": _STATUS.get(str(data.get("Status") or "ACTIVE").upper(), TaxRateStatus.ACTIVE),
            "applies_to": applies_to,
            # A single component is the rate itself; components matter when there are several.
            "components": components if len(components) > 1 else [],
            **meta,
            "id": tax_type or None,
        },
    )


def encode_components(rate: TaxRate | Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """Xero's ``TaxComponents`` of a unified rate: its components, else one component of its rate."""
    components = rate.components if isinstance(rate, TaxRate) else rate.get("components") or []
    percent = rate.rate if isinstance(rate, TaxRate) else rate["rate"]
    if not components:
        return [{"Name": name, "Rate": percent, "IsCompound": False}]
    return [
        {"Name": c.name or name, "Rate": c.rate, "IsCompound": c.compound}
        for c in (TaxComponent.model_validate(c) if isinstance(c, Mapping) else c for c in components)
    ]


def report_tax_type(applies_to: list[TaxRateUse]) -> str | None:
    """The ReportTaxType of a rate for sales only (``OUTPUT``) or purchases only (``INPUT``)."""
    uses = set(applies_to)
    if uses == {TaxRateUse.SALES}:
        return "OUTPUT"
    if uses == {TaxRateUse.PURCHASES}:
        return "INPUT"
    return None


def encode_tax_rate(rate: TaxRate) -> dict[str, Any]:
    payload: dict[str, Any] = {"Name": rate.name, "TaxComponents": encode_components(rate, rate.name)}
    report = report_tax_type(rate.applies_to)
    if report is not None:
        payload["ReportTaxType"] = report
    return {**payload, **rate.pass_through}


def encode_tax_rate_changes(changes: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """A POST updating the rate ``current`` (Xero JSON): every existing component is sent again (Xero
    adds components but never drops or renames one)."""
    payload: dict[str, Any] = {"TaxType": current.get("TaxType")}
    if "name" in changes:
        payload["Name"] = changes["name"]
    existing = [dict(c) for c in current.get("TaxComponents") or [] if isinstance(c, Mapping)]
    if changes.get("components"):
        given = encode_components({"components": changes["components"], "rate": 0}, str(current.get("Name")))
        names = {c["Name"].casefold() for c in given}
        payload["TaxComponents"] = [c for c in existing if str(c.get("Name")).casefold() not in names] + given
    elif "rate" in changes:
        # A simple rate: its one component takes the new rate, under its own name.
        name = existing[0]["Name"] if existing else str(current.get("Name"))
        payload["TaxComponents"] = [{"Name": name, "Rate": changes["rate"], "IsCompound": False}]
    if "status" in changes and TaxRateStatus(changes["status"]) is TaxRateStatus.DELETED:
        payload["Status"] = "DELETED"
    return {**payload, **dict(changes.get("pass_through") or {})}
