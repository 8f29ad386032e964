"""The subset of Xero's ``where`` and ``order`` query language the emulator understands.

``where`` grammar (a C#/LINQ-like expression language)::

    expr       := or
    or         := and (("OR" | "||") and)*
    and        := not (("AND" | "&&") not)*
    not        := ("NOT" | "!") not | primary
    primary    := "(" expr ")" | operand [op operand]
    op         := "==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    operand    := path [".Contains(s)" | ".StartsWith(s)" | ".EndsWith(s)" | ".ToLower()" | ".ToUpper()"]
                | "string" | number | true | false | null
                | guid("...") | Guid("...") | DateTime(y, m, d[, h, mi, s]) | DateTime.Parse("...")

Paths are dotted field names (``Contact.ContactID``) and are matched case-insensitively.  String comparisons
ignore case by default (unverified; ``EmulatorOptions.where_case_insensitive``).  Anything else raises
:class:`~.errors.QueryParseError`, answered as ``QueryParseException``.

``order`` is a comma-separated list of ``Field [ASC|DESC]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .dates import DateParseError, parse_datetime
from .errors import QueryParseError
from .state import Record

Resolver = Callable[[Record, list[str]], Any]
Predicate = Callable[[Record], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<>|<=|>=|&&|\|\||[=<>!(),.])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryParseError(
                f"Unexpected character at position {pos} in where clause: {text[pos : pos + 20]!r}"
            )
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(_Tok(kind, value))
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class _Field:
    parts: tuple[str, ...]
    transform: str | None = None  # lower | upper


class _Parser:
    def __init__(self, text: str, resolve: Resolver, case_insensitive: bool) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.resolve = resolve
        self.ci = case_insensitive

    # token helpers
    def peek(self, offset: int = 0) -> _Tok | None:
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise QueryParseError("Unexpected end of where clause")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise QueryParseError(f"Expected '{text}' but found '{tok.text}'")

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.upper() in words

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in ops

    # grammar
    def parse(self) -> Predicate:
        predicate = self.parse_or()
        if self.peek() is not None:
            raise QueryParseError(f"Unexpected '{self.peek().text}' in where clause")  # type: ignore[union-attr]
        return predicate

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.at_word("OR") or self.at_op("||"):
            self.take()
            parts.append(self.parse_and())
        if len(parts) == 1:
            return parts[0]
        return lambda rec: any(p(rec) for p in parts)

    def parse_and(self) -> Predicate:
        parts = [self.parse_not()]
        while self.at_word("AND") or self.at_op("&&"):
            self.take()
            parts.append(self.parse_not())
        if len(parts) == 1:
            return parts[0]
        return lambda rec: all(p(rec) for p in parts)

    def parse_not(self) -> Predicate:
        if self.at_word("NOT") or self.at_op("!"):
            self.take()
            inner = self.parse_not()
            return lambda rec: not inner(rec)
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        if self.at_op("("):
            self.take()
            inner = self.parse_or()
            self.expect(")")
            return inner
        left = self.parse_operand()
        if isinstance(left, tuple):  # method predicate such as Name.Contains("x")
            return left[0]
        if not self.at_op("==", "=", "!=", "<>", "<", "<=", ">", ">="):
            if isinstance(left, _Field):
                fld = left
                return lambda rec: self.value(fld, rec) is True
            raise QueryParseError("Expected a comparison in where clause")
        op = self.take().text
        right = self.parse_operand()
        if isinstance(right, tuple):
            raise QueryParseError("Method calls cannot be compared")
        return self.comparison(left, op, right)

    def parse_operand(self) -> _Literal | _Field | tuple[Predicate]:
        tok = self.take()
        if tok.kind == "string":
            return _Literal(tok.text)
        if tok.kind == "number":
            return _Literal(Decimal(tok.text))
        if tok.kind != "word":
            raise QueryParseError(f"Unexpected '{tok.text}' in where clause")
        upper = tok.text.upper()
        if upper in ("TRUE", "FALSE"):
            return _Literal(upper == "TRUE")
        if upper == "NULL":
            return _Literal(None)
        if upper in ("AND", "OR", "NOT"):
            raise QueryParseError(f"Unexpected '{tok.text}' in where clause")
        if upper == "GUID" and self.at_op("("):
            self.take()
            arg = self.take()
            self.expect(")")
            return _Literal(arg.text.lower())
        if upper == "DATETIME":
            return _Literal(self.parse_datetime())
        parts = [tok.text]
        while self.at_op("."):
            self.take()
            name = self.take()
            if name.kind != "word":
                raise QueryParseError(f"Unexpected '{name.text}' after '.'")
            if self.at_op("("):
                return self.parse_method(tuple(parts), name.text)
            parts.append(name.text)
        return _Field(tuple(parts))

    def parse_datetime(self) -> datetime:
        if self.at_op("."):
            self.take()
            method = self.take()
            if method.text.upper() != "PARSE":
                raise QueryParseError(f"Unsupported DateTime method '{method.text}'")
            self.expect("(")
            arg = self.take()
            self.expect(")")
            try:
                return parse_datetime(arg.text)
            except DateParseError as exc:
                raise QueryParseError(str(exc)) from exc
        self.expect("(")
        numbers: list[int] = []
        while True:
            tok = self.take()
            if tok.kind != "number":
                raise QueryParseError("DateTime(...) takes whole numbers")
            numbers.append(int(tok.text))
            if self.at_op(","):
                self.take()
                continue
            self.expect(")")
            break
        try:
            padded = [*numbers, 0, 0, 0, 0, 0, 0][:6]
            if len(numbers) < 3 or len(numbers) > 6:
                raise ValueError("DateTime takes 3 to 6 numbers")
            return datetime(padded[0], padded[1], padded[2], padded[3], padded[4], padded[5], tzinfo=UTC)
        except (TypeError, ValueError) as exc:
            raise QueryParseError(f"Invalid DateTime{tuple(numbers)}") from exc

    def parse_method(self, parts: tuple[str, ...], method: str) -> _Field | tuple[Predicate]:
        self.expect("(")
        name = method.upper()
        if name in ("TOLOWER", "TOUPPER"):
            self.expect(")")
            return _Field(parts, "lower" if name == "TOLOWER" else "upper")
        if name not in ("CONTAINS", "STARTSWITH", "ENDSWITH"):
            raise QueryParseError(f"Unsupported method '{method}' in where clause")
        arg = self.take()
        if arg.kind != "string":
            raise QueryParseError(f"{method} takes a string")
        self.expect(")")
        needle = arg.text.casefold() if self.ci else arg.text
        fld = _Field(parts)

        def predicate(rec: Record) -> bool:
            value = self.value(fld, rec)
            if not isinstance(value, str):
                return False
            hay = value.casefold() if self.ci else value
            if name == "CONTAINS":
                return needle in hay
            if name == "STARTSWITH":
                return hay.startswith(needle)
            return hay.endswith(needle)

        return (predicate,)

    # evaluation
    def value(self, operand: _Literal | _Field, rec: Record) -> Any:
        if isinstance(operand, _Literal):
            return operand.value
        value = self.resolve(rec, list(operand.parts))
        if isinstance(value, str) and operand.transform:
            return value.lower() if operand.transform == "lower" else value.upper()
        return value

    def comparison(self, left: _Literal | _Field, op: str, right: _Literal | _Field) -> Predicate:
        ci = self.ci

        def predicate(rec: Record) -> bool:
            a, b = _coerce(self.value(left, rec), self.value(right, rec), ci)
            if op in ("==", "="):
                return bool(a == b)
            if op in ("!=", "<>"):
                return bool(a != b)
            if a is None or b is None:
                return False
            try:
                if op == "<":
                    return bool(a < b)
                if op == "<=":
                    return bool(a <= b)
                if op == ">":
                    return bool(a > b)
                return bool(a >= b)
            except TypeError:
                return False

        return predicate


def _coerce(a: Any, b: Any, ci: bool) -> tuple[Any, Any]:
    """Bring two operands to comparable types."""
    if a is None or b is None:
        return a, b
    if isinstance(a, date) or isinstance(b, date):
        return _as_datetime(a), _as_datetime(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a, b
    if isinstance(a, int | Decimal) or isinstance(b, int | Decimal):
        return _as_decimal(a), _as_decimal(b)
    if isinstance(a, str) and isinstance(b, str) and ci:
        return a.casefold(), b.casefold()
    return a, b


def _as_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except DateParseError:
            return value
    return value


def _as_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


def compile_where(text: str, resolve: Resolver, case_insensitive: bool = True) -> Predicate:
    """Compile a ``where`` expression into a predicate over internal records."""
    if not text.strip():
        return lambda rec: True
    return _Parser(text, resolve, case_insensitive).parse()


_ORDER_PART = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(ASC|DESC)?\s*$", re.IGNORECASE)


def parse_order(text: str) -> list[tuple[list[str], bool]]:
    """``"UpdatedDateUTC DESC, Name"`` → ``[(["UpdatedDateUTC"], True), (["Name"], False)]``."""
    result: list[tuple[list[str], bool]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _ORDER_PART.match(part)
        if not match:
            raise QueryParseError(f"Cannot parse order expression '{part.strip()}'")
        result.append((match.group(1).split("."), (match.group(2) or "ASC").upper() == "DESC"))
    return result


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | Decimal):
        return (2, Decimal(value))
    if isinstance(value, datetime):
        return (3, value.timestamp())
    if isinstance(value, date):
        return (3, datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    return (4, str(value).casefold())


def apply_order(
    records: Iterable[Record], order: list[tuple[list[str], bool]], resolve: Resolver
) -> list[Record]:
    result = list(records)
    for parts, descending in reversed(order):
        result.sort(key=lambda rec, p=parts: _sort_key(resolve(rec, p)), reverse=descending)  # type: ignore[misc]
    return result
