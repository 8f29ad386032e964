"""Tracking between Xero and the unified models: categories, options and line tracking.

Xero tracks lines only (at most two categories per line). A line's tracking is written by *names*
(``{"Name": <category>, "Option": <option>}``, both required) and read back with both names and ids; the
unified :class:`TrackingRef` names category and option by id, so writing maps ids to names through the
organisation's categories (:class:`TrackingNames`, built from a read of ``/TrackingCategories``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from unified_accounting.models import TrackingCategory, TrackingRef, TrackingStatus
from unified_accounting.models.context import from_provider

#: Xero's limit of tracking entries on one line.
MAX_PER_LINE = 2

_STATUS = {
    "ACTIVE": TrackingStatus.ACTIVE,
    "ARCHIVED": TrackingStatus.ARCHIVED,
    "DELETED": TrackingStatus.DELETED,
}
TO_XERO_STATUS = {status: name for name, status in _STATUS.items()}


def status_of(value: Any) -> TrackingStatus:
    return _STATUS.get(str(value or "ACTIVE").upper(), TrackingStatus.ACTIVE)


def decode_category(data: Mapping[str, Any], meta: Mapping[str, Any]) -> TrackingCategory:
    """A Xero tracking category; ``meta`` holds the fields every record has (id, version, raw)."""
    options = [
        {"id": o.get("TrackingOptionID"), "name": o.get("Name") or "", "status": status_of(o.get("Status"))}
        for o in data.get("Options") or []
        if isinstance(o, Mapping)
    ]
    return from_provider(
        TrackingCategory,
        {
            "name": str(data.get("Name") or ""),
            "status": status_of(data.get("Status")),
            "options": options,
            **meta,
        },
    )


def decode_line_tracking(entries: Any) -> list[dict[str, Any]]:
    """A line's ``Tracking`` as :class:`TrackingRef` fields. Xero's answers carry both ids; an entry
    without them (older payloads) names category and option by name in the id fields too."""
    refs: list[dict[str, Any]] = []
    for entry in entries or []:
        if not isinstance(entry, Mapping) or not (entry.get("Name") or entry.get("TrackingCategoryID")):
            continue
        refs.append(
            {
                "category_id": str(entry.get("TrackingCategoryID") or entry.get("Name")),
                "option_id": str(entry.get("TrackingOptionID") or entry.get("Option")),
                "category_name": entry.get("Name"),
                "option_name": entry.get("Option"),
            }
        )
    return refs


@dataclass
class TrackingNames:
    """The organisation's categories and options by id: what line tracking is written with."""

    #: Category id (lower case) → (name, status, option id (lower case) → (name, status)).
    categories: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = field(default_factory=dict)

    @classmethod
    def of(cls, categories: Iterable[Mapping[str, Any]]) -> TrackingNames:
        """From Xero's ``TrackingCategories`` (archived ones included)."""
        names = cls()
        for category in categories:
            options = {
                str(o.get("TrackingOptionID") or "").lower(): (
                    str(o.get("Name") or ""),
                    str(o.get("Status") or ""),
                )
                for o in category.get("Options") or []
                if isinstance(o, Mapping)
            }
            names.categories[str(category.get("TrackingCategoryID") or "").lower()] = (
                str(category.get("Name") or ""),
                str(category.get("Status") or "ACTIVE").upper(),
                options,
            )
        return names

    def problem(self, ref: TrackingRef) -> str | None:
        """Why ``ref`` cannot be written (``None``: it can)."""
        category = self.categories.get(ref.category_id.lower())
        if category is None:
            return f"no tracking category has id {ref.category_id!r} (see conn.tracking_categories.list())"
        option = category[2].get(ref.option_id.lower())
        if option is None:
            return f"tracking category {category[0]!r} has no option with id {ref.option_id!r}"
        return None

    def knows(self, ref: TrackingRef) -> bool:
        return self.problem(ref) is None

    def encode(self, ref: TrackingRef) -> dict[str, Any]:
        category_name, _, options = self.categories[ref.category_id.lower()]
        return {
            "Name": category_name,
            "Option": options[ref.option_id.lower()][0],
            "TrackingCategoryID": ref.category_id,
            "TrackingOptionID": ref.option_id,
        }


def encode_category(category: TrackingCategory) -> dict[str, Any]:
    """The create body of a category (its options are added one by one afterwards)."""
    return {"Name": category.name, **category.pass_through}
