"""List filters: declared per resource in the catalog, checked before any HTTP call, applied by
the provider (Ledgerly's tax rates take ``status``) or by the mirror."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator
from ua_ledgerly.provider import LedgerlyProvider

from unified_accounting import (
    AsyncClient,
    AsyncConnection,
    Client,
    MemoryConnectionStore,
    Provider,
    TaxRate,
    TaxRateStatus,
    UnsupportedOperation,
    ValidationFailed,
    hookimpl,
)

from .conftest import LEDGERLY, connect

pytestmark = pytest.mark.anyio


class Requests(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self.inner.handle_async_request(request)


async def rates(conn: AsyncConnection) -> dict[str, TaxRate]:
    made = {}
    for name, status in (("GST", "active"), ("Old GST", "archived"), ("PST", "active")):
        made[name] = await conn.tax_rates.create(TaxRate(name=name, rate="5", status=status))
    return made


async def test_status_is_applied_by_the_provider(ledgerly_app: Any, emulator: LedgerlyEmulator) -> None:
    transport = Requests(httpx.ASGITransport(app=ledgerly_app))
    async with AsyncClient(
        providers={"ledgerly": LEDGERLY}, transport=transport, environ={}, store=MemoryConnectionStore()
    ) as client:
        conn = await connect(client, emulator)
        made = await rates(conn)
        transport.seen.clear()
        archived = await conn.tax_rates.list(status="archived").to_list()
        assert [r.id for r in archived] == [made["Old GST"].id]
        assert archived[0].status is TaxRateStatus.ARCHIVED
        [request] = transport.seen
        assert request.url.params["state"] == "archived"
        active = await conn.tax_rates.list(status=TaxRateStatus.ACTIVE, page_size=1).to_list()
        assert [r.name for r in active] == ["GST", "PST"]
        assert len(await conn.tax_rates.list().to_list()) == 3


async def test_a_filter_the_resource_does_not_declare_is_refused_naming_it(conn: AsyncConnection) -> None:
    with pytest.raises(ValidationFailed) as caught:
        conn.customers.list(status="active")
    [issue] = caught.value.issues
    assert issue.field == "status"
    assert "customer lists take no such filter (they take: updated_since)" in issue.message
    with pytest.raises(ValidationFailed) as bad_value:
        conn.tax_rates.list(status="gone")
    assert bad_value.value.issues[0].field == "status"


class Plain(LedgerlyProvider):
    """Ledgerly's API without the status filter (as a provider that cannot apply it)."""

    name = "plain"
    list_filters: ClassVar[dict[str, frozenset[str]]] = {}


class PlainPlugin:
    @hookimpl
    def ua_register_providers(self) -> list[Provider]:
        return [Plain()]


@pytest.fixture
async def plain(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> AsyncIterator[tuple[AsyncConnection, Requests]]:
    transport = Requests(httpx.ASGITransport(app=ledgerly_app))
    async with AsyncClient(
        providers={"plain": LEDGERLY},
        transport=transport,
        environ={},
        store=MemoryConnectionStore(),
        plugins=(PlainPlugin(),),
    ) as client:
        issued = emulator.issue_tokens()
        conn = await client.import_connection(
            consumer_id="acme",
            provider="plain",
            company_id=issued["company"],
            access_token=issued["access_token"],
        )
        yield conn, transport


async def test_a_filter_the_provider_cannot_apply_fails_before_http(
    plain: tuple[AsyncConnection, Requests],
) -> None:
    conn, transport = plain
    with pytest.raises(UnsupportedOperation) as caught:
        conn.tax_rates.list(status="active")
    assert str(caught.value) == "provider 'plain' does not support filtering by status on 'tax_rate'"
    assert transport.seen == []
    # Without the filter the provider lists as before: list_page gets no filters argument.
    assert await conn.tax_rates.list().to_list() == []


def test_the_blocking_client_takes_the_same_filters(ledgerly_app: Any, emulator: LedgerlyEmulator) -> None:
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
        with pytest.raises(ValidationFailed):
            conn.invoices.list(status="open")
