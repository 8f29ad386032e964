"""Type checkers see the real API of the blocking client: what a user's editor and CI see."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.slow

USER_SCRIPT = """
from decimal import Decimal

from unified_accounting import Client, Customer, Invoice, LineItem


def bill(client: Client) -> Decimal | None:
    conn = client.connection(consumer_id="acme", provider="quickbooks")
    customer = conn.customers.create(Customer(display_name="Globex"))
    invoice = conn.invoices.create(
        Invoice(customer_id=str(customer.id), line_items=[LineItem(quantity=1, unit_price="5")])
    )
    reveal_type(invoice)
    for listed in conn.invoices.list(page_size=100):
        reveal_type(listed)
    for rate in conn.tax_rates.list(status="active"):
        reveal_type(rate)
    return invoice.total


with Client(database_url="sqlite:///books.db") as client:
    bill(client)
"""

MISTAKES = """
from unified_accounting import Client, Invoice

client = Client(databse_url="sqlite:///books.db")
conn = client.connection(consumer_id="acme", provider="quickbooks")
conn.invoices.craete(Invoice(customer_id="1"))
conn.invoices.get("1", include_rwa=True)
conn.tax_rates.list(satus="active")
"""


def check(tmp_path: Path, source: str) -> tuple[str, int]:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(source))
    stdout, stderr, status = api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(script)]
    )
    return stdout + stderr, status


def test_the_blocking_client_is_fully_typed(tmp_path: Path) -> None:
    output, status = check(tmp_path, USER_SCRIPT)
    revealed = [line.split(": note: ")[-1] for line in output.splitlines() if "Revealed type" in line]
    invoice = 'Revealed type is "unified_accounting.models.invoice.Invoice"'
    tax_rate = 'Revealed type is "unified_accounting.models.tax_rate.TaxRate"'
    assert revealed == [invoice, invoice, tax_rate], output
    assert status == 0 or "error" not in output.replace("Revealed", ""), output


def test_misspelt_methods_and_keywords_are_errors(tmp_path: Path) -> None:
    output, status = check(tmp_path, MISTAKES)
    assert status == 1
    assert 'Unexpected keyword argument "databse_url" for "Client"' in output
    assert '"Resource[Invoice]" has no attribute "craete"' in output
    assert 'Unexpected keyword argument "include_rwa" for "get" of "Resource"' in output
    assert 'Unexpected keyword argument "satus" for "list" of "Resource"' in output
