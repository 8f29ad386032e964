"""``conn.request``: any endpoint under the company's API root, with the connection's tokens, limits,
retries, idempotency keys and errors; paths that could leave the root are refused before HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    Client,
    NotFound,
    ProviderUnavailable,
    RawResponse,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.client.async_client import AsyncConnection
from unified_accounting.http.raw_paths import join_under, relative_path

from .conftest import LEDGERLY, RecordedSleeps, connect, make_client

pytestmark = pytest.mark.anyio

ROOT = "http://ledgerly.test/v1/companies/c-1"

#: Paths that could reach beyond the company's API root, or be read differently by some server.
HOSTILE_PATHS = [
    "",
    "../c-2/customers",
    "customers/../../c-2/customers",
    "./customers",
    "%2e%2e/c-2",
    "%2E%2e/c-2",
    "%252e%252e/c-2",
    ".%2e/c-2",
    "%C0%AE%C0%AE/c-2",
    "%EF%BC%8E%EF%BC%8E/c-2",  # full-width dots, read as '..' after NFKC
    "customers%2F..%2Fc-2",
    "customers%5C..",
    "https://evil.example/steal",
    "//evil.example/steal",
    "/v1/companies/c-2/customers",
    "javascript:alert(1)",
    "customers//1",
    "customers/",
    "customers?limit=1",
    "customers#x",
    "customers\\..\\c-2",
    "customers\r\nX-Injected: 1",
    "customers\x00",
    "kunden/ä",
    "customers/a b",
    "100%",
    "customers/%zz",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
async def test_paths_leaving_the_root_are_refused_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator, path: str
) -> None:
    before = emulator.api_calls
    with pytest.raises(ValidationFailed) as caught:
        await conn.request("GET", path)
    assert [issue.field for issue in caught.value.issues] == ["path"]
    assert emulator.api_calls == before


@pytest.mark.parametrize(
    "path", ["customers", "invoices/inv-1/pdf", "customers/a%20b", "x/%E2%82%AC", "a-b_c.d~e"]
)
def test_ordinary_paths_join_under_the_root(path: str) -> None:
    assert relative_path(path) == path
    assert join_under(ROOT + "/", path) == f"{ROOT}/{path}"


async def test_a_read_returns_status_headers_and_exact_json(conn: AsyncConnection) -> None:
    await conn.request("POST", "customers", json={"name": "Raw Ltd", "credit": Decimal("0.10")})
    response = await conn.request("GET", "customers", params={"limit": 1})
    assert isinstance(response, RawResponse)
    assert response.status_code == 200 and response.is_success
    assert response.content_type == "application/json"
    body = response.json()
    assert body["data"][0]["name"] == "Raw Ltd"
    assert body["data"][0]["credit"] == Decimal("0.10") and isinstance(body["data"][0]["credit"], Decimal)
    assert "Raw Ltd" in response.text
    assert "Raw Ltd" not in repr(response)  # bodies stay out of logs


async def test_bytes_come_back_as_sent(conn: AsyncConnection) -> None:
    created = await conn.request("POST", "customers", json={"name": "Pdf Buyer"})
    invoice = await conn.request(
        "POST",
        "invoices",
        json={"customer": created.json()["id"], "lines": [{"description": "x", "qty": "1", "price": "1.00"}]},
    )
    response = await conn.request(
        "GET", f"invoices/{invoice.json()['id']}/pdf", headers={"Accept": "application/pdf"}
    )
    assert response.content.startswith(b"%PDF-")


async def test_writes_carry_an_idempotency_key_and_are_retried_with_it(
    conn: AsyncConnection, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    emulator.fail_next(1, 503)
    response = await conn.request("POST", "customers", json={"name": "Once Ltd"})
    assert response.status_code == 201
    keys = [r.headers.get("idempotency-key") for r in emulator.requests_to("/v1/") if r.method == "POST"]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    names = [c["name"] for c in (await conn.request("GET", "customers")).json()["data"]]
    assert names.count("Once Ltd") == 1
    # The caller's own key is kept.
    await conn.request("POST", "customers", json={"name": "Keyed"}, headers={"idempotency-key": "mine-1"})
    assert emulator.requests_to("/v1/")[-1].headers.get("idempotency-key") == "mine-1"


async def test_a_write_without_a_key_is_never_resent(
    conn: AsyncConnection, emulator: LedgerlyEmulator, monkeypatch: Any
) -> None:
    monkeypatch.setattr(conn.provider, "idempotent_request", lambda *args: None)
    emulator.fail_next(1, 503)
    with pytest.raises(ProviderUnavailable):
        await conn.request("POST", "customers", json={"name": "Maybe Ltd"})
    assert [r.method for r in emulator.requests_to("/v1/")] == ["POST"]


async def test_errors_raise_mapped_or_return_when_asked(conn: AsyncConnection) -> None:
    with pytest.raises(NotFound) as caught:
        await conn.request("GET", "customers/cus-404")
    assert caught.value.provider == "ledgerly"
    answered = await conn.request("GET", "customers/cus-404", raise_for_status=False)
    assert answered.status_code == 404 and not answered.is_success
    assert answered.json()["error"]["code"] == "not_found"
    invalid = await conn.request("POST", "invoices", json={"customer": "nobody"}, raise_for_status=False)
    assert invalid.status_code == 422
    with pytest.raises(ValidationFailed):
        await conn.request("POST", "invoices", json={"customer": "nobody"})


async def test_tokens_are_refreshed_and_rate_limits_retried_like_any_call(
    conn: AsyncConnection, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    emulator.expire_access_tokens()
    assert (await conn.request("GET", "customers")).status_code == 200
    assert emulator.refresh_calls == 1
    emulator.throttle(1, retry_after=3)
    assert (await conn.request("GET", "customers")).status_code == 200
    assert sleeps and sleeps[-1] >= 3


async def test_raw_calls_spend_the_companys_rate_limit_budget(conn: AsyncConnection) -> None:
    provider = conn.provider
    session = conn.session()
    window = provider.rate_limits.windows[0]
    key = provider.limit_key(session)
    before = provider.limiter.used(key, window)
    await conn.request("GET", "customers")
    await conn.request("POST", "customers", json={"name": "Counted"})
    assert provider.limiter.used(key, window) == before + 2


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"method": "TRACE", "path": "customers"}, "method"),
        ({"method": "GET", "path": "customers", "headers": {"Authorization": "Bearer stolen"}}, "headers"),
        ({"method": "GET", "path": "customers", "headers": {"content-length": "1"}}, "headers"),
        ({"method": "GET", "path": "customers", "headers": {"X-A": "1\r\nX-B: 2"}}, "headers"),
        ({"method": "POST", "path": "customers", "json": {}, "content": b"{}"}, "content"),
        ({"method": "POST", "path": "customers", "content": 12}, "content"),
    ],
)
async def test_invalid_requests_are_refused_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator, arguments: dict[str, Any], field: str
) -> None:
    before = emulator.api_calls
    with pytest.raises(ValidationFailed) as caught:
        await conn.request(**arguments)
    assert [issue.field for issue in caught.value.issues] == [field]
    assert "stolen" not in str(caught.value)
    assert emulator.api_calls == before


async def test_the_token_never_shows_in_errors_or_responses(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    token = (await conn.record()).tokens.access_token.get_secret_value()
    with pytest.raises(NotFound) as caught:
        await conn.request("GET", "customers/cus-404")
    answered = await conn.request("GET", "customers/cus-404", raise_for_status=False)
    for shown in (str(caught.value), repr(caught.value), repr(answered), str(answered.headers)):
        assert token not in shown


async def test_a_provider_without_an_api_root_refuses(conn: AsyncConnection, monkeypatch: Any) -> None:
    from unified_accounting import Provider

    monkeypatch.setattr(type(conn.provider), "api_root", Provider.api_root)
    with pytest.raises(UnsupportedOperation):
        await conn.request("GET", "customers")


def test_the_blocking_client_sends_raw_requests(ledgerly_app: Any, emulator: LedgerlyEmulator) -> None:
    issued = emulator.issue_tokens()
    with Client(
        providers={"ledgerly": LEDGERLY}, transport=httpx.ASGITransport(app=ledgerly_app), environ={}
    ) as client:
        conn = client.import_connection(
            consumer_id="acme", provider="ledgerly", company_id="c-1", access_token=issued["access_token"]
        )
        assert conn.request("POST", "customers", json={"name": "Blocking"}).status_code == 201
        assert conn.request("GET", "customers").json()["data"][0]["name"] == "Blocking"
        with pytest.raises(ValidationFailed):
            conn.request("GET", "../c-2/customers")


async def test_an_answer_no_retry_changes_is_returned_when_asked(
    conn: AsyncConnection, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    emulator.fail_next(10, 503)
    answered = await conn.request("GET", "customers", raise_for_status=False)
    assert answered.status_code == 503
    assert len(sleeps) == conn._client.retry_policy.max_retries  # retried first, like any read


class HeaderSpy(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.accepts: list[list[str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.accepts.append(request.headers.get_list("accept"))
        return await self.inner.handle_async_request(request)


async def test_a_header_given_in_any_case_replaces_the_default(
    ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    spy = HeaderSpy(httpx.ASGITransport(app=ledgerly_app))
    async with make_client(ledgerly_app, transport=spy) as client:
        conn = await connect(client, emulator)
        await conn.request("GET", "customers", headers={"accept": "application/problem+json"})
    assert spy.accepts == [["application/problem+json"]]
