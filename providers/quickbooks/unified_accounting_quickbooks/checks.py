"""Checks of a write against the company it goes to, made before any call that changes the books.

:mod:`support` refuses what QuickBooks never stores; these refuse what this company would: a
tax-inclusive invoice in a US company, two tax rates on one US invoice, a document currency the
company or the customer cannot take, tracking the company's preferences turn off, a P.O. number
without the custom field that holds it. Each issue names the field and what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from unified_accounting.errors import FieldIssue
from unified_accounting.models import LineItemType, TaxMode, TrackingRef

from . import contacts, taxes, tracking
from .company import CompanySetup
from .terms import QUICKBOOKS_RULES, REFUSED

#: Decimals QuickBooks keeps on unit prices and quantities (see :data:`taxes.UNIT_PRICE_DECIMALS`).
UNIT_DECIMALS = taxes.UNIT_PRICE_DECIMALS


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def static_issues(resource: str, values: Mapping[str, Any]) -> list[FieldIssue]:
    """What no QuickBooks company takes, whatever its setup."""
    issues: list[FieldIssue] = []
    terms = values.get("terms")
    if terms is not None and terms.type not in QUICKBOOKS_RULES:
        issues.append(FieldIssue("terms.type", REFUSED))
    if resource == "invoice":
        for index, line in enumerate(values.get("line_items") or ()):
            issues += _line_issues(index, line)
        tags = values.get("tracking") or ()
        issues += _tag_issues("tracking", tags, allowed=tracking.CATEGORIES)
    if resource == "customer":
        if "emails" in values or "email" in values:
            issues += contacts.email_issues(values.get("emails") or (), values.get("email"))
        issues += contacts.phone_issues(values.get("phones") or ())
    return issues


def _line_issues(index: int, line: Any) -> list[FieldIssue]:
    where = f"line_items.{index}"
    issues = []
    for name in ("quantity", "unit_price"):
        value = getattr(line, name)
        if value is not None and _decimals(value) > UNIT_DECIMALS:
            issues.append(
                FieldIssue(
                    f"{where}.{name}",
                    f"QuickBooks keeps {UNIT_DECIMALS} decimals of a {name.replace('_', ' ')}: round it",
                )
            )
    if line.type is LineItemType.SALES_ITEM and line.discount_amount is not None:
        issues.append(
            FieldIssue(
                f"{where}.discount_amount",
                "QuickBooks has no per-line discount: add a discount line (type discount) instead",
            )
        )
    issues += _tag_issues(f"{where}.tracking", line.tracking or (), allowed=(tracking.CLASS,))
    return issues


def _tag_issues(where: str, tags: Sequence[TrackingRef], *, allowed: Sequence[str]) -> list[FieldIssue]:
    issues = []
    seen: set[str] = set()
    for index, tag in enumerate(tags):
        if tag.category_id not in allowed:
            issues.append(
                FieldIssue(
                    f"{where}.{index}.category_id",
                    f"QuickBooks tracks {' and '.join(allowed)} here (category ids "
                    f"{', '.join(repr(a) for a in allowed)}), not {tag.category_id!r}",
                )
            )
        elif tag.category_id in seen:
            issues.append(
                FieldIssue(
                    f"{where}.{index}",
                    f"QuickBooks takes one {tag.category_id} per {'line' if '.' in where else 'invoice'}",
                )
            )
        seen.add(tag.category_id)
    return issues


def setup_issues(
    resource: str,
    values: Mapping[str, Any],
    setup: CompanySetup,
    *,
    mode: TaxMode | None = None,
    known_codes: Mapping[str, Sequence[Decimal]] | None = None,
    stored_currency: str | None = None,
) -> list[FieldIssue]:
    """What this company refuses. ``mode`` is the document's tax mode (given, or the stored one on an
    update); ``known_codes`` the company's tax codes (needed to split tax-inclusive lines);
    ``stored_currency`` the currency of the record as stored (an update)."""
    issues: list[FieldIssue] = []
    currency = values.get("currency")
    if currency is not None and currency != setup.home_currency and not setup.multi_currency:
        issues.append(
            FieldIssue(
                "currency",
                f"multi-currency is off in this QuickBooks company: its documents and customers are in "
                f"{setup.home_currency} (a company turns it on in QuickBooks' settings, never back off)",
            )
        )
    rate = values.get("currency_rate")
    currency = currency or stored_currency
    if rate is not None and rate != 1 and (currency is None or currency == setup.home_currency):
        issues.append(
            FieldIssue(
                "currency_rate",
                f"applies to documents in a foreign currency; this one is in the home currency "
                f"{setup.home_currency} (rate 1)",
            )
        )
    if resource != "invoice":
        return issues
    if mode is TaxMode.INCLUSIVE and setup.us:
        issues.append(
            FieldIssue(
                "tax_mode",
                "QuickBooks US companies have no tax-inclusive amounts: send net prices with tax_mode "
                "exclusive (sales tax is added on top)",
            )
        )
    lines = list(values.get("line_items") or ())
    if setup.us:
        issues += _us_code_issues(lines, mode)
    elif mode is TaxMode.INCLUSIVE and known_codes is not None:
        for index, line in enumerate(lines):
            code = line.tax_rate_id
            if line.type is LineItemType.SALES_ITEM and code is not None and code not in known_codes:
                issues.append(
                    FieldIssue(
                        f"line_items.{index}.tax_rate_id",
                        f"{code!r} is no tax rate of this company (see conn.tax_rates.list())",
                    )
                )
    issues += _tracking_issues(values, lines, setup)
    if values.get("po_number") and setup.po_field is None:
        issues.append(
            FieldIssue(
                "po_number",
                'this QuickBooks company has no "P.O. Number" sales form custom field turned on: turn '
                "one on in its settings (Sales form content), or use custom_fields",
            )
        )
    return issues


def _us_code_issues(lines: Sequence[Any], mode: TaxMode | None) -> list[FieldIssue]:
    issues = []
    first: str | None = None
    for index, line in enumerate(lines):
        code = line.tax_rate_id
        if code in (None, taxes.TAX, taxes.NON):
            continue
        if mode is TaxMode.NO_TAX:
            issues.append(
                FieldIssue(
                    f"line_items.{index}.tax_rate_id",
                    "a no_tax invoice names no tax rate (leave it out, or use tax_mode exclusive)",
                )
            )
        elif first is None:
            first = code
        elif code != first:
            issues.append(
                FieldIssue(
                    f"line_items.{index}.tax_rate_id",
                    f"QuickBooks US companies apply one tax rate per invoice: this line names {code!r}, "
                    f"an earlier one {first!r} (mark untaxed lines with 'NON')",
                )
            )
    return issues


def _tracking_issues(
    values: Mapping[str, Any], lines: Sequence[Any], setup: CompanySetup
) -> list[FieldIssue]:
    issues = []
    for index, tag in enumerate(values.get("tracking") or ()):
        if tag.category_id == tracking.DEPARTMENT and not setup.track_departments:
            issues.append(
                FieldIssue(
                    f"tracking.{index}",
                    f"{setup.department_label} tracking is off in this QuickBooks company "
                    "(Preferences TrackDepartments)",
                )
            )
        if tag.category_id == tracking.CLASS and setup.class_tracking != "transaction":
            issues.append(
                FieldIssue(
                    f"tracking.{index}",
                    "this QuickBooks company tracks classes per line: tag the lines"
                    if setup.class_tracking == "line"
                    else "class tracking is off in this QuickBooks company",
                )
            )
    for number, line in enumerate(lines):
        for index, tag in enumerate(line.tracking or ()):
            if tag.category_id == tracking.CLASS and setup.class_tracking != "line":
                issues.append(
                    FieldIssue(
                        f"line_items.{number}.tracking.{index}",
                        "this QuickBooks company tracks classes per invoice: tag the invoice (tracking)"
                        if setup.class_tracking == "transaction"
                        else "class tracking is off in this QuickBooks company",
                    )
                )
    return issues


#: Item types QuickBooks lets the API write (groups and categories are made in its screens).
WRITABLE_ITEM_TYPES = ("service", "inventory", "non_inventory")


def item_issues(item: Any) -> list[FieldIssue]:
    """A new item QuickBooks would refuse: its type, and the accounts and quantity its type needs
    (Intuit's Item reference: every sold item names an income account; an inventory item also
    an expense (cost of sales) account, an asset account and its quantity on hand)."""
    issues = _item_type_issues(item.type)
    kind = getattr(item.type, "value", item.type)
    if kind == "inventory":
        if item.sales is None or not item.sales.account_id:
            issues.append(
                FieldIssue("sales.account_id", "a QuickBooks inventory item needs its income account")
            )
        if item.purchase is None or not item.purchase.account_id:
            issues.append(
                FieldIssue(
                    "purchase.account_id", "a QuickBooks inventory item needs its cost of sales account"
                )
            )
        if not item.inventory_account_id:
            issues.append(
                FieldIssue(
                    "inventory_account_id", "a QuickBooks inventory item needs its inventory asset account"
                )
            )
        if item.quantity_on_hand is None:
            issues.append(
                FieldIssue("quantity_on_hand", "a QuickBooks inventory item starts with a quantity on hand")
            )
    elif item.sales is None and item.purchase is None:
        issues.append(
            FieldIssue(
                "sales", "a QuickBooks item is sold or bought: give sales (or purchase) with its account"
            )
        )
    return issues


def item_update_issues(fields: Mapping[str, Any]) -> list[FieldIssue]:
    return _item_type_issues(fields["type"]) if fields.get("type") is not None else []


def _item_type_issues(kind: Any) -> list[FieldIssue]:
    value = getattr(kind, "value", kind)
    if value in WRITABLE_ITEM_TYPES:
        return []
    return [
        FieldIssue(
            "type",
            f"QuickBooks items of type {value} are made in QuickBooks itself: the API writes "
            f"{', '.join(WRITABLE_ITEM_TYPES)} items",
        )
    ]


def expense_line_issues(lines: Sequence[Any]) -> list[FieldIssue]:
    """Bill (and expense) lines QuickBooks cannot hold: each names an expense account or an item,
    and there are no discount, description or group lines on the purchase side."""
    issues = []
    for index, line in enumerate(lines):
        where = f"line_items.{index}"
        if line.type is not LineItemType.SALES_ITEM:
            issues.append(
                FieldIssue(
                    f"{where}.type",
                    f"QuickBooks bill lines are account or item lines, not {line.type.value} lines",
                )
            )
        elif not line.account_id and not line.item_id:
            issues.append(
                FieldIssue(
                    f"{where}.account_id",
                    "a QuickBooks bill line names the expense account (account_id) or an item (item_id)",
                )
            )
        elif line.account_id and line.item_id:
            issues.append(
                FieldIssue(
                    f"{where}.item_id",
                    "a QuickBooks bill line is by account or by item, not both: leave account_id out "
                    "(the item's expense account is used)",
                )
            )
        elif line.discount_percentage is not None or line.discount_amount is not None:
            issues.append(FieldIssue(f"{where}.discount_amount", "QuickBooks bill lines have no discount"))
    return issues
