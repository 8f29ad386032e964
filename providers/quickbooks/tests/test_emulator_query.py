"""The emulated query language: parser, filters, ordering, paging, COUNT and faults."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator import QBOFault, create_emulator
from unified_accounting_quickbooks.emulator.query import Condition, parse_query

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def make_app(**options: Any) -> Any:
    options.setdefault("clock", lambda: START)
    return create_emulator(limits=False, **options)


async def query(c: httpx.AsyncClient, app: Any, text: str) -> httpx.Response:
    return await c.get(f"{app.state.emulator.api_path()}/query", params={"query": text, "minorversion": "75"})


def rows(response: httpx.Response, entity: str) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["QueryResponse"].get(entity, [])
    return found


def test_parser_grammar() -> None:
    parsed = parse_query(
        "select * FROM invoice Where CustomerRef IN ('1', '2') and TotalAmt >= 10.5 "
        "AND DocNumber LIKE '%A\\'B%' orderBy TxnDate desc, Id STARTPOSITION 11 maxresults 5"
    )
    assert parsed.entity == "Invoice"
    assert parsed.count is False
    assert parsed.conditions == (
        Condition("CustomerRef", "IN", ("1", "2")),
        Condition("TotalAmt", ">=", Decimal("10.5")),
        Condition("DocNumber", "LIKE", "%A'B%"),
    )
    assert parsed.order == (("TxnDate", True), ("Id", False))
    assert (parsed.start_position, parsed.max_results) == (11, 5)
    counted = parse_query("SELECT COUNT(*) FROM Customer WHERE Active = false")
    assert counted.count
    assert counted.conditions == (Condition("Active", "=", False),)


@pytest.mark.parametrize(
    "text",
    [
        "select * from Invoice where Id = '1' or Id = '2'",
        "select Id from Invoice",
        "select * from Invoice where DocNumber = 'unterminated",
        "select * from Invoice where",
        "select * from Invoice maxresults",
        "select * from Invoice where Id != '1'",
        "select * from Invoice garbage",
        "delete from Invoice",
        "",
    ],
)
def test_parse_errors_are_4000(text: str) -> None:
    with pytest.raises(QBOFault) as caught:
        parse_query(text)
    assert caught.value.code == "4000"


@pytest.mark.anyio
async def test_filters_over_http() -> None:
    app = make_app()
    emulator = app.state.emulator
    for name, active in (
        ("O'Brien Plumbing", True),
        ("Obi Wan", True),
        ("Zeta Corp", True),
        ("Old Co", False),
    ):
        emulator.create("Customer", {"DisplayName": name, "Active": active})
    async with emulator.http_client(app) as c:
        escaped = rows(
            await query(c, app, "select * from Customer where DisplayName = 'O\\'Brien Plumbing'"), "Customer"
        )
        assert [r["DisplayName"] for r in escaped] == ["O'Brien Plumbing"]
        like = rows(await query(c, app, "select * from Customer where DisplayName like 'o%'"), "Customer")
        assert sorted(r["DisplayName"] for r in like) == ["O'Brien Plumbing", "Obi Wan"]
        contains = rows(
            await query(c, app, "select * from Customer where DisplayName like '%corp%'"), "Customer"
        )
        assert [r["DisplayName"] for r in contains] == ["Zeta Corp"]
        ids = [r["Id"] for r in rows(await query(c, app, "select * from Customer"), "Customer")]
        assert len(ids) == 3  # inactive hidden by default
        in_ids = rows(
            await query(c, app, f"select * from Customer where Id in ('{ids[0]}', '{ids[2]}')"), "Customer"
        )
        assert [r["Id"] for r in in_ids] == [ids[0], ids[2]]
        both = rows(await query(c, app, "select * from Customer where Active in (true, false)"), "Customer")
        assert len(both) == 4
        inactive = rows(await query(c, app, "select * from Customer where Active = false"), "Customer")
        assert [r["DisplayName"] for r in inactive] == ["Old Co"]
        numeric_id = rows(await query(c, app, f"select * from Customer where Id > '{ids[0]}'"), "Customer")
        assert len(numeric_id) == 2
        none = await query(c, app, "select * from Customer where DisplayName = 'Nobody'")
        assert none.json()["QueryResponse"] == {"startPosition": 1, "maxResults": 0}
        assert "time" in none.json()


@pytest.mark.anyio
async def test_order_paging_and_count() -> None:
    app = make_app(seed=11, customers=15, items=5, invoices=45, payments=10)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        everything = rows(await query(c, app, "select * from Invoice maxresults 1000"), "Invoice")
        assert len(everything) == 45
        assert [int(r["Id"]) for r in everything] == sorted(int(r["Id"]) for r in everything)
        default_page = await query(c, app, "select * from Invoice")
        assert default_page.json()["QueryResponse"]["maxResults"] == 45
        paged: list[str] = []
        for start in (1, 21, 41):
            page = await query(
                c, app, f"select * from Invoice orderby TotalAmt desc startposition {start} maxresults 20"
            )
            body = page.json()["QueryResponse"]
            assert body["startPosition"] == start
            paged.extend(r["Id"] for r in body["Invoice"])
            assert body["maxResults"] == len(body["Invoice"])
        by_total = sorted(everything, key=lambda r: Decimal(str(r["TotalAmt"])), reverse=True)
        assert [Decimal(str(r["TotalAmt"])) for r in by_total] == [
            Decimal(str(emulator.record("Invoice", i)["TotalAmt"])) for i in paged
        ]
        assert len(set(paged)) == 45
        past_end = await query(c, app, "select * from Invoice startposition 46")
        assert "Invoice" not in past_end.json()["QueryResponse"]
        count = await query(c, app, "select count(*) from Invoice")
        assert count.json()["QueryResponse"] == {"totalCount": 45}
        unpaid = await query(c, app, "select count(*) from Invoice where Balance > '0'")
        assert unpaid.json()["QueryResponse"]["totalCount"] == sum(
            1 for r in everything if Decimal(str(r["Balance"])) > 0
        )
        multi = rows(
            await query(c, app, "select * from Invoice orderby CustomerRef, TxnDate desc maxresults 1000"),
            "Invoice",
        )
        keys = [(int(r["CustomerRef"]["value"]), r["TxnDate"]) for r in multi]
        for (cust_a, date_a), (cust_b, date_b) in itertools.pairwise(keys):
            assert cust_a < cust_b or (cust_a == cust_b and date_a >= date_b)
        customer = everything[0]["CustomerRef"]["value"]
        by_customer = rows(
            await query(c, app, f"select * from Invoice where CustomerRef = '{customer}'"), "Invoice"
        )
        assert {r["CustomerRef"]["value"] for r in by_customer} == {customer}
        dated = rows(
            await query(
                c, app, "select * from Invoice where TxnDate >= '2025-01-01' and TxnDate < '2026-01-01'"
            ),
            "Invoice",
        )
        assert all(r["TxnDate"].startswith("2025") for r in dated)


@pytest.mark.anyio
async def test_last_updated_time_understands_offsets() -> None:
    app = make_app()
    emulator = app.state.emulator
    first = emulator.create("Customer", {"DisplayName": "Early"})
    emulator.advance(3600)
    emulator.create("Customer", {"DisplayName": "Late"})
    assert first["MetaData"]["LastUpdatedTime"] == "2026-03-02T12:00:00-08:00"
    async with emulator.http_client(app) as c:
        for literal in (
            "2026-03-02T12:30:00-08:00",
            "2026-03-02T20:30:00Z",
            "2026-03-02T21:30:00+01:00",
            "2026-03-02T12:30:00",
        ):
            found = rows(
                await query(c, app, f"select * from Customer where MetaData.LastUpdatedTime > '{literal}'"),
                "Customer",
            )
            assert [r["DisplayName"] for r in found] == ["Late"], literal
        ordered = rows(
            await query(c, app, "select * from Customer orderby MetaData.LastUpdatedTime desc"), "Customer"
        )
        assert [r["DisplayName"] for r in ordered] == ["Late", "Early"]


@pytest.mark.anyio
async def test_post_query_and_validation_faults() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        posted = await c.post(
            f"{base}/query",
            content="select * from Account where AccountType = 'Bank'",
            headers={"Content-Type": "application/text"},
        )
        assert {r["Name"] for r in rows(posted, "Account")} == {"Checking", "Savings"}
        parse_error = await query(c, app, "select * frm Invoice")
        assert parse_error.status_code == 400
        assert parse_error.json()["Fault"]["Error"][0]["code"] == "4000"
        unknown_entity = await query(c, app, "select * from Widget")
        assert unknown_entity.json()["Fault"]["Error"][0]["code"] == "4001"
        unknown_field = await query(c, app, "select * from Invoice where Colour = 'red'")
        assert unknown_field.json()["Fault"]["Error"][0]["code"] == "4001"
        too_many = await query(c, app, "select * from Invoice maxresults 1001")
        assert too_many.status_code == 400
        assert "1000" in too_many.json()["Fault"]["Error"][0]["Detail"]
        missing = await c.get(f"{base}/query")
        assert missing.json()["Fault"]["Error"][0]["code"] == "4000"
    clamped = make_app(seed=1, invoices=5, query_max_results_overflow="clamp")
    async with clamped.state.emulator.http_client(clamped) as c:
        assert len(rows(await query(c, clamped, "select * from Invoice maxresults 5000"), "Invoice")) == 5


async def page_through(app: Any, invoices: int) -> list[str]:
    """Every invoice id, read page by page (1000 a page) in id order."""
    emulator = app.state.emulator
    ids: list[str] = []
    async with emulator.http_client(app) as c:
        for page in range(-(-invoices // 1000) + 1):
            text = f"select * from Invoice startposition {page * 1000 + 1} maxresults 1000"
            response = await c.get(f"{emulator.api_path()}/query", params={"query": text})
            assert response.status_code == 200
            ids.extend(row["Id"] for row in response.json()["QueryResponse"].get("Invoice", []))
    return ids


@pytest.mark.anyio
async def test_paging_reads_every_invoice_once_in_id_order() -> None:
    app = create_emulator(seed=2, invoices=1_500, customers=20, items=12, limits=False)
    ids = await page_through(app, 1_500)
    assert len(ids) == len(set(ids)) == 1_500
    assert ids == sorted(ids, key=int)


@pytest.mark.slow
@pytest.mark.anyio
async def test_paging_100k_invoices() -> None:
    # How fast seeding and paging are is bench/emulators.py's to measure, not a test's.
    app = create_emulator(seed=2, invoices=100_000, customers=200, items=12, limits=False)
    assert app.state.emulator.count("Invoice") == 100_000
    ids = await page_through(app, 100_000)
    assert len(ids) == len(set(ids)) == 100_000
