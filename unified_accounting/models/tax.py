"""How a document's line amounts relate to tax."""

from __future__ import annotations

from enum import StrEnum


class TaxMode(StrEnum):
    """Whether line prices include tax. The same meaning on every provider:

    - ``exclusive``: unit prices and line totals are before tax; each line's tax is its total times
      the rate, rounded to the currency's minor units, and ``total = sub_total + total_tax``;
    - ``inclusive``: unit prices and line totals include tax; each line's tax is
      ``total × rate / (100 + rate)``, rounded, and ``sub_total = total − total_tax``;
    - ``no_tax``: no tax at all.

    (Xero ``LineAmountTypes`` Exclusive / Inclusive / NoTax; QuickBooks ``GlobalTaxCalculation``
    TaxExcluded / TaxInclusive / NotApplicable in companies outside the US, where US companies only
    know exclusive tax and no tax.)
    """

    EXCLUSIVE = "exclusive"
    INCLUSIVE = "inclusive"
    NO_TAX = "no_tax"
