"""What a provider does with each unified field: the declaration behind ``Provider.field_support``.

A provider declares, per resource, the fields it does not simply store, by path — ``"reference"``,
or ``"line_items.discount_amount"`` for a field of every line — each with a kind and a note:

- ``stored`` (the default for a field not named): written and read back as it is;
- ``mapped``: stored, in a way the note explains (``"inverse of Xero's CurrencyRate"``);
- ``computed``: the provider sets it (totals, balances) and reads it back; a value a user gives is
  refused, since it would not be sent;
- ``refused``: the provider cannot store it; a value a user gives is refused, the note saying why
  and what to do instead.

A declaration on a field covers what is nested in it (``"billing_address"`` covers
``"billing_address.city"``). The client refuses ``computed`` and ``refused`` fields before any
HTTP call (:func:`refusals`); ``scripts/generate_docs.py`` writes the portability table from every
provider's declaration. A field counts as given when the user set it (``model_fields_set``:
defaults do not count) to something other than ``None`` or an empty text, list or mapping.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import BaseModel

from .errors import FieldIssue

#: The kinds a declaration may give a field (see the module docstring).
FieldKind = Literal["stored", "computed", "refused", "mapped"]
FIELD_KINDS: tuple[str, ...] = get_args(FieldKind)
#: Resource → field path → (kind, note).
FieldSupport = Mapping[str, Mapping[str, tuple[str, str]]]
#: Fields every record has, which the provider always sets: never part of a declaration's table.
RECORD_FIELDS = ("id", "row_version", "created_at", "updated_at", "raw", "pass_through")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``annotation`` (``list[LineItem]``, ``Address | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _nested_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found
    return None


@functools.cache
def field_paths(model: type[BaseModel], skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every field path of ``model``, depth first: ``number``, ``line_items``,
    ``line_items.quantity``, ... (nested records through lists and optional values)."""
    paths: list[str] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        paths.append(name)
        nested = _nested_model(info.annotation)
        if nested is not None and nested is not model:
            paths += [f"{name}.{inner}" for inner in field_paths(nested)]
    return tuple(paths)


def kind_of(declared: Mapping[str, tuple[str, str]], path: str) -> tuple[str, str]:
    """The (kind, note) of ``path``: its own declaration, else its nearest declared parent's, else
    ``("stored", "")``."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        found = declared.get(".".join(parts[:end]))
        if found is not None:
            return found
    return ("stored", "")


def declaration_problems(resource: str, model: type[BaseModel], declared: Any) -> list[str]:
    """What is wrong with one resource's declaration: paths that are no field of ``model``, kinds
    that are none of the four, notes missing where users need them."""
    if not isinstance(declared, Mapping):
        return [f"field_support[{resource!r}] must map field paths to (kind, note), got {declared!r}"]
    problems: list[str] = []
    paths = set(field_paths(model))
    for path, entry in declared.items():
        where = f"field_support[{resource!r}][{path!r}]"
        if path not in paths:
            problems.append(
                f"{where} names no field of {model.__name__} (paths are like 'line_items.tax_amount')"
            )
            continue
        if not (
            isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(part, str) for part in entry)
        ):
            problems.append(f"{where} must be a (kind, note) pair of strings, got {entry!r}")
            continue
        kind, note = entry
        if kind not in FIELD_KINDS:
            problems.append(f"{where} has kind {kind!r}: use one of {', '.join(FIELD_KINDS)}")
        elif kind in ("refused", "mapped") and not note.strip():
            problems.append(f"{where} is {kind} without a note: say why, and what to do instead")
    return problems


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


def given_paths(value: Any, path: str, *, prefix: str = "", top_level: bool = True) -> list[str]:
    """Where a user gave a value at ``path`` (``"line_items.discount_amount"``) in ``value`` — a
    record, or the validated fields of an update (a mapping) — as concrete field paths with list
    indices (``"line_items.1.discount_amount"``)."""
    head, _, rest = path.partition(".")
    if isinstance(value, Mapping) and top_level:
        if head not in value:
            return []
        held = value[head]
    elif isinstance(value, BaseModel):
        if head not in value.model_fields_set:
            return []
        held = getattr(value, head, None)
    else:
        return []
    where = f"{prefix}{head}"
    if _empty(held):
        return []
    if not rest:
        return [where]
    if isinstance(held, list | tuple):
        found: list[str] = []
        for index, item in enumerate(held):
            found += given_paths(item, rest, prefix=f"{where}.{index}.", top_level=False)
        return found
    return given_paths(held, rest, prefix=f"{where}.", top_level=False)


def refusals(display_name: str, declared: Mapping[str, tuple[str, str]], value: Any) -> list[FieldIssue]:
    """A :class:`FieldIssue` for each ``refused`` or ``computed`` field given in ``value`` (a
    record to create, or the validated fields of an update)."""
    issues: list[FieldIssue] = []
    for path, (kind, note) in declared.items():
        if kind not in ("refused", "computed"):
            continue
        for given in given_paths(value, path):
            if kind == "refused":
                message = note or f"{display_name} does not store it: leave it out"
            else:
                message = f"{display_name} computes it: leave it out (it is read back)"
                if note:
                    message += f"; {note}"
            issues.append(FieldIssue(given, message))
    return issues


__all__ = [
    "FIELD_KINDS",
    "RECORD_FIELDS",
    "FieldKind",
    "FieldSupport",
    "declaration_problems",
    "field_paths",
    "given_paths",
    "kind_of",
    "refusals",
]
