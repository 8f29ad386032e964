"""What the core does with a list's filters and sort when the provider does not apply them.

A provider declares the filters it narrows its requests by (``Provider.list_filters``) and the
sort keys it orders by (``Provider.list_sorts``). The rest is the core's work, the same for every
provider and for the mirror, driven by the catalog's declarations (:class:`~.catalog.ListFilter`
says which field a filter tests and how; :class:`~.catalog.ListSort` which field orders):

- a filter is checked on every record the provider returns (:meth:`ListFilter.matches`), so a
  provider that narrows a request more loosely than the unified rule (a status it maps coarsely)
  still gives exactly the unified answer;
- a sort the provider cannot do is done in memory (:func:`sort_records`) after every page was
  read, and the pages handed out carry a :class:`SortCursor` (a keyset: the last record's sort value
  and id) that a later ``list(cursor=...)`` resumes from.

:class:`ListPlan` records who did what for one ``list()`` call (``pager.plan``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from .catalog import ListSort
from .errors import FieldIssue, ValidationFailed

R = TypeVar("R")

#: The first characters of every cursor the core makes for a sorted list (provider cursors are
#: opaque and never start with it in practice; the mirror's unsorted cursors are record ids).
SORT_CURSOR_PREFIX = "ua-sort."


def sort_value(record: Any, sort: ListSort) -> Any:
    return getattr(record, sort.field, None)


def sort_records(records: Iterable[R], sort: ListSort) -> list[R]:
    """``records`` in ``sort``'s order: by the field (ascending, or descending), ties by id,
    records without a value last whichever the direction."""
    by_id = sorted(records, key=lambda record: str(getattr(record, "id", "") or ""))
    valued = [record for record in by_id if sort_value(record, sort) is not None]
    missing = [record for record in by_id if sort_value(record, sort) is None]
    # Python's sort is stable, with reverse=True too: equal values keep their order by id.
    valued.sort(key=lambda record: sort_value(record, sort), reverse=sort.descending)
    return valued + missing


@functools.cache
def _field_adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    info = model.model_fields[field]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


@dataclass(frozen=True)
class SortCursor:
    """Where a sorted list stopped: the sort, and the sort value and id of the last record handed
    out. The next page starts with the first record after it in the sort's order, so the cursor
    stays right when records before it change or disappear."""

    sort: ListSort
    value: Any
    record_id: str

    @classmethod
    def after(cls, record: Any, sort: ListSort) -> SortCursor:
        return cls(sort, sort_value(record, sort), str(record.id))

    def encode(self, model: type[BaseModel]) -> str:
        value = _field_adapter(model, self.sort.field).dump_python(self.value, mode="json")
        text = json.dumps({"s": str(self.sort), "v": value, "i": self.record_id}, separators=(",", ":"))
        return SORT_CURSOR_PREFIX + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, sort: ListSort, model: type[BaseModel]) -> SortCursor:
        """The cursor a sorted list handed out, checked: anything else is ``ValidationFailed``
        naming ``cursor`` (it may have been edited on its way back)."""
        if not isinstance(cursor, str) or not cursor.startswith(SORT_CURSOR_PREFIX):
            raise _bad_cursor(f"a list sorted by {sort} resumes only from a cursor it handed out")
        body = cursor[len(SORT_CURSOR_PREFIX) :]
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError):
            raise _bad_cursor("is not a cursor a list handed out") from None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("i"), str)
            or not isinstance(data.get("s"), str)
        ):
            raise _bad_cursor("is not a cursor a list handed out")
        if data["s"] != str(sort):
            raise _bad_cursor(f"was handed out by a list sorted by {data['s']!r}, not {str(sort)!r}")
        try:
            value = _field_adapter(model, sort.field).validate_python(data.get("v"))
        except ValidationError:
            raise _bad_cursor("is not a cursor a list handed out") from None
        return cls(sort, value, data["i"])

    def precedes(self, record: Any) -> bool:
        """Whether ``record`` comes after this cursor in the sort's order (see :func:`sort_records`)."""
        value, record_id = sort_value(record, self.sort), str(getattr(record, "id", "") or "")
        if self.value is None:
            return value is None and record_id > self.record_id
        if value is None:
            return True
        if value == self.value:
            return record_id > self.record_id
        return bool(value < self.value) if self.sort.descending else bool(value > self.value)


def _bad_cursor(message: str) -> ValidationFailed:
    return ValidationFailed("invalid list cursor", issues=[FieldIssue("cursor", message)])


@dataclass(frozen=True)
class ListPlan:
    """Who applies what in one ``list()`` call (``pager.plan``; logged at debug level too).

    ``pushed_down`` are the filters the provider narrows its request by (``updated_since``
    always). ``filtered_after_fetch`` are those only the core applies: the provider sends every
    record they leave out, so they cost the pages those records fill. ``sorted_by`` says who
    orders the records: ``"provider"``, ``"core"`` (every page is read before the first record is
    handed out, and all of them are held in memory), ``"mirror"``, or ``None`` (no sort asked:
    the provider's own stable order, or record ids on the mirror).
    """

    resource: str
    #: ``"provider"`` or ``"mirror"`` (``source=`` of the call).
    source: Literal["provider", "mirror"]
    pushed_down: tuple[str, ...] = ()
    filtered_after_fetch: tuple[str, ...] = ()
    #: The sort asked for (``"-issue_date"``), if any.
    sort: str | None = None
    sorted_by: Literal["provider", "core", "mirror"] | None = None

    def __str__(self) -> str:
        parts = [f"{self.resource} list from the {self.source}"]
        if self.pushed_down:
            parts.append(f"filtered by the {self.source}: {', '.join(self.pushed_down)}")
        if self.filtered_after_fetch:
            parts.append(f"filtered by the core after fetching: {', '.join(self.filtered_after_fetch)}")
        if self.sort is not None:
            where = (
                "in memory by the core, after reading every page"
                if self.sorted_by == "core"
                else (f"by the {self.sorted_by}")
            )
            parts.append(f"sorted by {self.sort} {where}")
        return "; ".join(parts)


def names(filters: Sequence[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in filters)


__all__ = ["SORT_CURSOR_PREFIX", "ListPlan", "SortCursor", "sort_records", "sort_value"]
