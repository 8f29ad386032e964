"""A tiny builder for the QuickBooks query language, with quoting that cannot be escaped from.

QuickBooks accepts ``SELECT * | COUNT(*) FROM Entity [WHERE a AND b ...] [ORDERBY f [ASC|DESC]]
[STARTPOSITION n] [MAXRESULTS n]``. Strings go in single quotes with backslash escapes, so a value
such as ``O'Brien`` must become ``'O\\'Brien'``; field names and operators come from a fixed
vocabulary and are checked, so no caller-supplied text is ever spliced in unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

#: QuickBooks refuses MAXRESULTS above this.
MAX_RESULTS = 1000
OPERATORS = frozenset({"=", "<", ">", "<=", ">=", "IN", "LIKE"})
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


def quote(text: str) -> str:
    """A QuickBooks string literal: backslashes and single quotes escaped with a backslash."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value: Any) -> str:
    """Any Python value as a query literal (datetimes in UTC, ISO 8601)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a query datetime must be timezone-aware")
        # Whole seconds: QuickBooks stores MetaData times to the second, and ">=" stays inclusive.
        return quote(value.astimezone(UTC).replace(microsecond=0).isoformat())
    if isinstance(value, date):
        return quote(value.isoformat())
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"{type(value).__name__} cannot be used in a QuickBooks query")


def _name(text: str) -> str:
    if not _NAME.match(text):
        raise ValueError(f"{text!r} is not a QuickBooks field or entity name")
    return text


@dataclass(frozen=True)
class Query:
    """An immutable query; each method returns a new one. ``str(query)`` is the text to send."""

    entity: str
    conditions: tuple[str, ...] = ()
    order: str | None = None
    start_position: int | None = None
    max_results: int | None = None
    count: bool = False

    def __post_init__(self) -> None:
        _name(self.entity)

    def where(self, name: str, operator: str, value: Any) -> Query:
        operator = operator.upper()
        if operator not in OPERATORS:
            raise ValueError(f"{operator!r} is not a QuickBooks query operator")
        if operator == "IN":
            values = list(value)
            if not values:
                raise ValueError("IN needs at least one value")
            rendered = "(" + ", ".join(literal(v) for v in values) + ")"
        else:
            rendered = literal(value)
        return replace(self, conditions=(*self.conditions, f"{_name(name)} {operator} {rendered}"))

    def order_by(self, name: str, *, descending: bool = False) -> Query:
        return replace(self, order=f"{_name(name)} {'DESC' if descending else 'ASC'}")

    def then_by(self, name: str, *, descending: bool = False) -> Query:
        """A further sort field, for rows equal in the ones before (QuickBooks takes several)."""
        if self.order is None:
            return self.order_by(name, descending=descending)
        return replace(self, order=f"{self.order}, {_name(name)} {'DESC' if descending else 'ASC'}")

    def page(self, start_position: int, max_results: int) -> Query:
        if start_position < 1:
            raise ValueError("STARTPOSITION is 1-based")
        if not 1 <= max_results <= MAX_RESULTS:
            raise ValueError(f"MAXRESULTS must be between 1 and {MAX_RESULTS}")
        return replace(self, start_position=start_position, max_results=max_results)

    def counting(self) -> Query:
        return replace(self, count=True)

    def __str__(self) -> str:
        parts = [f"SELECT {'COUNT(*)' if self.count else '*'} FROM {self.entity}"]
        if self.conditions:
            parts.append("WHERE " + " AND ".join(self.conditions))
        if self.order:
            parts.append(f"ORDERBY {self.order}")
        if self.start_position is not None:
            parts.append(f"STARTPOSITION {self.start_position}")
        if self.max_results is not None:
            parts.append(f"MAXRESULTS {self.max_results}")
        return " ".join(parts)


def select(entity: str) -> Query:
    return Query(entity)
