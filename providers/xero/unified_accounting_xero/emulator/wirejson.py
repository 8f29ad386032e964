"""JSON encoding for the emulator's responses.

Money is held as :class:`decimal.Decimal` and must reach the wire as a JSON *number* with exactly the digits
stored (``115.00``, not ``115.0`` or ``114.99999``).  The standard encoder cannot emit raw numbers, so
Decimals are first written as marked strings and the marks are then removed.  Request bodies are parsed with
``parse_float=Decimal`` so no amount ever passes through a binary float.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\x00xero-emulator-decimal:"
_MARKED = re.compile(r'"\\u0000xero-emulator-decimal:(-?[0-9.]+(?:E[+-]?[0-9]+)?)\\u0000"')


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot serialise {value}")
        return f"{_MARK}{value}\x00"
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    """Serialise to compact UTF-8 JSON, writing Decimals as exact numbers."""
    text = json.dumps(value, default=_default, separators=(",", ":"))
    return _MARKED.sub(r"\1", text).encode("utf-8")


def loads(raw: bytes | str) -> Any:
    """Parse JSON keeping every non-integer number as a Decimal."""
    return json.loads(raw, parse_float=Decimal)
