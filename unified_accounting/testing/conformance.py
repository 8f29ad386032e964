"""The conformance suite every provider runs against its own emulator.

Use it from a provider's tests::

    # conftest.py
    @pytest.fixture
    def ua_harness() -> ProviderHarness:
        return MyHarness()

    # test_conformance.py
    from unified_accounting.testing import ConformanceSuite

    class TestMyProvider(ConformanceSuite):
        pass

Each test runs twice, once on ``AsyncClient`` and once on the blocking ``Client``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
import pytest

from ..connections import MemoryConnectionStore
from ..errors import (
    AuthenticationError,
    Conflict,
    NotFound,
    RateLimited,
    UnsupportedOperation,
    ValidationFailed,
)
from ..models import InvoiceStatus
from ..plugins import get_provider
from ..provider import Operation
from .flavours import FlavouredClient, FlavouredResource
from .harness import ProviderHarness

#: Retries the suite allows, so "retried then RateLimited" needs max_retries + 1 throttled calls.
SUITE_MAX_RETRIES = 2
CONSUMER = "conformance"
#: Ids a caller might pass by mistake or malice: URL syntax, escapes, dot segments, non-ASCII.
#: Each id but the dot-only and empty ones holds "zq", so the test can find it in a request path.
HOSTILE_IDS = (
    "zq1?minorversion=1&x=",
    "zq1&x=1",
    "zq1#x",
    "zqa/b",
    "zq/../../../../_emulator/revoke-all?x=",
    "zq1/send?x=",
    "zq/%2e%2e",
    "zq100%",
    "zq-Rechnung-Nr.ä漢",
    "..",
    ".",
    "",
)


class WireLog:
    """An ASGI wrapper that notes every request as the emulator receives it (raw path and query)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, bytes, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode()
            self.requests.append((scope["method"], raw_path, scope.get("query_string", b"")))
        await self.app(scope, receive, send)


class ConformanceEnv:
    """A connected client on a fresh emulator, shared by the steps of one test."""

    def __init__(
        self,
        harness: ProviderHarness,
        app: Any,
        client: FlavouredClient,
        company_id: str,
        wire: WireLog | None = None,
    ) -> None:
        self.harness = harness
        self.app = app
        self.client = client
        self.company_id = company_id
        self.provider = get_provider(harness.provider)
        self.wire = wire or WireLog(app)

    def supports(self, resource: str, operation: Operation) -> bool:
        return self.provider.supports(resource, operation)

    def require(self, resource: str, *operations: Operation) -> None:
        missing = [op.value for op in operations if not self.supports(resource, op)]
        if missing:
            pytest.skip(f"{self.provider.name} does not support {', '.join(missing)} on {resource}")

    async def resource(self, name: str) -> FlavouredResource:
        return await self.client.resource(
            name, consumer_id=CONSUMER, provider=self.harness.provider, company_id=self.company_id
        )

    async def new_customer_id(self) -> str:
        customers = await self.resource("customers")
        return str((await customers.create(self.harness.customer())).id)

    async def new_invoice(self) -> Any:
        invoices = await self.resource("invoices")
        return await invoices.create(self.harness.invoice(await self.new_customer_id()))


def client_options(harness: ProviderHarness, app: Any) -> dict[str, Any]:
    return {
        "providers": {harness.provider: {**harness.settings, "base_url": harness.base_url}},
        "transport": httpx.ASGITransport(app=app),
        "max_retries": SUITE_MAX_RETRIES,
        "environ": {},
        "store": MemoryConnectionStore(),
    }


@pytest.mark.anyio
class ConformanceSuite:
    """Inherit from this in a test module; provide a ``ua_harness`` fixture."""

    @pytest.fixture(params=["async", "sync"])
    async def ua_env(self, request: pytest.FixtureRequest, ua_harness: ProviderHarness) -> Any:
        app = ua_harness.create_app()
        grant = await ua_harness.grant(app)
        wire = WireLog(app)
        async with FlavouredClient(request.param == "sync", **client_options(ua_harness, wire)) as client:
            await client.call(
                "import_connection",
                consumer_id=CONSUMER,
                provider=ua_harness.provider,
                company_id=grant.company_id,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                expires_at=grant.expires_at,
            )
            yield ConformanceEnv(ua_harness, app, client, grant.company_id, wire)

    # ------------------------------------------------------------------------------ round trips

    async def test_customer_round_trip(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.GET, Operation.UPDATE)
        customers = await ua_env.resource("customers")
        sample = ua_env.harness.customer()
        created = await customers.create(sample)
        assert created.id and created.row_version is not None
        assert created.display_name == sample.display_name
        fetched = await customers.get(created.id)
        assert fetched.id == created.id and fetched.display_name == sample.display_name
        changes = ua_env.harness.customer_changes()
        ua_env.harness.advance(ua_env.app, 2)
        updated = await customers.update(created.id, changes, row_version=fetched.row_version)
        for field, value in changes.items():
            assert getattr(updated, field) == value
        assert updated.row_version != fetched.row_version

    async def test_invoice_round_trip_keeps_money_exact(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("invoice", Operation.CREATE, Operation.GET, Operation.UPDATE)
        invoices = await ua_env.resource("invoices")
        sample = ua_env.harness.invoice(await ua_env.new_customer_id())
        created = await invoices.create(sample)
        assert created.id and created.customer_id == sample.customer_id
        fetched = await invoices.get(created.id)
        sales = [line for line in fetched.line_items if line.quantity is not None]
        expected = [line for line in sample.line_items if line.quantity is not None]
        assert [(s.quantity, s.unit_price) for s in sales] == [(e.quantity, e.unit_price) for e in expected]
        expected_total = sum((line.total_amount or Decimal(0) for line in expected), Decimal(0))
        assert fetched.total is not None and fetched.total - (fetched.total_tax or 0) == expected_total
        assert isinstance(fetched.total, Decimal)
        ua_env.harness.advance(ua_env.app, 2)
        changes = ua_env.harness.invoice_changes()
        updated = await invoices.update(created.id, changes, row_version=fetched.row_version)
        for field, value in changes.items():
            assert getattr(updated, field) == value

    async def test_invoice_void_or_delete(self, ua_env: ConformanceEnv) -> None:
        can_void = ua_env.supports("invoice", Operation.VOID)
        can_delete = ua_env.supports("invoice", Operation.DELETE)
        if not (can_void or can_delete):
            pytest.skip("the provider neither voids nor deletes invoices")
        invoices = await ua_env.resource("invoices")
        if can_void:
            invoice = await ua_env.new_invoice()
            voided = await invoices.void(invoice.id)
            assert voided.status == InvoiceStatus.VOID
        if can_delete:
            sample = ua_env.harness.deletable_invoice(await ua_env.new_customer_id())
            invoice = await invoices.create(sample)
            await invoices.delete(invoice.id)
            # A provider may keep a deleted record readable, marked deleted; otherwise it is gone.
            try:
                fetched = await invoices.get(invoice.id)
            except NotFound:
                pass
            else:
                assert fetched.status == InvoiceStatus.DELETED

    async def test_payment_round_trip_lowers_amount_due(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("payment", Operation.CREATE, Operation.GET)
        invoice = await ua_env.new_invoice()
        total = invoice.total
        assert total is not None and total > 0
        part = (total / 2).quantize(Decimal("0.01"))
        payments = await ua_env.resource("payments")
        payment = await payments.create(ua_env.harness.payment(invoice, part))
        assert payment.id and payment.total_amount == part
        assert [(a.invoice_id, a.amount) for a in payment.allocations] == [(invoice.id, part)]
        fetched = await payments.get(payment.id)
        assert fetched.total_amount == part
        invoices = await ua_env.resource("invoices")
        after = await invoices.get(invoice.id)
        assert after.amount_due == total - part
        assert after.status == InvoiceStatus.PARTIALLY_PAID

    # ---------------------------------------------------------------------------------- listing

    async def test_list_pages_past_one_page(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.LIST)
        customers = await ua_env.resource("customers")
        created = {(await customers.create(ua_env.harness.customer())).id for _ in range(5)}
        listed = await customers.list_all(page_size=2)
        ids = [record.id for record in listed]
        assert created <= set(ids)
        assert len(ids) == len(set(ids)), "a record was listed twice across pages"

    async def test_list_updated_since(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.LIST)
        customers = await ua_env.resource("customers")
        old = await customers.create(ua_env.harness.customer())
        ua_env.harness.advance(ua_env.app, 120)
        since = ua_env.harness.now(ua_env.app)
        ua_env.harness.advance(ua_env.app, 120)
        new = await customers.create(ua_env.harness.customer())
        ids = {record.id for record in await customers.list_all(updated_since=since)}
        assert new.id in ids
        assert old.id not in ids

    # ----------------------------------------------------------------------------------- errors

    async def test_stale_row_version_is_a_conflict(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.UPDATE)
        customers = await ua_env.resource("customers")
        created = await customers.create(ua_env.harness.customer())
        ua_env.harness.advance(ua_env.app, 2)
        await customers.update(created.id, ua_env.harness.customer_changes(), row_version=created.row_version)
        ua_env.harness.advance(ua_env.app, 2)
        with pytest.raises(Conflict) as caught:
            await customers.update(
                created.id, ua_env.harness.customer_changes(), row_version=created.row_version
            )
        assert caught.value.provider == ua_env.harness.provider

    async def test_missing_id_is_not_found(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.GET)
        customers = await ua_env.resource("customers")
        with pytest.raises(NotFound) as caught:
            await customers.get("999999999")
        assert caught.value.provider == ua_env.harness.provider

    async def test_ids_stay_inside_one_url_path_segment(self, ua_env: ConformanceEnv) -> None:
        """An id is data: it can add no query parameter, leave no path, and ``.``/``..`` are refused."""
        ua_env.require("invoice", Operation.CREATE, Operation.GET)
        invoices = await ua_env.resource("invoices")
        real = await ua_env.new_invoice()
        calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [("get", (), {})]
        if ua_env.supports("invoice", Operation.UPDATE):
            calls.append(("update", (ua_env.harness.invoice_changes(),), {}))
        for operation, method in ((Operation.VOID, "void"), (Operation.DELETE, "delete")):
            if ua_env.supports("invoice", operation):
                calls.append((method, (), {}))
        if ua_env.supports("invoice", Operation.SEND):
            calls.append(("send", (), {}))
        for hostile in HOSTILE_IDS:
            for method, args, kwargs in calls:
                ua_env.wire.requests.clear()
                with pytest.raises((NotFound, ValidationFailed)) as caught:
                    await getattr(invoices, method)(hostile, *args, **kwargs)
                sent = list(ua_env.wire.requests)
                if not hostile.strip("."):
                    assert isinstance(caught.value, ValidationFailed), (method, hostile)
                    assert sent == [], f"{method}({hostile!r}) reached the provider: {sent}"
                    continue
                encoded = quote(hostile, safe="").encode()
                for _, raw_path, query in sent:
                    segments = raw_path.split(b"/")
                    # Where the id reaches a path it is one whole segment, escapes and all.
                    assert b"zq" not in raw_path or encoded in segments, (method, hostile, raw_path)
                    assert b"." not in segments and b".." not in segments, (method, hostile, raw_path)
                    parameters = parse_qs(query.decode(), keep_blank_values=True)
                    assert "x" not in parameters, (method, hostile, query)
                    assert all(len(values) == 1 for values in parameters.values()), (method, hostile, query)
        # The token still works and the real invoice is untouched: nothing was revoked or changed.
        again = await invoices.get(real.id)
        assert again.id == real.id and again.row_version == real.row_version

    async def test_rate_limit_is_retried_then_raised(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.GET)
        customers = await ua_env.resource("customers")
        created = await customers.create(ua_env.harness.customer())
        ua_env.harness.throttle(ua_env.app, SUITE_MAX_RETRIES)
        assert (await customers.get(created.id)).id == created.id
        ua_env.harness.throttle(ua_env.app, SUITE_MAX_RETRIES + 1)
        with pytest.raises(RateLimited) as caught:
            await customers.get(created.id)
        assert caught.value.retriable
        ua_env.harness.throttle(ua_env.app, 0)

    async def test_bad_credentials_are_an_authentication_error(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.GET)
        await ua_env.client.call(
            "import_connection",
            consumer_id="intruder",
            provider=ua_env.harness.provider,
            company_id=ua_env.company_id,
            access_token="not-a-token",
        )
        customers = await ua_env.client.resource(
            "customers",
            consumer_id="intruder",
            provider=ua_env.harness.provider,
            company_id=ua_env.company_id,
        )
        with pytest.raises(AuthenticationError):
            await customers.get("1")

    async def test_unsupported_operations_fail_before_http(self, ua_env: ConformanceEnv) -> None:
        # The capability check comes first, so dummy arguments never reach validation or HTTP.
        calls: dict[Operation, tuple[str, tuple[Any, ...]]] = {
            Operation.CREATE: ("create", ({},)),
            Operation.GET: ("get", ("1",)),
            Operation.LIST: ("list_all", ()),
            Operation.UPDATE: ("update", ("1", {})),
            Operation.DELETE: ("delete", ("1",)),
            Operation.VOID: ("void", ("1",)),
            Operation.ARCHIVE: ("archive", ("1",)),
            Operation.SEND: ("send", ("1",)),
            Operation.BULK_CREATE: ("create_many", ([],)),
            Operation.BULK_UPDATE: ("update_many", ([],)),
        }
        for resource, attribute in (
            ("invoice", "invoices"),
            ("customer", "customers"),
            ("payment", "payments"),
        ):
            target = await ua_env.resource(attribute)
            for operation, (method, args) in calls.items():
                if ua_env.supports(resource, operation):
                    continue
                with pytest.raises(UnsupportedOperation) as caught:
                    await getattr(target, method)(*args)
                assert caught.value.provider == ua_env.harness.provider
                assert caught.value.operation == operation.value
