"""The QuickBooks query language: ``SELECT * | COUNT(*) FROM Entity [WHERE ...] [ORDERBY ...]
[STARTPOSITION n] [MAXRESULTS n]``.

* Keywords are case-insensitive; conditions are joined by ``AND`` only (``OR`` is a parse error, as in
  QuickBooks); operators ``= < > <= >= IN (...) LIKE`` (``LIKE`` supports ``%`` wildcards only).
* Strings are in single quotes with backslash escapes (``'O\\'Brien'``); numbers, ``true``/``false``.
* Fields may be dotted (``MetaData.LastUpdatedTime``); a reference field (``CustomerRef``) compares
  its ``value``. ``Id`` and money fields compare as numbers, ``MetaData`` times as instants
  (offsets are honoured; a value without offset is read in the company's offset), dates as dates.
* Positions are 1-based; ``MAXRESULTS`` defaults to 100 and may not exceed 1000: above that the
  emulator answers QueryValidationError 4001 (option ``query_max_results_overflow="clamp"`` caps it
  silently instead — which one the real service does is UNVERIFIED).
* Like QuickBooks, queries on name lists (Customer, Item, Account) return only active rows unless the
  WHERE clause mentions ``Active`` (option ``query_hides_inactive``).
* Whether string comparison ignores case is UNVERIFIED: option ``query_case_insensitive`` (default on).
* Parse errors are QueryParserError 4000; unknown entities or properties are QueryValidationError 4001.

Matching rows are kept per (table version, WHERE, ORDERBY) so paging through a large table costs a
slice per page rather than a scan and sort.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

from . import faults
from .clock import parse_datetime
from .state import ENTITY_BY_LOWER, Record, Table

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_LIMIT = 1000
NAME_LISTS = frozenset(
    {"Customer", "Item", "Account", "TaxCode", "TaxRate", "TaxAgency", "Term", "Class", "Department"}
)

NUMERIC_FIELDS = frozenset(
    {
        "Id",
        "SyncToken",
        "TotalAmt",
        "Balance",
        "UnappliedAmt",
        "UnitPrice",
        "BalanceWithJobs",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
        "ExchangeRate",
        "HomeTotalAmt",
        "HomeBalance",
        "QtyOnHand",
        "RateValue",
        "DueDays",
        "DayOfMonthDue",
        "Size",
    }
)
DATETIME_FIELDS = frozenset({"MetaData.CreateTime", "MetaData.LastUpdatedTime"})
DATE_FIELDS = frozenset({"TxnDate", "DueDate", "ShipDate"})
BOOL_FIELDS = frozenset(
    {
        "Active",
        "Taxable",
        "Job",
        "BillWithParent",
        "SubAccount",
        "ProcessPayment",
        "ApplyTaxAfterDiscount",
        "AllowOnlineCreditCardPayment",
        "TaxGroup",
        "Hidden",
        "SubClass",
        "SubDepartment",
        "TaxTrackedOnSales",
        "TaxTrackedOnPurchases",
    }
)

_COMMON = {"Id", "SyncToken", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}
_TXN = {"DocNumber", "TxnDate", "CustomerRef", "TotalAmt", "CurrencyRef", "PrivateNote", "ExchangeRate"}
QUERYABLE: dict[str, frozenset[str]] = {
    "Invoice": frozenset(
        _COMMON
        | _TXN
        | {
            "DueDate",
            "Balance",
            "EmailStatus",
            "PrintStatus",
            "SalesTermRef",
            "ShipDate",
            "HomeBalance",
            "HomeTotalAmt",
            "BillEmail.Address",
        }
    ),
    "Payment": frozenset(
        _COMMON
        | _TXN
        | {"UnappliedAmt", "DepositToAccountRef", "PaymentMethodRef", "PaymentRefNum", "ProcessPayment"}
    ),
    "Customer": frozenset(
        _COMMON
        | {
            "DisplayName",
            "GivenName",
            "FamilyName",
            "MiddleName",
            "CompanyName",
            "FullyQualifiedName",
            "PrintOnCheckName",
            "Active",
            "Balance",
            "BalanceWithJobs",
            "PrimaryEmailAddr",
            "PrimaryEmailAddr.Address",
            "PrimaryPhone",
            "Job",
            "ParentRef",
            "CurrencyRef",
            "Taxable",
            "Title",
            "Suffix",
            "Notes",
        }
    ),
    "Item": frozenset(
        _COMMON
        | {
            "Name",
            "FullyQualifiedName",
            "Active",
            "Type",
            "UnitPrice",
            "Sku",
            "Description",
            "Taxable",
            "IncomeAccountRef",
            "QtyOnHand",
            "ParentRef",
        }
    ),
    "Account": frozenset(
        _COMMON
        | {
            "Name",
            "FullyQualifiedName",
            "Active",
            "AccountType",
            "AccountSubType",
            "Classification",
            "CurrentBalance",
            "CurrentBalanceWithSubAccounts",
            "SubAccount",
            "AcctNum",
            "ParentRef",
            "CurrencyRef",
        }
    ),
    "JournalEntry": frozenset(_COMMON | _TXN | {"Adjustment", "HomeTotalAmt"}),
    "Vendor": frozenset(
        _COMMON
        | {"DisplayName", "GivenName", "FamilyName", "CompanyName", "PrintOnCheckName", "Active", "Balance"}
        | {"PrimaryEmailAddr", "PrimaryEmailAddr.Address", "CurrencyRef", "AcctNum", "Vendor1099"}
    ),
    "Bill": frozenset(_COMMON | _TXN | {"VendorRef", "DueDate", "Balance", "APAccountRef", "HomeBalance"}),
    "BillPayment": frozenset(_COMMON | _TXN | {"VendorRef", "PayType"}),
    "CreditMemo": frozenset(_COMMON | _TXN | {"Balance", "RemainingCredit", "HomeBalance"}),
    "VendorCredit": frozenset(_COMMON | _TXN | {"VendorRef", "Balance", "APAccountRef"}),
    "Purchase": frozenset(_COMMON | _TXN | {"AccountRef", "PaymentType", "EntityRef", "Credit"}),
    "CompanyInfo": frozenset(_COMMON | {"CompanyName", "LegalName", "Country"}),
    "Preferences": frozenset(_COMMON),
    "TaxAgency": frozenset(_COMMON | {"DisplayName", "TaxTrackedOnSales", "TaxTrackedOnPurchases"}),
    "TaxRate": frozenset(
        _COMMON | {"Name", "Description", "Active", "RateValue", "AgencyRef", "SpecialTaxType"}
    ),
    "TaxCode": frozenset(_COMMON | {"Name", "Description", "Active", "Taxable", "TaxGroup", "Hidden"}),
    "Term": frozenset(_COMMON | {"Name", "Active", "Type", "DueDays", "DayOfMonthDue"}),
    "Class": frozenset(_COMMON | {"Name", "FullyQualifiedName", "Active", "ParentRef", "SubClass"}),
    "Department": frozenset(_COMMON | {"Name", "FullyQualifiedName", "Active", "ParentRef", "SubDepartment"}),
    "Attachable": frozenset(
        _COMMON
        | {"FileName", "ContentType", "Category", "Note", "Size"}
        | {"AttachableRef.EntityRef", "AttachableRef.EntityRef.Type", "AttachableRef.EntityRef.value"}
    ),
}
#: Properties holding a list of objects: a condition on a field inside matches when any element
#: matches (an Attachable attached to several records is found under each), its names compared
#: without regard to case (Intuit writes ``EntityRef.Type`` in queries, ``type`` in the JSON).
LIST_FIELDS = frozenset({"AttachableRef"})
#: Entities whose ids are not all numbers (US tax codes TAX and NON): ``Id`` compares as text.
TEXT_IDS = frozenset({"TaxCode"})

KEYWORDS = frozenset(
    {
        "SELECT",
        "COUNT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "IN",
        "LIKE",
        "ORDERBY",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "STARTPOSITION",
        "MAXRESULTS",
        "NOT",
    }
)

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    value: Any
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            if text[position] == "'":
                raise faults.query_parser(f"Unterminated string literal at column {position + 1}")
            raise faults.query_parser(f'Encountered " "{text[position]}" " at line 1, column {position + 1}.')
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            value: Any = re.sub(r"\\(.)", r"\1", raw[1:-1])
            tokens.append(Token("string", raw, value, position))
        elif kind == "number":
            tokens.append(Token("number", raw, Decimal(raw), position))
        elif kind == "word":
            upper = raw.upper()
            if upper in KEYWORDS:
                tokens.append(Token("keyword", upper, upper, position))
            elif upper in ("TRUE", "FALSE"):
                tokens.append(Token("bool", raw, upper == "TRUE", position))
            else:
                tokens.append(Token("ident", raw, raw, position))
        elif kind != "ws":
            tokens.append(Token(kind, raw, raw, position))
        position = match.end()
    return tokens


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any  # a literal, or a tuple of literals for IN


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    conditions: tuple[Condition, ...] = ()
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    start_position: int = 1
    max_results: int | None = None


@dataclass
class _Parser:
    tokens: list[Token]
    index: int = 0
    text: str = field(default="")

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise faults.query_parser('Encountered "<EOF>" at end of query.')
        self.index += 1
        return token

    def error(self, token: Token | None, expected: str) -> faults.QBOFault:
        if token is None:
            return faults.query_parser(f'Encountered "<EOF>" at end of query. Was expecting {expected}.')
        return faults.query_parser(
            f'Encountered " "{token.text}" " at line 1, column {token.position + 1}. '
            f"Was expecting {expected}."
        )

    def keyword(self, *words: str) -> str:
        token = self.peek()
        if token is None or token.kind != "keyword" or token.value not in words:
            raise self.error(token, " or ".join(words))
        self.index += 1
        return str(token.value)

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "keyword" and token.value in words

    def punct(self, char: str) -> None:
        token = self.peek()
        if token is None or token.kind != "punct" or token.text != char:
            raise self.error(token, f'"{char}"')
        self.index += 1

    def literal(self) -> Any:
        token = self.take()
        if token.kind in ("string", "number", "bool"):
            return token.value
        raise self.error(token, "a literal value")

    def integer(self, name: str) -> int:
        token = self.take()
        if token.kind != "number" or "." in token.text or token.value < 0:
            raise self.error(token, f"a non-negative integer after {name}")
        return int(token.value)

    def parse(self) -> Query:
        self.keyword("SELECT")
        count = False
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == "*":
            self.index += 1
        elif self.at_keyword("COUNT"):
            self.index += 1
            self.punct("(")
            self.punct("*")
            self.punct(")")
            count = True
        else:
            raise faults.query_parser(
                "Only SELECT * and SELECT COUNT(*) are supported"
                + (f' (found "{token.text}")' if token is not None else "")
            )
        self.keyword("FROM")
        entity_token = self.take()
        if entity_token.kind != "ident":
            raise self.error(entity_token, "an entity name")
        entity = ENTITY_BY_LOWER.get(entity_token.text.lower())
        if entity is None:
            raise faults.query_validation(f"{entity_token.text} is not a supported entity")
        conditions: list[Condition] = []
        if self.at_keyword("WHERE"):
            self.index += 1
            conditions.append(self.condition())
            while self.at_keyword("AND", "OR"):
                if self.take().value == "OR":
                    raise faults.query_parser("OR is not supported in the WHERE clause; use AND or IN")
                conditions.append(self.condition())
        order: list[tuple[str, bool]] = []
        if self.at_keyword("ORDERBY", "ORDER"):
            if self.take().value == "ORDER":
                self.keyword("BY")
            while True:
                name = self.take()
                if name.kind != "ident":
                    raise self.error(name, "a property name")
                descending = False
                if self.at_keyword("ASC", "DESC"):
                    descending = self.take().value == "DESC"
                order.append((name.text, descending))
                token = self.peek()
                if token is not None and token.kind == "punct" and token.text == ",":
                    self.index += 1
                    continue
                break
        start = 1
        max_results: int | None = None
        while self.at_keyword("STARTPOSITION", "MAXRESULTS"):
            word = self.take().value
            if word == "STARTPOSITION":
                start = self.integer("STARTPOSITION")
            else:
                max_results = self.integer("MAXRESULTS")
        trailing = self.peek()
        if trailing is not None:
            raise self.error(trailing, "<EOF>")
        return Query(entity, count, tuple(conditions), tuple(order), max(start, 1), max_results)

    def condition(self) -> Condition:
        name = self.take()
        if name.kind != "ident":
            raise self.error(name, "a property name")
        token = self.take()
        if token.kind == "op":
            if token.text in ("!=", "<>"):
                raise faults.query_parser(f'Operator "{token.text}" is not supported')
            return Condition(name.text, token.text, self.literal())
        if token.kind == "keyword" and token.value == "IN":
            self.punct("(")
            values = [self.literal()]
            while True:
                nxt = self.take()
                if nxt.kind == "punct" and nxt.text == ",":
                    values.append(self.literal())
                    continue
                if nxt.kind == "punct" and nxt.text == ")":
                    break
                raise self.error(nxt, '"," or ")"')
            return Condition(name.text, "IN", tuple(values))
        if token.kind == "keyword" and token.value == "LIKE":
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise faults.query_parser("LIKE needs a string pattern")
            return Condition(name.text, "LIKE", pattern)
        raise self.error(token, "an operator")


def parse_query(text: str) -> Query:
    stripped = text.strip().rstrip(";")
    if not stripped:
        raise faults.query_parser("The query is empty")
    return _Parser(tokenize(stripped), text=stripped).parse()


# --------------------------------------------------------------------------- evaluation
Getter = Callable[[Record], Any]


def _field_kind(name: str) -> str:
    if name in DATETIME_FIELDS:
        return "datetime"
    if name in NUMERIC_FIELDS:
        return "number"
    if name in DATE_FIELDS:
        return "date"
    if name in BOOL_FIELDS:
        return "bool"
    return "string"


def _getter(name: str, kind: str) -> Getter:
    if name == "MetaData.LastUpdatedTime":
        return lambda record: record.updated
    if name == "MetaData.CreateTime":
        return lambda record: record.created
    parts = name.split(".")

    def raw(record: Record) -> Any:
        value: Any = record.data
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        if isinstance(value, dict):
            value = value.get("value")
        return value

    if kind == "number":

        def numeric(record: Record) -> Any:
            value = raw(record)
            if value is None or isinstance(value, bool):
                return None
            try:
                return Decimal(value) if not isinstance(value, Decimal) else value
            except (InvalidOperation, TypeError, ValueError):
                return None

        return numeric
    return raw


def _coerce(value: Any, kind: str, tz: timezone, fold: bool) -> Any:
    try:
        if kind == "datetime":
            return parse_datetime(str(value), tz).astimezone(UTC)
        if kind == "number":
            if isinstance(value, bool):
                raise ValueError
            return Decimal(str(value))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
        if kind == "date":
            return str(value)[:10]
    except (ValueError, InvalidOperation):
        raise faults.query_validation(f"value {value!r} is not valid for this property") from None
    text = str(value) if not isinstance(value, bool) else str(value).lower()
    return text.lower() if fold else text


def _like_regex(pattern: str, fold: bool) -> re.Pattern[str]:
    body = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if fold else 0))


def compile_predicate(
    entity: str, conditions: tuple[Condition, ...], tz: timezone, fold: bool, strict: bool = True
) -> Callable[[Record], bool]:
    checks: list[Callable[[Record], bool]] = []
    allowed = QUERYABLE[entity]
    for condition in conditions:
        name = condition.field
        if strict and name not in allowed:
            raise faults.query_validation(f"property '{name}' is not queryable for {entity}")
        head, _, inside = name.partition(".")
        if head in LIST_FIELDS and inside:
            checks.append(
                _any_element(entity, head, Condition(inside.lower(), condition.op, condition.value), tz, fold)
            )
            continue
        kind = "string" if name == "Id" and entity in TEXT_IDS else _field_kind(name)
        get = _getter(name, kind)
        folds = fold and kind == "string"
        if kind == "string":
            get = _text_getter(get, fold)
        op = condition.op
        if op == "IN":
            wanted = frozenset(_coerce(value, kind, tz, folds) for value in condition.value)
            checks.append(_membership(get, wanted))
        elif op == "LIKE":
            if kind not in ("string", "date"):
                raise faults.query_validation(f"LIKE is not supported on '{name}'")
            regex = _like_regex(condition.value, fold)

            def like(record: Record, get: Getter = get, regex: re.Pattern[str] = regex) -> bool:
                value = get(record)
                return value is not None and regex.match(str(value)) is not None

            checks.append(like)
        else:
            literal = _coerce(condition.value, kind, tz, folds)
            checks.append(_comparison(get, op, literal))
    if not checks:
        return lambda record: True
    if len(checks) == 1:
        return checks[0]
    return lambda record: all(check(record) for check in checks)


def _folded_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key).lower(): _folded_keys(item) for key, item in value.items()}
    return value


def _any_element(
    entity: str, field: str, condition: Condition, tz: timezone, fold: bool
) -> Callable[[Record], bool]:
    """A condition on a field of the elements of the list ``field`` (names lower-cased)."""
    check = compile_predicate(entity, (condition,), tz, fold, strict=False)

    def matches(record: Record) -> bool:
        elements = record.data.get(field) or ()
        return any(
            check(Record(record.entity, record.id, _folded_keys(element), record.created, record.updated))
            for element in elements
            if isinstance(element, dict)
        )

    return matches


def _text_getter(base: Getter, fold: bool) -> Getter:
    """Read a property as text (booleans as ``true``/``false``), lower-cased when ``fold``."""

    def get(record: Record) -> Any:
        value = base(record)
        if value is None:
            return None
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return text.lower() if fold else text

    return get


def _membership(get: Getter, wanted: frozenset[Any]) -> Callable[[Record], bool]:
    return lambda record: get(record) in wanted


def _comparison(get: Getter, op: str, literal: Any) -> Callable[[Record], bool]:
    if op == "=":
        return lambda record: get(record) == literal

    def compare(record: Record) -> bool:
        value = get(record)
        if value is None:
            return False
        try:
            if op == "<":
                return bool(value < literal)
            if op == ">":
                return bool(value > literal)
            if op == "<=":
                return bool(value <= literal)
            return bool(value >= literal)
        except TypeError:
            return False

    return compare


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _sort_key(get: Getter) -> Callable[[Record], tuple[int, int, Any]]:
    """Missing values first; digit-only strings (ids, references, numeric DocNumbers) by number."""

    def key(record: Record) -> tuple[int, int, Any]:
        value = get(record)
        if value is None:
            return (0, 0, "")
        if isinstance(value, str):
            return (1, 0, int(value)) if value.isdigit() else (1, 1, value)
        return (1, 0, value)

    return key


def _id_order(record: Record) -> tuple[int, int, str]:
    """Numeric ids by number; others (``TAX``, ``NON``) before them, by text."""
    return (1, int(record.id), "") if record.id.isdigit() else (0, 0, record.id)


@dataclass
class QueryResult:
    entity: str
    count: bool
    rows: list[Record]
    total: int
    start_position: int


class QueryEngine:
    def __init__(
        self, tz: timezone, *, fold: bool = True, hide_inactive: bool = True, overflow: str = "fault"
    ) -> None:
        self.tz = tz
        self.fold = fold
        self.hide_inactive = hide_inactive
        self.overflow = overflow

    def run(self, text: str, tables: dict[str, Table]) -> QueryResult:
        query = parse_query(text)
        table = tables[query.entity]
        conditions = query.conditions
        if (
            self.hide_inactive
            and query.entity in NAME_LISTS
            and "Active" in QUERYABLE[query.entity]  # tax agencies have no Active
            and not any(condition.field == "Active" for condition in conditions)
        ):
            conditions = (*conditions, Condition("Active", "=", True))
        max_results = DEFAULT_MAX_RESULTS if query.max_results is None else query.max_results
        if max_results > MAX_RESULTS_LIMIT:
            if self.overflow == "fault":
                raise faults.query_validation(
                    f"value {max_results} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
                )
            max_results = MAX_RESULTS_LIMIT
        for name, _ in query.order:
            if name not in QUERYABLE[query.entity]:
                raise faults.query_validation(f"property '{name}' is not sortable for {query.entity}")
        rows = self._matching(table, query.entity, conditions, query.order)
        if query.count:
            return QueryResult(query.entity, True, [], len(rows), 1)
        start = query.start_position
        page = rows[start - 1 : start - 1 + max_results]
        return QueryResult(query.entity, False, page, len(rows), start)

    def _matching(
        self,
        table: Table,
        entity: str,
        conditions: tuple[Condition, ...],
        order: tuple[tuple[str, bool], ...],
    ) -> list[Record]:
        key = (conditions, order)
        cached = table.cache.get(key)
        if cached is not None and cached[0] == table.version:
            return cached[1]
        rows = list(table.rows.values())
        timed = [c for c in conditions if c.field in DATETIME_FIELDS and c.op in _OPERATORS]
        others = tuple(c for c in conditions if c not in timed)
        for condition in timed:
            attribute = attrgetter("updated" if condition.field == "MetaData.LastUpdatedTime" else "created")
            literal = _coerce(condition.value, "datetime", self.tz, False)
            compare = _OPERATORS[condition.op]
            rows = [record for record in rows if compare(attribute(record), literal)]
        if others:
            predicate = compile_predicate(entity, others, self.tz, self.fold)
            rows = [record for record in rows if predicate(record)]
        for position, (name, descending) in enumerate(reversed(order)):
            if name == "Id" and position == 0:
                # rows are still in id order: nothing to sort
                if descending:
                    rows.reverse()
                continue
            if name == "Id":
                rows.sort(key=_id_order, reverse=descending)
                continue
            if name in DATETIME_FIELDS:
                rows.sort(
                    key=attrgetter("updated" if name == "MetaData.LastUpdatedTime" else "created"),
                    reverse=descending,
                )
            else:
                rows.sort(key=_sort_key(_getter(name, _field_kind(name))), reverse=descending)
        if len(table.cache) > 32:
            table.cache.clear()
        table.cache[key] = (table.version, rows)
        return rows


def parse_instant(text: str, tz: timezone) -> datetime:
    return parse_datetime(text, tz)
