"""The numbers of a sales transaction: lines, discounts, tax, totals, currency and tracking.

What is modelled, from Intuit's API reference (Invoice, TaxCode, Preferences) and the facts noted in
:mod:`.taxmath` and :mod:`.lists`:

* Sales lines: ``Amount`` is ``Qty × UnitPrice`` when omitted; when both are sent and disagree
  (compared at the currency's minor units) the answer is fault 6070. ``UnitPrice`` and ``Qty`` keep
  ``unit_decimals`` decimals (seven, UNVERIFIED). A computed ``SubTotalLineDetail`` line follows them.
* Discount lines (``DiscountLineDetail``): a percent of the subtotal or an amount (fault 6090 with
  neither), refused when the company's ``AllowDiscount`` preference is off. They are whole-document
  discounts: QuickBooks has no per-line discount outside France.
* US companies: lines say ``TAX`` or ``NON`` (anything else is fault 6100; a line without a code takes
  its item's ``Taxable``). Taxable lines are taxed at every rate of the transaction's code
  (``TxnTaxCodeRef``; automated sales tax replaces it with the engine's code). ``ApplyTaxAfterDiscount``
  spreads the discount over the taxable lines first. ``GlobalTaxCalculation`` is not for US companies.
* Other countries: each line names a tax code (none is the error QuickBooks gives: "Make sure all
  your transactions have a GST rate before you save"); ``GlobalTaxCalculation`` ``TaxExcluded`` (the
  default), ``TaxInclusive`` or ``NotApplicable``. In ``TaxInclusive`` a line's ``TaxInclusiveAmt``
  is its gross amount: its ``Amount`` becomes the net (and ``UnitPrice`` the net per unit, as the
  real service stores it), while a line sent with ``Amount`` only is taken as net. Every taxed line
  reads back with ``TaxInclusiveAmt``. A discount line with a ``TaxCodeRef`` lowers that code's tax.
* One ``TaxLine`` per rate; ``TotalTax`` is their sum, unless the request itself sends
  ``TxnTaxDetail.TotalTax`` (an override, as QuickBooks takes one). With ``UsingSalesTax`` off no tax
  is charged at all.
* Every amount is rounded half up to the transaction currency's minor units (JPY: none).
* Currency: with multi-currency off every transaction is in the home currency; on, ``CurrencyRef`` is
  required, must be the customer's currency, and ``ExchangeRate`` (home units per unit, default: the
  company's rate of that date, else 1) gives ``HomeTotalAmt``/``HomeBalance``.
* Tracking: ``DepartmentRef`` needs ``TrackDepartments``; a transaction ``ClassRef`` needs
  ``ClassTrackingPerTxn`` and a line's needs ``ClassTrackingPerTxnLine``.
* ``SalesTermRef``: the due date defaults from the term.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from unified_accounting.models.currency import minor_units

from . import faults, lists
from .faults import QBOFault
from .numbers import AMOUNT_MISMATCH_MESSAGE, check_date, money, optional_decimal, to_decimal
from .taxmath import Rate, RateTotal, Taxable, inclusive_net, rounded, totals_by_rate

if TYPE_CHECKING:
    from .ledgerview import LedgerView as Ledger
    from .state import Record

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MODES = ("TaxExcluded", "TaxInclusive", "NotApplicable")
US_PSEUDO_CODES = ("TAX", "NON")


def quantum(currency: str) -> Decimal:
    digits = minor_units(currency)
    return Decimal(1).scaleb(-(2 if digits is None else digits))


# ------------------------------------------------------------------------------------ references


def preferences(ledger: Ledger) -> dict[str, Any]:
    record = ledger.realm.table("Preferences").get("1")
    return record.data if record is not None else {}


def _pref(ledger: Ledger, group: str, name: str) -> Any:
    return (preferences(ledger).get(group) or {}).get(name)


def code_rates(ledger: Ledger, code: Record, kind: str = "Sales") -> tuple[Rate, ...]:
    """The rates of a tax code's sales (or purchase) list, as the company holds them."""
    table = ledger.realm.table("TaxRate")
    rates = []
    for detail in (code.data.get(f"{kind}TaxRateList") or {}).get("TaxRateDetail") or ():
        rate_id = str((detail.get("TaxRateRef") or {}).get("value"))
        stored = table.get(rate_id)
        if stored is not None:
            percent = Decimal(str(stored.data.get("RateValue") or 0))
            rates.append(Rate(rate_id, str(stored.data.get("Name") or ""), percent))
    return tuple(rates)


def tracking(ledger: Ledger, data: dict[str, Any]) -> None:
    """Check and name the transaction's ``DepartmentRef`` and ``ClassRef``."""
    if data.get("DepartmentRef") is not None:
        if not _pref(ledger, "AccountingInfoPrefs", "TrackDepartments"):
            label = _pref(ledger, "AccountingInfoPrefs", "DepartmentTerminology") or "Department"
            raise faults.business(f"{label} tracking is turned off for this company", "DepartmentRef")
        department = ledger.resolve("Department", data["DepartmentRef"], "DepartmentRef")
        assert department is not None
        data["DepartmentRef"] = {"value": department.id, "name": department.data["FullyQualifiedName"]}
    else:
        data.pop("DepartmentRef", None)
    if data.get("ClassRef") is not None:
        if not _pref(ledger, "AccountingInfoPrefs", "ClassTrackingPerTxn"):
            raise faults.business("Class tracking per transaction is turned off for this company", "ClassRef")
        data["ClassRef"] = _class_ref(ledger, data["ClassRef"], "ClassRef")
    else:
        data.pop("ClassRef", None)


def _class_ref(ledger: Ledger, ref: Any, element: str) -> dict[str, str]:
    found = ledger.resolve("Class", ref, element)
    assert found is not None
    return {"value": found.id, "name": found.data["FullyQualifiedName"]}


def terms(ledger: Ledger, data: dict[str, Any], due_given: bool) -> None:
    """Name the ``SalesTermRef``; the due date defaults from it."""
    if data.get("SalesTermRef") is None:
        data.pop("SalesTermRef", None)
        return
    term = ledger.resolve("Term", data["SalesTermRef"], "SalesTermRef")
    assert term is not None
    data["SalesTermRef"] = {"value": term.id, "name": term.data["Name"]}
    if not due_given:
        data["DueDate"] = lists.due_date(term.data, date.fromisoformat(data["TxnDate"])).isoformat()


def currency(ledger: Ledger, data: dict[str, Any], customer: Record, element: str = "CurrencyRef") -> str:
    """The transaction's currency, checked against the company and the customer; its exchange rate."""
    options = ledger.options
    home = options.home_currency
    given = _code(data.get("CurrencyRef"))
    if given is None:
        if options.multi_currency:
            raise faults.required(element)
        given = home
    if not options.multi_currency and given != home:
        raise faults.business(
            f"Multicurrency is off for this company: transactions are in {home}, not {given}", element
        )
    theirs = _code(customer.data.get("CurrencyRef")) or home
    if given != theirs:
        raise faults.business(
            f"The currency of the transaction ({given}) must be the currency of customer "
            f"{customer.data.get('DisplayName')} ({theirs})",
            element,
        )
    data["CurrencyRef"] = ledger.currency_ref(given)
    if not options.multi_currency:
        data.pop("ExchangeRate", None)
        return given
    sent = data.get("ExchangeRate")
    if given == home:
        if sent is not None and Decimal(str(sent)) != 1:
            raise faults.invalid_property(
                "The exchange rate of the home currency is always 1", "ExchangeRate"
            )
        data["ExchangeRate"] = Decimal(1)
    elif sent is not None:
        rate = Decimal(str(sent))
        if rate <= 0:
            raise faults.invalid_property("ExchangeRate must be greater than 0", "ExchangeRate")
        data["ExchangeRate"] = rate
    else:
        data["ExchangeRate"] = lists.rate_for(ledger, given, str(data.get("TxnDate") or ledger.clock.today()))
    return given


def home_amounts(ledger: Ledger, data: dict[str, Any], *names: str) -> None:
    """``Home<Name>`` for each amount: its value in the home currency (multi-currency only)."""
    if not ledger.options.multi_currency:
        return
    rate = Decimal(str(data.get("ExchangeRate") or 1))
    unit = quantum(ledger.options.home_currency)
    for name in names:
        if data.get(name) is not None:
            data[f"Home{name}"] = rounded(Decimal(str(data[name])) * rate, unit)


def _code(ref: Any) -> str | None:
    value = ref.get("value") if isinstance(ref, dict) else None
    return str(value).upper() if value not in (None, "") else None


# ------------------------------------------------------------------------------------- the numbers


class SalesTotals:
    """Computes one sales transaction's lines, discounts, tax and total, in place."""

    def __init__(self, ledger: Ledger, data: dict[str, Any], sent: Mapping[str, Any], currency: str) -> None:
        self.ledger = ledger
        self.data = data
        self.sent = sent
        self.unit = quantum(currency)
        self.profile = ledger.options.profile
        self.using_tax = bool(_pref(ledger, "TaxPrefs", "UsingSalesTax"))
        self.mode = self._mode()
        self.subtotal = ZERO
        self.taxables: list[Taxable] = []
        #: US: the net amounts of the taxable (``TAX``) lines; legacy flat rates per line code.
        self.us_taxable: list[Decimal] = []
        self.legacy: list[tuple[Decimal, Decimal]] = []

    def _mode(self) -> str:
        given = self.data.get("GlobalTaxCalculation")
        if not self.profile.global_tax:
            if given is not None:
                raise faults.invalid_property(
                    "GlobalTaxCalculation is not applicable to US companies", "GlobalTaxCalculation"
                )
            return "TaxExcluded"
        mode = str(given or "TaxExcluded")
        if mode not in MODES:
            raise faults.invalid_property(
                f"GlobalTaxCalculation must be one of {', '.join(MODES)}", "GlobalTaxCalculation"
            )
        self.data["GlobalTaxCalculation"] = mode
        return mode

    def money(self, value: Decimal) -> Decimal:
        return money(value, quantum=self.unit)

    def run(self) -> None:
        raw_lines: list[Any] = self.data["Line"]
        used_ids = {str(line["Id"]) for line in raw_lines if isinstance(line, dict) and line.get("Id")}
        out: list[dict[str, Any]] = []
        discounts: list[dict[str, Any]] = []
        for raw in raw_lines:
            if not isinstance(raw, dict):
                raise faults.request_parse("each Line must be an object")
            line = dict(raw)
            kind = line.get("DetailType")
            if kind == "SubTotalLineDetail":
                continue
            if kind == "DiscountLineDetail":
                discounts.append(line)
                continue
            if kind == "SalesItemLineDetail":
                self._sales_line(line)
            elif kind == "DescriptionOnly":
                line["Amount"] = to_decimal(line.get("Amount") or 0, "Line.Amount")
                line.setdefault("DescriptionLineDetail", {})
            elif kind == "GroupLineDetail":
                group = dict(line.get("GroupLineDetail") or {})
                inner_total = ZERO
                for inner in group.get("Line") or []:
                    if isinstance(inner, dict) and inner.get("Amount") is not None:
                        inner_total += to_decimal(inner["Amount"], "Line.Amount")
                line["GroupLineDetail"] = group
                line["Amount"] = self.money(inner_total)
                self.subtotal += line["Amount"]
            elif kind is None:
                raise faults.required("Line.DetailType")
            else:
                raise faults.invalid_property(f"Unsupported DetailType {kind}", "Line.DetailType")
            out.append(line)
        next_id = 1
        for position, line in enumerate(out, start=1):
            if not line.get("Id"):
                while str(next_id) in used_ids:
                    next_id += 1
                line["Id"] = str(next_id)
                used_ids.add(str(next_id))
            else:
                line["Id"] = str(line["Id"])
            line["LineNum"] = position
        out.append({"Amount": self.subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        discount_total = ZERO
        for line in discounts:
            discount_total += self._discount_line(line)
            out.append(line)
        if discount_total > self.subtotal:
            raise faults.business("The discount is larger than the subtotal", "Line")
        self.data["Line"] = out
        tax = self._tax(discount_total)
        total = self.subtotal - discount_total + tax
        if total < 0:
            raise faults.business("The transaction total cannot be negative", "Line")
        self.data["TotalAmt"] = total

    # ------------------------------------------------------------------------------------- lines

    def _sales_line(self, line: dict[str, Any]) -> None:
        ledger = self.ledger
        detail = dict(line.get("SalesItemLineDetail") or {})
        item = ledger.resolve(
            "Item", detail.get("ItemRef"), "Line.SalesItemLineDetail.ItemRef", required=False
        )
        qty = self._unit(optional_decimal(detail.get("Qty"), "Qty"))
        price = self._unit(optional_decimal(detail.get("UnitPrice"), "UnitPrice"))
        if qty is not None:
            detail["Qty"] = qty
        if price is not None:
            detail["UnitPrice"] = price
        if item is not None:
            detail["ItemRef"] = {"value": item.id, "name": item.data.get("Name", "")}
            if price is None and line.get("Amount") is None and item.data.get("UnitPrice") is not None:
                price = to_decimal(item.data["UnitPrice"], "UnitPrice")
                detail["UnitPrice"] = price
        if detail.get("ClassRef") is not None:
            if not _pref(ledger, "AccountingInfoPrefs", "ClassTrackingPerTxnLine"):
                raise faults.business(
                    "Class tracking per line is turned off for this company",
                    "Line.SalesItemLineDetail.ClassRef",
                )
            detail["ClassRef"] = _class_ref(ledger, detail["ClassRef"], "Line.SalesItemLineDetail.ClassRef")
        rates = self._line_rates(detail, item)
        gross_sent = optional_decimal(detail.get("TaxInclusiveAmt"), "TaxInclusiveAmt")
        gross: Decimal | None = None
        if self.mode == "TaxInclusive" and gross_sent is not None and rates is not None:
            # The gross amount is what the line charges; the net is what is left after its tax,
            # and the unit price QuickBooks stores is the net per unit.
            gross = self.money(gross_sent)
            amount = inclusive_net(gross, rates, self.unit)
            if qty and (price is None or self.money(qty * price) != amount):
                detail["UnitPrice"] = self._unit(amount / qty)
        elif line.get("Amount") is None:
            if price is None:
                raise faults.required("Line.Amount")
            amount = self.money((qty if qty is not None else Decimal(1)) * price)
            if qty is None:
                detail["Qty"] = 1
        else:
            amount = self.money(to_decimal(line["Amount"], "Line.Amount"))
            if qty is not None and price is not None and self.money(qty * price) != amount:
                raise QBOFault(
                    faults.AMOUNT_MISMATCH,
                    "A business validation error has occurred while processing your request",
                    f"{AMOUNT_MISMATCH_MESSAGE}{line['Amount']}",
                    "Line.Amount",
                )
        if detail.get("ServiceDate"):
            detail["ServiceDate"] = check_date(detail["ServiceDate"], "ServiceDate")
        line["Amount"] = amount
        if rates is not None and self.mode != "NotApplicable" and self.using_tax:
            taxable = Taxable(amount, rates, gross)
            self.taxables.append(taxable)
            tax = sum(
                (
                    total.tax
                    for total in totals_by_rate(
                        [taxable], inclusive=gross is not None, rounding="line", quantum=self.unit
                    )
                ),
                ZERO,
            )
            detail["TaxInclusiveAmt"] = gross if gross is not None else amount + tax
        else:
            detail.pop("TaxInclusiveAmt", None)
        line["SalesItemLineDetail"] = detail
        self.subtotal += amount

    def _unit(self, value: Decimal | None) -> Decimal | None:
        """A unit price or quantity with at most ``unit_decimals`` decimals (half up beyond)."""
        if value is None:
            return None
        places = self.ledger.options.unit_decimals
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            return rounded(value, Decimal(1).scaleb(-places))
        return value

    def _line_rates(self, detail: dict[str, Any], item: Record | None) -> tuple[Rate, ...] | None:
        """The rates a sales line is taxed at outside the US (``None``: untaxed); in the US, records
        the line as taxable or not."""
        code = _code_value(detail.get("TaxCodeRef"))
        if not self.profile.global_tax:
            if code is None:
                code = "TAX" if item is not None and item.data.get("Taxable") else "NON"
                detail["TaxCodeRef"] = {"value": code}
            if code not in US_PSEUDO_CODES:
                if code in self.ledger.tax_rates:
                    return None  # a legacy flat rate (option tax_rates), applied below
                raise QBOFault(
                    faults.US_LINE_TAX_CODE,
                    "A business validation error has occurred while processing your request",
                    "Business Validation Error: Valid Line TaxCodes for US should be TAX or NON",
                    "Line.SalesItemLineDetail.TaxCodeRef",
                )
            return None
        if code is None and item is not None:
            code = _code_value(item.data.get("SalesTaxCodeRef"))
        if code is None:
            if self.mode == "NotApplicable" or not self.using_tax:
                return None
            raise faults.business(
                f"Make sure all your transactions have a {self.profile.tax_word} rate before you save.",
                "Line.SalesItemLineDetail.TaxCodeRef",
            )
        found = self.ledger.resolve("TaxCode", {"value": code}, "Line.SalesItemLineDetail.TaxCodeRef")
        assert found is not None
        detail["TaxCodeRef"] = {"value": found.id}
        return code_rates(self.ledger, found)

    def _discount_line(self, line: dict[str, Any]) -> Decimal:
        if not _pref(self.ledger, "SalesFormsPrefs", "AllowDiscount"):
            raise faults.business("Discounts are turned off for this company (AllowDiscount)", "Line")
        detail = dict(line.get("DiscountLineDetail") or {})
        if detail.get("PercentBased") in (True, "true"):
            if detail.get("DiscountPercent") is None:
                raise _discount_missing()
            percent = to_decimal(detail["DiscountPercent"], "DiscountPercent")
            if not ZERO <= percent <= HUNDRED:
                raise faults.invalid_property("DiscountPercent must be between 0 and 100", "DiscountPercent")
            detail["PercentBased"] = True
            amount = self.money(self.subtotal * percent / HUNDRED)
        else:
            if line.get("Amount") is None:
                raise _discount_missing()
            amount = self.money(to_decimal(line["Amount"], "Line.Amount"))
            if amount < 0:
                raise faults.invalid_property("A discount amount cannot be negative", "Line.Amount")
            detail["PercentBased"] = False
        account = detail.get("DiscountAccountRef") or _pref(
            self.ledger, "SalesFormsPrefs", "DefaultDiscountAccount"
        )
        if account is not None:
            found = self.ledger.resolve("Account", account, "DiscountAccountRef")
            assert found is not None
            detail["DiscountAccountRef"] = {"value": found.id, "name": found.data.get("Name", "")}
        if detail.get("ClassRef") is not None:
            if not _pref(self.ledger, "AccountingInfoPrefs", "ClassTrackingPerTxnLine"):
                raise faults.business(
                    "Class tracking per line is turned off for this company", "Line.ClassRef"
                )
            detail["ClassRef"] = _class_ref(
                self.ledger, detail["ClassRef"], "Line.DiscountLineDetail.ClassRef"
            )
        code = _code_value(detail.get("TaxCodeRef"))
        if code is not None and self.profile.global_tax and self.mode != "NotApplicable" and self.using_tax:
            found = self.ledger.resolve("TaxCode", {"value": code}, "Line.DiscountLineDetail.TaxCodeRef")
            assert found is not None
            self.taxables.append(Taxable(-amount, code_rates(self.ledger, found)))
        line["DiscountLineDetail"] = detail
        line["Amount"] = amount
        return amount

    # --------------------------------------------------------------------------------------- tax

    def _tax(self, discount_total: Decimal) -> Decimal:
        ledger = self.ledger
        sent_detail = self.sent.get("TxnTaxDetail") if isinstance(self.sent, Mapping) else None
        stored = self.data.get("TxnTaxDetail") if isinstance(self.data.get("TxnTaxDetail"), dict) else {}
        detail: dict[str, Any] = {}
        totals: list[RateTotal] = []
        legacy_tax: Decimal | None = None
        if not self.using_tax:
            self.data["TxnTaxDetail"] = {"TotalTax": ZERO}
            return ZERO
        if self.profile.global_tax:
            if self.mode != "NotApplicable":
                totals = totals_by_rate(
                    self.taxables,
                    inclusive=self.mode == "TaxInclusive",
                    rounding=ledger.options.tax_rounding,
                    quantum=self.unit,
                )
        else:
            lines = [line for line in self.data["Line"] if line.get("DetailType") == "SalesItemLineDetail"]
            taxable = [
                Decimal(line["Amount"])
                for line in lines
                if _code_value(line["SalesItemLineDetail"].get("TaxCodeRef")) == "TAX"
            ]
            factor = Decimal(1)
            if self.data.get("ApplyTaxAfterDiscount") and discount_total and self.subtotal:
                factor = (self.subtotal - discount_total) / self.subtotal
            code_id = _code_value(stored.get("TxnTaxCodeRef"))
            if ledger.options.automated_sales_tax and taxable:
                code_id = ledger.options.ast_tax_code
            if code_id is not None:
                code = ledger.resolve("TaxCode", {"value": code_id}, "TxnTaxDetail.TxnTaxCodeRef")
                assert code is not None
                detail["TxnTaxCodeRef"] = {"value": code.id}
                rates = code_rates(ledger, code)
                totals = totals_by_rate(
                    [Taxable(amount * factor, rates) for amount in taxable],
                    inclusive=False,
                    rounding=ledger.options.tax_rounding,
                    quantum=self.unit,
                )
            else:
                flat = [
                    (Decimal(line["Amount"]), ledger.tax_rates[code])
                    for line in lines
                    if (code := _code_value(line["SalesItemLineDetail"].get("TaxCodeRef")))
                    in ledger.tax_rates
                ]
                if flat:
                    legacy_tax = self.money(sum((a * factor * r / HUNDRED for a, r in flat), ZERO))
        tax = legacy_tax if legacy_tax is not None else sum((total.tax for total in totals), ZERO)
        if totals:
            detail["TaxLine"] = [_tax_line(total, self.mode == "TaxInclusive") for total in totals]
        override = sent_detail.get("TotalTax") if isinstance(sent_detail, Mapping) else None
        if override is not None:
            tax = self.money(optional_decimal(override, "TxnTaxDetail.TotalTax") or ZERO)
        detail["TotalTax"] = tax
        self.data["TxnTaxDetail"] = detail
        return tax


def _tax_line(total: RateTotal, inclusive: bool) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "TaxRateRef": {"value": total.rate.id, "name": total.rate.name},
        "PercentBased": True,
        "TaxPercent": total.rate.percent,
        "NetAmountTaxable": total.net_taxable,
    }
    if inclusive:
        detail["TaxInclusiveAmount"] = total.net_taxable + total.tax
    return {"Amount": total.tax, "DetailType": "TaxLineDetail", "TaxLineDetail": detail}


def _code_value(ref: Any) -> str | None:
    value = ref.get("value") if isinstance(ref, dict) else ref
    return None if value in (None, "") else str(value)


def _discount_missing() -> QBOFault:
    return QBOFault(
        faults.DISCOUNT_MISSING,
        "A business validation error has occurred while processing your request",
        "Business Validation Error: Discount amount or percent required",
        "Line.DiscountLineDetail",
    )
