"""Throttles, injected faults, latency and the request log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator import create_emulator

from unified_accounting.emulation import RecordingSleep

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def make_app(**options: Any) -> Any:
    options.setdefault("clock", lambda: START)
    return create_emulator(**options)


async def read_company(c: httpx.AsyncClient, app: Any) -> httpx.Response:
    emulator = app.state.emulator
    return await c.get(
        f"{emulator.api_path()}/companyinfo/{emulator.default_realm_id}", params={"minorversion": "75"}
    )


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/xml")
    assert '<Fault type="SERVICE">' in response.text
    assert '<Error code="3001">' in response.text
    assert "message=ThrottleExceeded; errorCode=003001; statusCode=429" in response.text


@pytest.mark.anyio
async def test_ten_requests_per_second() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        for _ in range(10):
            assert (await read_company(c, app)).status_code == 200
        throttled = await read_company(c, app)
        assert_throttled(throttled)
        assert "retry-after" not in throttled.headers
        assert "intuit_tid" in throttled.headers
        emulator.advance(1.001)
        assert (await read_company(c, app)).status_code == 200


@pytest.mark.anyio
async def test_per_minute_limit_and_retry_after_option() -> None:
    app = make_app(requests_per_minute=25, requests_per_second=100, retry_after_s=60)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        for _ in range(25):
            assert (await read_company(c, app)).status_code == 200
        throttled = await read_company(c, app)
        assert_throttled(throttled)
        assert throttled.headers["retry-after"] == "60"
        emulator.advance(30)
        assert (await read_company(c, app)).status_code == 429
        emulator.advance(31)
        assert (await read_company(c, app)).status_code == 200


@pytest.mark.anyio
async def test_limits_are_per_company() -> None:
    app = make_app(realms=["1", "2"], requests_per_second=2)
    emulator = app.state.emulator
    one = emulator.issue_tokens("1")["access_token"]
    two = emulator.issue_tokens("2")["access_token"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo.test") as c:
        statuses = []
        for _ in range(3):
            r = await c.get("/v3/company/1/companyinfo/1", headers={"Authorization": f"Bearer {one}"})
            statuses.append(r.status_code)
        assert statuses == [200, 200, 429]
        r = await c.get("/v3/company/2/companyinfo/2", headers={"Authorization": f"Bearer {two}"})
        assert r.status_code == 200


@pytest.mark.anyio
async def test_batch_requests_per_minute() -> None:
    app = make_app(batch_per_minute=2, requests_per_second=100)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        payload = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Account"}]}
        url = f"{emulator.api_path()}/batch"
        assert (await c.post(url, json=payload)).status_code == 200
        assert (await c.post(url, json=payload)).status_code == 200
        assert_throttled(await c.post(url, json=payload))
        assert (await read_company(c, app)).status_code == 200


@pytest.mark.anyio
async def test_concurrency_limit() -> None:
    app = make_app(max_concurrent=3, requests_per_second=100, latency_ms=50)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        responses = await asyncio.gather(*(read_company(c, app) for _ in range(6)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 200, 200, 429, 429, 429]


@pytest.mark.anyio
async def test_limits_can_be_disabled() -> None:
    app = make_app(limits=False)
    async with app.state.emulator.http_client(app) as c:
        for _ in range(30):
            assert (await read_company(c, app)).status_code == 200


@pytest.mark.anyio
async def test_fail_next_statuses_and_timeout() -> None:
    app = make_app(limits=False)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        emulator.fail_next(2, status=503)
        first = await read_company(c, app)
        second = await read_company(c, app)
        assert first.status_code == second.status_code == 503
        assert first.json()["Fault"]["type"] == "SystemFault"
        assert (await read_company(c, app)).status_code == 200
        emulator.fail_next(status=500)
        assert (await read_company(c, app)).status_code == 500
        emulator.fail_next(status=429)
        assert_throttled(await read_company(c, app))
        emulator.fail_next(timeout=True)
        with pytest.raises(httpx.ReadTimeout):
            await read_company(c, app)
        assert (await read_company(c, app)).status_code == 200
    with pytest.raises(ValueError, match="status"):
        emulator.fail_next(status=418)


@pytest.mark.anyio
async def test_answering_timeout_mode_hangs_then_answers_504() -> None:
    sleep = RecordingSleep()
    app = make_app(limits=False, timeout_mode="answer", timeout_hang_s=125, sleep=sleep)
    emulator = app.state.emulator
    emulator.fail_next(timeout=True)
    async with emulator.http_client(app) as c:
        answer = await read_company(c, app)
    assert answer.status_code == 504
    assert answer.json()["Fault"]["type"] == "SystemFault"
    assert sleep.waits == [125]


@pytest.mark.anyio
async def test_disconnect_and_latency_faults() -> None:
    sleep = RecordingSleep()
    app = make_app(limits=False, sleep=sleep)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        emulator.fail_next(disconnect=True)
        with pytest.raises(httpx.RemoteProtocolError):
            await read_company(c, app)
        emulator.fail_next(latency_ms=2500)
        assert (await read_company(c, app)).status_code == 200
    assert sleep.waits == [2.5]
    assert [entry.fault for entry in emulator.request_log] == [True, True]


@pytest.mark.anyio
async def test_error_rate() -> None:
    always = make_app(limits=False, error_rate=1.0, error_statuses=[500])
    async with always.state.emulator.http_client(always) as c:
        assert {(await read_company(c, always)).status_code for _ in range(5)} == {500}
    sometimes = make_app(limits=False, error_rate=0.5, fault_seed=3)
    async with sometimes.state.emulator.http_client(sometimes) as c:
        statuses = [(await read_company(c, sometimes)).status_code for _ in range(40)]
    assert 5 < statuses.count(503) < 35
    assert statuses.count(200) + statuses.count(503) == 40


@pytest.mark.anyio
async def test_latency_delays_every_api_call_by_the_configured_time() -> None:
    # The emulator waits through its injectable sleep: what it waited is checked, not wall time
    # (bench/emulator_latency.py measures the real delay).
    sleep = RecordingSleep()
    app = make_app(limits=False, latency_ms=40, sleep=sleep)
    async with app.state.emulator.http_client(app) as c:
        assert (await read_company(c, app)).status_code == 200
        assert (await read_company(c, app)).status_code == 200
    assert sleep.waits == [0.04, 0.04]


@pytest.mark.anyio
async def test_request_log() -> None:
    app = make_app(limits=False)
    emulator = app.state.emulator
    async with emulator.http_client(app, headers={"User-Agent": "tests/1.0"}) as c:
        response = await read_company(c, app)
        await c.get(
            f"{emulator.api_path()}/query", params={"query": "select * from Item", "minorversion": "70"}
        )
    first, second = emulator.request_log
    assert first.method == "GET"
    assert first.path.endswith(f"/companyinfo/{emulator.default_realm_id}")
    assert first.status == 200
    assert first.query["minorversion"] == "75"
    assert first.extra["realm_id"] == emulator.default_realm_id
    assert first.headers["user-agent"] == "tests/1.0"
    # The scheme of the credentials is noted, never their value.
    assert first.auth_scheme == "bearer"
    assert "authorization" not in first.headers
    assert first.extra["intuit_tid"] == response.headers["intuit_tid"]
    assert second.query["query"] == "select * from Item"
    assert second.query["minorversion"] == "70"
    assert emulator.requests("/query") == [second]


@pytest.mark.anyio
async def test_token_endpoint_faults() -> None:
    app = make_app()
    emulator = app.state.emulator
    tokens = emulator.issue_tokens()
    emulator.fail_next(status=503, target="token")
    async with emulator.http_client() as c:
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        auth = (emulator.options.client_id, emulator.options.client_secret)
        failed = await c.post("/oauth2/v1/tokens/bearer", data=data, auth=auth)
        assert failed.status_code == 503
        assert failed.json() == {"error": "server_error"}
        assert (await read_company(c, app)).status_code == 200  # the API queue is separate
        ok = await c.post("/oauth2/v1/tokens/bearer", data=data, auth=auth)
        assert ok.status_code == 200
        emulator.fail_next(timeout=True, target="token")
        with pytest.raises(httpx.ReadTimeout):
            await c.post("/oauth2/v1/tokens/bearer", data=data, auth=auth)
    assert emulator.refresh_count == 3
    with pytest.raises(ValueError, match="target"):
        emulator.fail_next(target="nowhere")
