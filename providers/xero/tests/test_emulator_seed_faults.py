"""Seeding, options, latency, injected faults, the request log, and an end-to-end OAuth + API run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from unified_accounting_xero.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URIS,
    EmulatorOptions,
    TenantSpec,
    XeroEmulator,
    build_app,
    create_emulator,
    pkce_challenge,
)
from unified_accounting_xero.emulator.ledger import HUNDRED, money
from unified_accounting_xero.emulator.testing import API, api_client, http_client

from unified_accounting.emulation import RecordingSleep

START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def em_of(app: Any) -> XeroEmulator:
    em: XeroEmulator = app.state.emulator
    return em


class TestSeed:
    def test_same_seed_same_data(self) -> None:
        a = em_of(create_emulator(seed=11, start_time=START))
        b = em_of(create_emulator(seed=11, start_time=START))
        assert a.tenant_ids == b.tenant_ids
        for entity in a.entities():
            assert a.records(entity, wire=True) == b.records(entity, wire=True)

    def test_different_seed_different_data(self) -> None:
        a = em_of(create_emulator(seed=11, start_time=START))
        b = em_of(create_emulator(seed=12, start_time=START))
        assert a.tenant_ids != b.tenant_ids
        assert [c["Name"] for c in a.records("Contact")] != [c["Name"] for c in b.records("Contact")]

    def test_realistic_content(self) -> None:
        em = em_of(
            create_emulator(seed=5, start_time=START, invoices=400, contacts=40, items=8, payments=150)
        )
        invoices = em.records("Invoice")
        contacts = em.records("Contact")
        assert len(invoices) == 400 and len(contacts) == 40 and len(em.records("Item")) == 8
        statuses = Counter(i["Status"] for i in invoices)
        assert set(statuses) == {"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"}
        assert {i["Type"] for i in invoices} == {"ACCREC", "ACCPAY"}
        partly = [i for i in invoices if i["AmountPaid"] > 0 and i["AmountDue"] > 0]
        assert partly, "some invoices are partially paid"
        oldest = min(i["Date"] for i in invoices)
        assert date(2021, 5, 1) <= oldest < date(2022, 1, 1)
        assert max(i["Date"] for i in invoices) <= START.date()
        assert all(i["UpdatedDateUTC"] <= START for i in invoices)
        assert all(len(c["Addresses"]) == 2 and c["Phones"] for c in contacts)
        assert all(c["EmailAddress"] and "@" in c["EmailAddress"] for c in contacts)
        bank = [a for a in em.records("Account") if a["Code"] == "090"]
        assert bank and bank[0]["Type"] == "BANK"
        payments = em.records("Payment")
        assert len(payments) <= 150 and payments
        assert all(p["Account"]["Code"] == "090" for p in payments)
        numbers = [i["InvoiceNumber"] for i in invoices if i["Type"] == "ACCREC"]
        assert len(numbers) == len(set(numbers))

    def test_seeded_totals_are_consistent(self) -> None:
        em = em_of(create_emulator(seed=9, start_time=START, invoices=300))
        for invoice in em.records("Invoice"):
            for li in invoice["LineItems"]:
                rate = li.get("DiscountRate", Decimal(0))
                assert li["LineAmount"] == money(
                    li["Quantity"] * li["UnitAmount"] * (HUNDRED - rate) / HUNDRED
                )
            assert invoice["Total"] == invoice["SubTotal"] + invoice["TotalTax"]
            assert invoice["AmountDue"] == invoice["Total"] - invoice["AmountPaid"]
            paid = sum(
                (
                    p["Amount"]
                    for p in em.records("Payment")
                    if p["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
                ),
                Decimal("0.00"),
            )
            assert paid == invoice["AmountPaid"]
            if invoice["Status"] == "PAID":
                assert invoice["AmountDue"] == 0

    @pytest.mark.slow
    def test_large_seed(self) -> None:
        # How long seeding takes is measured by bench/emulator_seed.py, not here.
        em = em_of(create_emulator(seed=1, invoices=30_000, contacts=1_000, payments=8_000))
        assert len(em.records("Invoice")) == 30_000
        assert len(em.records("Contact")) == 1_000
        assert len(em.records("Payment")) == 8_000

    def test_no_seed_means_empty_books_with_chart(self) -> None:
        em = em_of(create_emulator())
        assert em.records("Invoice") == [] and em.records("Contact") == []
        assert {a["Code"] for a in em.records("Account")} >= {"090", "200", "310"}

    def test_tenant_options(self) -> None:
        fixed = "12345678-1234-4234-8234-123456789abc"
        em = em_of(
            create_emulator(
                seed=2,
                tenants=[
                    TenantSpec(name="Kiwi Ltd", tenant_id=fixed),
                    {"name": "Aussie Pty", "base_currency": "AUD"},
                ],
            )
        )
        assert em.tenant_ids[0] == fixed
        assert em.tenant(fixed).name == "Kiwi Ltd"
        assert em.tenant(em.tenant_ids[1]).base_currency == "AUD"
        assert em.records("Contact", fixed) != em.records("Contact", em.tenant_ids[1])
        assert len(em_of(create_emulator(tenants=4)).tenant_ids) == 4

    def test_emulator_usable_directly(self) -> None:
        em = XeroEmulator(EmulatorOptions(seed=4, invoices=3))
        assert len(em.records("Invoice")) == 3
        app = build_app(em)
        assert app.state.emulator is em

    def test_unknown_option_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="unknown emulator option"):
            create_emulator(sede=1)

    def test_custom_clock(self) -> None:
        moments = iter([START + timedelta(seconds=i) for i in range(1000)])
        em = em_of(create_emulator(clock=lambda: next(moments)))
        first = em.now()
        em.advance(3600)
        assert em.now() - first >= timedelta(hours=1)


@pytest.mark.anyio
class TestFaultsAndLatency:
    async def test_fail_next_503_then_recovers(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.fail_next(2, status=503)
            first = await client.get(f"{API}/Invoices")
            second = await client.get(f"{API}/Invoices")
            third = await client.get(f"{API}/Invoices")
        assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
        assert first.json()["Detail"] == "Organisation offline"
        assert [r.fault for r in em.request_log] == [True, True, False]
        assert em.faults.pending == 0

    async def test_fail_next_500_and_429(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.fail_next(1)
            error = await client.get(f"{API}/Contacts")
            em.fail_next(1, status=429)
            limited = await client.get(f"{API}/Contacts")
        assert error.status_code == 500
        assert "An error occurred" in error.json()["Title"]
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "60"
        assert limited.headers["X-Rate-Limit-Problem"] == "minute"

    async def test_fault_does_not_execute_the_write(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.fail_next(1, status=500)
            await client.put(f"{API}/Contacts", json={"Name": "Never"}, headers={"Idempotency-Key": "f-1"})
            assert em.records("Contact") == []
            retry = await client.put(
                f"{API}/Contacts", json={"Name": "Never"}, headers={"Idempotency-Key": "f-1"}
            )
        assert retry.status_code == 200
        assert len(em.records("Contact")) == 1

    async def test_timeout_fault(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.fail_next(1, timeout=True)
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"{API}/Invoices")
            assert (await client.get(f"{API}/Invoices")).status_code == 200
        assert em.request_log[0].status is None and em.request_log[0].fault

    async def test_faults_can_target_the_token_endpoint(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        tokens = em.issue_tokens()
        em.fail_next(1, status=503, target="token")
        async with http_client(app) as client:
            response = await client.post(
                "/connect/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": tokens["refresh_token"],
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                },
            )
            assert response.status_code == 503
            assert em.refresh_count == 0  # the request never reached the identity service
            assert (
                await client.get(
                    "/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}
                )
            ).status_code == 200

    async def test_error_rate(self) -> None:
        app = create_emulator(start_time=START, error_rate=0.5, fault_seed=123, limits=False)
        client, _ = api_client(app)
        async with client:
            statuses = [(await client.get(f"{API}/Organisation")).status_code for _ in range(60)]
        counts = Counter(statuses)
        assert counts[200] > 10
        assert counts[500] > 3 and counts[503] > 3
        again = create_emulator(start_time=START, error_rate=0.5, fault_seed=123, limits=False)
        client, _ = api_client(again)
        async with client:
            replay = [(await client.get(f"{API}/Organisation")).status_code for _ in range(60)]
        assert replay == statuses

    async def test_error_rate_spares_identity(self) -> None:
        app = create_emulator(error_rate=1.0)
        client, _ = api_client(app)
        async with client:
            assert (await client.get("/connections")).status_code == 200
            assert (await client.get(f"{API}/Organisation")).status_code in (500, 503)

    async def test_latency_delays_api_and_identity_calls_by_the_configured_time(self) -> None:
        # Checked through the emulator's injectable sleep, not wall time (bench/emulator_latency.py).
        sleep = RecordingSleep()
        app = create_emulator(latency_ms=60, sleep=sleep)
        client, _ = api_client(app)
        async with client:
            assert (await client.get(f"{API}/Organisation")).status_code == 200
            assert (await client.get("/connections")).status_code == 200
        assert sleep.waits == [0.06, 0.06]

    async def test_disconnect_and_latency_faults(self) -> None:
        sleep = RecordingSleep()
        app = create_emulator(start_time=START, sleep=sleep)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.fail_next(disconnect=True, target="connections")
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/connections")
            em.fail_next(latency_ms=1500)
            assert (await client.get(f"{API}/Organisation")).status_code == 200
        assert sleep.waits == [1.5]
        assert [entry.fault for entry in em.request_log] == [True, True]

    async def test_request_log(self) -> None:
        app = create_emulator(start_time=START)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            await client.get(f"{API}/Invoices", params={"page": 2, "where": 'Status=="DRAFT"'})
            await client.put(f"{API}/Contacts", json={"Name": "Logged"}, headers={"Idempotency-Key": "log-1"})
        first, second = em.request_log
        assert (first.method, first.path, first.status) == ("GET", "/api.xro/2.0/Invoices", 200)
        assert first.query == {"page": "2", "where": 'Status=="DRAFT"'}
        assert first.headers["xero-tenant-id"] == em.default_tenant_id
        assert first.auth_scheme == "bearer"
        assert first.at == START
        assert second.headers.get("idempotency-key") == "log-1" and second.method == "PUT"
        assert "authorization" not in second.headers  # credentials are not logged
        assert em.requests_to("/api.xro/2.0/Contacts") == [second]
        em.clear_request_log()
        assert em.request_log == []


@pytest.mark.anyio
async def test_end_to_end_browser_flow_then_api_calls() -> None:
    """The flow a real client runs: authorize with PKCE, exchange, list connections, call the API, refresh."""
    app = create_emulator(seed=8, start_time=START, tenants=["Kiwi Ltd", "Aussie Pty"], invoices=30)
    em = em_of(app)
    verifier = "e2e-verifier-" + "x" * 40
    redirect = DEFAULT_REDIRECT_URIS[0]
    async with http_client(app) as client:
        params = {
            "response_type": "code",
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": redirect,
            "scope": "openid offline_access accounting.transactions accounting.contacts accounting.settings",
            "state": "s1",
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
        picker = await client.get("/identity/connect/authorize", params=params)
        assert picker.status_code == 200
        chosen = em.tenant_ids[1]
        consent = await client.post(
            "/identity/connect/authorize", data={**params, "tenant": chosen, "action": "allow"}
        )
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        tokens = (
            await client.post(
                "/connect/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect,
                    "code_verifier": verifier,
                },
                auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            )
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        tenant = (await client.get("/connections", headers=auth)).json()[0]["tenantId"]
        assert tenant == chosen
        api_headers = auth | {"Accept": "application/json", "xero-tenant-id": tenant}
        invoices = (await client.get(f"{API}/Invoices", params={"page": 1}, headers=api_headers)).json()
        assert invoices["pagination"]["itemCount"] == 30
        em.advance(1801)
        assert (await client.get(f"{API}/Invoices", headers=api_headers)).status_code == 401
        refreshed = (
            await client.post(
                "/connect/token",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            )
        ).json()
        api_headers["Authorization"] = f"Bearer {refreshed['access_token']}"
        assert (await client.get(f"{API}/Invoices", headers=api_headers)).status_code == 200
        other = api_headers | {"xero-tenant-id": em.tenant_ids[0]}
        assert (await client.get(f"{API}/Invoices", headers=other)).status_code == 403
    assert em.refresh_count == 1
