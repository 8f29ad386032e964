"""Write ``docs/resources.md`` from the resource catalog and the project's providers; ``--check``
fails on drift.

The page lists every unified resource with its summary, accessor, model fields, list filters and
event names, and a capability table (resource × provider × operations) built from the
``capabilities`` the providers declare. Providers come from the installed plugins whose
distribution is part of the project (``unified-accounting-*``): test plugins are left out.

Run ``python scripts/generate_docs.py`` after changing the catalog, a model of the catalog or a
provider's capabilities; the test suite runs it with ``--check``.
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
from unified_accounting.models import ReportName
from unified_accounting.plugins import ProviderInfo, list_providers
from unified_accounting.provider import Operation, Provider

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "resources.md"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the checked-in page differs")
    options = parser.parse_args(argv)
    expected = page_source()
    current = PAGE.read_text() if PAGE.exists() else ""
    if current == expected:
        return 0
    if options.check:
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            str(PAGE.relative_to(ROOT)),
            "generated",
        )
        sys.stdout.writelines(diff)
        print("docs/resources.md is out of date: run python scripts/generate_docs.py")
        return 1
    PAGE.write_text(expected)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
