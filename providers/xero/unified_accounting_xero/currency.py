"""Exchange rates: Xero's ``CurrencyRate`` and the unified ``currency_rate``.

The unified rate counts units of the company's home (base) currency per one unit of the document's
currency: an EUR invoice of a USD company at ``currency_rate=Decimal("1.08")`` books 100 EUR as 108 USD.

Which way Xero's ``CurrencyRate`` runs is not documented (its field description points to a page that no
longer exists) and the sources disagree. Xero's interface shows rates as "1 <base> = x <foreign>", its
SDK describes an NZD organisation's rate as "e.g. 0.7500", and third-party code divides by it to get
base amounts: all of which read *foreign units per one base unit*, the inverse of the unified rate. One
integration asserts the opposite. The direction therefore lives in :data:`XERO_RATE_IS_FOREIGN_PER_BASE`
alone; verify it against a real organisation before relying on converted amounts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

#: True: Xero's ``CurrencyRate`` is units of the document currency per one unit of the base currency
#: (unified = 1 / Xero). UNVERIFIED — see the module docstring.
XERO_RATE_IS_FOREIGN_PER_BASE = True
#: Xero keeps rates to six decimal places ("max length = [18].[6]").
XERO_RATE_PLACES = Decimal("0.000001")
#: Unified rates read from Xero keep six significant digits (Xero computes with six).
_SIX_DIGITS = Context(prec=6, rounding=ROUND_HALF_UP)


def unified_rate(
    xero: Decimal | None, foreign_per_base: bool = XERO_RATE_IS_FOREIGN_PER_BASE
) -> Decimal | None:
    """The unified ``currency_rate`` of a Xero ``CurrencyRate`` (``None``, zero or negative: none)."""
    if xero is None or xero <= 0:
        return None
    if xero == 1:
        return Decimal(1)
    return _SIX_DIGITS.divide(Decimal(1), xero) if foreign_per_base else _SIX_DIGITS.plus(xero)


def xero_rate(unified: Decimal, foreign_per_base: bool = XERO_RATE_IS_FOREIGN_PER_BASE) -> Decimal:
    """The Xero ``CurrencyRate`` to send for a unified ``currency_rate``."""
    value = Decimal(1) / unified if foreign_per_base else unified
    return value.quantize(XERO_RATE_PLACES, rounding=ROUND_HALF_UP)
