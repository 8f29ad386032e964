"""The statements of a mirror list, built and compiled once per kind of list.

A list's SQL depends only on its kind — the resource, which filters test which field how (and how
many values a ``one_of`` holds), whether tombstones count, the sort, and where the cursor stands
(none, an id, a sort value, past the records with a value) — never on the values themselves,
which are bound parameters. So a kind's statements are built once (SQLAlchemy Core, as the rules
of :mod:`.query` say), compiled once per database dialect to the driver's own SQL, and every later
list of that kind only binds its values: no statement building, compilation or result processing
per call (together most of the CPU a list of a few records costs). Values go to the driver as
SQLAlchemy's column types would send them, and the sort value that makes the next cursor comes
back as they would read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

#: The kind of a list (see the module docstring): the key of its statements.
Shape = tuple[Any, ...]
#: A value's conversion to what the driver takes, or back.
Processor = Callable[[Any], Any]

#: Names of the parameters every list binds.
KEY_PARAMETERS = ("consumer_id", "provider", "company_id", "resource")
LIMIT = "page_limit"
AFTER_VALUE = "after_value"
AFTER_ID = "after_id"


def value_parameter(index: int, item: int | None = None) -> str:
    """The parameter of filter ``index`` (of item ``item`` of a ``one_of`` filter)."""
    return f"filter_{index}" if item is None else f"filter_{index}_{item}"


def parameter(name: str, kind: Any = None) -> Any:
    """A bound parameter the list gives a value per call (typed by the column it is compared to)."""
    return bindparam(name, type_=kind if kind is not None else String())


def limit_parameter() -> Any:
    return bindparam(LIMIT, type_=Integer())


@dataclass(frozen=True)
class DriverStatement:
    """One statement compiled to the driver's SQL, and how a call's values become its parameters."""

    sql: str
    #: The parameters in order (a positional driver: SQLite), or ``None`` (named: psycopg).
    positions: tuple[str, ...] | None
    #: Parameter → the conversion SQLAlchemy's type applies before the driver (none when absent).
    processors: tuple[tuple[str, Processor], ...]
    #: Parameters whose value is in the statement itself (already converted).
    constants: dict[str, Any]

    def parameters(self, values: dict[str, Any]) -> Any:
        """The driver's parameters for ``values`` (by name; names the statement lacks are ignored)."""
        if self.processors or self.constants:
            values = {**values, **self.constants}
            for name, processor in self.processors:
                value = values[name]
                if value is not None:
                    values[name] = processor(value)
        if self.positions is None:
            return values
        return tuple([values[name] for name in self.positions])


def compile_for_driver(statement: Select[Any], dialect: Dialect) -> DriverStatement:
    compiled = statement.compile(dialect=dialect)
    sql = str(compiled)
    if "POSTCOMPILE" in sql:  # an expanding IN would freeze the values it was compiled with
        raise AssertionError(f"a mirror list statement must bind every value one by one: {sql}")
    processors: list[tuple[str, Processor]] = []
    constants: dict[str, Any] = {}
    for name, bind in compiled.binds.items():
        processor = bind.type._cached_bind_processor(dialect)
        if bind.required:
            if processor is not None:
                processors.append((name, processor))
        else:
            value = bind.effective_value
            constants[name] = processor(value) if processor is not None and value is not None else value
    positions = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return DriverStatement(sql, positions, tuple(processors), constants)


@dataclass
class ListStatements:
    """A kind of list's statements, in the order they are read, and their compiled forms."""

    statements: Sequence[Select[Any]]
    #: The sort's column type (``None`` unsorted): reads the cursor's sort value back.
    sort_type: Any
    _compiled: tuple[DriverStatement, ...] | None = None
    _read_value: Processor | None = None

    def for_driver(self, dialect: Dialect) -> tuple[DriverStatement, ...]:
        if self._compiled is None:
            self._compiled = tuple(compile_for_driver(statement, dialect) for statement in self.statements)
            if self.sort_type is not None:
                self._read_value = self.sort_type._cached_result_processor(dialect, None)
        return self._compiled

    def sort_value(self, value: Any) -> Any:
        """A sort value as the driver returned it, as SQLAlchemy's column type reads it."""
        read = self._read_value
        return value if read is None or value is None else read(value)


#: Every kind of list seen, per database dialect (a few dozen at most: the catalog's filters and sorts).
_CACHE: dict[tuple[str, str, Shape], ListStatements] = {}
#: Kinds kept at most (forgotten all at once beyond: ``one_of`` lists of every length are kinds).
CACHE_LIMIT = 2000


def cached(dialect: Dialect, shape: Shape, build: Callable[[], ListStatements]) -> ListStatements:
    key = (dialect.name, dialect.driver, shape)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= CACHE_LIMIT:
            _CACHE.clear()
        found = _CACHE[key] = build()
    return found
