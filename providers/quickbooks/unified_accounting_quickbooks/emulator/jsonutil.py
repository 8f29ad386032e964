"""JSON reading and writing that keeps money exact.

Request bodies are parsed with every JSON fraction as :class:`decimal.Decimal`; responses write
Decimals back as JSON numbers using their exact decimal text (``12.10`` stays ``12.10``), never
through a binary float.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u0000\u0001dec:"
_MARK_RE = re.compile(r'"\\u0000\\u0001dec:([-+0-9.Ee]+)"')


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("money values must be finite")
        return _MARK + str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """Serialise to compact JSON with Decimals written as exact numbers."""
    text = json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)
    if "\\u0001dec:" in text:
        text = _MARK_RE.sub(r"\1", text)
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading fractions as Decimal and rejecting NaN/Infinity."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
