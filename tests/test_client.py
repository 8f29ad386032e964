"""The async client against the Ledgerly emulator: validation, retries, refresh, hooks, raw payloads."""

from __future__ import annotations

import asyncio
import gc
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    AsyncClient,
    AuthenticationError,
    ConfigurationError,
    ConnectionHealth,
    Customer,
    Invoice,
    LineItem,
    LineItemType,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
    RecordChange,
    ValidationFailed,
    hookimpl,
)
from unified_accounting.client.async_client import AsyncConnection
from unified_accounting.connections import ConnectionKey

from .conftest import RecordedSleeps, connect, make_client

pytestmark = pytest.mark.anyio


class Flaky(httpx.AsyncBaseTransport):
    """Fails the first ``failures`` requests (with a status, or a transport error), then forwards."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: list[int | Exception]) -> None:
        self.inner = inner
        self.failures = failures
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, json={"error": {"code": "boom", "message": "injected"}})
        return await self.inner.handle_async_request(request)


async def customer(conn: AsyncConnection, name: str = "Acme") -> Customer:
    return await conn.customers.create(Customer(display_name=name))


# ------------------------------------------------------------------------------------ validation


async def test_provider_specific_validation_fails_before_any_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    before = emulator.api_calls
    invoice = Invoice(
        customer_id="cus-1", line_items=[LineItem(type=LineItemType.DISCOUNT, discount_percentage=5)]
    )
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.create(invoice)
    # Ledgerly declares line discounts refused (field_support) and refuses discount lines (validate).
    assert [issue.field for issue in caught.value.issues] == [
        "line_items.0.discount_percentage",
        "line_items.0.type",
    ]
    assert caught.value.provider == "ledgerly"
    assert emulator.api_calls == before


async def test_mapping_input_is_validated_by_the_model(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    with pytest.raises(ValidationFailed, match="customer_id") as caught:
        await conn.invoices.create({"line_items": []})
    assert [issue.field for issue in caught.value.issues] == ["customer_id"]
    assert emulator.api_calls == 0


async def test_update_fields_are_checked_field_by_field(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.update("inv-1", {"colour": "red", "row_version": "3", "currency": "EURO"})
    fields = {issue.field for issue in caught.value.issues}
    assert fields == {"colour", "row_version", "currency"}
    with pytest.raises(ValidationFailed, match="no fields given"):
        await conn.invoices.update("inv-1", {})
    assert emulator.api_calls == 0


async def test_updated_since_must_be_aware(conn: AsyncConnection) -> None:
    with pytest.raises(ValidationFailed) as caught:
        conn.customers.list(updated_since=datetime(2026, 1, 1))
    assert caught.value.issues[0].field == "updated_since"


# ---------------------------------------------------------------------------------------- paging


async def test_pager_resumes_from_a_page_cursor(conn: AsyncConnection) -> None:
    created = [(await customer(conn, f"C{i}")).id for i in range(5)]
    pages = [page async for page in conn.customers.list(page_size=2).pages()]
    assert [len(p.items) for p in pages] == [2, 2, 1]
    resumed = [c.id async for c in conn.customers.list(page_size=2, cursor=pages[0].next_cursor)]
    assert resumed == created[2:]
    assert [c.id for c in await conn.customers.list(page_size=50).to_list()] == created


# ---------------------------------------------------------------------------------------- retries


async def test_5xx_on_a_read_is_retried_with_backoff(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    flaky = Flaky(httpx.ASGITransport(app=ledgerly_app), [503, 502])
    async with make_client(ledgerly_app, sleeps, transport=flaky) as client:
        conn = await connect(client, emulator)
        assert [c async for c in conn.customers.list()] == []
    assert len(flaky.requests) == 3 and len(sleeps) == 2
    assert all(0 <= s <= 1.0 for s in sleeps)  # jittered exponential: base 0.5 s, doubled


async def test_write_with_idempotency_key_is_retried_with_the_same_key(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    flaky = Flaky(httpx.ASGITransport(app=ledgerly_app), [500])
    async with make_client(ledgerly_app, sleeps, transport=flaky) as client:
        conn = await connect(client, emulator)
        created = await conn.customers.create(Customer(display_name="Once"))
    keys = [r.headers["Idempotency-Key"] for r in flaky.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert list(emulator.table("c-1", "customers")) == [created.id]


async def test_non_idempotent_write_is_not_resent_after_a_5xx(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    flaky = Flaky(httpx.ASGITransport(app=ledgerly_app), [500])
    async with make_client(ledgerly_app, sleeps, transport=flaky) as client:
        conn = await connect(client, emulator)
        session = conn.session()
        with pytest.raises(ProviderUnavailable):
            await session.request(
                "POST", "http://ledgerly.test/v1/companies/c-1/customers", json={"name": "X"}
            )
    assert len(flaky.requests) == 1 and sleeps == []


async def test_a_write_that_never_left_is_retried_but_a_timeout_is_not(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    url = "http://ledgerly.test/v1/companies/c-1/customers"
    flaky = Flaky(httpx.ASGITransport(app=ledgerly_app), [httpx.ConnectError("refused")])
    async with make_client(ledgerly_app, sleeps, transport=flaky) as client:
        conn = await connect(client, emulator)
        await conn.session().request("POST", url, json={"name": "Sent once"})
        assert len(flaky.requests) == 2
        flaky.failures.append(httpx.ReadTimeout("slow"))
        with pytest.raises(ProviderUnavailable, match="ReadTimeout"):
            await conn.session().request("POST", url, json={"name": "Maybe sent"})
    assert len(flaky.requests) == 3


async def test_retry_after_is_honoured_and_long_waits_are_not_taken(
    conn: AsyncConnection, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    emulator.throttle(1, retry_after=7)
    assert [c async for c in conn.customers.list()] == []
    assert sleeps == [7.0]
    emulator.throttle(1, retry_after=3600)
    with pytest.raises(RateLimited) as caught:
        await conn.customers.get("cus-1")
    assert caught.value.retry_after == 3600.0 and sleeps == [7.0]


async def test_rate_limit_gives_up_after_max_retries(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    async with make_client(ledgerly_app, sleeps, max_retries=1) as client:
        conn = await connect(client, emulator)
        emulator.throttle(2)
        with pytest.raises(RateLimited):
            await conn.customers.get("cus-1")
    assert emulator.api_calls == 2


# ----------------------------------------------------------------------------------------- tokens


async def test_a_401_triggers_one_refresh_and_one_retry(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await connect(client, emulator)
    emulator.access_tokens.clear()  # the provider revoked the access token early
    assert [c async for c in conn.customers.list()] == []
    assert emulator.refresh_calls == 1
    record = await conn.record()
    assert record.tokens.refresh_token is not None
    assert record.tokens.refresh_token.get_secret_value() in emulator.refresh_tokens  # rotated one saved


async def test_a_401_without_refresh_token_is_an_authentication_error(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await connect(client, emulator, refresh_token=None)
    emulator.access_tokens.clear()
    with pytest.raises(AuthenticationError):
        await conn.customers.get("cus-1")
    assert emulator.refresh_calls == 0


async def test_expiring_tokens_are_refreshed_once_for_fifty_concurrent_calls(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await connect(client, emulator, expires_at=datetime.now(UTC) + timedelta(minutes=2))
    results = await asyncio.gather(*(conn.customers.list().to_list() for _ in range(50)))
    assert results == [[]] * 50
    assert emulator.refresh_calls == 1
    record = await conn.record()
    assert record.tokens.expires_at is not None and record.tokens.expires_at > datetime.now(UTC) + timedelta(
        minutes=50
    )


async def test_invalid_grant_needs_reauthorization_and_stops_refreshing(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    health_changes: list[tuple[str, str]] = []

    class Watcher:
        @hookimpl
        def ua_connection_health_changed(self, connection: Any, previous: Any, current: Any) -> None:
            health_changes.append((previous.value, current.value))

    async with make_client(ledgerly_app, sleeps, plugins=(Watcher(),)) as client:
        conn = await connect(client, emulator, refresh_token="rt-forgotten", expires_at=datetime.now(UTC))
        with pytest.raises(ReauthorizationRequired):
            await conn.customers.get("cus-1")
        assert (await conn.record()).health is ConnectionHealth.NEEDS_REAUTH
        assert health_changes == [("ok", "needs_reauth")]
        with pytest.raises(ReauthorizationRequired, match="needs_reauth"):
            await conn.customers.get("cus-1")
    assert emulator.refresh_calls == 0 and emulator.api_calls == 0


# ------------------------------------------------------------------------------------------ hooks


async def test_request_and_record_hooks_fire(ledgerly_app: Any, emulator: LedgerlyEmulator) -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def ua_before_request(self, provider: str, company_id: str, request: httpx.Request) -> None:
            seen.append(f"before {provider} {company_id} {request.method} {request.url.path}")

        @hookimpl
        def ua_after_response(
            self, provider: str, request: httpx.Request, response: httpx.Response, elapsed: float
        ) -> None:
            assert elapsed >= 0
            seen.append(f"after {response.status_code}")

        @hookimpl
        def ua_record_changed(self, change: RecordChange) -> None:
            seen.append(
                f"changed {change.resource} {change.operation.value} {change.record_id} {change.consumer_id}"
            )

    async with make_client(ledgerly_app, plugins=(Observer(),)) as client:
        conn = await connect(client, emulator)
        created = await customer(conn)
    assert seen == [
        "before ledgerly c-1 POST /v1/companies/c-1/customers",
        "after 201",
        f"changed customer created {created.id} acme",
    ]


async def test_an_answer_read_is_freed_without_the_garbage_collector(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    # httpx's read stream refers back to its response: left in place, every answer (a sync's
    # 2 MB page) would wait for the collector's next pass.
    answers: list[weakref.ref[httpx.Response]] = []

    class Keeper:
        @hookimpl
        def ua_after_response(self, response: httpx.Response) -> None:
            answers.append(weakref.ref(response))

    async with make_client(ledgerly_app, plugins=(Keeper(),)) as client:
        conn = await connect(client, emulator)
        gc.disable()
        try:
            created = await customer(conn)
            assert (await conn.customers.get(str(created.id))).id == created.id
            assert answers and all(answer() is None for answer in answers)
        finally:
            gc.enable()


# -------------------------------------------------------------------------------------------- raw


async def test_raw_payload_only_when_asked(ledgerly_app: Any, emulator: LedgerlyEmulator) -> None:
    async with make_client(ledgerly_app) as client:
        conn = await connect(client, emulator)
        created = await customer(conn)
        assert created.raw is None
        fetched = await conn.customers.get(str(created.id), include_raw=True)
        assert fetched.raw is not None and fetched.raw["name"] == "Acme"
    async with make_client(ledgerly_app, include_raw=True) as client:
        conn = await connect(client, emulator, consumer="other")
        assert (await conn.customers.get(str(created.id))).raw is not None
        assert (await conn.customers.get(str(created.id), include_raw=False)).raw is None


# -------------------------------------------------------------------------------- configuration


async def test_settings_come_from_the_environment(ledgerly_app: Any) -> None:
    environ = {"UA_LEDGERLY_CLIENT_ID": "from-env", "UA_LEDGERLY_SCOPES": "books reports"}
    async with AsyncClient(environ=environ) as client:
        settings = client.settings_for("ledgerly")
        assert settings.client_id == "from-env" and settings.scopes == ("books", "reports")
    async with AsyncClient(environ=environ, providers={"ledgerly": {"client_id": "from-code"}}) as client:
        assert client.settings_for("ledgerly").client_id == "from-code"
    async with AsyncClient(environ={"UA_DATABASE_URL": "sqlite:///x.db", "UA_SECRET_KEY": "k"}) as client:
        assert client.database_url == "sqlite:///x.db" and "k" not in repr(client.secret_key)


def test_bad_settings_name_the_field_and_accepted_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"colour: Extra inputs.*accepted fields: client_id"):
        AsyncClient(environ={}, providers={"ledgerly": {"colour": "red"}})
    with pytest.raises(ConfigurationError, match="environment"):
        AsyncClient(environ={}, providers={"ledgerly": {"environment": "staging"}})
    with pytest.raises(ConfigurationError, match="no provider named 'sage'"):
        AsyncClient(environ={}, providers={"sage": {}})


async def test_connections_are_found_per_consumer_and_never_across(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    await connect(client, emulator, consumer="a")
    with pytest.raises(ConfigurationError, match="consumer 'b' has no connection"):
        await client.connection(consumer_id="b", provider="ledgerly")
    with pytest.raises(ConfigurationError, match="no connection to 'ledgerly' company"):
        await client.connection(consumer_id="b", provider="ledgerly", company_id="c-1")
    conn = await client.connection(consumer_id="a", provider="ledgerly")
    assert conn.key == ConnectionKey("a", "ledgerly", "c-1")
    await client.import_connection(consumer_id="a", provider="ledgerly", company_id="c-2", access_token="t")
    with pytest.raises(ConfigurationError, match=r"several 'ledgerly' connections \(c-1, c-2\)"):
        await client.connection(consumer_id="a", provider="ledgerly")


async def test_tokens_never_show_in_reprs(client: AsyncClient, emulator: LedgerlyEmulator) -> None:
    conn = await connect(client, emulator)
    record = await conn.record()
    token = record.tokens.access_token.get_secret_value()
    for text in (repr(record), str(record), repr(record.tokens), repr(conn), record.model_dump_json()):
        assert token not in text


async def test_import_connection_checks_its_input(client: AsyncClient) -> None:
    with pytest.raises(ConfigurationError, match="access_token must not be empty"):
        await client.import_connection(consumer_id="a", provider="ledgerly", company_id="c", access_token="")
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        await client.import_connection(
            consumer_id="a",
            provider="ledgerly",
            company_id="c",
            access_token="t",
            expires_at=datetime(2026, 1, 1),
        )
