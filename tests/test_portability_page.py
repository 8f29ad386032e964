"""The portability page is generated from the providers' declarations: each field a provider
refuses, computes or maps, with its note, and who applies each list filter and sort."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from unified_accounting.plugins import list_providers

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "scripts" / "generate_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_a_providers_declarations_become_its_column(generator: ModuleType) -> None:
    [ledgerly] = [info for info in list_providers() if info.name == "ledgerly"]
    page = generator.portability_source([ledgerly])
    invoice = page[page.index("## `invoice`") : page.index("## `payment`")]
    # Refused and computed fields, nested ones by their path, each with the provider's note.
    assert "| `tax_mode` | **refused**: Ledgerly invoices carry no tax: leave tax_mode out |" in invoice
    assert "| `line_items.discount_amount` | **refused**: Ledgerly lines take no discount" in invoice
    assert "| `total` | **computed**: the sum of quantity × unit_price over the lines |" in invoice
    assert "| `status` | mapped: only draft can be asked for on create" in invoice
    assert "`memo`" not in invoice  # stored: not listed
    # Ledgerly narrows invoice lists by customer and status; the core does the rest.
    assert "| `customer_id` | provider | SQL on `customer_id` (indexed) |" in invoice
    assert "| `status` | provider | SQL on `status` (indexed) |" in invoice
    assert "| `number` | core, after fetching | SQL on `number` (indexed) |" in invoice
    assert (
        "| `sort=issue_date` / `-issue_date` | core, in memory | SQL on `issue_date` (indexed) |" in invoice
    )
    customer = page[page.index("## `customer`") : page.index("## `invoice`")]
    assert "No provider declares a field of `customer`" in customer
    assert "List filters and sort" not in customer  # updated_since only
    assert "## `bill`\n\nNo provider of the project supports it yet." in page


def test_the_pages_are_linked_from_the_docs_navigation(generator: ModuleType) -> None:
    navigation = (ROOT / "mkdocs.yml").read_text()
    assert "portability.md" in navigation and "list-filters.md" in navigation
    assert set(generator.pages()) == {ROOT / "docs" / "resources.md", ROOT / "docs" / "portability.md"}
