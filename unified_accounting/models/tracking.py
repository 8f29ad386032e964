"""Tracking: the categories (classes, departments, regions) that documents and lines are tagged with."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import RecordMeta, UnifiedModel


class TrackingStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class TrackingOption(UnifiedModel):
    """One value of a category (the "North" region, the "Retail" class)."""

    id: str | None = None
    name: str = Field(min_length=1)
    status: TrackingStatus = TrackingStatus.ACTIVE


class TrackingCategory(RecordMeta):
    """A way of tagging documents, with its options (Xero tracking categories; QuickBooks classes and
    departments, as two categories whose options are the classes and the departments)."""

    name: str = Field(min_length=1)
    status: TrackingStatus = TrackingStatus.ACTIVE
    options: list[TrackingOption] = Field(default_factory=list)


class TrackingRef(UnifiedModel):
    """A tag on a document or line: an option of a category, both by the ids
    ``conn.tracking_categories.list()`` gives."""

    category_id: str = Field(min_length=1)
    option_id: str = Field(min_length=1)
    #: The names, as the provider reports them (filled on reads; ignored on writes).
    category_name: str | None = None
    option_name: str | None = None
