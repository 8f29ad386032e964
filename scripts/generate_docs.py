"""Write ``docs/resources.md`` and ``docs/portability.md`` from the resource catalog and the
project's providers; ``--check`` fails on drift.

``resources.md`` lists every unified resource with its summary, accessor, model fields, list
filters, sort keys and event names, and a capability table (resource × provider × operations)
built from the ``capabilities`` the providers declare. ``portability.md`` is the portability
table: per resource, what each provider does with each field it does not simply store (its
``field_support``), and who applies each list filter and sort (its ``list_filters`` and
``list_sorts``; the core after fetching otherwise), with the cost. Providers come from the
installed plugins whose distribution is part of the project (``unified-accounting-*``): test
plugins are left out.

Run ``python scripts/generate_docs.py`` after changing the catalog, a model of the catalog or a
provider's declarations; the test suite runs it with ``--check``.
"""

from __future__ import annotations

import argparse
import difflib
import enum
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from unified_accounting.catalog import RESOURCES, ResourceSpec
from unified_accounting.field_support import RECORD_FIELDS, field_paths, kind_of
from unified_accounting.mirror.schema import FIELD_COLUMNS
from unified_accounting.models import ReportName
from unified_accounting.plugins import ProviderInfo, list_providers
from unified_accounting.provider import Operation, Provider

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "resources.md"
PORTABILITY_PAGE = ROOT / "docs" / "portability.md"
#: Distributions whose providers the docs describe (the project's own).
PROJECT_PREFIX = "unified-accounting-"
#: Fields every record has, described once at the top of the page rather than per resource.
COMMON_FIELDS = ("id", "row_version", "created_at", "updated_at", "raw", "pass_through")
NONE = "—"


def project_providers() -> list[ProviderInfo]:
    return [info for info in list_providers() if (info.distribution or "").startswith(PROJECT_PREFIX)]


def type_name(annotation: Any) -> str:
    """An annotation as a reader writes it: ``Decimal | None``, ``list[TaxComponent]``."""
    if annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(arguments[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(argument) for argument in arguments)
    if origin is typing.Literal:
        return " | ".join(repr(argument) for argument in arguments)
    if origin is not None:
        inner = ", ".join(type_name(argument) for argument in arguments)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", str(annotation))


def _enums_in(annotation: Any) -> list[type[enum.Enum]]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [annotation]
    return [found for argument in typing.get_args(annotation) for found in _enums_in(argument)]


def field_notes(info: Any) -> str:
    notes = [info.description] if info.description else []
    for kind in _enums_in(info.annotation):
        notes.append(f"{kind.__name__}: " + ", ".join(f"`{member.value}`" for member in kind))
    if info.is_required() and "required" not in (info.description or "").lower():
        notes.insert(0, "required")
    return "; ".join(notes)


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [found for argument in typing.get_args(annotation) for found in _nested_models(argument)]


def field_rows(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| field | type | notes |", "|---|---|---|"]
    for name, info in model.model_fields.items():
        if name not in skip:
            rows.append(f"| `{name}` | `{_cell(type_name(info.annotation))}` | {_cell(field_notes(info))} |")
    return rows


def parts_of(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The models nested in ``model``'s fields (lines, addresses, components), depth first."""
    found: list[type[BaseModel]] = []
    for info in model.model_fields.values():
        for nested in _nested_models(info.annotation):
            if nested not in found:
                found.append(nested)
                found += [deeper for deeper in parts_of(nested) if deeper not in found]
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _operations(operations: frozenset[Operation]) -> str:
    return ", ".join(op.value for op in Operation if op in operations) or NONE


def capability_table(providers: list[ProviderInfo]) -> list[str]:
    header = ["resource", *(info.provider.display_name for info in providers)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in RESOURCES:
        cells = [f"`{name}`"]
        for info in providers:
            provider = info.provider
            text = _operations(provider.capabilities.get(name, frozenset()))
            extra = sorted(provider.list_filters.get(name, frozenset()))
            if extra and text != NONE:
                # A provider may not apply updated_since where it keeps no update time (Xero tax rates).
                applied = [f for f in ["updated_since", *extra] if provider.supports_filter(name, f)]
                text += " (filters: " + ", ".join(applied) + ")"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _overrides(provider: Any, method: str) -> bool:
    return getattr(type(provider), method) is not getattr(Provider, method)


def documents_table(providers: list[ProviderInfo]) -> list[str]:
    """Reports, attachments and raw requests: what each provider declares (see docs/documents.md)."""
    header = ["", *(info.provider.display_name for info in providers)]
    rows: dict[str, list[str]] = {
        "reports": [],
        "attachments on": [],
        "attachment limits": [],
        "`conn.request`": [],
    }
    for info in providers:
        provider = info.provider
        rows["reports"].append(", ".join(r.value for r in ReportName if r in provider.reports) or NONE)
        limits = provider.attachment_limits
        if limits is None:
            rows["attachments on"].append(NONE)
            rows["attachment limits"].append(NONE)
        else:
            rows["attachments on"].append(", ".join(f"`{name}`" for name in sorted(limits.resources)))
            facts = [
                f"{limits.max_bytes:,} bytes a file" if limits.max_bytes else "no size limit",
                f"{limits.max_per_record} files a record" if limits.max_per_record else "no count limit",
                "types: " + ", ".join(sorted(limits.content_types)) if limits.content_types else "any type",
                "deletable" if limits.deletable else "not deletable",
            ]
            rows["attachment limits"].append(
                "; ".join(facts) + (f" ({limits.source})" if limits.source else "")
            )
        rows["`conn.request`"].append("yes" if _overrides(provider, "api_root") else NONE)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join([name, *map(_cell, cells)]) + " |" for name, cells in rows.items()]
    return lines


def own_resources_table(providers: list[ProviderInfo]) -> list[str]:
    rows = [
        f"| {info.provider.display_name} | `{name}` | `{model.__name__}` | "
        f"{_operations(info.provider.capabilities.get(name, frozenset()))} |"
        for info in providers
        for name, model in info.provider.models.items()
    ]
    if not rows:
        return ["No provider of the project has resources of its own."]
    return ["| provider | resource | model | operations |", "|---|---|---|---|", *rows]


def resource_section(spec: ResourceSpec) -> list[str]:
    model = spec.model
    lines = [
        "",
        f"## `{spec.name}`",
        "",
        spec.summary,
        "",
        f"- Accessor: `conn.{spec.collection}` (`AsyncResource[{model.__name__}]`, blocking "
        f"`Resource[{model.__name__}]`)",
        f"- Model: `unified_accounting.{model.__name__}`",
        f"- Operations the unified API defines: {_operations(spec.operations)}",
        f"- Mirrored by `ua sync` by default: {'yes' if spec.mirrored else 'no'}"
        + (f", after {', '.join(f'`{name}`' for name in spec.after)}" if spec.after else ""),
        f"- Outbound events: {', '.join(f'`{event}`' for event in spec.events)}",
        "",
        *field_rows(model, COMMON_FIELDS),
    ]
    for part in parts_of(model):
        lines += ["", f"`{part.__name__}`:", "", *field_rows(part)]
    lines += ["", "List filters (keywords of `list()`):", "", "| filter | type | keeps |", "|---|---|---|"]
    for list_filter in spec.filters:
        kind = type_name(list_filter.type)
        lines.append(f"| `{list_filter.name}` | `{_cell(kind)}` | {_cell(list_filter.description)} |")
    if spec.sorts:
        keys = ", ".join(f"`{key}`" for key in spec.sorts)
        lines += [
            "",
            f"Sort keys (`list(sort=...)`, each descending with a leading `-`): {keys}. Who applies",
            f"each filter and sort on each provider: [Portability](portability.md#{spec.name}).",
        ]
    return lines


def page_source() -> str:
    providers = project_providers()
    lines = [
        "<!-- Generated by scripts/generate_docs.py from the resource catalog and the providers' "
        "capabilities: do not edit by hand. -->",
        "",
        "# Resources",
        "",
        "Every unified resource is declared once, in `unified_accounting.catalog.RESOURCES`: its",
        "name, accessor, model, the operations the unified API defines on it, the filters its",
        "lists take and its event names. The client's accessors, the blocking client, the mirror,",
        "webhook routing, outbound events, the conformance kit and this page derive from that",
        "declaration (see [Writing a provider](providers/writing.md#resources-and-the-catalog)).",
        "",
        "Besides the fields below every record has `id`, `row_version` (send it back on update),",
        "`created_at`, `updated_at`, `raw` (the provider's payload, with `include_raw=True`) and",
        "`pass_through` (provider fields merged into writes).",
        "",
        "## Capabilities",
        "",
        "What each provider supports (anything else raises `UnsupportedOperation` before any HTTP",
        "call). Providers apply the `updated_since` filter wherever they keep an update time; the",
        "filters a provider applies are listed after its operations.",
        "",
        *capability_table(providers),
        "",
        "## Reports, attachments and raw requests",
        "",
        "What each provider declares for `conn.reports`, `conn.attachments` and `conn.request` (see",
        "[Reports, attachments, PDFs and raw requests](documents.md)); the client refuses the rest",
        "before any HTTP call.",
        "",
        *documents_table(providers),
        "",
        "## Resources of a provider's own",
        "",
        "Not unified: reached with `conn.resource(name)`, which returns records of the provider's model.",
        "",
        *own_resources_table(providers),
    ]
    for spec in RESOURCES.values():
        lines += resource_section(spec)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ portability

#: What each kind of declaration means for users, in the page's legend.
KIND_MEANINGS = {
    "stored": "written as given and read back as it is (every field not named below)",
    "mapped": "stored, in the way the note explains",
    "computed": "set by the provider and read back; a value given on create or update is refused "
    "before any HTTP call (it would not be sent)",
    "refused": "the provider cannot store it; a value given is refused before any HTTP call with "
    "the note, which says what to do instead",
}


def _supports(provider: Provider, resource: str) -> bool:
    return bool(provider.capabilities.get(resource))


def _kind_cell(kind: str, note: str) -> str:
    text = f"**{kind}**" if kind in ("refused", "computed") else kind
    return _cell(f"{text}: {note}" if note else text)


def field_table(spec: ResourceSpec, providers: list[ProviderInfo]) -> list[str]:
    """The fields some provider does not simply store, × providers."""
    supporting = [info for info in providers if _supports(info.provider, spec.name)]
    declared = {info.name: info.provider.field_support.get(spec.name, {}) for info in supporting}
    named = {path for paths in declared.values() for path in paths}
    paths = [path for path in field_paths(spec.model, RECORD_FIELDS) if path in named]
    if not paths:
        return [f"No provider declares a field of `{spec.name}` that it does not store as it is."]
    header = ["field", *(info.provider.display_name for info in supporting)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for path in paths:
        cells = [f"`{path}`"]
        cells += [_kind_cell(*kind_of(declared[info.name], path)) for info in supporting]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, "", "Fields not in the table are stored by every provider that supports the resource."]


#: How each way of applying a filter or a sort reads in the table.
BY_PROVIDER = "provider"
AFTER_FETCH = "core, after fetching"
IN_MEMORY = "core, in memory"
#: ``updated_since`` where the provider keeps no update time: refused before any call.
NO_UPDATE_TIME = "refused (no update time kept)"


def list_table(spec: ResourceSpec, providers: list[ProviderInfo]) -> list[str]:
    """Who applies each list filter and sort key of ``spec``, × providers, and the mirror."""
    supporting = [
        info for info in providers if Operation.LIST in info.provider.capabilities.get(spec.name, ())
    ]
    header = ["filter or sort", *(info.provider.display_name for info in supporting)]
    if spec.mirrored:
        header.append("mirror")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for list_filter in spec.filters:
        cells = [f"`{list_filter.name}`"]
        for info in supporting:
            pushed = info.provider.supports_filter(spec.name, list_filter.name)
            if list_filter.name == "updated_since" and not pushed:
                cells.append(NO_UPDATE_TIME)
            else:
                cells.append(BY_PROVIDER if pushed else AFTER_FETCH)
        if spec.mirrored:
            cells.append(f"SQL on `{FIELD_COLUMNS[list_filter.field].name}` (indexed)")
        lines.append("| " + " | ".join(cells) + " |")
    for key in spec.sorts:
        cells = [f"`sort={key}` / `-{key}`"]
        for info in supporting:
            cells.append(BY_PROVIDER if info.provider.supports_sort(spec.name, key) else IN_MEMORY)
        if spec.mirrored:
            cells.append(f"SQL on `{FIELD_COLUMNS[key].name}` (indexed)")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def portability_source(providers: list[ProviderInfo]) -> str:
    names = ", ".join(info.provider.display_name for info in providers) or "none"
    lines = [
        "<!-- Generated by scripts/generate_docs.py from the providers' field_support, list_filters "
        "and list_sorts declarations: do not edit by hand. -->",
        "",
        "# Portability",
        "",
        f"What each provider of the project ({names}) does with the unified fields, and with the",
        "filters and sorts of `list()`. The same declarations drive validation: a field a provider",
        "refuses or computes is refused before any HTTP call, with the note below as the message",
        "(see [Writing a provider](providers/writing.md#field-support)).",
        "",
        "## Fields",
        "",
        "| kind | meaning |",
        "|---|---|",
        *(f"| {kind} | {meaning} |" for kind, meaning in KIND_MEANINGS.items()),
        "",
        "A declaration on a field covers what is nested in it (`billing_address` covers",
        "`billing_address.city`); `line_items.tax_amount` is the field of every line.",
        "",
        "## List filters and sort",
        "",
        "Every filter and sort of the catalog works on every provider and gives the same records in",
        "the same order; what differs is who does the work, and so what it costs",
        "([List filters and sort](list-filters.md) shows how to read `pager.plan`):",
        "",
        f"- **{BY_PROVIDER}**: the provider's query narrows the request, so only matching records",
        "  are fetched (the core checks each one again against the unified rule, which costs nothing",
        "  more).",
        f"- **{AFTER_FETCH}**: the provider sends every record the other filters let through, and the",
        "  core keeps those that match. It costs the requests (and rate-limit budget) of the pages",
        "  the left-out records fill, and pages may hold fewer records than `page_size`. Give a",
        "  filter the provider applies as well (`updated_since`, where it keeps an update time) to",
        "  fetch less.",
        f"- **{IN_MEMORY}** (sorts): every page is read before the first record is handed out and all",
        "  the matching records are held in memory; a later `list(cursor=...)` reads them all again.",
        '  On large books, sort on the mirror instead (`source="mirror"`: SQL over indexed columns).',
        "",
        "`updated_since` is applied by the provider, which is what incremental syncs rely on; where a",
        f"provider keeps no update time on a resource the table says **{NO_UPDATE_TIME}**: the filter",
        "raises `UnsupportedOperation` before any call (list the resource whole instead).",
    ]
    for spec in RESOURCES.values():
        supported = [info for info in providers if _supports(info.provider, spec.name)]
        lines += ["", f"## `{spec.name}`", ""]
        if not supported:
            lines.append("No provider of the project supports it yet.")
            continue
        lines += field_table(spec, providers)
        has_list = any(Operation.LIST in info.provider.capabilities.get(spec.name, ()) for info in supported)
        if has_list and (len(spec.filters) > 1 or spec.sorts):
            lines += ["", "List filters and sort:", "", *list_table(spec, providers)]
    return "\n".join(lines) + "\n"


def pages() -> dict[Path, str]:
    """Every generated page and its expected text."""
    providers = project_providers()
    return {PAGE: page_source(), PORTABILITY_PAGE: portability_source(providers)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a checked-in page differs")
    options = parser.parse_args(argv)
    stale = 0
    for page, expected in pages().items():
        current = page.read_text() if page.exists() else ""
        if current == expected:
            continue
        name = str(page.relative_to(ROOT))
        if options.check:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True), expected.splitlines(keepends=True), name, "generated"
            )
            sys.stdout.writelines(diff)
            print(f"{name} is out of date: run python scripts/generate_docs.py")
            stale += 1
            continue
        page.write_text(expected)
        print(f"wrote {name}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
