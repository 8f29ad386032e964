"""Rate-limit emulation: remaining headers and each kind of 429."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from unified_accounting_xero.emulator import TenantSpec, XeroEmulator, create_emulator
from unified_accounting_xero.emulator.testing import API, api_client

START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def em_of(app: Any) -> XeroEmulator:
    em: XeroEmulator = app.state.emulator
    return em


@pytest.mark.anyio
class TestRateLimits:
    async def test_headers_on_every_response(self) -> None:
        app = create_emulator(start_time=START)
        client, _ = api_client(app)
        async with client:
            first = await client.get(f"{API}/Contacts")
            second = await client.put(f"{API}/Contacts", json={"Name": "x"})
            missing = await client.get(f"{API}/Contacts/00000000-0000-4000-8000-000000000000")
        assert first.headers["X-MinLimit-Remaining"] == "59"
        assert first.headers["X-DayLimit-Remaining"] == "4999"
        assert first.headers["X-AppMinLimit-Remaining"] == "9999"
        assert second.headers["X-MinLimit-Remaining"] == "58"
        assert missing.status_code == 404
        assert missing.headers["X-MinLimit-Remaining"] == "57"

    async def test_minute_limit(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            for _ in range(60):
                assert (await client.get(f"{API}/Organisation")).status_code == 200
            em.advance(20)
            refused = await client.get(f"{API}/Organisation")
            assert refused.status_code == 429
            assert refused.headers["X-Rate-Limit-Problem"] == "minute"
            assert refused.headers["Retry-After"] == "40"
            assert refused.headers["X-MinLimit-Remaining"] == "0"
            assert refused.json()["Status"] == 429
            em.advance(40)
            assert (await client.get(f"{API}/Organisation")).status_code == 200

    async def test_day_limit_and_starter_tier(self) -> None:
        app = create_emulator(
            start_time=START,
            day_limit=3,
            tenants=[TenantSpec(name="Starter org", day_limit=2), TenantSpec(name="Default org")],
        )
        em = em_of(app)
        starter, default = em.tenant_ids
        client, _ = api_client(app)
        async with client:
            client.headers["xero-tenant-id"] = starter
            assert (await client.get(f"{API}/Organisation")).headers["X-DayLimit-Remaining"] == "1"
            await client.get(f"{API}/Organisation")
            refused = await client.get(f"{API}/Organisation")
            assert refused.status_code == 429
            assert refused.headers["X-Rate-Limit-Problem"] == "day"
            assert refused.headers["Retry-After"] == "86400"
            client.headers["xero-tenant-id"] = default
            for _ in range(3):
                assert (await client.get(f"{API}/Organisation")).status_code == 200
            assert (await client.get(f"{API}/Organisation")).headers["X-Rate-Limit-Problem"] == "day"
            em.advance(86400)
            tokens = em.issue_tokens()
            client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
            assert (await client.get(f"{API}/Organisation")).status_code == 200

    async def test_app_minute_limit_spans_tenants(self) -> None:
        app = create_emulator(start_time=START, tenants=3, app_minute_limit=4)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            statuses = []
            for index in range(6):
                client.headers["xero-tenant-id"] = em.tenant_ids[index % 3]
                response = await client.get(f"{API}/Organisation")
                statuses.append(response.status_code)
            assert statuses == [200, 200, 200, 200, 429, 429]
            assert response.headers["X-Rate-Limit-Problem"] == "appminute"
            assert response.headers["X-AppMinLimit-Remaining"] == "0"
            assert response.headers["Retry-After"] == "60"

    async def test_concurrent_limit(self) -> None:
        app = create_emulator(start_time=START, latency_ms=100)
        client, _ = api_client(app)
        async with client:
            responses = await asyncio.gather(*(client.get(f"{API}/Organisation") for _ in range(7)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 5 + [429] * 2
        refused = next(r for r in responses if r.status_code == 429)
        assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
        assert refused.headers["Retry-After"] == "1"
        assert em_of(app).limiter.in_flight(em_of(app).default_tenant_id) == 0

    async def test_problem_names_are_configurable(self) -> None:
        app = create_emulator(
            start_time=START,
            app_minute_limit=1,
            rate_limit_problem_names={"appminute": "app-minute"},
        )
        client, _ = api_client(app)
        async with client:
            await client.get(f"{API}/Organisation")
            response = await client.get(f"{API}/Organisation")
        assert response.headers["X-Rate-Limit-Problem"] == "app-minute"

    async def test_refused_calls_do_not_count(self) -> None:
        app = create_emulator(start_time=START, minute_limit=2)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            await client.get(f"{API}/Organisation")
            await client.get(f"{API}/Organisation")
            for _ in range(5):
                assert (await client.get(f"{API}/Organisation")).status_code == 429
            em.advance(60)
            ok = await client.get(f"{API}/Organisation")
        assert ok.status_code == 200
        assert ok.headers["X-DayLimit-Remaining"] == "4997"

    async def test_limits_can_be_disabled(self) -> None:
        app = create_emulator(start_time=START, limits=False, minute_limit=1)
        client, _ = api_client(app)
        async with client:
            responses = [await client.get(f"{API}/Organisation") for _ in range(5)]
        assert all(r.status_code == 200 for r in responses)
        assert "X-MinLimit-Remaining" not in responses[0].headers

    async def test_identity_calls_are_not_counted(self) -> None:
        app = create_emulator(start_time=START, minute_limit=1)
        client, _ = api_client(app)
        async with client:
            for _ in range(3):
                assert (await client.get("/connections")).status_code == 200
            assert (await client.get(f"{API}/Organisation")).status_code == 200
