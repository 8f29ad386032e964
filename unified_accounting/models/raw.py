"""The provider's own payload, kept as the bytes it sent and parsed only when first read.

Large list responses asked for with ``include_raw=True`` would otherwise pay for building a second,
untyped copy of every record that most callers never look at. A :class:`RawPayload` is a read-only
mapping: indexing, iteration, ``len`` and ``==`` parse it once (numbers with a fraction become exact
``Decimal``), and it serialises like a dict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any


class RawPayload(Mapping[str, Any]):
    __slots__ = ("_body", "_parsed")

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._parsed: dict[str, Any] | None = None

    @property
    def body(self) -> bytes:
        """The JSON bytes exactly as the provider sent them."""
        return self._body

    def _data(self) -> dict[str, Any]:
        if self._parsed is None:
            parsed = json.loads(self._body, parse_float=Decimal)
            if not isinstance(parsed, dict):
                raise TypeError("a raw payload must be a JSON object")
            self._parsed = parsed
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawPayload):
            return self._body == other._body or self._data() == other._data()
        if isinstance(other, Mapping):
            return self._data() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking mapping: not hashable, like dict

    def __repr__(self) -> str:
        return f"RawPayload({len(self._body)} bytes)"

    def __reduce__(self) -> tuple[type[RawPayload], tuple[bytes]]:
        return (RawPayload, (self._body,))
