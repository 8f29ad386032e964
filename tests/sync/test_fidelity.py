"""What providers really store never stops a sync: undecodable records, lone surrogates, odd dates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from unified_accounting import ValidationFailed
from unified_accounting.sync import SyncService

from .providers import CASES, ProviderCase

pytestmark = pytest.mark.anyio


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


def spoil_an_invoice(case: ProviderCase, app: Any) -> str:
    """Give one stored invoice a currency no ISO list knows (the codec cannot read it) and return its id."""
    emulator = case.emulator(app)
    if case.name == "quickbooks":
        realm = emulator.realms[next(iter(emulator.realms))]
        record_id = str(emulator.records("Invoice")[0]["Id"])
        record = realm.table("Invoice").get(record_id)
        record.data["CurrencyRef"] = {"value": "ZZZ"}
        record.changed()
        return record_id
    tenant = emulator.tenant()
    invoice = next(
        i for i in tenant.invoices.values() if i["Type"] == "ACCREC" and i["Status"] == "AUTHORISED"
    )
    invoice["CurrencyCode"] = "ZZZ"
    return str(invoice["InvoiceID"])


async def test_an_undecodable_record_is_reported_not_fatal_and_not_swept(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app = case.seeded(invoices=40)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        service = SyncService(client)
        first = await service.sync(conn)
        assert first.issues == []
        spoiled = spoil_an_invoice(case, app)
        before = await conn.invoices.get(spoiled, source="mirror")

        again = await service.sync(conn, full=True)
        assert again.kind == "initial"
        assert [(issue.resource, issue.record_id) for issue in again.issues] == [("invoice", spoiled)]
        assert again.issues[0].raw is not None
        # The last readable version stays in the mirror: a record that exists is not taken for deleted.
        kept = await conn.invoices.get(spoiled, source="mirror")
        assert kept == before

        case.harness.advance(app, 60)
        incremental = await service.sync(conn)
        assert incremental.kind == "incremental"


async def test_text_a_provider_stores_with_a_lone_surrogate_survives_every_sync(
    database_url: str, secret_key: str
) -> None:
    case = CASES["xero"]
    app = case.seeded(invoices=10)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        # Refused from users, naming the field...
        with pytest.raises(ValidationFailed) as caught:
            await conn.customers.create({"display_name": "Half \ud800 pair"})
        assert [issue.field for issue in caught.value.issues] == ["display_name"]
        # ...but Xero accepts it from other apps (JSON "\ud800"), and reading it must not break.
        contact = next(iter(case.emulator(app).tenant().contacts.values()))
        contact["Name"] = "Half \ud800 pair"
        service = SyncService(client)
        await service.sync(conn)
        case.harness.advance(app, 60)
        contact["UpdatedDateUTC"] = case.harness.now(app) - timedelta(seconds=1)
        report = await service.sync(conn)
        assert report.kind == "incremental" and report.issues == []
        mirrored = await conn.customers.get(contact["ContactID"], source="mirror")
        assert mirrored.display_name == "Half \ud800 pair"
