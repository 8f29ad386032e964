"""Tax rates (``/TaxRates``) and the tax of a document line.

An organisation starts with its region's system rates (:mod:`.regions`; option ``tax_rates`` changes rates
or adds rates by ``TaxType``).  ``GET /TaxRates`` lists every rate, deleted ones included with their status;
``GET /TaxRates/{TaxType}`` reads one.  ``PUT`` creates one rate per request and mints its ``TaxType``
(``TAX001``, ``TAX002``, ...); a ``TaxType`` in a PUT body is ignored.  ``POST`` updates the rate its body
names by ``TaxType`` (else by ``Name``) or creates one.  Rules, from Xero's Tax Rates page:

* creating a rate in an AU, NZ or UK organisation needs a ``ReportTaxType`` the region lets the API set;
  ``CanApplyTo*`` follow from it (output types: not on expense accounts; input types: not on revenue);
* system rates cannot be updated; an update must send every existing component (a component cannot be
  renamed or removed, only added);
* ``Status: DELETED`` deletes a rate, or archives it when a document line used it; neither can be used
  or updated again.

``DisplayTaxRate`` is the sum of the component rates; ``EffectiveRate`` charges a compound component on
the amount plus the other components' tax (Xero's exact compound formula is UNVERIFIED).

Line tax follows the rounding Xero documents and its recorded responses show (see ``docs`` and the tests'
worked examples): per line, on the discounted ``LineAmount``, half-up to 2 dp; exclusive
``LineAmount × r / 100``, inclusive ``LineAmount × r / (100 + r)``, no tax 0.  A ``TaxAmount`` sent on a
line overrides the calculation (Xero accepts an override on invoices).  Messages whose wording no source
gives are marked UNVERIFIED where they are raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import ValidationFailed
from .journal import Journal
from .regions import (
    ACCOUNT_CLASSES,
    APPLY_FIELDS,
    REPORT_TYPE_REQUIRED,
    SETTABLE_REPORT_TYPES,
    TAX_TABLES,
    SystemRate,
)
from .state import Record, TenantState

HUNDRED = Decimal(100)
FOUR_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")
#: Report tax types that mark a rate charged on sales (``CanApplyToExpenses`` false) and on purchases
#: (``CanApplyToRevenue`` false).
OUTPUT_REPORT_TYPES = frozenset({"OUTPUT", "EXEMPTOUTPUT", "ECOUTPUT", "ECOUTPUTSERVICES", "MOSSSALES"})
INPUT_REPORT_TYPES = frozenset(
    {"INPUT", "EXEMPTINPUT", "EXEMPTEXPENSES", "ECINPUT", "ECACQUISITIONS", "CAPITALEXPENSESINPUT"}
)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(value: Any, field: str) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field} must be a number.") from None
    if not rate.is_finite() or rate < 0 or rate > HUNDRED:
        raise ValidationFailed(f"{field} must be between 0 and 100.")  # UNVERIFIED wording
    return rate.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def rates_of(components: list[Record]) -> tuple[Decimal, Decimal]:
    """(DisplayTaxRate, EffectiveRate) of a rate's components."""
    simple = sum((c["Rate"] for c in components if not c.get("IsCompound")), Decimal(0))
    compound = sum((c["Rate"] for c in components if c.get("IsCompound")), Decimal(0))
    display = simple + compound
    effective = simple + compound * (HUNDRED + simple) / HUNDRED
    return display.quantize(FOUR_PLACES), effective.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _flags(applies: str) -> dict[str, bool]:
    return {APPLY_FIELDS[kind]: digit == "1" for kind, digit in zip(ACCOUNT_CLASSES, applies, strict=True)}


def _flags_for_report_type(report_type: str | None) -> dict[str, bool]:
    if report_type in OUTPUT_REPORT_TYPES:
        return _flags("11011")
    if report_type in INPUT_REPORT_TYPES:
        return _flags("11110")
    return _flags("11111")


def _finish(rate: Record) -> Record:
    rate["DisplayTaxRate"], rate["EffectiveRate"] = rates_of(rate["TaxComponents"])
    return rate


def system_rate(row: SystemRate) -> Record:
    component = {"Name": row.component, "Rate": row.rate.quantize(FOUR_PLACES), "IsCompound": False}
    return _finish(
        {
            "Name": row.name,
            "TaxType": row.tax_type,
            "ReportTaxType": row.report_tax_type,
            "Status": "ACTIVE",
            "TaxComponents": [{**component, "IsNonRecoverable": False}],
            **_flags(row.applies),
            "_System": row.system,
        }
    )


def seed_tax_rates(t: TenantState, overrides: Mapping[str, Decimal | int | str] | None) -> None:
    """The region's default rates, then ``overrides`` (TaxType → percent): a rate of the table gets the
    new percentage, another TaxType is added as a rate of that name usable on any account."""
    for row in TAX_TABLES.get(t.version, TAX_TABLES["GLOBAL"]):
        t.tax_rates[row.tax_type] = system_rate(row)
    for tax_type, value in (overrides or {}).items():
        code = tax_type.upper()
        rate = Decimal(str(value)).quantize(FOUR_PLACES)
        existing = t.tax_rates.get(code)
        if existing is None:
            existing = system_rate(SystemRate(code, code, rate, code))
        else:
            existing["TaxComponents"] = [{**existing["TaxComponents"][0], "Rate": rate}]
        t.tax_rates[code] = _finish(existing)


def usable_rate(t: TenantState, tax_type: str) -> Record | None:
    """The rate a line may use: it exists and is active."""
    rate = t.tax_rate(tax_type)
    return rate if rate is not None and rate.get("Status") == "ACTIVE" else None


def can_apply(rate: Record, account: Record | None) -> bool:
    """Whether ``rate`` may be used on a line coded to ``account`` (its class's ``CanApplyTo*`` flag)."""
    if account is None:
        return True
    flag = APPLY_FIELDS.get(str(account.get("Class") or "").upper())
    return flag is None or bool(rate.get(flag, True))


def line_tax(mode: str, line_amount: Decimal, percent: Decimal) -> Decimal:
    """Xero's tax on one line: on the discounted line amount, half-up to 2 dp."""
    if mode == "NoTax":
        return Decimal("0.00")
    if mode == "Inclusive":
        return _money(line_amount * percent / (HUNDRED + percent))
    return _money(line_amount * percent / HUNDRED)


def mark_used(t: TenantState, journal: Journal, tax_type: str) -> None:
    rate = t.tax_rates.get(tax_type)
    if rate is not None and not rate.get("_Used"):
        journal.set(t.tax_rates, tax_type, {**rate, "_Used": True})


# --------------------------------------------------------------------------------------------- writes


def _components(value: Any, errors: list[str]) -> list[Record]:
    if not isinstance(value, list) or not value:
        errors.append("At least one tax component must be specified.")  # UNVERIFIED wording
        return []
    result: list[Record] = []
    for entry in value:
        if not isinstance(entry, Mapping) or not str(entry.get("Name") or "").strip():
            errors.append("Each tax component needs a Name.")  # UNVERIFIED wording
            continue
        try:
            rate = _percent(entry.get("Rate", 0), "Rate")
        except ValidationFailed as exc:
            errors.extend(exc.messages)
            continue
        result.append(
            {
                "Name": str(entry["Name"]).strip(),
                "Rate": rate,
                "IsCompound": _truthy(entry.get("IsCompound")),
                "IsNonRecoverable": _truthy(entry.get("IsNonRecoverable")),
            }
        )
    return result


def _truthy(value: Any) -> bool:
    # The documentation's examples send booleans as strings ("false").
    return value is True or str(value).strip().lower() == "true"


def _by_name(t: TenantState, name: str) -> Record | None:
    wanted = name.strip().casefold()
    for rate in t.tax_rates.values():
        if str(rate.get("Name") or "").casefold() == wanted and rate.get("Status") != "DELETED":
            return rate
    return None


def write_tax_rate(t: TenantState, journal: Journal, data: Mapping[str, Any], method: str) -> Record:
    """Create (PUT, or POST of an unknown rate) or update (POST) one tax rate."""
    existing: Record | None = None
    if method == "POST":
        if data.get("TaxType"):
            existing = t.tax_rate(str(data["TaxType"]))
            if existing is None:
                raise ValidationFailed(f"The TaxType code '{data['TaxType']}' does not exist.")
        elif data.get("Name"):
            existing = _by_name(t, str(data["Name"]))
    if existing is None:
        return _create(t, journal, data)
    return _update(t, journal, existing, data)


def _create(t: TenantState, journal: Journal, data: Mapping[str, Any]) -> Record:
    errors: list[str] = []
    name = str(data.get("Name") or "").strip()
    if not name:
        errors.append("Name must be specified.")  # UNVERIFIED wording
    elif _by_name(t, name) is not None:
        errors.append(f"A tax rate with the name '{name}' already exists.")  # UNVERIFIED wording
    components = _components(data.get("TaxComponents"), errors)
    report_type = str(data.get("ReportTaxType") or "").upper() or None
    if t.version in REPORT_TYPE_REQUIRED:
        if report_type is None:
            errors.append("ReportTaxType must be specified for this organisation.")  # UNVERIFIED wording
        elif report_type not in SETTABLE_REPORT_TYPES[t.version]:
            errors.append(f"ReportTaxType '{report_type}' is not valid for this organisation.")  # UNVERIFIED
    status = str(data.get("Status") or "ACTIVE").upper()
    if status != "ACTIVE":
        errors.append("A new tax rate must be ACTIVE.")  # UNVERIFIED wording
    if errors:
        raise ValidationFailed(*errors)
    number = t.next_tax_type
    while f"TAX{number:03d}" in t.tax_rates:
        number += 1
    journal.setattr(t, "next_tax_type", number + 1)
    tax_type = f"TAX{number:03d}"
    rate = _finish(
        {
            "Name": name,
            "TaxType": tax_type,
            **({"ReportTaxType": report_type} if report_type else {}),
            "Status": "ACTIVE",
            "TaxComponents": components,
            **_flags_for_report_type(report_type),
        }
    )
    journal.set(t.tax_rates, tax_type, rate)
    return rate


def _update(t: TenantState, journal: Journal, existing: Record, data: Mapping[str, Any]) -> Record:
    if existing.get("_System"):
        raise ValidationFailed("System defined tax rates cannot be updated.")  # UNVERIFIED wording
    if existing.get("Status") in ("DELETED", "ARCHIVED"):
        raise ValidationFailed(f"The tax rate '{existing['Name']}' is {existing['Status'].lower()}.")
    rate = dict(existing)
    errors: list[str] = []
    status = str(data.get("Status") or rate["Status"]).upper()
    if status not in ("ACTIVE", "DELETED"):
        # Rates are archived by Xero (a deleted rate that documents used), never by a request.
        errors.append(f"Status '{data.get('Status')}' is not valid.")  # UNVERIFIED wording
    if status == "DELETED":
        rate["Status"] = "ARCHIVED" if rate.get("_Used") else "DELETED"
        journal.set(t.tax_rates, rate["TaxType"], rate)
        return rate
    if data.get("Name") is not None:
        name = str(data["Name"]).strip()
        holder = _by_name(t, name) if name else None
        if not name:
            errors.append("Name must be specified.")  # UNVERIFIED wording
        elif holder is not None and holder["TaxType"] != rate["TaxType"]:
            errors.append(f"A tax rate with the name '{name}' already exists.")  # UNVERIFIED wording
        rate["Name"] = name
    if "TaxComponents" in data:
        given = _components(data["TaxComponents"], errors)
        names = {c["Name"].casefold() for c in given}
        missing = [c["Name"] for c in rate["TaxComponents"] if c["Name"].casefold() not in names]
        if missing:
            errors.append(
                "All existing tax components must be supplied; components cannot be renamed or removed "
                f"(missing: {', '.join(missing)})."
            )  # the rule is documented; this wording is UNVERIFIED
        rate["TaxComponents"] = given
    if errors:
        raise ValidationFailed(*errors)
    journal.set(t.tax_rates, rate["TaxType"], _finish(rate))
    return rate
