"""Accounting API emulation: authentication/tenant errors, envelopes, reads, paging and filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from unified_accounting_xero.emulator import XeroEmulator, create_emulator
from unified_accounting_xero.emulator.testing import API, api_client, http_client
from unified_accounting_xero.emulator.wirejson import loads

START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def em_of(app: Any) -> XeroEmulator:
    em: XeroEmulator = app.state.emulator
    return em


@pytest.fixture
def app() -> Any:
    return create_emulator(seed=42, start_time=START, invoices=120, contacts=30, payments=50)


@pytest.mark.anyio
class TestAccessErrors:
    async def test_missing_tenant_header_is_403(self, app: Any) -> None:
        tokens = em_of(app).issue_tokens()
        async with http_client(app) as client:
            response = await client.get(
                f"{API}/Invoices",
                headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
            )
        assert response.status_code == 403
        body = response.json()
        assert body["Type"] is None
        assert body["Title"] == "Forbidden"
        assert body["Status"] == 403
        assert body["Detail"] == "AuthenticationUnsuccessful"
        uuid.UUID(body["Instance"])

    @pytest.mark.parametrize("tenant", ["not-a-guid", "00000000-0000-4000-8000-000000000000"])
    async def test_wrong_tenant_is_403(self, app: Any, tenant: str) -> None:
        client, _ = api_client(app, tenant_id=tenant)
        async with client:
            assert (await client.get(f"{API}/Invoices")).status_code == 403

    async def test_ungranted_tenant_is_403(self) -> None:
        app = create_emulator(tenants=["One", "Two"])
        em = em_of(app)
        client, _ = api_client(app, tenant_ids=[em.tenant_ids[0]], tenant_id=em.tenant_ids[1])
        async with client:
            assert (await client.get(f"{API}/Invoices")).status_code == 403
            client.headers["xero-tenant-id"] = em.tenant_ids[0].upper()  # ids are case-insensitive
            assert (await client.get(f"{API}/Invoices")).status_code == 200

    async def test_expired_token_is_401(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            em_of(app).advance(1800)
            response = await client.get(f"{API}/Invoices")
        assert response.status_code == 401
        body = response.json()
        assert body["Title"] == "Unauthorized"
        assert body["Status"] == 401
        assert body["Detail"] == "TokenExpired: token expired at 06/01/2024 09:30:00"
        assert body["Type"] is None and body["Instance"]

    @pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic abc"])
    async def test_bad_token_is_401(self, app: Any, authorization: str | None) -> None:
        client, _ = api_client(app)
        async with client:
            if authorization is None:
                del client.headers["Authorization"]
            else:
                client.headers["Authorization"] = authorization
            response = await client.get(f"{API}/Invoices")
        assert response.status_code == 401
        assert response.json()["Detail"] == "AuthorizationUnsuccessful"

    async def test_missing_scope_is_401(self, app: Any) -> None:
        em = em_of(app)
        tokens = em.issue_tokens(scopes="offline_access accounting.contacts.read")
        headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json",
            "xero-tenant-id": em.default_tenant_id,
        }
        async with http_client(app, headers=headers) as client:
            assert (await client.get(f"{API}/Contacts")).status_code == 200
            assert (await client.put(f"{API}/Contacts", json={"Name": "X"})).status_code == 401
            assert (await client.get(f"{API}/Invoices")).status_code == 401

    async def test_granular_scopes(self, app: Any) -> None:
        em = em_of(app)
        tokens = em.issue_tokens(scopes="accounting.invoices.read accounting.payments")
        headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json",
            "xero-tenant-id": em.default_tenant_id,
        }
        async with http_client(app, headers=headers) as client:
            assert (await client.get(f"{API}/Invoices")).status_code == 200
            assert (await client.get(f"{API}/Payments")).status_code == 200
            assert (await client.put(f"{API}/Invoices", json={"Type": "ACCREC"})).status_code == 401

    async def test_json_only(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            client.headers["Accept"] = "application/xml"
            response = await client.get(f"{API}/Invoices")
            assert response.status_code == 406
            assert response.json()["Status"] == 406

    async def test_json_accept_can_be_relaxed(self) -> None:
        app = create_emulator(require_json_accept=False)
        client, _ = api_client(app)
        async with client:
            del client.headers["Accept"]
            assert (await client.get(f"{API}/Invoices")).status_code == 200

    async def test_unknown_resource_is_404(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            assert (await client.get(f"{API}/Widgets")).status_code == 404

    async def test_resource_names_are_case_insensitive(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            assert "Invoices" in (await client.get(f"{API}/invoices")).json()


@pytest.mark.anyio
class TestEnvelopeAndSingleReads:
    async def test_envelope(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            response = await client.get(f"{API}/Invoices")
        body = response.json()
        assert response.headers["content-type"].startswith("application/json")
        assert set(body) >= {"Id", "Status", "ProviderName", "DateTimeUTC", "Invoices"}
        assert body["Status"] == "OK"
        assert body["DateTimeUTC"] == "/Date(1717232400000)/"
        assert "pagination" not in body
        assert len(body["Invoices"]) == 120
        assert all("LineItems" not in i for i in body["Invoices"])  # unpaged lists omit line items

    async def test_invoice_shape_and_exact_money(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            response = await client.get(f"{API}/Invoices", params={"page": 1})
        invoice = loads(response.content)["Invoices"][0]
        for key in (
            "InvoiceID",
            "InvoiceNumber",
            "Type",
            "Contact",
            "Date",
            "DateString",
            "DueDate",
            "Status",
        ):
            assert key in invoice
        for key in (
            "LineAmountTypes",
            "LineItems",
            "SubTotal",
            "TotalTax",
            "Total",
            "AmountDue",
            "AmountPaid",
        ):
            assert key in invoice
        assert invoice["Date"].startswith("/Date(") and invoice["Date"].endswith("+0000)/")
        assert invoice["DateString"].endswith("T00:00:00")
        assert invoice["UpdatedDateUTC"].endswith("+0000)/")
        assert isinstance(invoice["Total"], Decimal)
        assert invoice["Total"] == invoice["SubTotal"] + invoice["TotalTax"]
        assert invoice["AmountDue"] == invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        line_sum = sum((li["LineAmount"] for li in invoice["LineItems"]), Decimal(0))
        if invoice["LineAmountTypes"] == "Inclusive":
            assert line_sum == invoice["Total"]
        else:
            assert line_sum == invoice["SubTotal"]
        assert b'"Total":' + str(invoice["Total"]).encode() in response.content

    async def test_get_by_id_and_number(self, app: Any) -> None:
        em = em_of(app)
        invoice = next(i for i in em.records("Invoice") if i["Type"] == "ACCREC")
        client, _ = api_client(app)
        async with client:
            by_id = (await client.get(f"{API}/Invoices/{invoice['InvoiceID']}")).json()["Invoices"]
            by_number = (await client.get(f"{API}/Invoices/{invoice['InvoiceNumber']}")).json()["Invoices"]
        assert by_id[0]["InvoiceID"] == invoice["InvoiceID"]
        assert by_number[0]["InvoiceID"] == invoice["InvoiceID"]
        assert "LineItems" in by_id[0]
        assert "Addresses" in by_id[0]["Contact"]  # a single invoice embeds the full contact

    async def test_other_single_reads(self, app: Any) -> None:
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            contact = em.records("Contact")[0]
            got = (await client.get(f"{API}/Contacts/{contact['ContactID']}")).json()["Contacts"][0]
            assert got["Name"] == contact["Name"]
            assert got["Addresses"][0]["AddressType"] == "POBOX"
            assert {p["PhoneType"] for p in got["Phones"] if p["PhoneNumber"]} == {"DEFAULT", "MOBILE"}
            # Xero pads a contact with every phone type and both address types, empty ones included.
            assert {p["PhoneType"] for p in got["Phones"]} == {"DEFAULT", "DDI", "MOBILE", "FAX"}
            item = (await client.get(f"{API}/Items/ITEM-001")).json()["Items"][0]
            assert item["Code"] == "ITEM-001"
            assert item["SalesDetails"]["UnitPrice"] == 150.0
            bank = (await client.get(f"{API}/Accounts/090")).json()["Accounts"][0]
            assert bank["Type"] == "BANK" and bank["Name"] == "Business Bank Account"
            payment = em.records("Payment")[0]
            got = (await client.get(f"{API}/Payments/{payment['PaymentID']}")).json()["Payments"][0]
            assert got["Invoice"]["InvoiceID"] == payment["Invoice"]["InvoiceID"]
            assert got["Account"]["Code"] == "090"
            org = (await client.get(f"{API}/Organisation")).json()["Organisations"][0]
            assert org["OrganisationID"] == em.default_tenant_id
            assert org["BaseCurrency"] == "NZD"

    async def test_missing_record_is_404(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            response = await client.get(f"{API}/Invoices/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json()["Status"] == 404
        assert response.json()["Title"] == "NotFound"

    async def test_plain_text_404_option(self) -> None:
        app = create_emulator(not_found_body="text")
        client, _ = api_client(app)
        async with client:
            response = await client.get(f"{API}/Contacts/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.anyio
class TestPaging:
    async def test_default_page_size_and_pagination_block(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            body = (await client.get(f"{API}/Invoices", params={"page": 1})).json()
            second = (await client.get(f"{API}/Invoices", params={"page": 2})).json()
        assert body["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 2, "itemCount": 120}
        assert len(body["Invoices"]) == 100
        assert len(second["Invoices"]) == 20
        assert all("LineItems" in i for i in body["Invoices"])
        ids = {i["InvoiceID"] for i in body["Invoices"]} | {i["InvoiceID"] for i in second["Invoices"]}
        assert len(ids) == 120

    async def test_page_size_and_cap(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            small = (await client.get(f"{API}/Invoices", params={"page": 3, "pageSize": 7})).json()
            capped = (await client.get(f"{API}/Invoices", params={"page": 1, "pageSize": 5000})).json()
            beyond = (await client.get(f"{API}/Invoices", params={"page": 99, "pageSize": 50})).json()
            bad = await client.get(f"{API}/Invoices", params={"page": "x"})
        assert small["pagination"] == {"page": 3, "pageSize": 7, "pageCount": 18, "itemCount": 120}
        assert len(small["Invoices"]) == 7
        assert capped["pagination"]["pageSize"] == 1000
        assert beyond["Invoices"] == []
        assert bad.status_code == 400

    async def test_contacts_and_payments_page(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            contacts = (await client.get(f"{API}/Contacts", params={"page": 1, "pageSize": 10})).json()
            payments = (await client.get(f"{API}/Payments", params={"page": 1, "pageSize": 10})).json()
        assert len(contacts["Contacts"]) == 10
        assert payments["pagination"]["itemCount"] == len(em_of(app).records("Payment"))

    async def test_unpaged_line_items_option(self) -> None:
        app = create_emulator(seed=1, invoices=3, line_items_in_unpaged_lists=True)
        client, _ = api_client(app)
        async with client:
            body = (await client.get(f"{API}/Invoices")).json()
        assert all("LineItems" in i for i in body["Invoices"])


@pytest.mark.anyio
class TestFilters:
    async def test_if_modified_since(self, app: Any) -> None:
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.advance(600)
            cutoff = em.now()
            contact = em.records("Contact")[0]
            await client.post(f"{API}/Contacts/{contact['ContactID']}", json={"FirstName": "Changed"})
            invoice_before = len((await client.get(f"{API}/Invoices")).json()["Invoices"])
            iso = await client.get(
                f"{API}/Contacts", headers={"If-Modified-Since": cutoff.strftime("%Y-%m-%dT%H:%M:%S")}
            )
            http_date = await client.get(
                f"{API}/Contacts", headers={"If-Modified-Since": cutoff.strftime("%a, %d %b %Y %H:%M:%S GMT")}
            )
            none = await client.get(f"{API}/Invoices", headers={"If-Modified-Since": cutoff.isoformat()})
            bad = await client.get(f"{API}/Invoices", headers={"If-Modified-Since": "yesterday-ish"})
        assert [c["ContactID"] for c in iso.json()["Contacts"]] == [contact["ContactID"]]
        assert [c["ContactID"] for c in http_date.json()["Contacts"]] == [contact["ContactID"]]
        assert invoice_before == 120
        assert none.json()["Invoices"] == []
        assert bad.status_code == 400

    async def test_if_modified_since_has_second_precision(self, app: Any) -> None:
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            em.advance(10.5)  # now at ...:10.500
            contact = em.records("Contact")[0]
            await client.post(f"{API}/Contacts/{contact['ContactID']}", json={"FirstName": "Changed"})
            header = em.now().strftime("%Y-%m-%dT%H:%M:%S.%f")  # fractional part is dropped → ...:10
            response = await client.get(f"{API}/Contacts", headers={"If-Modified-Since": header})
        assert len(response.json()["Contacts"]) == 1

    async def test_where_status_and_type(self, app: Any) -> None:
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            drafts = (await client.get(f"{API}/Invoices", params={"where": 'Status=="DRAFT"'})).json()
            sales_due = (
                await client.get(
                    f"{API}/Invoices",
                    params={"where": 'Type=="ACCREC" AND AmountDue>0', "page": 1, "pageSize": 1000},
                )
            ).json()
        records = em.records("Invoice")
        assert len(drafts["Invoices"]) == sum(1 for r in records if r["Status"] == "DRAFT") > 0
        expected = [r for r in records if r["Type"] == "ACCREC" and r["AmountDue"] > 0]
        assert len(sales_due["Invoices"]) == len(expected) > 0

    async def test_where_contact_guid_and_name(self, app: Any) -> None:
        em = em_of(app)
        invoice = em.records("Invoice")[5]
        contact_id = invoice["Contact"]["ContactID"]
        contact = em.record("Contact", contact_id)
        assert contact is not None
        client, _ = api_client(app)
        async with client:
            by_guid = (
                await client.get(
                    f"{API}/Invoices", params={"where": f'Contact.ContactID==guid("{contact_id}")'}
                )
            ).json()["Invoices"]
            by_name = (
                await client.get(f"{API}/Contacts", params={"where": f'Name=="{contact["Name"]}"'})
            ).json()["Contacts"]
            active = (
                await client.get(f"{API}/Contacts", params={"where": 'ContactStatus=="ACTIVE"'})
            ).json()["Contacts"]
        assert by_guid and all(i["Contact"]["ContactID"] == contact_id for i in by_guid)
        assert [c["ContactID"] for c in by_name] == [contact_id]
        assert all(c["ContactStatus"] == "ACTIVE" for c in active)

    async def test_bad_where_is_query_parse_exception(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            response = await client.get(f"{API}/Invoices", params={"where": 'Status=="DRAFT'})
        assert response.status_code == 400
        assert response.json()["Type"] == "QueryParseException"

    async def test_order(self, app: Any) -> None:
        client, _ = api_client(app)
        async with client:
            newest = (await client.get(f"{API}/Invoices", params={"order": "UpdatedDateUTC DESC"})).json()
            numbers = (
                await client.get(
                    f"{API}/Invoices", params={"order": "InvoiceNumber", "where": 'Type=="ACCREC"'}
                )
            ).json()
        stamps = [int(i["UpdatedDateUTC"][6:19]) for i in newest["Invoices"]]
        assert stamps == sorted(stamps, reverse=True)
        got = [i["InvoiceNumber"] for i in numbers["Invoices"]]
        assert got == sorted(got)

    async def test_ids_statuses_contact_ids(self, app: Any) -> None:
        em = em_of(app)
        records = em.records("Invoice")
        client, _ = api_client(app)
        async with client:
            picked = [records[0]["InvoiceID"], records[7]["InvoiceID"]]
            by_ids = (await client.get(f"{API}/Invoices", params={"IDs": ",".join(picked)})).json()[
                "Invoices"
            ]
            by_status = (await client.get(f"{API}/Invoices", params={"Statuses": "PAID,VOIDED"})).json()[
                "Invoices"
            ]
            contact_id = records[3]["Contact"]["ContactID"]
            by_contact = (await client.get(f"{API}/Invoices", params={"ContactIDs": contact_id})).json()[
                "Invoices"
            ]
        assert sorted(i["InvoiceID"] for i in by_ids) == sorted(picked)
        assert {i["Status"] for i in by_status} == {"PAID", "VOIDED"}
        assert len(by_status) == sum(1 for r in records if r["Status"] in ("PAID", "VOIDED"))
        assert by_contact and {i["Contact"]["ContactID"] for i in by_contact} == {contact_id}

    async def test_archived_contacts_hidden_unless_asked(self, app: Any) -> None:
        em = em_of(app)
        archived = [c for c in em.records("Contact") if c["ContactStatus"] == "ARCHIVED"]
        client, _ = api_client(app)
        async with client:
            if not archived:
                contact = em.records("Contact")[0]
                await client.post(
                    f"{API}/Contacts/{contact['ContactID']}", json={"ContactStatus": "ARCHIVED"}
                )
                archived = [contact]
            default = (await client.get(f"{API}/Contacts")).json()["Contacts"]
            everything = (await client.get(f"{API}/Contacts", params={"includeArchived": "true"})).json()[
                "Contacts"
            ]
            search = (await client.get(f"{API}/Contacts", params={"searchTerm": "zzzz-nothing"})).json()[
                "Contacts"
            ]
        ids = {c["ContactID"] for c in archived}
        assert not ids & {c["ContactID"] for c in default}
        assert ids <= {c["ContactID"] for c in everything}
        assert search == []
