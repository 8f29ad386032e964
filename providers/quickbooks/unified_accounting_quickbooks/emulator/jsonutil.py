"""JSON reading and writing that keeps money exact.

Request bodies are parsed with every JSON fraction as :class:`decimal.Decimal`; responses write
Decimals back as JSON numbers using their exact decimal text (``12.10`` stays ``12.10``), never
through a binary float.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

# A Decimal is first written as a string wrapped in markers (a control character plus a random
# nonce, so no text can forge one); removing the quote+marker pairs then leaves the bare number.
_NONCE = secrets.token_hex(6)
_OPEN = "\u0002" + _NONCE
_CLOSE = _NONCE[::-1] + "\u0003"
_OPEN_ESCAPED = '"\\u0002' + _NONCE
_CLOSE_ESCAPED = _NONCE[::-1] + '\\u0003"'


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("money values must be finite")
        return _OPEN + str(value) + _CLOSE
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ENCODER = json.JSONEncoder(
    default=_default, separators=(",", ":"), ensure_ascii=False, check_circular=False, allow_nan=False
)


def dumps(value: Any) -> str:
    """Serialise to compact JSON with Decimals written as exact numbers."""
    text = _ENCODER.encode(value)
    if _OPEN_ESCAPED in text:
        return text.replace(_OPEN_ESCAPED, "").replace(_CLOSE_ESCAPED, "")
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading fractions as Decimal and rejecting NaN/Infinity."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
