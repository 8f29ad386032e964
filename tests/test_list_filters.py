"""List filters and sort: declared per resource in the catalog, checked before any HTTP call, applied
by the provider where it declares them (Ledgerly's invoices take ``customer_id`` and ``status``) and
by the core otherwise (filtered after fetching, sorted in memory), with ``pager.plan`` saying which."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator
from ua_ledgerly.provider import LedgerlyProvider

from unified_accounting import (
    AsyncClient,
    AsyncConnection,
    Client,
    Customer,
    Invoice,
    InvoiceStatus,
    LineItem,
    ListPlan,
    ListSort,
    MemoryConnectionStore,
    Page,
    Payment,
    Provider,
    TaxRate,
    TaxRateStatus,
    UnsupportedOperation,
    ValidationFailed,
    hookimpl,
)
from unified_accounting.listing import SortCursor

from .conftest import LEDGERLY, connect

pytestmark = pytest.mark.anyio


class Requests(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self.inner.handle_async_request(request)

    def lists(self) -> list[httpx.Request]:
        return [r for r in self.seen if r.method == "GET" and r.url.path.endswith("/invoices")]


@pytest.fixture
async def wired(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> AsyncIterator[tuple[AsyncConnection, Requests]]:
    transport = Requests(httpx.ASGITransport(app=ledgerly_app))
    async with AsyncClient(
        providers={"ledgerly": LEDGERLY}, transport=transport, environ={}, store=MemoryConnectionStore()
    ) as client:
        yield await connect(client, emulator), transport


async def rates(conn: AsyncConnection) -> dict[str, TaxRate]:
    made = {}
    for name, status in (("GST", "active"), ("Old GST", "archived"), ("PST", "active")):
        made[name] = await conn.tax_rates.create(TaxRate(name=name, rate="5", status=status))
    return made


async def books(conn: AsyncConnection, emulator: LedgerlyEmulator) -> dict[str, Invoice]:
    """Five invoices of two customers, a minute apart: open, partially paid, paid, void, draft."""
    acme = await conn.customers.create(Customer(display_name="Acme"))
    globex = await conn.customers.create(Customer(display_name="Globex"))
    made: dict[str, Invoice] = {}
    plan = [
        ("open", acme, "A-3", date(2026, 1, 10)),
        ("partial", acme, "A-1", date(2026, 1, 5)),
        ("paid", globex, "G-7", date(2026, 2, 1)),
        ("void", globex, "A-2", date(2026, 1, 20)),
        ("draft", acme, "G-1", None),
    ]
    for label, customer, number, issued in plan:
        made[label] = await conn.invoices.create(
            Invoice(
                customer_id=str(customer.id),
                number=number,
                issue_date=issued,
                status="draft" if label == "draft" else None,
                line_items=[LineItem(description="Work", quantity=2, unit_price="50.00")],
            )
        )
        emulator.advance(60)
    for label, amount in (("partial", "40.00"), ("paid", "100.00")):
        invoice = made[label]
        await conn.payments.create(
            Payment(
                customer_id=invoice.customer_id,
                total_amount=amount,
                allocations=[{"invoice_id": str(invoice.id), "amount": amount}],
            )
        )
    await conn.invoices.void(str(made["void"].id))
    return {label: await conn.invoices.get(str(inv.id)) for label, inv in made.items()}


def ids(records: list[Any]) -> list[str]:
    return [str(r.id) for r in records]


async def test_status_is_applied_by_the_provider(wired: tuple[AsyncConnection, Requests]) -> None:
    conn, transport = wired
    made = await rates(conn)
    transport.seen.clear()
    pager = conn.tax_rates.list(status="archived")
    archived = await pager.to_list()
    assert [r.id for r in archived] == [made["Old GST"].id]
    assert archived[0].status is TaxRateStatus.ARCHIVED
    [request] = transport.seen
    assert request.url.params["state"] == "archived"
    assert pager.plan == ListPlan("tax_rate", "provider", pushed_down=("status",))
    active = await conn.tax_rates.list(status=TaxRateStatus.ACTIVE, page_size=1).to_list()
    assert [r.name for r in active] == ["GST", "PST"]
    assert len(await conn.tax_rates.list().to_list()) == 3


async def test_invoice_filters_ledgerly_takes_go_to_it_and_the_core_applies_the_rest(
    wired: tuple[AsyncConnection, Requests], emulator: LedgerlyEmulator
) -> None:
    conn, transport = wired
    made = await books(conn, emulator)
    acme = made["open"].customer_id
    transport.seen.clear()
    pager = conn.invoices.list(customer_id=acme, number="A-1", page_size=2)
    assert ids(await pager.to_list()) == [made["partial"].id]
    assert pager.plan == ListPlan(
        "invoice", "provider", pushed_down=("customer_id",), filtered_after_fetch=("number",)
    )
    # Ledgerly narrowed the request by customer (three of Acme's invoices, two a page); the
    # number is no parameter of its API, so the core checked it on each record.
    assert [dict(r.url.params) for r in transport.lists()] == [
        {"limit": "2", "customer": acme},
        {"limit": "2", "customer": acme, "after": str(made["partial"].id).split("-")[1]},
    ]
    since = made["paid"].created_at
    assert since is not None
    later = await conn.invoices.list(created_since=since).to_list()
    assert ids(later) == [made["void"].id, made["draft"].id]  # strictly after the moment
    january = await conn.invoices.list(
        issue_date_from=date(2026, 1, 5), issue_date_to=date(2026, 1, 10)
    ).to_list()
    assert ids(january) == [made["open"].id, made["partial"].id]  # both ends included
    undated = made["draft"].id
    assert undated not in ids(await conn.invoices.list(issue_date_to=date(2030, 1, 1)).to_list())


async def test_status_takes_one_value_or_several_and_the_core_tells_partly_paid_from_open(
    wired: tuple[AsyncConnection, Requests], emulator: LedgerlyEmulator
) -> None:
    conn, transport = wired
    made = await books(conn, emulator)
    transport.seen.clear()
    unpaid = await conn.invoices.list(status=["open", InvoiceStatus.PARTIALLY_PAID]).to_list()
    assert ids(unpaid) == [made["open"].id, made["partial"].id]
    # Both are Ledgerly's "open" state: it narrows the request, the core keeps the unified rule.
    assert [r.url.params["state"] for r in transport.lists()] == ["open"]
    partly = await conn.invoices.list(status="partially_paid").to_list()
    assert ids(partly) == [made["partial"].id]
    settled = await conn.invoices.list(status=("paid", "void", "paid")).to_list()
    assert ids(settled) == [made["paid"].id, made["void"].id]
    assert transport.lists()[-1].url.params["state"] == "paid,void"
    transport.seen.clear()
    # No Ledgerly state holds a submitted invoice: nothing narrows the request, nothing matches.
    assert await conn.invoices.list(status="submitted").to_list() == []
    assert "state" not in transport.lists()[0].url.params


class Plain(LedgerlyProvider):
    """Ledgerly's API without its filters (as a provider that cannot apply any)."""

    name = "plain"
    list_filters: ClassVar[dict[str, frozenset[str]]] = {}


class Sorting(LedgerlyProvider):
    """A provider that orders invoices by issue date itself (it reads every page and sorts them
    here, standing in for an API with an ``order`` parameter)."""

    name = "sorting"
    list_sorts: ClassVar[dict[str, frozenset[str]]] = {"invoice": frozenset({"issue_date"})}
    asked: ClassVar[list[ListSort | None]] = []

    async def list_page(self, session: Any, resource: str, **options: Any) -> Page:
        sort = options.pop("sort", None)
        self.asked.append(sort)
        if sort is None:
            return await super().list_page(session, resource, **options)
        records: list[Any] = []
        cursor = None
        while True:
            page = await super().list_page(session, resource, **{**options, "cursor": cursor})
            records += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        dated = sorted(
            (r for r in records if r.issue_date), key=lambda r: r.issue_date, reverse=sort.descending
        )
        return Page(items=dated + [r for r in records if not r.issue_date])


class Untimed(LedgerlyProvider):
    """A provider that keeps no update time on tax rates (as Xero)."""

    name = "untimed"

    def supports_filter(self, resource: str, name: str) -> bool:
        return not (resource == "tax_rate" and name == "updated_since") and super().supports_filter(
            resource, name
        )


class Variants:
    @hookimpl
    def ua_register_providers(self) -> list[Provider]:
        return [Plain(), Sorting(), Untimed()]


@pytest.fixture
async def variant(
    ledgerly_app: Any, emulator: LedgerlyEmulator, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[AsyncConnection, Requests]]:
    transport = Requests(httpx.ASGITransport(app=ledgerly_app))
    name = request.param
    async with AsyncClient(
        providers={name: LEDGERLY},
        transport=transport,
        environ={},
        store=MemoryConnectionStore(),
        plugins=(Variants(),),
    ) as client:
        issued = emulator.issue_tokens()
        conn = await client.import_connection(
            consumer_id="acme",
            provider=name,
            company_id=issued["company"],
            access_token=issued["access_token"],
        )
        yield conn, transport


@pytest.mark.parametrize("variant", ["plain"], indirect=True)
async def test_a_filter_the_provider_cannot_apply_is_applied_by_the_core(
    variant: tuple[AsyncConnection, Requests],
) -> None:
    conn, transport = variant
    await rates(conn)
    transport.seen.clear()
    pager = conn.tax_rates.list(status="active", page_size=2)
    pages = [page async for page in pager.pages()]
    assert [[r.name for r in page.items] for page in pages] == [["GST"], ["PST"]]
    assert pager.plan == ListPlan("tax_rate", "provider", filtered_after_fetch=("status",))
    # Every record was fetched (the cost: the pages the archived rate filled) and none was asked for
    # by status.
    assert len(transport.seen) == 2
    assert all("state" not in r.url.params for r in transport.seen)


@pytest.mark.parametrize("variant", ["plain"], indirect=True)
async def test_a_sort_the_provider_cannot_do_is_done_in_memory_and_resumes_from_its_cursor(
    variant: tuple[AsyncConnection, Requests], emulator: LedgerlyEmulator
) -> None:
    conn, transport = variant
    made = await books(conn, emulator)
    transport.seen.clear()
    pager = conn.invoices.list(sort="-issue_date", page_size=2)
    pages = [page async for page in pager.pages()]
    expected = ["paid", "void", "open", "partial", "draft"]  # no issue date: last
    assert [ids(page.items) for page in pages] == [
        ids([made[k] for k in expected[:2]]),
        ids([made[k] for k in expected[2:4]]),
        ids([made["draft"]]),
    ]
    assert pager.plan is not None and pager.plan.sorted_by == "core"
    # Every page of the provider's list was read once, before the first record was handed out.
    assert len(transport.lists()) == 3
    # A later list resumes after the cursor's record, by its sort value and id: the records it
    # handed out are not repeated, even when that record is gone meanwhile.
    cursor = pages[0].next_cursor
    assert cursor is not None and cursor.startswith("ua-sort.")
    await conn.invoices.delete(str(made["void"].id))
    rest = await conn.invoices.list(sort="-issue_date", page_size=2, cursor=cursor).to_list()
    assert ids(rest) == ids([made[k] for k in ("open", "partial", "draft")])
    by_number = await conn.invoices.list(sort="number").to_list()
    assert [r.number for r in by_number] == ["A-1", "A-2", "A-3", "G-1", "G-7"]
    assert [r.number for r in await conn.invoices.list(sort="-number", status="open").to_list()] == ["A-3"]
    transport.seen.clear()
    with pytest.raises(ValidationFailed) as wrong_sort:
        conn.invoices.list(sort="number", cursor=cursor)
    assert wrong_sort.value.issues[0].field == "cursor"
    assert "sorted by '-issue_date', not 'number'" in wrong_sort.value.issues[0].message
    for junk in (
        "inv-3",
        "ua-sort.!!",
        "ua-sort." + "e30",
        SortCursor(ListSort("number"), "3", "x").encode(Invoice),
    ):
        with pytest.raises(ValidationFailed, match="cursor"):
            conn.invoices.list(sort="-issue_date", cursor=junk)
    assert transport.seen == []


@pytest.mark.parametrize("variant", ["sorting"], indirect=True)
async def test_a_sort_the_provider_declares_is_left_to_it(
    variant: tuple[AsyncConnection, Requests], emulator: LedgerlyEmulator
) -> None:
    conn, _ = variant
    made = await books(conn, emulator)
    Sorting.asked.clear()
    pager = conn.invoices.list(sort="issue_date")
    listed = await pager.to_list()
    assert ids(listed) == ids([made[k] for k in ("partial", "open", "void", "paid", "draft")])
    assert Sorting.asked == [ListSort("issue_date")]
    assert pager.plan == ListPlan(
        "invoice",
        "provider",
        pushed_down=(),
        filtered_after_fetch=(),
        sort="issue_date",
        sorted_by="provider",
    )
    Sorting.asked.clear()
    await conn.invoices.list(sort="-number").to_list()  # not declared: the core sorts, the provider gets none
    assert set(Sorting.asked) == {None}


async def test_hostile_values_are_data_never_query_syntax(
    wired: tuple[AsyncConnection, Requests], emulator: LedgerlyEmulator
) -> None:
    conn, transport = wired
    await books(conn, emulator)
    hostile = ["cus-1&state=paid", "' OR '1'='1", "%", "cus-1,cus-2", "cus-1#", "a\nb", "Rechnung ä漢 😀"]
    for value in hostile:
        transport.seen.clear()
        assert await conn.invoices.list(customer_id=value, number=value).to_list() == []
        [request] = transport.lists()
        assert request.url.params.get_list("customer") == [value]
        assert set(request.url.params) == {"limit", "customer"}
    for bad, why in (
        ("a\x00b", "NUL"),
        ("x\ud800", "unicode"),
        ("", "at least 1"),
        ("x" * 256, "at most 255"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            conn.invoices.list(number=bad)
        assert caught.value.issues[0].field == "number" and why in caught.value.issues[0].message


async def test_filters_and_sorts_are_checked_before_any_call(
    wired: tuple[AsyncConnection, Requests],
) -> None:
    conn, transport = wired
    with pytest.raises(ValidationFailed) as undeclared:
        conn.customers.list(status="active")
    [issue] = undeclared.value.issues
    assert issue.field == "status"
    assert "customer lists take no such filter (they take: updated_since)" in issue.message
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"status": "gone"}, "status.0", "'draft'"),
        ({"status": ["open", "gone"]}, "status.1", "'paid'"),
        ({"status": []}, "status", "non-empty"),
        ({"sort": "total"}, "sort", "'updated_at', 'issue_date', 'number'"),
        ({"sort": "--number"}, "sort", "got '--number'"),
        (
            {"issue_date_from": date(2026, 2, 1), "issue_date_to": date(2026, 1, 1)},
            "issue_date_from",
            "no record",
        ),
        ({"created_since": "2026-01-01T00:00:00"}, "created_since", "timezone"),
        ({"issue_date_from": "soon"}, "issue_date_from", "date"),
    ]
    for given, field, words in cases:
        with pytest.raises(ValidationFailed) as caught:
            conn.invoices.list(**given)
        assert (caught.value.issues[0].field, words in caught.value.issues[0].message) == (field, True), given
    with pytest.raises(ValidationFailed, match="tax_rate lists take no sort"):
        conn.tax_rates.list(sort="updated_at")
    with pytest.raises(ValidationFailed) as bad_status:
        conn.tax_rates.list(status="gone")
    assert bad_status.value.issues[0].field == "status"
    assert transport.seen == []


async def test_what_was_pushed_down_is_logged(
    wired: tuple[AsyncConnection, Requests], caplog: pytest.LogCaptureFixture
) -> None:
    conn, _ = wired
    with caplog.at_level(logging.DEBUG, logger="unified_accounting.client.listing"):
        conn.invoices.list(status="open", number="A-1", sort="-issue_date")
    assert (
        "invoice list from the provider; filtered by the provider: status; filtered by the core after "
        "fetching: number; sorted by -issue_date in memory by the core, after reading every page (ledgerly)"
    ) in caplog.messages


def test_the_blocking_client_takes_the_same_filters_and_sort(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    with Client(
        providers={"ledgerly": LEDGERLY},
        transport=httpx.ASGITransport(app=ledgerly_app),
        environ={},
        store=MemoryConnectionStore(),
    ) as client:
        issued = emulator.issue_tokens()
        conn = client.import_connection(
            consumer_id="acme",
            provider="ledgerly",
            company_id=issued["company"],
            access_token=issued["access_token"],
        )
        conn.tax_rates.create(TaxRate(name="Gone", rate="1", status="archived"))
        conn.tax_rates.create(TaxRate(name="Kept", rate="1"))
        assert [r.name for r in conn.tax_rates.list(status="active")] == ["Kept"]
        customer = conn.customers.create(Customer(display_name="Acme"))
        for number, day in (("B", 2), ("A", 9), ("C", 5)):
            conn.invoices.create(
                Invoice(customer_id=str(customer.id), number=number, issue_date=date(2026, 3, day))
            )
        pager = conn.invoices.list(customer_id=str(customer.id), sort="-issue_date", page_size=1)
        assert [r.number for r in pager] == ["A", "C", "B"]
        assert pager.plan is not None and pager.plan.sorted_by == "core"
        since = date(2026, 3, 2) + timedelta(days=1)
        assert [r.number for r in conn.invoices.list(issue_date_from=since, sort="number")] == ["A", "C"]


def test_a_plan_reads_as_one_line() -> None:
    plan: Mapping[str, Any] = {"resource": "invoice", "source": "mirror", "pushed_down": ("status",)}
    assert str(ListPlan(**plan, sort="number", sorted_by="mirror")) == (
        "invoice list from the mirror; filtered by the mirror: status; sorted by number by the mirror"
    )


async def test_the_core_compares_hostile_values_exactly_as_the_mirror_does(
    wired: tuple[AsyncConnection, Requests],
) -> None:
    """Filters the core applies after fetching (Ledgerly has no number filter) compare values
    exactly: no wildcard, no case or accent folding; a sort orders text by code point."""
    conn, transport = wired
    customer = await conn.customers.create(Customer(display_name="Acme"))
    numbers = ["A-1", "A%", "A_1", "a-1", "A'1", "' OR '1'='1", "A\\1", "A-1 ", "Añ", "A漢😀", "A" * 255]
    made = {}
    for number in numbers:
        made[number] = await conn.invoices.create(Invoice(customer_id=str(customer.id), number=number))
    for number in numbers:
        transport.seen.clear()
        pager = conn.invoices.list(number=number, customer_id=str(customer.id))
        assert ids(await pager.to_list()) == [made[number].id], number
        assert pager.plan is not None and pager.plan.filtered_after_fetch == ("number",)
        # The value never reached the provider: it was compared by the core.
        assert all(number not in r.url.params.values() for r in transport.lists())
    assert await conn.invoices.list(number="A").to_list() == []
    by_number = await conn.invoices.list(sort="number").to_list()
    assert [r.number for r in by_number] == sorted(numbers)


@pytest.mark.parametrize("variant", ["untimed"], indirect=True)
async def test_updated_since_without_an_update_time_is_refused_before_any_call(
    variant: tuple[AsyncConnection, Requests],
) -> None:
    conn, transport = variant
    await rates(conn)
    transport.seen.clear()
    since = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(UnsupportedOperation, match="filtering by updated_since on 'tax_rate'"):
        conn.tax_rates.list(updated_since=since, status="active")
    assert transport.seen == []
    # Without it the list works, and other resources keep the filter.
    assert len(await conn.tax_rates.list().to_list()) == 3
    assert await conn.invoices.list(updated_since=since).to_list() == []
