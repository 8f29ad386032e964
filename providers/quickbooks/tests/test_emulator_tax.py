"""The emulator's tax arithmetic against worked examples, and the options that shape a company's tax."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from unified_accounting_quickbooks.emulator import create_emulator
from unified_accounting_quickbooks.emulator.taxmath import Rate, Taxable, totals_by_rate

from unified_accounting.emulation import EmulatorOptionError

CENT = Decimal("0.01")


def emulator(**options: Any) -> Any:
    app = create_emulator(**options)
    emulator = app.state.emulator
    emulator.create("Item", {"Name": "Services", "Type": "Service", "UnitPrice": 0})
    return emulator


def sale(amount: str, qty: str | None = None, price: str | None = None, code: str = "TAX") -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": code}}
    if qty is not None:
        detail |= {"Qty": Decimal(qty), "UnitPrice": Decimal(price or "0")}
    return {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount), "SalesItemLineDetail": detail}


def test_intuits_invoice_example_in_a_us_company() -> None:
    """Intuit's API reference, Invoice entity, sample response (invoice Id 130): three taxable lines
    275.00, 12.75 and 5 × 9.50 = 47.50 under TxnTaxCodeRef "2" (California, TaxRate "3", 8 %)
    give SubTotal 335.25, one TaxLine {TaxRateRef "3", TaxPercent 8, NetAmountTaxable 335.25,
    Amount 26.82}, TotalTax 26.82 and TotalAmt 362.07."""
    qbo = emulator()
    customer = qbo.create("Customer", {"DisplayName": "Amy's Bird Sanctuary"})
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [sale("275.00", "1", "275"), sale("12.75", "1", "12.75"), sale("47.50", "5", "9.50")],
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
        },
    )
    subtotal = next(line for line in invoice["Line"] if line["DetailType"] == "SubTotalLineDetail")
    assert subtotal["Amount"] == Decimal("335.25")
    detail = invoice["TxnTaxDetail"]
    assert (detail["TxnTaxCodeRef"]["value"], detail["TotalTax"]) == ("2", Decimal("26.82"))
    (tax_line,) = detail["TaxLine"]
    assert tax_line["Amount"] == Decimal("26.82")
    assert tax_line["TaxLineDetail"]["TaxRateRef"]["value"] == "3"
    assert (tax_line["TaxLineDetail"]["TaxPercent"], tax_line["TaxLineDetail"]["NetAmountTaxable"]) == (
        Decimal("8"),
        Decimal("335.25"),
    )
    assert invoice["TotalAmt"] == Decimal("362.07") and invoice["Balance"] == Decimal("362.07")


def test_intuits_example_figures_in_the_arithmetic_alone() -> None:
    # Same source as above: 8 % of 275.00, 12.75 and 47.50, per line or once, is 26.82.
    california = (Rate("3", "California", Decimal("8")),)
    lines = [Taxable(Decimal(amount), california) for amount in ("275.00", "12.75", "47.50")]
    for rounding in ("line", "document"):
        (total,) = totals_by_rate(lines, inclusive=False, rounding=rounding, quantum=CENT)  # type: ignore[arg-type]
        assert (total.tax, total.net_taxable) == (Decimal("26.82"), Decimal("335.25"))


def test_combined_codes_tax_each_rate() -> None:
    # Intuit's TaxCode "3" (Tucson) combines AZ State tax 7.1 % and Tucson City 2 % (API reference,
    # TaxCode and TaxRate samples): one TaxLine per rate.
    qbo = emulator()
    customer = qbo.create("Customer", {"DisplayName": "Tucson buyer"})
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [sale("100.00", "1", "100")],
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "3"}},
        },
    )
    lines = {
        line["TaxLineDetail"]["TaxRateRef"]["value"]: line["Amount"]
        for line in invoice["TxnTaxDetail"]["TaxLine"]
    }
    assert lines == {"1": Decimal("7.10"), "2": Decimal("2.00")}
    assert invoice["TotalAmt"] == Decimal("109.10")


@pytest.mark.parametrize(("rounding", "tax"), [("line", "0.03"), ("document", "0.02")])
def test_rounding_per_line_or_per_document(rounding: str, tax: str) -> None:
    # Three lines of 0.05 at 10 %: 0.005 each, half up 0.01 per line (0.03), or 0.015 once (0.02).
    qbo = emulator(country="AU", tax_rounding=rounding)
    customer = qbo.create("Customer", {"DisplayName": "Rounding"})
    invoice = qbo.create(
        "Invoice",
        {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("0.05", code="2") for _ in range(3)]},
    )
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal(tax)


def test_tax_inclusive_lines_keep_net_and_gross() -> None:
    # GlobalTaxCalculation TaxInclusive (Intuit API reference, Invoice): the line's TaxInclusiveAmt is
    # gross; the stored Amount is net. 110.00 gross at GST 10 %: tax 10.00, net 100.00.
    qbo = emulator(country="AU")
    customer = qbo.create("Customer", {"DisplayName": "Inclusive"})
    line = sale("110.00", "1", "110", code="2")
    line["SalesItemLineDetail"]["TaxInclusiveAmt"] = Decimal("110.00")
    invoice = qbo.create(
        "Invoice",
        {"CustomerRef": {"value": customer["Id"]}, "GlobalTaxCalculation": "TaxInclusive", "Line": [line]},
    )
    stored = invoice["Line"][0]
    assert (stored["Amount"], stored["SalesItemLineDetail"]["TaxInclusiveAmt"]) == (
        Decimal("100.00"),
        Decimal("110.00"),
    )
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"]) == (Decimal("10.00"), Decimal("110.00"))


def test_extra_sales_tax_codes_are_seeded_after_the_countrys() -> None:
    qbo = emulator(country="AU", sales_tax_codes={"GST on Income": "10"})
    codes = {code["Name"]: code for code in qbo.records("TaxCode")}
    assert set(codes) == {"GST", "GST free", "Out of scope", "GST on Income"}
    (detail,) = codes["GST on Income"]["SalesTaxRateList"]["TaxRateDetail"]
    rates = {rate["Id"]: rate for rate in qbo.records("TaxRate")}
    assert rates[detail["TaxRateRef"]["value"]]["RateValue"] == Decimal("10")
    assert codes["GST on Income"]["PurchaseTaxRateList"]["TaxRateDetail"] == []
    with pytest.raises(EmulatorOptionError):
        create_emulator(sales_tax_codes={"Bad": "120"})


def test_tax_agencies_are_queried_without_an_active_field() -> None:
    # TaxAgency has no Active property: the implicit "active rows only" filter of name lists must
    # not be added to its queries (it made every TaxAgency query fail with 4001).
    qbo = emulator(country="AU")
    realm = qbo.options.realm_ids()[0]
    result = qbo.query_engine.run("select * from TaxAgency", qbo.ledger(realm).realm.tables)
    assert [row.data["DisplayName"] for row in result.rows] == ["Australian Taxation Office"]
