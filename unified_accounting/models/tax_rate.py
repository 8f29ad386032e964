"""The unified tax rate (QuickBooks ``TaxRate``/``TaxCode``, Xero ``TaxRate``): reference data
that invoice and bill lines name."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Percentage, RecordMeta, UnifiedModel


class TaxRateStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class TaxRateUse(StrEnum):
    """What a tax rate may be charged on."""

    SALES = "sales"
    PURCHASES = "purchases"


class TaxComponent(UnifiedModel):
    """One part of a combined rate (a state and a county rate, GST and PST)."""

    name: str | None = None
    #: Percent: ``Decimal("2.5")`` is 2.5 %.
    rate: Percentage
    #: Charged on the amount with the other components' tax added (Canadian QST before 2013).
    compound: bool = False


class TaxRate(RecordMeta):
    name: str
    #: The code lines use to name the rate, where the provider has one apart from the id.
    code: str | None = None
    #: The effective rate in percent (``Decimal("8.875")`` is 8.875 %), components included.
    rate: Percentage
    status: TaxRateStatus = TaxRateStatus.ACTIVE
    #: Empty when the provider does not say.
    applies_to: list[TaxRateUse] = Field(default_factory=list)
    #: Where the provider combines several rates into this one; empty for a simple rate.
    components: list[TaxComponent] = Field(default_factory=list)
