"""The unified customer (QuickBooks ``Customer``, Xero ``Contact``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ValidationInfo, model_validator

from .common import Address, Currency, Money, RecordMeta
from .context import is_provider_data


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Customer(RecordMeta):
    display_name: str | None = None
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    currency: Currency | None = None
    balance: Money | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    tax_number: str | None = None

    @model_validator(mode="after")
    def _has_a_name(self, info: ValidationInfo) -> Customer:
        if is_provider_data(info):
            return self  # a provider's record is read as it is (an id still names it)
        if not any((self.display_name, self.company_name, self.first_name, self.last_name)):
            raise ValueError("a customer needs display_name, company_name, first_name or last_name")
        return self
