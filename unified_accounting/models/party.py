"""What customers and suppliers have in common: names, contacts, addresses, currency, terms."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, ValidationInfo, model_validator

from .common import Address, Currency, RecordMeta, UnifiedModel
from .context import is_provider_data
from .money import Amount
from .terms import PaymentTerms


class PartyStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class EmailType(StrEnum):
    PRIMARY = "primary"
    #: Where invoices and statements go, when not the primary address.
    BILLING = "billing"
    OTHER = "other"


class PhoneType(StrEnum):
    PRIMARY = "primary"
    MOBILE = "mobile"
    FAX = "fax"
    OTHER = "other"


class EmailAddress(UnifiedModel):
    address: str = Field(min_length=3)
    type: EmailType = EmailType.PRIMARY
    #: The person this address reaches, where the provider keeps contact people.
    name: str | None = None


class PhoneNumber(UnifiedModel):
    number: str = Field(min_length=1)
    type: PhoneType = PhoneType.PRIMARY


class Party(RecordMeta):
    """Someone the company deals with. ``email`` and ``phone`` are the primary address and number;
    ``emails`` and ``phones`` hold every one the provider keeps, the primary ones included (filled
    on reads; on writes, give the ones to store — the primary one in ``email``/``phone`` is enough)."""

    display_name: str | None = None
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    emails: list[EmailAddress] = Field(default_factory=list)
    phones: list[PhoneNumber] = Field(default_factory=list)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    currency: Currency | None = None
    #: What is owed (by a customer, or to a supplier), in ``currency`` (read only).
    balance: Amount | None = None
    status: PartyStatus = PartyStatus.ACTIVE
    tax_number: str | None = None
    terms: PaymentTerms | None = None

    @model_validator(mode="after")
    def _has_a_name(self, info: ValidationInfo) -> Party:
        if is_provider_data(info):
            return self  # a provider's record is read as it is (an id still names it)
        if not any((self.display_name, self.company_name, self.first_name, self.last_name)):
            kind = type(self).__name__.lower()
            raise ValueError(f"a {kind} needs display_name, company_name, first_name or last_name")
        return self

    @model_validator(mode="after")
    def _primary_contacts_agree(self, info: ValidationInfo) -> Party:
        # ``email`` and ``phone`` are the primary entries of ``emails`` and ``phones``: a user who
        # gives both must give the same one (providers fill both on reads).
        if is_provider_data(info) or info.field_name not in (None, "email", "emails", "phone", "phones"):
            return self
        primary_email = next((e.address for e in self.emails if e.type is EmailType.PRIMARY), None)
        if self.email and primary_email and self.email != primary_email:
            raise ValueError(f"email {self.email!r} is not the primary address in emails ({primary_email!r})")
        primary_phone = next((p.number for p in self.phones if p.type is PhoneType.PRIMARY), None)
        if self.phone and primary_phone and self.phone != primary_phone:
            raise ValueError(f"phone {self.phone!r} is not the primary number in phones ({primary_phone!r})")
        return self
