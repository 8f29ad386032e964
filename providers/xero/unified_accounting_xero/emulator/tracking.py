"""Tracking categories (``/TrackingCategories``) and the tracking of document lines.

Routes (Xero's Tracking Categories page): ``GET /TrackingCategories`` (archived ones only with
``includeArchived=true``; deleted ones never), ``GET /TrackingCategories/{id}``, ``PUT /TrackingCategories``
``{"Name"}`` (create), ``POST /TrackingCategories/{id}`` (rename with ``Name``, or ``Status`` ``ARCHIVED`` /
``ACTIVE``), ``DELETE /TrackingCategories/{id}``; options: ``PUT /TrackingCategories/{id}/Options``
``{"Name"}``, ``POST .../Options/{optionId}`` (rename or ``Status``), ``DELETE .../Options/{optionId}``.

Limits: at most two ACTIVE categories and four in all (two active and two archived), option
``tracking_category_limits``.  Xero calls a category ARCHIVED when it was used on a transaction and then
deleted: deleting a used category or option archives it instead (the exact API answer is UNVERIFIED).

Lines carry at most two tracking entries, written ``{"Name": <category>, "Option": <option>}`` (both
required); answers add ``TrackingCategoryID`` and ``TrackingOptionID`` and show the current names.  A line
may keep an archived option it already had.  Error wordings no source gives are marked UNVERIFIED.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ValidationFailed
from .journal import Journal
from .state import IdFactory, Record, TenantState

MAX_NAME = 100
MAX_PER_LINE = 2


def _name(data: Mapping[str, Any], what: str, required: bool) -> str | None:
    if "Name" not in data and not required:
        return None
    name = str(data.get("Name") or "").strip()
    if not name:
        raise ValidationFailed(f"{what} Name must be specified.")  # UNVERIFIED wording
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"{what} Name must be {MAX_NAME} characters or fewer.")  # UNVERIFIED
    return name


def _live(t: TenantState) -> list[Record]:
    return [c for c in t.tracking_categories.values() if c["Status"] != "DELETED"]


def _check_limits(t: TenantState, limits: tuple[int, int], becoming_active: bool) -> None:
    live = _live(t)
    active = sum(1 for c in live if c["Status"] == "ACTIVE")
    if becoming_active and active >= limits[0]:
        raise ValidationFailed(f"You can only have {limits[0]} active tracking categories.")  # UNVERIFIED


def _unique(records: list[Record], name: str, own_id: str | None, key: str, what: str) -> None:
    for record in records:
        if (
            record["Name"].casefold() == name.casefold()
            and record[key] != own_id
            and record["Status"] != "DELETED"
        ):
            raise ValidationFailed(f"{what} with name '{name}' already exists.")  # UNVERIFIED wording


def _status(value: Any) -> str:
    status = str(value or "").upper()
    if status not in ("ACTIVE", "ARCHIVED"):
        raise ValidationFailed(f"Status '{value}' is not valid.")  # UNVERIFIED wording
    return status


def create_category(
    t: TenantState, journal: Journal, ids: IdFactory, data: Mapping[str, Any], limits: tuple[int, int]
) -> Record:
    name = _name(data, "Tracking Category", True)
    assert name is not None
    _unique(_live(t), name, None, "TrackingCategoryID", "Tracking Category")
    _check_limits(t, limits, becoming_active=True)
    if len(_live(t)) >= limits[1]:
        raise ValidationFailed(
            f"You can only have {limits[1]} tracking categories ({limits[0]} active and the rest archived)."
        )  # UNVERIFIED wording
    category: Record = {
        "TrackingCategoryID": ids.new(),
        "Name": name,
        "Status": "ACTIVE",
        "Options": [],
    }
    for option in data.get("Options") or []:
        if isinstance(option, Mapping):
            category = add_option_to(category, ids, option)
    journal.set(t.tracking_categories, category["TrackingCategoryID"], category)
    return category


def update_category(
    t: TenantState, journal: Journal, category: Record, data: Mapping[str, Any], limits: tuple[int, int]
) -> Record:
    if category["Status"] == "DELETED":
        raise ValidationFailed("The tracking category has been deleted.")  # UNVERIFIED wording
    updated = dict(category)
    name = _name(data, "Tracking Category", False)
    if name is not None:
        _unique(_live(t), name, category["TrackingCategoryID"], "TrackingCategoryID", "Tracking Category")
        updated["Name"] = name
    if data.get("Status") is not None:
        status = _status(data["Status"])
        if status == "ACTIVE" and category["Status"] != "ACTIVE":
            _check_limits(t, limits, becoming_active=True)
        updated["Status"] = status
    journal.set(t.tracking_categories, category["TrackingCategoryID"], updated)
    return updated


def delete_category(t: TenantState, journal: Journal, category: Record) -> Record:
    """Delete a category; one a document used is archived instead."""
    status = "ARCHIVED" if _category_used(category) else "DELETED"
    updated = {**category, "Status": status}
    journal.set(t.tracking_categories, category["TrackingCategoryID"], updated)
    return updated


def _category_used(category: Record) -> bool:
    return bool(category.get("_Used")) or any(o.get("_Used") for o in category["Options"])


def add_option_to(category: Record, ids: IdFactory, data: Mapping[str, Any]) -> Record:
    name = _name(data, "Tracking Option", True)
    assert name is not None
    _unique(category["Options"], name, None, "TrackingOptionID", "Tracking Option")
    option = {"TrackingOptionID": ids.new(), "Name": name, "Status": "ACTIVE"}
    return {**category, "Options": [*category["Options"], option]}


def add_option(
    t: TenantState, journal: Journal, ids: IdFactory, category: Record, data: Mapping[str, Any]
) -> Record:
    """Add an option; returns the new option."""
    if category["Status"] != "ACTIVE":
        raise ValidationFailed("Options can only be added to an active tracking category.")  # UNVERIFIED
    updated = add_option_to(category, ids, data)
    journal.set(t.tracking_categories, category["TrackingCategoryID"], updated)
    option: Record = updated["Options"][-1]
    return option


def _option(category: Record, option_id: str) -> Record | None:
    return next(
        (
            o
            for o in category["Options"]
            if o["TrackingOptionID"] == option_id.lower() and o["Status"] != "DELETED"
        ),
        None,
    )


def change_option(
    t: TenantState, journal: Journal, category: Record, option_id: str, data: Mapping[str, Any] | None
) -> Record | None:
    """Rename or (un)archive an option (``data``), or delete it (``data`` None; a used option is
    archived instead). ``None`` when the category has no such option."""
    option = _option(category, option_id)
    if option is None:
        return None
    changed = dict(option)
    if data is None:
        changed["Status"] = "ARCHIVED" if option.get("_Used") else "DELETED"
    else:
        name = _name(data, "Tracking Option", False)
        if name is not None:
            _unique(
                category["Options"], name, option["TrackingOptionID"], "TrackingOptionID", "Tracking Option"
            )
            changed["Name"] = name
        if data.get("Status") is not None:
            changed["Status"] = _status(data["Status"])
    options = [changed if o is option else o for o in category["Options"]]
    journal.set(t.tracking_categories, category["TrackingCategoryID"], {**category, "Options": options})
    return changed


# ----------------------------------------------------------------------------------------------- lines


def _find(records: list[Record], name: str) -> Record | None:
    wanted = name.strip().casefold()
    return next((r for r in records if r["Name"].casefold() == wanted and r["Status"] != "DELETED"), None)


def line_tracking(t: TenantState, raw: Any, previous: list[Record] | None, errors: list[str]) -> list[Record]:
    """The tracking of one line, as ``{TrackingCategoryID, TrackingOptionID}`` pairs."""
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        errors.append("Tracking must be a list.")
        return []
    kept = {(p["TrackingCategoryID"], p["TrackingOptionID"]) for p in previous or []}
    result: list[Record] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or not entry.get("Name") or not entry.get("Option"):
            errors.append("Tracking category Name and Option must be specified.")  # UNVERIFIED wording
            continue
        category = _find(list(t.tracking_categories.values()), str(entry["Name"]))
        option = _find(category["Options"], str(entry["Option"])) if category else None
        if category is None or option is None:
            errors.append(
                f"The tracking category '{entry['Name']}' with option '{entry['Option']}' is not valid."
            )  # UNVERIFIED wording
            continue
        pair = (category["TrackingCategoryID"], option["TrackingOptionID"])
        active = category["Status"] == "ACTIVE" and option["Status"] == "ACTIVE"
        if not active and pair not in kept:
            errors.append(f"The tracking option '{option['Name']}' is archived.")  # UNVERIFIED wording
            continue
        given_id = str(entry.get("TrackingCategoryID") or "").lower()
        if given_id and given_id != category["TrackingCategoryID"]:
            errors.append(f"TrackingCategoryID does not match the tracking category '{category['Name']}'.")
            continue
        if any(p["TrackingCategoryID"] == pair[0] for p in result):
            errors.append("A line item can use each tracking category once.")  # UNVERIFIED wording
            continue
        result.append({"TrackingCategoryID": pair[0], "TrackingOptionID": pair[1]})
    if len(result) > MAX_PER_LINE:
        errors.append(f"A line item can have a maximum of {MAX_PER_LINE} tracking categories.")
    return result


def mark_used(t: TenantState, journal: Journal, pairs: list[Record]) -> None:
    for pair in pairs:
        category = t.tracking_categories.get(pair["TrackingCategoryID"])
        if category is None:
            continue
        options = [
            {**o, "_Used": True} if o["TrackingOptionID"] == pair["TrackingOptionID"] else o
            for o in category["Options"]
        ]
        journal.set(t.tracking_categories, category["TrackingCategoryID"], {**category, "Options": options})


def line_tracking_wire(t: TenantState, pairs: list[Record]) -> list[dict[str, Any]]:
    """A line's tracking as Xero answers it: current names and both ids."""
    out: list[dict[str, Any]] = []
    for pair in pairs:
        category = t.tracking_categories.get(pair["TrackingCategoryID"])
        option = next(
            (
                o
                for o in (category or {}).get("Options", [])
                if o["TrackingOptionID"] == pair["TrackingOptionID"]
            ),
            None,
        )
        if category is None or option is None:
            continue
        out.append(
            {
                "Name": category["Name"],
                "Option": option["Name"],
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
            }
        )
    return out


def option_wire(option: Record) -> dict[str, Any]:
    status = option["Status"]
    return {
        "TrackingOptionID": option["TrackingOptionID"],
        "Name": option["Name"],
        "Status": status,
        "HasValidationErrors": False,
        "IsDeleted": status == "DELETED",
        "IsArchived": status == "ARCHIVED",
        "IsActive": status == "ACTIVE",
    }


def category_wire(category: Record, include_archived: bool = True) -> dict[str, Any]:
    shown = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
    return {
        "TrackingCategoryID": category["TrackingCategoryID"],
        "Name": category["Name"],
        "Status": category["Status"],
        "Options": [option_wire(o) for o in category["Options"] if o["Status"] in shown],
    }
