"""Types shared by every unified model: money, currency, UTC datetimes, addresses, the model base.

Money is :class:`~decimal.Decimal`. A float handed in is converted through its shortest ``repr``
(``0.1`` becomes ``Decimal("0.1")``), never through its binary value (which would be
``0.1000000000000000055511151231257827``). Datetimes must carry a timezone and are stored in UTC;
a naive datetime is refused because guessing its zone silently shifts ledgers by hours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from .context import is_provider_data, lone_surrogate
from .currency import normalize_currency


def to_decimal(value: Any) -> Any:
    """Convert money input to ``Decimal`` exactly as a person would read it."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("amount must be a finite number")
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not result.is_finite():
            raise ValueError("amount must be a finite number")
        return result
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("amount must be a finite number")
    return value


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (for example datetime(..., tzinfo=UTC))")
    return value.astimezone(UTC)


#: An exact amount. JSON output keeps it as a string so no reader turns it into a float.
Money = Annotated[Decimal, BeforeValidator(to_decimal), PlainSerializer(str, when_used="json")]


def non_negative_input(value: Any, info: ValidationInfo) -> Any:
    """Refuse a negative amount from a user; a provider's stored amount is taken as it is."""
    if value is not None and value < 0 and not is_provider_data(info):
        raise ValueError("Input should be greater than or equal to 0")
    return value


#: A non-negative exact amount (the rule is for input: see :mod:`.context`).
NonNegativeMoney = Annotated[Money, AfterValidator(non_negative_input)]
#: An exact, non-negative percentage: ``Decimal("20")`` is 20 % (exact like money, never a float).
Percentage = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    AfterValidator(non_negative_input),
    PlainSerializer(str, when_used="json"),
]
#: An upper-case ISO 4217 code.
Currency = Annotated[str, AfterValidator(normalize_currency)]
#: A timezone-aware datetime normalised to UTC.
UTCDateTime = Annotated[datetime, AfterValidator(to_utc)]


class UnifiedModel(BaseModel):
    """Base of every unified record: strict field names, validated on assignment, no silent extras."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _valid_unicode(cls, value: Any, info: ValidationInfo) -> Any:
        # Text that is not valid Unicode cannot reach a provider or a database intact: refuse it
        # from users. A provider that stored such text still has it read back (see .context).
        if value is not None and not is_provider_data(info):
            problem = lone_surrogate(value)
            if problem:
                raise ValueError(problem)
        return value


class Address(UnifiedModel):
    """A postal address. Free-form addresses (QuickBooks ``Line1``–``Line5`` without a city, Xero
    ``AddressLine1``–``AddressLine4``) keep every line."""

    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    line5: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    #: Who the mail is for ("Accounts payable", a person): Xero ``AttentionTo``.
    contact_name: str | None = None


class CustomField(UnifiedModel):
    id: str | None = None
    name: str | None = None
    value: str | None = None


class RecordMeta(UnifiedModel):
    """Fields every stored record has: identity, optimistic lock, timestamps, raw and pass-through."""

    id: str | None = None
    row_version: str | None = Field(
        default=None, description="Opaque optimistic-lock token; send it back on update to detect conflicts."
    )
    created_at: UTCDateTime | None = None
    updated_at: UTCDateTime | None = None
    raw: Mapping[str, Any] | None = Field(
        default=None,
        description="The provider's payload, filled only when include_raw=True (a dict, or a RawPayload "
        "parsed on first access).",
        repr=False,
    )
    pass_through: dict[str, Any] = Field(
        default_factory=dict,
        description="Provider-specific fields merged into the provider payload on writes.",
        repr=False,
    )

    @field_serializer("raw")
    def _raw_as_dict(self, value: Mapping[str, Any] | None) -> dict[str, Any] | None:
        # A lazy RawPayload dumps like the dict it stands for.
        return None if value is None else dict(value)
