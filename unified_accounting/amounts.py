"""Amounts beyond what a provider accepts, found before any HTTP call.

Providers bound the numbers they store (QuickBooks documents "max 15 digits in 10.5 format" for
amounts). A larger number sent anyway is refused, or — as seen with emulators and reported of real
services — fails the server, and a write that failed that way must not be retried in the hope it
passes. :func:`amounts_beyond` walks a record (or the changes of an update) and names every amount
past the provider's bound, so ``Provider.validate`` can refuse it with ``ValidationFailed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .errors import FieldIssue

#: Fields that hold what a caller sends as is (the provider's payload, or fields merged into it).
_NOT_WALKED = frozenset({"raw", "pass_through"})


def amounts_beyond(value: Any, maximum: Decimal, *, provider: str, path: str = "") -> list[FieldIssue]:
    """Every ``Decimal`` in ``value`` (a model, mapping, list or number) whose magnitude exceeds
    ``maximum``, as a field issue naming its path (``line_items.0.unit_price``)."""
    issues: list[FieldIssue] = []
    _walk(value, maximum, provider, path, issues)
    return issues


def _walk(value: Any, maximum: Decimal, provider: str, path: str, issues: list[FieldIssue]) -> None:
    if isinstance(value, Decimal):
        if value.is_finite() and abs(value) > maximum:
            issues.append(
                FieldIssue(path or None, f"{value} is beyond what {provider} accepts (at most {maximum})")
            )
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name not in _NOT_WALKED:
                _walk(getattr(value, name), maximum, provider, _join(path, name), issues)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in _NOT_WALKED:
                _walk(item, maximum, provider, _join(path, str(key)), issues)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, maximum, provider, _join(path, str(index)), issues)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


__all__ = ["amounts_beyond"]
