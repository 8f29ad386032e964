"""JSON for provider payloads: money goes out as exact JSON numbers, never through binary floats.

The standard encoder cannot write a ``Decimal``. Writing it as a float is exact whenever the float's
shortest repr spells the same digits (always true up to 15 significant digits, far beyond any
currency amount), and that is checked for every value; anything longer is refused instead of being
silently rounded.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _exact_float(value: Decimal) -> float:
    as_float = float(value)
    if Decimal(repr(as_float)) != value:
        raise ValueError(f"{value} has too many significant digits to send exactly as a JSON number")
    return as_float


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _convert(value: Any) -> Any:
    # Converted up-front rather than in ``default`` so every amount passes the exactness check.
    if isinstance(value, Decimal):
        return _exact_float(value)
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_convert(v) for v in value]
    return value


def dumps(payload: Any) -> bytes:
    """Serialise a provider payload (which may hold ``Decimal`` and dates) to compact UTF-8 JSON."""
    return json.dumps(_convert(payload), default=_default, separators=(",", ":"), allow_nan=False).encode()


def loads(body: bytes | str) -> Any:
    """Parse JSON keeping every number with a fraction as an exact ``Decimal``."""
    return json.loads(body, parse_float=Decimal)
