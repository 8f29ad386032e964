"""Classes and departments as the unified tracking categories ``class`` and ``department``.

QuickBooks has two fixed ways of tagging transactions (Intuit API reference: Class, Department,
Preferences): classes and departments (which its screens call locations, or whatever
``DepartmentTerminology`` says). Each is one unified category, with a fixed id, whose options are
the ``Class`` / ``Department`` records (sub-classes by their ``Parent:Child`` name). A category is
listed only when the company's preferences turn it on (``ClassTrackingPerTxn`` or
``ClassTrackingPerTxnLine``; ``TrackDepartments``).

Where tags go: a department is per transaction (``DepartmentRef``); a class is per line
(``ClassRef`` in the line detail) or per transaction (the transaction's ``ClassRef``), as the
company's preference says — never both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from unified_accounting.models import TrackingCategory, TrackingRef, TrackingStatus
from unified_accounting.models.context import from_provider

CLASS = "class"
DEPARTMENT = "department"
CATEGORIES = (CLASS, DEPARTMENT)
#: Category id → the QuickBooks entity of its options.
ENTITIES = {CLASS: "Class", DEPARTMENT: "Department"}
CATEGORY_NAMES = {CLASS: "Class", DEPARTMENT: "Department"}


def ref(category: str, value: Any) -> TrackingRef | None:
    """A ``ClassRef``/``DepartmentRef`` as a tag (``None`` for none)."""
    if not isinstance(value, Mapping) or value.get("value") in (None, ""):
        return None
    return TrackingRef.model_construct(
        category_id=category,
        option_id=str(value["value"]),
        category_name=CATEGORY_NAMES[category],
        option_name=value.get("name"),
    )


def document_tags(data: Mapping[str, Any]) -> list[TrackingRef]:
    """A transaction's own tags: its department, then its class."""
    tags = [ref(DEPARTMENT, data.get("DepartmentRef")), ref(CLASS, data.get("ClassRef"))]
    return [tag for tag in tags if tag is not None]


def line_tags(detail: Mapping[str, Any]) -> list[TrackingRef]:
    tag = ref(CLASS, detail.get("ClassRef"))
    return [tag] if tag is not None else []


def option_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": None if row.get("Id") is None else str(row["Id"]),
        "name": row.get("FullyQualifiedName") or row.get("Name") or "?",
        "status": TrackingStatus.ARCHIVED if row.get("Active") is False else TrackingStatus.ACTIVE,
    }


def category(
    category_id: str,
    name: str,
    rows: Iterable[Mapping[str, Any]],
    updated: datetime | None,
    created: datetime | None,
) -> TrackingCategory:
    """One category: its options in QuickBooks' order, the latest change among them as its own."""
    options: list[dict[str, Any]] = []
    latest = updated
    for row in rows:
        options.append(option_of(row))
        stamp = (row.get("MetaData") or {}).get("LastUpdatedTime")
        if stamp:
            moment = datetime.fromisoformat(stamp)
            latest = moment if latest is None or moment > latest else latest
    found: TrackingCategory = from_provider(
        TrackingCategory,
        {
            "id": category_id,
            "name": name,
            "status": TrackingStatus.ACTIVE,
            "options": options,
            "created_at": created,
            "updated_at": latest,
        },
    )
    return found
