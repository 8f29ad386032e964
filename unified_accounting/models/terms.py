"""Payment terms: when a document falls due."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from .common import UnifiedModel


class PaymentTermsType(StrEnum):
    """How ``days`` counts (Xero's four rules; QuickBooks terms are ``days_after_issue`` for
    "Net N" terms and ``day_of_following_month`` for date-driven ones)."""

    #: Due ``days`` days after the document date ("Net 30").
    DAYS_AFTER_ISSUE = "days_after_issue"
    #: Due ``days`` days after the end of the document's month.
    DAYS_AFTER_END_OF_MONTH = "days_after_end_of_month"
    #: Due on day ``days`` of the document's month.
    DAY_OF_CURRENT_MONTH = "day_of_current_month"
    #: Due on day ``days`` of the month after the document's.
    DAY_OF_FOLLOWING_MONTH = "day_of_following_month"


class PaymentTerms(UnifiedModel):
    type: PaymentTermsType = PaymentTermsType.DAYS_AFTER_ISSUE
    days: int = Field(ge=0, le=999)
    #: The provider's id of the terms, where terms are records of their own (QuickBooks ``Term``).
    id: str | None = None
    #: The provider's name for them ("Net 30"), on reads.
    name: str | None = None

    @model_validator(mode="after")
    def _day_of_a_month(self) -> PaymentTerms:
        day_of_month = (PaymentTermsType.DAY_OF_CURRENT_MONTH, PaymentTermsType.DAY_OF_FOLLOWING_MONTH)
        if self.type in day_of_month and not 1 <= self.days <= 31:
            raise ValueError(
                f"days is a day of the month for {self.type.value} terms: 1 to 31, got {self.days}"
            )
        return self
