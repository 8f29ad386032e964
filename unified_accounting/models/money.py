"""Amounts of money in a currency, and their precision.

Two kinds of exact numbers appear in records. An *amount* — a total, a balance, what a line comes
to, tax, an allocation — is money in the record's currency and has that currency's minor units:
USD amounts have two decimals, JPY amounts none, KWD amounts three. A unit price, a quantity, a
rate or a percentage is not an amount: providers store them with more decimals.

Amount fields are declared with :data:`Amount` (or :data:`NonNegativeAmount`). Then:

- :func:`quantized` gives a record whose every amount has exactly its currency's minor units
  (``Decimal('1350.0')`` from one provider and ``Decimal('1350.00')`` from another both become
  ``Decimal('1350.00')`` for USD, ``Decimal('1350')`` for JPY) — the core applies it to every
  record a provider returns;
- a unit price (:data:`UnitPrice`) or a quantity (:data:`Quantity`) keeps every digit that carries
  value but comes back in one canonical form, whatever the provider's JSON: trailing zeros dropped,
  a price never shorter than its currency's minor units (``450.00``, ``33.3333``) and a whole
  quantity without decimals (``3``, ``1.5``);
- :func:`excess_precision` lists the amounts a user gave with more decimals than the currency has,
  which are refused before any HTTP call rather than rounded by the provider behind the user's back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel

from ..errors import FieldIssue
from .common import Money, NonNegativeMoney
from .currency import minor_units


class _CurrencyAmount:
    """Marks a field as an amount in the record's currency (see the module docstring)."""

    def __repr__(self) -> str:
        return "CurrencyAmount"


CURRENCY_AMOUNT = _CurrencyAmount()


class _Canonical:
    """Marks a unit price or a quantity: exact, shown in one form (see the module docstring)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"Canonical({self.kind})"


UNIT_PRICE = _Canonical("unit_price")
QUANTITY = _Canonical("quantity")
#: Money in the record's currency: quantized to its minor units on the way out of a provider.
Amount = Annotated[Money, CURRENCY_AMOUNT]
#: An amount that a user may not give negative (see :mod:`.context` for provider records).
NonNegativeAmount = Annotated[NonNegativeMoney, CURRENCY_AMOUNT]

#: A price per unit in the record's currency: as many decimals as the provider keeps.
UnitPrice = Annotated[Money, UNIT_PRICE]
#: A count of units (never negative as input); fractional where the provider allows.
Quantity = Annotated[NonNegativeMoney, QUANTITY]

ModelT = TypeVar("ModelT", bound=BaseModel)


def quantum(currency: str | None) -> Decimal | None:
    """The smallest unit of ``currency`` (``Decimal('0.01')`` for USD, ``Decimal('1')`` for JPY)."""
    digits = minor_units(currency)
    return None if digits is None else Decimal(1).scaleb(-digits)


@functools.lru_cache(maxsize=1024)
def _unit(currency: str | None) -> tuple[Decimal | None, int]:
    """``quantum(currency)`` and its exponent (0 without a minor unit), computed once per code."""
    unit = quantum(currency)
    return unit, (0 if unit is None else int(unit.as_tuple().exponent))


def quantize(value: Decimal, currency: str | None) -> Decimal:
    """``value`` at ``currency``'s minor units, rounded half up (the rounding providers use)."""
    unit, exponent = _unit(currency)
    if unit is None or value.as_tuple().exponent == exponent:
        return value
    return value.quantize(unit, rounding=ROUND_HALF_UP)


def canonical(value: Decimal, kind: str, currency: str | None) -> Decimal:
    """``value`` in its canonical form for ``kind`` (``"unit_price"`` or ``"quantity"``), equal to it."""
    if not value.is_finite():
        return value
    _, held, exponent = value.as_tuple()
    least = -_unit(currency)[1] if kind == "unit_price" else 0
    # Already canonical — the usual case, told without normalizing: exactly the fewest decimals
    # the kind shows, or more of them without a trailing zero.
    if exponent == -least or (isinstance(exponent, int) and exponent < -least and held[-1]):
        return value
    digits = max(0, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    digits = max(digits, least)
    exact = value.quantize(Decimal(1).scaleb(-digits))
    return value if exact.as_tuple() == value.as_tuple() else exact


def _marked(annotation: Any, marker: object) -> bool:
    """Whether ``annotation`` carries ``marker``, alone or in a union (``Amount | None``)."""
    if get_origin(annotation) is Annotated:
        return any(found is marker for found in annotation.__metadata__)
    return any(_marked(arg, marker) for arg in get_args(annotation))


def _fields_marked(model: type[BaseModel], marker: object) -> tuple[str, ...]:
    return tuple(
        name
        for name, info in model.model_fields.items()
        if any(found is marker for found in info.metadata) or _marked(info.annotation, marker)
    )


@functools.cache
def _amount_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return _fields_marked(model, CURRENCY_AMOUNT)


@functools.cache
def _canonical_fields(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, marker.kind) for marker in (UNIT_PRICE, QUANTITY) for name in _fields_marked(model, marker)
    )


def _currency_of(record: BaseModel, default: str | None) -> str | None:
    currency = getattr(record, "currency", None)
    return currency if isinstance(currency, str) else default


def _may_hold_models(annotation: Any) -> bool:
    """Whether a field so annotated can hold a record (alone, in a list, in a union)."""
    if annotation is Any or annotation is object or isinstance(annotation, TypeVar):
        return True
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return issubclass(annotation, BaseModel)
    return any(_may_hold_models(arg) for arg in get_args(annotation))


@dataclass(frozen=True)
class _Walk:
    """What :func:`quantized` visits in the records of one model, found once per model."""

    amounts: tuple[str, ...]
    canonicals: tuple[tuple[str, str], ...]
    #: The fields whose values may be records, or lists of records, to walk into.
    nested: tuple[str, ...]
    #: Whether its records may name a currency of their own (else the caller's is theirs).
    has_currency: bool


@functools.cache
def _walk(model: type[BaseModel]) -> _Walk:
    return _Walk(
        amounts=_amount_fields(model),
        canonicals=_canonical_fields(model),
        nested=tuple(name for name, info in model.model_fields.items() if _may_hold_models(info.annotation)),
        has_currency=hasattr(model, "currency") or "currency" in model.model_fields,
    )


def quantized(record: ModelT, currency: str | None = None) -> ModelT:
    """``record`` with every amount — its own and its nested records' — at the minor units of its
    currency (the record's ``currency`` field, else ``currency``, else two decimals), and every
    unit price and quantity in its canonical form.

    Returns ``record`` itself when nothing changes, so a decoder already exact costs one pass, over
    the fields that can hold amounts or records only (what the mirror's reads pay per record)."""
    walk = _walk(type(record))
    if walk.has_currency:
        currency = _currency_of(record, currency)
    updates: dict[str, Any] = {}
    for name in walk.amounts:
        value = getattr(record, name)
        if isinstance(value, Decimal):
            exact = quantize(value, currency)
            if exact is not value:
                updates[name] = exact
    for name, kind in walk.canonicals:
        value = getattr(record, name)
        if isinstance(value, Decimal):
            exact = canonical(value, kind, currency)
            if exact is not value:
                updates[name] = exact
    for name in walk.nested:
        value = getattr(record, name)
        if isinstance(value, BaseModel):
            inner = quantized(value, currency)
            if inner is not value:
                updates[name] = inner
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            items = [quantized(item, currency) for item in value]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                updates[name] = items
    return record.model_copy(update=updates) if updates else record


def excess_precision(record: BaseModel, currency: str | None = None, *, path: str = "") -> list[FieldIssue]:
    """Amounts a user set with more decimals than the currency has, each named by its field path.

    Only fields the user gave count (a line total the model derived from quantity and price is the
    provider's to round). ``currency`` stands in when the record names none — pass the company's
    base currency when it is known."""
    currency = _currency_of(record, currency)
    digits = minor_units(currency)
    issues: list[FieldIssue] = []
    given = record.model_fields_set
    if digits is not None:
        for name in _amount_fields(type(record)):
            value = getattr(record, name)
            if name in given and isinstance(value, Decimal) and _decimals(value) > digits:
                issues.append(_too_precise(f"{path}{name}", value, currency, digits))
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, BaseModel):
            issues += excess_precision(value, currency, path=f"{path}{name}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    issues += excess_precision(item, currency, path=f"{path}{name}.{index}.")
    return issues


def excess_precision_in_update(
    model: type[BaseModel], fields: dict[str, Any], currency: str | None = None
) -> list[FieldIssue]:
    """:func:`excess_precision` for the fields of a partial update of a ``model`` record (the
    currency is the update's own ``currency`` when it changes it, else ``currency``)."""
    given = fields.get("currency")
    currency = given if isinstance(given, str) else currency
    digits = minor_units(currency)
    issues: list[FieldIssue] = []
    amounts = set(_amount_fields(model))
    for name, value in fields.items():
        if (
            name in amounts
            and digits is not None
            and isinstance(value, Decimal)
            and _decimals(value) > digits
        ):
            issues.append(_too_precise(name, value, currency, digits))
        elif isinstance(value, BaseModel):
            issues += excess_precision(value, currency, path=f"{name}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    issues += excess_precision(item, currency, path=f"{name}.{index}.")
    return issues


def _too_precise(field: str, value: Decimal, currency: str | None, digits: int) -> FieldIssue:
    amounts = f"{currency} amounts" if currency else "amounts in this currency"
    return FieldIssue(field, f"{value} has more decimals than {amounts} have ({digits}): round it first")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class QuantizedRecords(list[Any]):
    """A page of records its codec built already quantized: each is what :func:`quantized` would
    make of it (``quantized(record) is record``), so the provider's read path hands them over
    without walking every record and line again — on a 1,000-invoice page that walk cost more than
    the decoding. A codec returns a page as one only when it vouches for every record in it."""

    __slots__ = ()


__all__ = [
    "CURRENCY_AMOUNT",
    "Amount",
    "NonNegativeAmount",
    "QuantizedRecords",
    "excess_precision",
    "excess_precision_in_update",
    "quantize",
    "quantized",
    "quantum",
]
