"""``Provider.field_support``: a field a provider computes or refuses is refused when a user gives
it — on create (set in the record, nested paths included, defaults not counted) and on update (a
key of the update, nested too) — before any HTTP call, with the provider's note."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator
from ua_ledgerly.provider import LedgerlyProvider

from unified_accounting import (
    AsyncClient,
    AsyncConnection,
    BulkUpdate,
    Customer,
    FieldIssue,
    Invoice,
    LineItem,
    MemoryConnectionStore,
    Provider,
    ValidationFailed,
    hookimpl,
)
from unified_accounting.catalog import operations
from unified_accounting.field_support import field_paths, given_paths, kind_of, refusals
from unified_accounting.models import TrackingRef
from unified_accounting.provider import Capabilities

from .conftest import LEDGERLY

pytestmark = pytest.mark.anyio


async def customer_id(conn: AsyncConnection) -> str:
    return str((await conn.customers.create(Customer(display_name="Acme"))).id)


def line(**fields: object) -> LineItem:
    return LineItem(description="Work", quantity=1, unit_price="10.00", **fields)  # type: ignore[arg-type]


async def test_a_refused_field_given_on_create_is_refused_before_any_call_with_the_note(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    owner = await customer_id(conn)
    before = emulator.api_calls
    invoice = Invoice(
        customer_id=owner,
        tax_mode="exclusive",
        line_items=[
            line(),
            line(discount_amount="1.00", tracking=[TrackingRef(category_id="c", option_id="o")]),
        ],
    )
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.create(invoice)
    assert {(i.field, i.message) for i in caught.value.issues} == {
        ("tax_mode", "Ledgerly invoices carry no tax: leave tax_mode out"),
        ("line_items.1.discount_amount", "Ledgerly lines take no discount: lower unit_price"),
        ("line_items.1.tracking", "Ledgerly has no tracking categories"),
    }
    assert caught.value.provider == "ledgerly"
    assert emulator.api_calls == before


async def test_defaults_and_empty_values_are_not_given(conn: AsyncConnection) -> None:
    owner = await customer_id(conn)
    # tax_mode defaults to None, tracking to []: the user gave neither. Given empty, nothing is lost.
    created = await conn.invoices.create(
        Invoice(customer_id=owner, tax_mode=None, tracking=[], line_items=[line(tax_rate_id=None)])
    )
    assert created.id and created.total == Decimal("10.00")


async def test_a_computed_field_given_is_refused_saying_it_is_read_back(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    owner = await customer_id(conn)
    before = emulator.api_calls
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.create(Invoice(customer_id=owner, total="10.00", line_items=[line()]))
    [issue] = caught.value.issues
    assert issue.field == "total"
    assert issue.message == (
        "Ledgerly computes it: leave it out (it is read back); "
        "the sum of quantity × unit_price over the lines"
    )
    # A record read back holds the computed fields: written again as it is, it is refused too.
    stored = await conn.invoices.create(Invoice(customer_id=owner, line_items=[line()]))
    with pytest.raises(ValidationFailed, match="computes it"):
        await conn.invoices.create(stored)
    assert emulator.api_calls == before + 1


async def test_updates_are_checked_by_their_keys_nested_too(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    owner = await customer_id(conn)
    invoice = await conn.invoices.create(Invoice(customer_id=owner, line_items=[line()]))
    before = emulator.api_calls
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.update(
            str(invoice.id),
            {"amount_due": "0", "line_items": [{"description": "Work", "tax_rate_id": "GST"}], "memo": "ok"},
        )
    assert [i.field for i in caught.value.issues] == ["line_items.0.tax_rate_id", "amount_due"]
    assert emulator.api_calls == before
    # A key set to nothing asks to store nothing: allowed.
    updated = await conn.invoices.update(str(invoice.id), {"memo": "kept", "tax_mode": None})
    assert updated.memo == "kept"


class Bulky(LedgerlyProvider):
    """Ledgerly declaring bulk writes (never reached: the input is refused first)."""

    name = "bulky"
    capabilities: ClassVar[Capabilities] = {
        **LedgerlyProvider.capabilities,
        "invoice": operations("create bulk_create bulk_update"),
    }


class BulkyPlugin:
    @hookimpl
    def ua_register_providers(self) -> list[Provider]:
        return [Bulky()]


async def test_bulk_writes_name_each_record_by_its_index(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    async with AsyncClient(
        providers={"bulky": LEDGERLY},
        transport=httpx.ASGITransport(app=ledgerly_app),
        environ={},
        store=MemoryConnectionStore(),
        plugins=(BulkyPlugin(),),
    ) as client:
        issued = emulator.issue_tokens()
        conn = await client.import_connection(
            consumer_id="acme",
            provider="bulky",
            company_id=issued["company"],
            access_token=issued["access_token"],
        )
        before = emulator.api_calls
        with pytest.raises(ValidationFailed) as caught:
            await conn.invoices.create_many(
                [Invoice(customer_id="1"), Invoice(customer_id="1", tax_mode="inclusive")]
            )
        assert [i.field for i in caught.value.issues] == ["1.tax_mode"]
        assert caught.value.provider == "bulky"
        with pytest.raises(ValidationFailed) as bulk:
            await conn.invoices.update_many([BulkUpdate("inv-1", {"currency_rate": "1.1"})])
        assert [i.field for i in bulk.value.issues] == ["currency_rate"]
        assert emulator.api_calls == before


def test_paths_reach_every_nested_field_and_a_parent_covers_its_children() -> None:
    paths = field_paths(Invoice)
    assert {"line_items", "line_items.discount_amount", "line_items.tracking.option_id"} <= set(paths)
    assert {"billing_address.contact_name", "terms.days", "tracking.category_id"} <= set(paths)
    declared = {"billing_address": ("refused", "no addresses"), "line_items.tax_amount": ("computed", "")}
    assert kind_of(declared, "billing_address.city") == ("refused", "no addresses")
    assert kind_of(declared, "line_items.tax_amount") == ("computed", "")
    assert kind_of(declared, "line_items") == ("stored", "")


def test_given_paths_name_each_line_and_skip_what_was_not_set() -> None:
    invoice = Invoice(
        customer_id="1",
        billing_address={"city": "Oslo"},
        line_items=[line(), line(tax_amount="1.00"), line(tax_amount=None)],
    )
    assert given_paths(invoice, "line_items.tax_amount") == ["line_items.1.tax_amount"]
    assert given_paths(invoice, "billing_address.city") == ["billing_address.city"]
    assert given_paths(invoice, "billing_address.line1") == []
    assert given_paths(invoice, "shipping_address.city") == []
    update = {"line_items": [line(tax_amount="2.00")], "memo": ""}
    assert given_paths(update, "line_items.tax_amount") == ["line_items.0.tax_amount"]
    assert given_paths(update, "memo") == []
    assert refusals("X", {"memo": ("mapped", "kept as notes")}, invoice) == []


class Checking(LedgerlyProvider):
    """Ledgerly whose own check also refuses tax_mode (as QuickBooks and Xero do for some fields)."""

    name = "checking"

    def validate(self, resource: str, record: Any, operation: Any) -> list[FieldIssue]:
        issues = super().validate(resource, record, operation)
        if resource == "invoice" and getattr(record, "tax_mode", None) is not None:
            issues.append(FieldIssue("tax_mode", "Checking's own words"))
        return issues


class CheckingPlugin:
    @hookimpl
    def ua_register_providers(self) -> list[Provider]:
        return [Checking()]


async def test_a_field_refused_by_both_the_declaration_and_validate_is_named_once(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    async with AsyncClient(
        providers={"checking": LEDGERLY},
        transport=httpx.ASGITransport(app=ledgerly_app),
        environ={},
        store=MemoryConnectionStore(),
        plugins=(CheckingPlugin(),),
    ) as client:
        issued = emulator.issue_tokens()
        conn = await client.import_connection(
            consumer_id="acme",
            provider="checking",
            company_id=issued["company"],
            access_token=issued["access_token"],
        )
        with pytest.raises(ValidationFailed) as caught:
            await conn.invoices.create(Invoice(customer_id="1", tax_mode="exclusive", line_items=[line()]))
        assert [(i.field, i.message) for i in caught.value.issues] == [("tax_mode", "Checking's own words")]
