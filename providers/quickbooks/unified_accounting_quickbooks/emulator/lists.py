"""The company's own lists: terms, classes, departments, tax agencies, tax codes (TaxService),
preferences and exchange rates.

From Intuit's API reference (Term, Class, Department, TaxAgency, TaxService, Preferences,
ExchangeRate entity pages):

* ``Term``: ``Name`` (≤ 31 characters) and either ``DueDays`` (0–999, ``Type`` ``STANDARD``) or
  ``DayOfMonthDue`` (1–31, ``Type`` ``DATE_DRIVEN``, with ``DueNextMonthDays``); a transaction's due
  date defaults from its term. Numbers may be sent as strings (Intuit's own example sends
  ``"DueDays": "120"``).
* ``Class`` and ``Department``: ``Name`` (≤ 100), ``ParentRef`` for a sub-class (sub-department),
  ``FullyQualifiedName`` ``Parent:Child`` of at most five levels. Name lists are never deleted
  (``Active`` false).
* ``TaxService/taxcode`` creates a tax code and its rates in one call (``TaxCode`` name,
  ``TaxRateDetails`` of new rates, each with ``TaxRateName``, ``RateValue``, ``TaxAgencyId`` and
  ``TaxApplicableOn`` Sales|Purchase, or existing ``TaxRateId``); it answers the same shape with the
  ids filled (``TaxCodeId``, ``TaxRateId``). Tax codes and rates cannot be changed through the API.
* ``Preferences``: read and (sparse) update; multi-currency can only be switched on in QuickBooks
  itself, never off, and the home currency never changes, so ``CurrencyPrefs`` is refused here.
* ``ExchangeRate``: ``Rate`` is home-currency units per one unit of ``SourceCurrencyCode`` as of
  ``AsOfDate``; a transaction in a foreign currency without ``ExchangeRate`` is booked at the rate of
  its date, or 1 when the company has none (a reported case of QuickBooks booking at 1, UNVERIFIED).
"""

from __future__ import annotations

import calendar
import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .faults import QBOFault

if TYPE_CHECKING:
    from .ledgerview import LedgerView as Ledger
    from .state import Record

MAX_LEVELS = 5


def _int(value: Any, element: str, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise faults.request_parse(f"{element} must be a whole number") from None
    if not low <= number <= high:
        raise faults.invalid_property(f"{element} must be between {low} and {high}", element)
    return number


def _name(data: dict[str, Any], element: str, limit: int) -> str:
    name = data.get(element)
    if not isinstance(name, str) or not name.strip():
        raise faults.required(element)
    name = name.strip()
    if len(name) > limit:
        raise faults.invalid_property(f"{element} is longer than {limit} characters", element)
    return name


# ------------------------------------------------------------------------------------------- terms


def build_term(ledger: Ledger, data: dict[str, Any], existing: Record | None) -> None:
    name = _name(data, "Name", 31)
    ledger.check_name("Term", name, existing, "Name")
    data["Name"] = name
    due_days, day_of_month = data.get("DueDays"), data.get("DayOfMonthDue")
    if due_days is not None and day_of_month is not None:
        raise faults.invalid_property("A term has DueDays or DayOfMonthDue, not both", "DueDays")
    if due_days is not None:
        data["DueDays"] = _int(due_days, "DueDays", 0, 999)
        data["Type"] = "STANDARD"
        if data.get("DiscountDays") is not None:
            data["DiscountDays"] = _int(data["DiscountDays"], "DiscountDays", 0, 999)
    elif day_of_month is not None:
        data["DayOfMonthDue"] = _int(day_of_month, "DayOfMonthDue", 1, 31)
        data["DueNextMonthDays"] = _int(data.get("DueNextMonthDays") or 0, "DueNextMonthDays", 0, 999)
        if data.get("DiscountDayOfMonth") is not None:
            data["DiscountDayOfMonth"] = _int(data["DiscountDayOfMonth"], "DiscountDayOfMonth", 0, 31)
        data.pop("DiscountDays", None)
        data["Type"] = "DATE_DRIVEN"
    else:
        raise faults.required("DueDays")
    percent = data.get("DiscountPercent")
    data["DiscountPercent"] = Decimal(str(percent)) if percent is not None else Decimal(0)
    if not 0 <= data["DiscountPercent"] <= 100:
        raise faults.invalid_property("DiscountPercent must be between 0 and 100", "DiscountPercent")


def due_date(term: dict[str, Any], issued: date) -> date:
    """The due date a term gives a transaction dated ``issued``.

    ``DATE_DRIVEN``: day ``DayOfMonthDue`` of the issue month, or of the next month when that day
    has passed or is fewer than ``DueNextMonthDays`` days away (clamped to the month's last day).
    """
    if term.get("Type") == "STANDARD" or term.get("DueDays") is not None:
        return issued + timedelta(days=int(term.get("DueDays") or 0))
    day = int(term.get("DayOfMonthDue") or 1)
    within = int(term.get("DueNextMonthDays") or 0)
    candidate = _day_of(issued.year, issued.month, day)
    if candidate < issued or (candidate - issued).days < within:
        year, month = (issued.year + 1, 1) if issued.month == 12 else (issued.year, issued.month + 1)
        candidate = _day_of(year, month, day)
    return candidate


def _day_of(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- classes, departments


def build_list_item(ledger: Ledger, entity: str, data: dict[str, Any], existing: Record | None) -> None:
    """A ``Class`` or a ``Department``: a name, maybe under a parent of the same list."""
    name = _name(data, "Name", 100)
    if ":" in name:
        raise faults.invalid_property("Name cannot contain a colon", "Name")
    data["Name"] = name
    flag = "SubClass" if entity == "Class" else "SubDepartment"
    parent = ledger.resolve(entity, data.get("ParentRef"), "ParentRef", required=False)
    if parent is not None:
        if existing is not None and (parent.id == existing.id or _below(ledger, entity, parent, existing.id)):
            raise QBOFault(
                faults.INVALID_PARENT, "Invalid parent", f"{entity} cannot be its own parent", "ParentRef"
            )
        full = f"{parent.data['FullyQualifiedName']}:{name}"
        if full.count(":") >= MAX_LEVELS:
            raise QBOFault(
                faults.INVALID_PARENT,
                "Invalid parent",
                f"{entity} lists are at most {MAX_LEVELS} levels deep",
                "ParentRef",
            )
        data["ParentRef"] = {"value": parent.id}
        data[flag] = True
    else:
        data.pop("ParentRef", None)
        data[flag] = False
        full = name
    ledger.check_name(entity, full, existing, "Name")
    data["FullyQualifiedName"] = full


def _below(ledger: Ledger, entity: str, record: Record, ancestor: str) -> bool:
    table = ledger.realm.table(entity)
    seen = 0
    while record is not None and seen <= MAX_LEVELS:
        parent = (record.data.get("ParentRef") or {}).get("value")
        if parent is None:
            return False
        if parent == ancestor:
            return True
        record = table.get(parent)  # type: ignore[assignment]
        seen += 1
    return False


# ------------------------------------------------------------------------------ tax agencies, codes


def build_tax_agency(ledger: Ledger, data: dict[str, Any], existing: Record | None) -> None:
    name = _name(data, "DisplayName", 100)
    ledger.check_name("TaxAgency", name, existing, "DisplayName")
    data["DisplayName"] = name
    data.setdefault("TaxTrackedOnSales", True)
    data.setdefault("TaxTrackedOnPurchases", ledger.options.profile.global_tax)


def create_tax_code(ledger: Ledger, body: Any) -> dict[str, Any]:
    """``POST /taxservice/taxcode``: a tax code and its new rates, answered in the request's shape."""
    if not isinstance(body, dict):
        raise faults.request_parse("the TaxService body must be a JSON object")
    name = _name(body, "TaxCode", 100)
    ledger.check_name("TaxCode", name, None, "TaxCode")
    details = body.get("TaxRateDetails")
    if not isinstance(details, list) or not details:
        raise faults.required("TaxRateDetails")
    planned: list[tuple[dict[str, Any], str]] = []
    new_names: set[str] = set()
    for detail in details:
        if not isinstance(detail, dict):
            raise faults.request_parse("each TaxRateDetails entry must be an object")
        applies = str(detail.get("TaxApplicableOn") or "Sales")
        if applies not in ("Sales", "Purchase"):
            raise faults.invalid_property("TaxApplicableOn must be Sales or Purchase", "TaxApplicableOn")
        if detail.get("TaxRateId") not in (None, ""):
            rate = ledger.resolve("TaxRate", {"value": detail["TaxRateId"]}, "TaxRateId")
            assert rate is not None
            planned.append(({**detail, "TaxRateId": rate.id, "TaxApplicableOn": applies}, "existing"))
            continue
        rate_name = _name(detail, "TaxRateName", 100)
        if rate_name.lower() in new_names:
            raise faults.invalid_property(f"Tax rate name {rate_name} is given twice", "TaxRateName")
        new_names.add(rate_name.lower())
        ledger.check_name("TaxRate", rate_name, None, "TaxRateName")
        if detail.get("RateValue") is None:
            raise faults.required("RateValue")
        value = Decimal(str(detail["RateValue"]))
        if not 0 <= value <= 100:
            raise faults.invalid_property("RateValue must be between 0 and 100", "RateValue")
        ledger.resolve("TaxAgency", {"value": detail.get("TaxAgencyId")}, "TaxAgencyId")
        planned.append(
            ({**detail, "TaxRateName": rate_name, "RateValue": value, "TaxApplicableOn": applies}, "new")
        )
    now = ledger.clock.now()
    sales: list[dict[str, Any]] = []
    purchases: list[dict[str, Any]] = []
    answer: list[dict[str, Any]] = []
    for detail, kind in planned:
        if kind == "new":
            rate = ledger.insert(
                "TaxRate",
                tax_rate_data(
                    detail["TaxRateName"],
                    detail["RateValue"],
                    str(detail["TaxAgencyId"]),
                    ledger.clock.today(),
                ),
                now,
            )
        else:
            found = ledger.realm.table("TaxRate").get(detail["TaxRateId"])
            assert found is not None
            rate = found
        listed = sales if detail["TaxApplicableOn"] == "Sales" else purchases
        listed.append(rate_detail(rate.id, rate.data["Name"], len(listed)))
        answer.append(
            {
                "TaxRateName": rate.data["Name"],
                "TaxRateId": rate.id,
                "RateValue": rate.data["RateValue"],
                "TaxAgencyId": (rate.data.get("AgencyRef") or {}).get("value"),
                "TaxApplicableOn": detail["TaxApplicableOn"],
            }
        )
    code = ledger.insert("TaxCode", tax_code_data(name, name, sales, purchases), now)
    ledger.emit("TaxCode", code.id, "Create", now)
    return {"TaxCode": name, "TaxCodeId": code.id, "TaxRateDetails": answer}


def tax_rate_data(name: str, percent: Decimal, agency: str, since: date) -> dict[str, Any]:
    return {
        "Name": name,
        "Description": name,
        "Active": True,
        "RateValue": percent,
        "AgencyRef": {"value": agency},
        "SpecialTaxType": "NONE",
        "DisplayType": "ReadOnly",
        "EffectiveTaxRate": [{"RateValue": percent, "EffectiveDate": since.isoformat()}],
    }


def rate_detail(rate_id: str, name: str, order: int) -> dict[str, Any]:
    return {
        "TaxRateRef": {"value": rate_id, "name": name},
        "TaxTypeApplicable": "TaxOnAmount",
        "TaxOrder": order,
    }


def tax_code_data(
    name: str, description: str | None, sales: list[dict[str, Any]], purchases: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "Name": name,
        "Description": description or name,
        "Active": True,
        "Hidden": False,
        "Taxable": True,
        "TaxGroup": True,
        "SalesTaxRateList": {"TaxRateDetail": sales},
        "PurchaseTaxRateList": {"TaxRateDetail": purchases},
    }


def pseudo_code(code: str) -> dict[str, Any]:
    """US ``TAX``/``NON``: listed with the codes, without SyncToken or MetaData (Intuit's example)."""
    return {"Name": code, "Description": code, "Taxable": code == "TAX", "TaxGroup": False, "Active": True}


# ------------------------------------------------------------------------------------ preferences

#: Preference groups a sparse update may change; ``CurrencyPrefs`` is QuickBooks' own to change.
PREFERENCE_GROUPS = frozenset(
    {
        "AccountingInfoPrefs",
        "ProductAndServicesPrefs",
        "SalesFormsPrefs",
        "EmailMessagesPrefs",
        "VendorAndPurchasesPrefs",
        "TimeTrackingPrefs",
        "TaxPrefs",
        "CurrencyPrefs",
        "ReportPrefs",
        "OtherPrefs",
    }
)


def merge_preferences(current: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The preferences after a sparse update: each sent group merged into the stored one."""
    merged = copy.deepcopy(current)
    for group, values in sent.items():
        if group not in PREFERENCE_GROUPS:
            continue
        if group == "CurrencyPrefs" and values != current.get("CurrencyPrefs"):
            raise faults.business(
                "Multicurrency can only be turned on in QuickBooks, and never off; the home currency "
                "cannot change",
                "CurrencyPrefs",
            )
        if not isinstance(values, dict):
            raise faults.request_parse(f"{group} must be an object")
        merged.setdefault(group, {}).update(copy.deepcopy(values))
    return merged


# --------------------------------------------------------------------------------- exchange rates


def exchange_rate(ledger: Ledger, source: str | None, as_of: str | None) -> dict[str, Any]:
    """``GET /exchangerate?sourcecurrencycode=EUR[&asofdate=...]``: the rate in force that day."""
    code = _currency_code(source, "sourcecurrencycode")
    day = as_of or ledger.clock.today().isoformat()
    found = _rate_on(ledger, code, day)
    if found is None:
        raise faults.not_found("ExchangeRate", f"{code} {day}")
    as_of_day, rate, stamp = found
    return _rate_record(ledger, code, as_of_day, rate, stamp)


def set_exchange_rate(ledger: Ledger, body: Any) -> dict[str, Any]:
    """``POST /exchangerate``: set a currency's rate as of a date."""
    if not isinstance(body, dict):
        raise faults.request_parse("the ExchangeRate body must be a JSON object")
    code = _currency_code(body.get("SourceCurrencyCode"), "SourceCurrencyCode")
    home = ledger.options.home_currency
    if code == home:
        raise faults.invalid_property(
            "SourceCurrencyCode cannot be the home currency (its rate is always 1)", "SourceCurrencyCode"
        )
    target = body.get("TargetCurrencyCode") or home
    if str(target).upper() != home:
        raise faults.invalid_property("TargetCurrencyCode must be the home currency", "TargetCurrencyCode")
    if body.get("Rate") is None:
        raise faults.required("Rate")
    rate = Decimal(str(body["Rate"]))
    if rate <= 0:
        raise faults.invalid_property("Rate must be greater than 0", "Rate")
    day = str(body.get("AsOfDate") or "")[:10]
    if not day:
        raise faults.required("AsOfDate")
    try:
        date.fromisoformat(day)
    except ValueError:
        raise faults.request_parse("AsOfDate must be a date (yyyy-mm-dd)") from None
    now = ledger.clock.now()
    record_rate(ledger, code, day, rate, ledger.clock.qbo(now))
    return {"ExchangeRate": _rate_record(ledger, code, day, rate, ledger.clock.qbo(now))}


def record_rate(ledger: Ledger, code: str, day: str, rate: Decimal, stamp: str) -> None:
    entries = [entry for entry in ledger.realm.exchange_rates.get(code, []) if entry[0] != day]
    entries.append((day, rate, stamp))
    entries.sort()
    ledger.realm.exchange_rates[code] = entries


def rate_for(ledger: Ledger, code: str, day: str) -> Decimal:
    """Home units per one ``code`` on ``day``: the latest rate set on or before it, else 1."""
    if code == ledger.options.home_currency:
        return Decimal(1)
    found = _rate_on(ledger, code, day)
    return found[1] if found is not None else Decimal(1)


def _rate_on(ledger: Ledger, code: str, day: str) -> tuple[str, Decimal, str] | None:
    found = None
    for entry in ledger.realm.exchange_rates.get(code, []):
        if entry[0] <= day:
            found = entry
    return found


def _rate_record(ledger: Ledger, code: str, day: str, rate: Decimal, stamp: str) -> dict[str, Any]:
    return {
        "SyncToken": "0",
        "AsOfDate": day,
        "SourceCurrencyCode": code,
        "Rate": rate,
        "TargetCurrencyCode": ledger.options.home_currency,
        "MetaData": {"LastUpdatedTime": stamp},
    }


def _currency_code(value: Any, element: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise faults.required(element)
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise faults.invalid_property(f"{element} must be a three-letter currency code", element)
    return code
