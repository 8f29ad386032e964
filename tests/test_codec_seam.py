"""The ``Codec`` seam: the core's reads decode through ``provider.codec``; ``RecordCodec`` gives a
codec that maps one record at a time the provider context, ``raw`` and per-record issues."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    AsyncConnection,
    DecodeFailed,
    FetchedPage,
    Invoice,
    ListQuery,
    Page,
    Provider,
    RecordCodec,
    TaxRate,
    TaxRateStatus,
    capabilities,
)
from unified_accounting.models import RecordMeta
from unified_accounting.models.context import from_provider
from unified_accounting.models.money import QuantizedRecords, quantized

pytestmark = pytest.mark.anyio


class RateCodec(RecordCodec):
    """A codec of a made-up API whose tax rates look like ``{"key": .., "label": .., "pct": ..}``."""

    provider = "rates"
    id_key = "key"

    def fields(self, resource: str, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": data["key"], "name": data["label"], "rate": data["pct"]}

    def rows(self, resource: str, body: Any) -> Any:
        return (self.parse(body) if isinstance(body, bytes) else body)["items"]

    def encode(self, model: RecordMeta) -> dict[str, Any]:
        return {}


PAGE = json.dumps(
    {"items": [{"key": "1", "label": "GST", "pct": "10.0"}, {"key": "2", "label": "Odd", "pct": "lots"}]}
).encode()


def test_record_codec_builds_the_catalog_model_with_raw_when_asked() -> None:
    codec = RateCodec()
    rate = codec.decode("tax_rate", b'{"key": "7", "label": "VAT", "pct": 20.5}', include_raw=True)
    assert isinstance(rate, TaxRate) and rate.rate == Decimal("20.5")  # exact, never through a float
    assert rate.raw == {"key": "7", "label": "VAT", "pct": Decimal("20.5")}
    assert codec.decode("tax_rate", {"key": "7", "label": "VAT", "pct": "20.5"}).raw is None


def test_record_codec_reports_each_unreadable_record_of_a_page_with_its_id() -> None:
    records, issues = RateCodec().decode_page("tax_rate", PAGE)
    assert [r.id for r in records] == ["1"]
    [issue] = issues
    assert (issue.resource, issue.record_id) == ("tax_rate", "2")
    assert issue.raw == {"key": "2", "label": "Odd", "pct": "lots"}
    assert [i.field for i in issue.error.issues] == ["rate"]
    with pytest.raises(DecodeFailed) as caught:
        RateCodec().decode_list("tax_rate", PAGE)
    assert caught.value.record_id == "2"


def test_record_codec_refuses_a_body_that_is_no_list_answer() -> None:
    with pytest.raises(DecodeFailed) as caught:
        RateCodec().decode_page("tax_rate", b"<html>maintenance</html>")
    assert caught.value.raw == b"<html>maintenance</html>"
    with pytest.raises(DecodeFailed, match="cannot read the rates tax_rate '9'"):
        RateCodec().decode("tax_rate", {"key": "9"})


def test_record_codec_reads_provider_data_with_the_provider_context() -> None:
    """Input-only rules do not apply to what a provider stores (here: a negative rate)."""
    rate = RateCodec().decode("tax_rate", {"key": "3", "label": "Rebate", "pct": "-2"})
    assert rate.rate == Decimal("-2")


class Rates(Provider):
    """A provider written with the fetch hooks only: the base class decodes through its codec."""

    name = "rates"
    display_name = "Rates"
    capabilities = capabilities(tax_rate="get list")

    def __init__(self) -> None:
        self.codec = RateCodec()
        self.queries: list[ListQuery] = []

    async def fetch_record(self, session: Any, resource: str, record_id: str) -> Any:
        return {"key": record_id, "label": "GST", "pct": "10"}

    async def fetch_page(self, session: Any, resource: str, query: ListQuery) -> FetchedPage:
        self.queries.append(query)
        return FetchedPage(PAGE, next_cursor=None if query.cursor else "2")


class Session:
    include_raw = True


async def test_the_base_provider_reads_through_its_fetch_hooks_and_codec() -> None:
    provider = Rates()
    rate = await provider.get(Session(), "tax_rate", "5")  # type: ignore[arg-type]
    assert rate.id == "5" and rate.raw == {"key": "5", "label": "GST", "pct": "10"}
    page = await provider.list_page(
        Session(),  # type: ignore[arg-type]
        "tax_rate",
        cursor=None,
        updated_since=None,
        page_size=50,
        filters={"status": TaxRateStatus.ACTIVE},
    )
    assert isinstance(page, Page) and page.next_cursor == "2"
    assert [r.id for r in page.items] == ["1"] and [i.record_id for i in page.issues] == ["2"]
    assert provider.queries == [ListQuery(None, 50, None, {"status": TaxRateStatus.ACTIVE})]
    found = await provider.get_many(Session(), "tax_rate", ["5", "6"])  # type: ignore[arg-type]
    assert [r.id for r in found.items] == ["5", "6"]


# ------------------------------------------------------------------------------ through the client


def store_tax_rate(emulator: LedgerlyEmulator, record_id: str, **fields: Any) -> dict[str, Any]:
    stamp = emulator.now().isoformat()
    record = {"id": record_id, "version": 0, "createdAt": stamp, "updatedAt": stamp, **fields}
    emulator.table("c-1", "taxRates")[record_id] = record
    return record


async def test_tax_rates_round_trip_through_the_ledgerly_mapping(conn: AsyncConnection) -> None:
    created = await conn.tax_rates.create(
        TaxRate(
            name="HST",
            code="HST-ON",
            rate=Decimal("13"),
            applies_to=["sales", "purchases"],
            components=[{"name": "GST", "rate": "5"}, {"name": "PST", "rate": "8", "compound": True}],
        )
    )
    fetched = await conn.tax_rates.get(str(created.id), include_raw=True)
    assert (fetched.name, fetched.code, fetched.rate, fetched.status) == (
        "HST",
        "HST-ON",
        Decimal("13"),
        TaxRateStatus.ACTIVE,
    )
    assert [(c.name, c.rate, c.compound) for c in fetched.components] == [
        ("GST", Decimal("5"), False),
        ("PST", Decimal("8"), True),
    ]
    assert [use.value for use in fetched.applies_to] == ["sales", "purchases"]
    assert fetched.raw is not None and fetched.raw["label"] == "HST" and fetched.raw["percent"] == "13"


async def test_an_unreadable_tax_rate_is_reported_not_fatal(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    store_tax_rate(emulator, "tax-1", label="GST", percent="10", state="active")
    bad = store_tax_rate(emulator, "tax-2", label="Broken", percent="ten", state="active")
    pager = conn.tax_rates.list()
    assert [r.id for r in await pager.to_list()] == ["tax-1"]
    [issue] = pager.issues
    assert (issue.record_id, issue.raw) == ("tax-2", bad)
    with pytest.raises(DecodeFailed) as caught:
        await conn.tax_rates.get("tax-2")
    assert (caught.value.provider, caught.value.record_id) == ("ledgerly", "tax-2")
    assert caught.value.raw == bad


async def test_ledgerly_records_are_read_as_provider_data(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    """A credit line (negative quantity) is refused from users but read as Ledgerly stores it."""
    customer = await conn.customers.create({"display_name": "Credit Co"})
    stamp = emulator.now().isoformat()
    emulator.table("c-1", "invoices")["inv-99"] = {
        "id": "inv-99",
        "customer": customer.id,
        "lines": [{"description": "Refund", "qty": "-1", "price": "5"}],
        "total": "-5",
        "balance": "-5",
        "state": "open",
        "version": 0,
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    invoice = await conn.invoices.get("inv-99")
    assert isinstance(invoice, Invoice)
    assert invoice.line_items[0].quantity == Decimal("-1") and invoice.amount_due == Decimal("-5")
    assert [i.id for i in await conn.invoices.list().to_list()] == ["inv-99"]


# ------------------------------------------------------------------ quantized pages


class _PageCodec:
    """A codec whose pages come back as given: plain lists, or pages it vouches are quantized."""

    def __init__(self) -> None:
        self.records: list[Invoice] = []
        self.vouch = False

    def decode_page(
        self, resource: str, body: object, include_raw: bool = False
    ) -> tuple[list[Invoice], list[object]]:
        return (QuantizedRecords(self.records) if self.vouch else list(self.records)), []


class _PageProvider(Provider):
    name = "pages"
    display_name = "Pages"

    def __init__(self) -> None:
        self.codec = _PageCodec()  # type: ignore[assignment]


class _Session:
    include_raw = False


def test_the_read_path_quantizes_pages_unless_the_codec_built_them_quantized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import unified_accounting.provider as provider_module

    walked: list[object] = []

    def counting(record: Invoice) -> Invoice:
        walked.append(record)
        return quantized(record)

    monkeypatch.setattr(provider_module, "quantized", counting)
    loose = from_provider(Invoice, {"customer_id": "1", "currency": "USD", "total": "10.5"})
    exact = quantized(from_provider(Invoice, {"customer_id": "2", "currency": "USD", "total": "7"}))
    provider = _PageProvider()
    provider.codec.records = [loose]  # type: ignore[attr-defined]
    [read], _ = provider.read_page(_Session(), "invoice", b"")  # type: ignore[arg-type]
    assert str(read.total) == "10.50" and walked == [loose]  # a plain page: record by record
    walked.clear()
    provider.codec.records, provider.codec.vouch = [exact], True  # type: ignore[attr-defined]
    records, _ = provider.read_page(_Session(), "invoice", b"")  # type: ignore[arg-type]
    # Taken as it is, and handed on as a plain list: the vouching belongs to the codec's page.
    assert records == [exact] and records[0] is exact and type(records) is list
    assert walked == []  # not walked again
