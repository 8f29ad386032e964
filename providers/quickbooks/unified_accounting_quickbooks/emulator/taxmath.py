"""How the emulated company computes sales tax: the arithmetic alone, no records.

QuickBooks computes tax per rate (one ``TaxLine`` per ``TaxRateRef``). Whether it rounds each line's
tax before adding (per line) or rounds the sum once (per document) is not documented (UNVERIFIED;
a ruckus/quickbooks-ruby issue, #547, hints at per line): the emulator rounds per line, half up, to
the currency's minor units, and option ``tax_rounding="document"`` switches to one rounding per rate.

* Tax-exclusive amounts (US companies, and ``GlobalTaxCalculation: TaxExcluded``): a line's tax at a
  rate is ``net × rate / 100``.
* Tax-inclusive amounts (``TaxInclusive``, outside the US): a line's gross amount holds the tax of
  every rate of its code; the tax at one rate is ``gross × rate / (100 + sum of the code's rates)``
  and the net is the gross less those taxes (the common reading of Intuit's ``TaxInclusiveAmt``;
  how QuickBooks derives the net is UNVERIFIED).

Intuit's own invoice example (API reference, Invoice): lines 275.00, 12.75 and 47.50 at California
8 % give tax 26.82 and a total of 362.07 either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Rounding = Literal["line", "document"]
HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Rate:
    """One tax rate of a tax code: its ``TaxRate`` id, name and percent (8.5 is 8.5 %)."""

    id: str
    name: str
    percent: Decimal


@dataclass(frozen=True)
class Taxable:
    """An amount taxed at a code's rates: ``net`` before tax; ``gross`` with tax (inclusive only)."""

    net: Decimal
    rates: tuple[Rate, ...]
    gross: Decimal | None = None


@dataclass
class RateTotal:
    """What one rate comes to over a document: the ``TaxLine`` QuickBooks writes for it."""

    rate: Rate
    tax: Decimal = ZERO
    net_taxable: Decimal = ZERO
    _unrounded: Decimal = field(default=ZERO, repr=False)


def rounded(value: Decimal, quantum: Decimal) -> Decimal:
    """``value`` at the currency's minor units, half up."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def combined(rates: Sequence[Rate]) -> Decimal:
    return sum((rate.percent for rate in rates), ZERO)


def exclusive_tax(net: Decimal, rate: Rate) -> Decimal:
    """The unrounded tax of a tax-exclusive amount at one rate."""
    return net * rate.percent / HUNDRED


def inclusive_tax(gross: Decimal, rate: Rate, rates: Sequence[Rate]) -> Decimal:
    """The unrounded tax at ``rate`` held in a tax-inclusive amount taxed at every one of ``rates``."""
    return gross * rate.percent / (HUNDRED + combined(rates))


def inclusive_net(gross: Decimal, rates: Sequence[Rate], quantum: Decimal) -> Decimal:
    """The net of a tax-inclusive line: its gross less each rate's tax, each rounded (per line:
    this is what the line's ``Amount`` shows whatever the document's rounding)."""
    return gross - sum((rounded(inclusive_tax(gross, rate, rates), quantum) for rate in rates), ZERO)


def totals_by_rate(
    taxables: Iterable[Taxable], *, inclusive: bool, rounding: Rounding, quantum: Decimal
) -> list[RateTotal]:
    """The tax per rate of a document's taxed amounts, in the order the rates first appear."""
    totals: dict[str, RateTotal] = {}
    for taxable in taxables:
        for rate in taxable.rates:
            total = totals.get(rate.id)
            if total is None:
                total = totals[rate.id] = RateTotal(rate)
            if inclusive and taxable.gross is not None:
                tax = inclusive_tax(taxable.gross, rate, taxable.rates)
            else:
                tax = exclusive_tax(taxable.net, rate)
            total.net_taxable += taxable.net
            if rounding == "line":
                total.tax += rounded(tax, quantum)
            else:
                total._unrounded += tax
    for total in totals.values():
        if rounding != "line":
            total.tax = rounded(total._unrounded, quantum)
        total.net_taxable = rounded(total.net_taxable, quantum)
    return list(totals.values())


__all__ = [
    "Rate",
    "RateTotal",
    "Rounding",
    "Taxable",
    "combined",
    "exclusive_tax",
    "inclusive_net",
    "inclusive_tax",
    "rounded",
    "totals_by_rate",
]
