"""Accounting API writes: invoice maths and status rules, contacts, items, payments, errors, idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_xero.emulator import XeroEmulator, create_emulator
from unified_accounting_xero.emulator.testing import API, api_client
from unified_accounting_xero.emulator.wirejson import loads

START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def em_of(app: Any) -> XeroEmulator:
    em: XeroEmulator = app.state.emulator
    return em


def body(response: httpx.Response) -> Any:
    return loads(response.content)


@pytest.fixture
def app() -> Any:
    return create_emulator(start_time=START, seed=3, invoices=5, contacts=5, payments=0)


@pytest.fixture
async def client(app: Any) -> Any:
    client, _ = api_client(app)
    async with client:
        yield client


def line(
    description: str = "Consulting", quantity: Any = 1, unit: Any = "100.00", **extra: Any
) -> dict[str, Any]:
    return {
        "Description": description,
        "Quantity": quantity,
        "UnitAmount": unit,
        "AccountCode": "200",
        **extra,
    }


async def create_invoice(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    payload = {"Type": "ACCREC", "Contact": {"Name": "Invoice Test Ltd"}, "LineItems": [line()], **fields}
    response = await client.put(f"{API}/Invoices", json={"Invoices": [payload]})
    assert response.status_code == 200, response.text
    invoice: dict[str, Any] = body(response)["Invoices"][0]
    return invoice


async def pay(client: httpx.AsyncClient, invoice_id: str, amount: Any, **extra: Any) -> httpx.Response:
    payload = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Amount": amount, **extra}
    return await client.put(f"{API}/Payments", json={"Payments": [payload]})


def errors_of(response: httpx.Response) -> list[str]:
    data = response.json()
    return [e["Message"] for el in data["Elements"] for e in el["ValidationErrors"]]


@pytest.mark.anyio
class TestInvoiceMaths:
    async def test_exclusive_default(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(
            client,
            LineItems=[line(quantity=3, unit="19.99", DiscountRate=10), line(quantity="0.5", unit=7)],
        )
        first, second = invoice["LineItems"]
        assert first["LineAmount"] == Decimal("53.97")  # 3 × 19.99 × 0.9 = 53.973
        assert second["LineAmount"] == Decimal("3.50")
        assert invoice["LineAmountTypes"] == "Exclusive"
        assert invoice["SubTotal"] == Decimal("57.47")
        assert first["TaxType"] == "OUTPUT2"  # a new NZ organisation's sales rate, from account 200
        assert first["TaxAmount"] == Decimal("8.10")  # 15 % of 53.97 = 8.0955
        assert invoice["TotalTax"] == Decimal("8.63")
        assert invoice["Total"] == Decimal("66.10")
        assert invoice["AmountDue"] == Decimal("66.10")
        assert invoice["Status"] == "DRAFT"
        assert invoice["InvoiceNumber"].startswith("INV-")

    async def test_inclusive(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, LineAmountTypes="Inclusive", LineItems=[line(unit="115.00")])
        assert invoice["Total"] == Decimal("115.00")
        assert invoice["TotalTax"] == Decimal("15.00")
        assert invoice["SubTotal"] == Decimal("100.00")

    async def test_no_tax(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(
            client, LineAmountTypes="NoTax", LineItems=[line(unit="99.99", TaxType="OUTPUT")]
        )
        assert invoice["TotalTax"] == Decimal("0.00")
        assert invoice["Total"] == Decimal("99.99")
        assert invoice["LineItems"][0]["TaxType"] == "NONE"

    async def test_exempt_tax_type_and_custom_rates(self) -> None:
        app = create_emulator(tax_rates={"OUTPUT2": "12.5", "EXEMPTOUTPUT": 0})
        client, _ = api_client(app)
        async with client:
            invoice = await create_invoice(
                client, LineItems=[line(unit="80.00"), line(unit="20.00", TaxType="EXEMPTOUTPUT")]
            )
            bad = await client.put(
                f"{API}/Invoices",
                json={"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [line(TaxType="OUTPUT9")]},
            )
        assert invoice["TotalTax"] == Decimal("10.00")
        assert invoice["Total"] == Decimal("110.00")
        assert bad.status_code == 400
        assert "TaxType code 'OUTPUT9'" in errors_of(bad)[0]

    async def test_money_is_exact_on_the_wire(self, client: httpx.AsyncClient) -> None:
        response = await client.put(
            f"{API}/Invoices",
            content=b'{"Type":"ACCREC","Contact":{"Name":"Exact"},"LineItems":[{"Description":"x",'
            b'"Quantity":1,"UnitAmount":0.10,"AccountCode":"200"},{"Description":"y","Quantity":1,'
            b'"UnitAmount":0.20,"AccountCode":"200"}]}',
            headers={"Content-Type": "application/json"},
        )
        assert b'"SubTotal":0.30' in response.content
        assert b'"Total":0.35' in response.content  # 0.0150 + 0.0300 → 0.02 + 0.03 tax

    async def test_unitdp_four(self, client: httpx.AsyncClient) -> None:
        response = await client.put(
            f"{API}/Invoices",
            params={"unitdp": 4},
            json={
                "Type": "ACCREC",
                "Contact": {"Name": "Four"},
                "LineItems": [line(quantity=1000, unit="0.1234")],
            },
        )
        invoice = body(response)["Invoices"][0]
        assert invoice["LineItems"][0]["UnitAmount"] == Decimal("0.1234")
        assert invoice["SubTotal"] == Decimal("123.40")

    async def test_line_amount_only_and_mismatch(self, client: httpx.AsyncClient) -> None:
        only = await create_invoice(
            client, LineItems=[{"Description": "x", "Quantity": 2, "LineAmount": 50, "AccountCode": "200"}]
        )
        assert only["LineItems"][0]["UnitAmount"] == Decimal("25.00")
        assert only["SubTotal"] == Decimal("50.00")
        mismatch = await client.put(
            f"{API}/Invoices",
            json={
                "Type": "ACCREC",
                "Contact": {"Name": "M"},
                "LineItems": [line(quantity=2, unit=10, LineAmount=25)],
            },
        )
        assert mismatch.status_code == 400

    async def test_item_code_fills_defaults(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, LineItems=[{"ItemCode": "ITEM-002", "Quantity": 2}])
        li = invoice["LineItems"][0]
        assert li["UnitAmount"] == Decimal("1200.00")
        assert li["AccountCode"] == "200"
        assert li["Description"] == "Design package"
        bad = await client.put(
            f"{API}/Invoices",
            json={"Type": "ACCREC", "Contact": {"Name": "A"}, "LineItems": [{"ItemCode": "NOPE"}]},
        )
        assert bad.status_code == 400

    async def test_dates_in_every_accepted_form(self, client: httpx.AsyncClient) -> None:
        forms = {
            "2024-05-01": "2024-05-01T00:00:00",
            "2024-05-01T15:30:00": "2024-05-01T00:00:00",
            "/Date(1714521600000)/": "2024-05-01T00:00:00",
            "/Date(1714521600000+0000)/": "2024-05-01T00:00:00",
        }
        for raw, expected in forms.items():
            invoice = await create_invoice(client, Date=raw, DueDate="/Date(1717200000000+0000)/")
            assert invoice["DateString"] == expected
            assert invoice["Date"] == "/Date(1714521600000+0000)/"
            assert invoice["DueDateString"] == "2024-06-01T00:00:00"
        bad = await client.put(
            f"{API}/Invoices", json={"Type": "ACCREC", "Contact": {"Name": "x"}, "Date": "01/05/2024"}
        )
        assert bad.status_code == 400

    async def test_default_date_is_emulator_today(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client)
        assert invoice["DateString"] == "2024-06-01T00:00:00"
        assert invoice["UpdatedDateUTC"] == "/Date(1717232400000+0000)/"

    async def test_unknown_contact_name_creates_contact(self, app: Any, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, Contact={"Name": "Brand New Customer"})
        contact = em_of(app).record("Contact", invoice["Contact"]["ContactID"])
        assert contact is not None
        assert contact["Name"] == "Brand New Customer"
        assert contact["IsCustomer"] is True
        existing = await create_invoice(client, Contact={"Name": "brand new customer"})
        assert existing["Contact"]["ContactID"] == invoice["Contact"]["ContactID"]

    async def test_invoice_number_rules(self, client: httpx.AsyncClient) -> None:
        first = await create_invoice(client, InvoiceNumber="CUSTOM-1")
        assert first["InvoiceNumber"] == "CUSTOM-1"
        duplicate = await client.put(
            f"{API}/Invoices", json={"Type": "ACCREC", "Contact": {"Name": "A"}, "InvoiceNumber": "custom-1"}
        )
        assert duplicate.status_code == 400
        assert errors_of(duplicate) == ["Invoice # must be unique."]
        bill1 = await create_invoice(client, Type="ACCPAY", InvoiceNumber="SUP-1")
        bill2 = await create_invoice(client, Type="ACCPAY", InvoiceNumber="SUP-1")  # bills may repeat numbers
        assert bill1["InvoiceID"] != bill2["InvoiceID"]
        minted = [await create_invoice(client) for _ in range(2)]
        n1, n2 = (int(i["InvoiceNumber"].split("-")[1]) for i in minted)
        assert n2 == n1 + 1

    async def test_required_fields(self, client: httpx.AsyncClient) -> None:
        no_type = await client.put(f"{API}/Invoices", json={"Contact": {"Name": "A"}})
        no_contact = await client.put(f"{API}/Invoices", json={"Type": "ACCREC"})
        bad_type = await client.put(f"{API}/Invoices", json={"Type": "SALES", "Contact": {"Name": "A"}})
        assert no_type.status_code == no_contact.status_code == bad_type.status_code == 400
        assert "Type must be specified" in errors_of(no_type)[0]
        assert "identify the contact" in errors_of(no_contact)[0]


@pytest.mark.anyio
class TestInvoiceStatus:
    async def test_draft_submitted_authorised(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client)
        url = f"{API}/Invoices/{invoice['InvoiceID']}"
        submitted = body(await client.post(url, json={"Status": "SUBMITTED"}))["Invoices"][0]
        assert submitted["Status"] == "SUBMITTED"
        authorised = body(await client.post(url, json={"Invoices": [{"Status": "AUTHORISED"}]}))["Invoices"][
            0
        ]
        assert authorised["Status"] == "AUTHORISED"

    @pytest.mark.parametrize("start", ["DRAFT", "SUBMITTED"])
    async def test_draft_and_submitted_can_be_deleted(self, client: httpx.AsyncClient, start: str) -> None:
        invoice = await create_invoice(client, Status=start)
        response = await client.post(f"{API}/Invoices/{invoice['InvoiceID']}", json={"Status": "DELETED"})
        assert body(response)["Invoices"][0]["Status"] == "DELETED"
        again = await client.post(f"{API}/Invoices/{invoice['InvoiceID']}", json={"Reference": "x"})
        assert again.status_code == 400

    async def test_authorised_cannot_be_deleted_but_voided(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, Status="AUTHORISED")
        url = f"{API}/Invoices/{invoice['InvoiceID']}"
        deleted = await client.post(url, json={"Status": "DELETED"})
        assert deleted.status_code == 400
        assert "cannot be deleted" in errors_of(deleted)[0]
        back = await client.post(url, json={"Status": "DRAFT"})
        assert back.status_code == 400
        voided = await client.post(url, json={"Status": "VOIDED"})
        assert body(voided)["Invoices"][0]["Status"] == "VOIDED"
        edit = await client.post(url, json={"Reference": "after void"})
        assert edit.status_code == 400
        assert errors_of(edit) == ["Invoice not of valid status for modification"]

    async def test_cannot_create_paid_or_void(self, client: httpx.AsyncClient) -> None:
        for status in ("PAID", "VOIDED", "DELETED"):
            response = await client.put(
                f"{API}/Invoices", json={"Type": "ACCREC", "Contact": {"Name": "A"}, "Status": status}
            )
            assert errors_of(response) == ["Invoice not of valid status for creation"]

    async def test_approval_needs_complete_lines(self, client: httpx.AsyncClient) -> None:
        empty = await client.put(
            f"{API}/Invoices", json={"Type": "ACCREC", "Contact": {"Name": "A"}, "Status": "AUTHORISED"}
        )
        assert empty.status_code == 400
        no_account = await client.put(
            f"{API}/Invoices",
            json={
                "Type": "ACCREC",
                "Contact": {"Name": "A"},
                "Status": "AUTHORISED",
                "LineItems": [{"Description": "x", "UnitAmount": 1}],
            },
        )
        assert "Account code must be specified" in errors_of(no_account)[0]

    async def test_zero_total_authorised_becomes_paid(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, Status="AUTHORISED", LineItems=[line(unit=0)])
        assert invoice["Status"] == "PAID"

    async def test_update_replaces_lines_and_keeps_ids(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, LineItems=[line(), line("Second")])
        keep = invoice["LineItems"][0]["LineItemID"]
        response = await client.post(
            f"{API}/Invoices",
            json={
                "Invoices": [
                    {
                        "InvoiceID": invoice["InvoiceID"],
                        "LineItems": [{"LineItemID": keep, **line(unit=50)}],
                        "Reference": "updated",
                    }
                ]
            },
        )
        updated = body(response)["Invoices"][0]
        assert [li["LineItemID"] for li in updated["LineItems"]] == [keep]
        assert updated["SubTotal"] == Decimal("50.00")
        assert updated["Reference"] == "updated"

    async def test_every_write_bumps_updated_date(self, app: Any, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client)
        em_of(app).advance(5)
        updated = body(await client.post(f"{API}/Invoices/{invoice['InvoiceID']}", json={"Reference": "r"}))
        assert updated["Invoices"][0]["UpdatedDateUTC"] == "/Date(1717232405000+0000)/"

    async def test_post_without_id_creates_and_by_number_updates(self, client: httpx.AsyncClient) -> None:
        created = body(
            await client.post(
                f"{API}/Invoices",
                json={
                    "Type": "ACCREC",
                    "Contact": {"Name": "P"},
                    "InvoiceNumber": "P-1",
                    "LineItems": [line()],
                },
            )
        )["Invoices"][0]
        updated = body(
            await client.post(f"{API}/Invoices", json={"InvoiceNumber": "P-1", "Reference": "by number"})
        )
        assert updated["Invoices"][0]["InvoiceID"] == created["InvoiceID"]
        assert updated["Invoices"][0]["Reference"] == "by number"

    async def test_put_with_existing_id_and_post_unknown_id(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client)
        put = await client.put(f"{API}/Invoices", json={"InvoiceID": invoice["InvoiceID"], "Type": "ACCREC"})
        assert put.status_code == 400
        unknown = await client.post(
            f"{API}/Invoices", json={"InvoiceID": "11111111-1111-4111-8111-111111111111", "Reference": "x"}
        )
        assert unknown.status_code == 400
        missing_path = await client.post(
            f"{API}/Invoices/11111111-1111-4111-8111-111111111111", json={"Reference": "x"}
        )
        assert missing_path.status_code == 404
        mismatch = await client.post(
            f"{API}/Invoices/{invoice['InvoiceID']}",
            json={"InvoiceID": "11111111-1111-4111-8111-111111111111"},
        )
        assert mismatch.status_code == 400


@pytest.mark.anyio
class TestPayments:
    async def test_payment_lifecycle(self, app: Any, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, Status="AUTHORISED", LineItems=[line(unit="100.00")])
        assert invoice["Total"] == Decimal("115.00")
        partial = await pay(client, invoice["InvoiceID"], "40.00", Date="2024-06-02", Reference="part")
        assert partial.status_code == 200, partial.text
        payment = body(partial)["Payments"][0]
        assert payment["Amount"] == Decimal("40.00")
        assert payment["PaymentType"] == "ACCRECPAYMENT"
        assert payment["Status"] == "AUTHORISED"
        assert payment["DateString"] == "2024-06-02T00:00:00"
        state = em_of(app).record("Invoice", invoice["InvoiceID"])
        assert state is not None
        assert (state["AmountPaid"], state["AmountDue"], state["Status"]) == (
            Decimal("40.00"),
            Decimal("75.00"),
            "AUTHORISED",
        )
        too_much = await pay(client, invoice["InvoiceID"], "75.01")
        assert too_much.status_code == 400
        assert "exceeds the amount outstanding" in errors_of(too_much)[0]
        # Every problem of a write is told at once, the date's with Xero's wording.
        both = await pay(client, invoice["InvoiceID"], "75.01", Date="2024-13-45")
        assert both.status_code == 400
        assert errors_of(both) == [
            "The Date '2024-13-45' is not a valid date.",
            "Payment amount exceeds the amount outstanding on this document.",
        ]
        rest = await pay(client, invoice["InvoiceID"], 75, Date="/Date(1717286400000+0000)/")
        assert rest.status_code == 200
        fetched = body(await client.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"][0]
        assert fetched["Status"] == "PAID"
        assert fetched["AmountDue"] == Decimal("0.00")
        assert fetched["AmountPaid"] == Decimal("115.00")
        assert len(fetched["Payments"]) == 2
        assert fetched["FullyPaidOnDate"] == "/Date(1717286400000+0000)/"
        # paid invoices are frozen
        frozen = await client.post(f"{API}/Invoices/{invoice['InvoiceID']}", json={"Reference": "late edit"})
        assert errors_of(frozen) == ["Invoice not of valid status for modification"]
        # deleting a payment restores the amounts
        deleted = await client.post(f"{API}/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
        assert body(deleted)["Payments"][0]["Status"] == "DELETED"
        restored = em_of(app).record("Invoice", invoice["InvoiceID"])
        assert restored is not None
        assert (restored["Status"], restored["AmountDue"], restored["AmountPaid"]) == (
            "AUTHORISED",
            Decimal("40.00"),
            Decimal("75.00"),
        )
        twice = await client.post(f"{API}/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
        assert twice.status_code == 400
        other = await client.post(f"{API}/Payments/{payment['PaymentID']}", json={"Amount": 1})
        assert other.status_code == 400

    async def test_payment_by_invoice_number_and_account_id(
        self, app: Any, client: httpx.AsyncClient
    ) -> None:
        invoice = await create_invoice(client, Status="AUTHORISED")
        bank = next(a for a in em_of(app).records("Account") if a["Code"] == "090")
        response = await client.put(
            f"{API}/Payments",
            json={
                "Invoice": {"InvoiceNumber": invoice["InvoiceNumber"]},
                "Account": {"AccountID": bank["AccountID"]},
                "Amount": 1,
            },
        )
        assert response.status_code == 200
        top_level = await client.put(
            f"{API}/Payments",
            json={"InvoiceNumber": invoice["InvoiceNumber"], "Account": {"Code": "090"}, "Amount": 1},
        )
        assert top_level.status_code == 200

    async def test_payment_rules(self, client: httpx.AsyncClient) -> None:
        draft = await create_invoice(client)
        on_draft = await pay(client, draft["InvoiceID"], 1)
        assert "Authorised" in errors_of(on_draft)[0]
        invoice = await create_invoice(client, Status="AUTHORISED")
        not_bank = await client.put(
            f"{API}/Payments",
            json={"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "200"}, "Amount": 1},
        )
        assert "Account type is invalid" in errors_of(not_bank)[0]
        no_account = await client.put(
            f"{API}/Payments", json={"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 1}
        )
        assert no_account.status_code == 400
        negative = await pay(client, invoice["InvoiceID"], -5)
        assert negative.status_code == 400
        unknown = await pay(client, "11111111-1111-4111-8111-111111111111", 1)
        assert "could not be found" in errors_of(unknown)[0]

    async def test_void_needs_payments_removed(self, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client, Status="AUTHORISED")
        payment = body(await pay(client, invoice["InvoiceID"], 10))["Payments"][0]
        url = f"{API}/Invoices/{invoice['InvoiceID']}"
        refused = await client.post(url, json={"Status": "VOIDED"})
        assert refused.status_code == 400
        lines = await client.post(url, json={"LineItems": [line(unit=1)]})
        assert lines.status_code == 400
        await client.post(f"{API}/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
        assert body(await client.post(url, json={"Status": "VOIDED"}))["Invoices"][0]["Status"] == "VOIDED"


@pytest.mark.anyio
class TestContactsAndItems:
    async def test_contact_crud_and_unique_names(self, app: Any, client: httpx.AsyncClient) -> None:
        created = body(
            await client.put(
                f"{API}/Contacts",
                json={
                    "Contacts": [
                        {
                            "Name": "Unique Co",
                            "EmailAddress": "a@unique.example",
                            "Addresses": [
                                {"AddressType": "STREET", "AddressLine1": "1 Main St", "City": "Nelson"}
                            ],
                            "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "555"}],
                            "IsCustomer": True,
                        }
                    ]
                },
            )
        )["Contacts"][0]
        assert created["ContactStatus"] == "ACTIVE"
        assert created["IsCustomer"] is False  # read-only, set by Xero
        duplicate = await client.put(f"{API}/Contacts", json={"Name": "unique co"})
        assert duplicate.status_code == 400
        assert "must be unique across all active contacts" in errors_of(duplicate)[0]
        element = duplicate.json()["Elements"][0]
        assert element["Name"] == "unique co"
        archived = await client.post(
            f"{API}/Contacts/{created['ContactID']}", json={"ContactStatus": "ARCHIVED"}
        )
        assert body(archived)["Contacts"][0]["ContactStatus"] == "ARCHIVED"
        reused = await client.put(f"{API}/Contacts", json={"Name": "Unique Co"})
        assert reused.status_code == 200  # the name is free once the holder is archived
        reactivate = await client.post(
            f"{API}/Contacts/{created['ContactID']}", json={"ContactStatus": "ACTIVE"}
        )
        assert reactivate.status_code == 400

    async def test_post_contact_by_name_updates(self, client: httpx.AsyncClient) -> None:
        first = body(await client.post(f"{API}/Contacts", json={"Name": "Upsert Ltd"}))["Contacts"][0]
        second = body(await client.post(f"{API}/Contacts", json={"Name": "Upsert Ltd", "FirstName": "Ann"}))
        assert second["Contacts"][0]["ContactID"] == first["ContactID"]
        assert second["Contacts"][0]["FirstName"] == "Ann"

    async def test_contact_validation(self, client: httpx.AsyncClient) -> None:
        response = await client.put(f"{API}/Contacts", json={"Name": "", "EmailAddress": "nope"})
        assert set(errors_of(response)) == {
            "The contact name must be specified.",
            "Email address must be valid.",
        }

    async def test_items(self, client: httpx.AsyncClient) -> None:
        created = body(
            await client.put(
                f"{API}/Items",
                json={
                    "Items": [
                        {
                            "Code": "NEW-1",
                            "Name": "New",
                            "SalesDetails": {"UnitPrice": 12.5, "AccountCode": "200"},
                        }
                    ]
                },
            )
        )["Items"][0]
        assert created["SalesDetails"]["UnitPrice"] == Decimal("12.5")
        duplicate = await client.put(f"{API}/Items", json={"Code": "new-1"})
        assert duplicate.status_code == 400
        updated = body(await client.post(f"{API}/Items", json={"Code": "NEW-1", "Name": "Renamed"}))["Items"][
            0
        ]
        assert updated["ItemID"] == created["ItemID"] and updated["Name"] == "Renamed"
        by_path = body(await client.post(f"{API}/Items/{created['ItemID']}", json={"Code": "NEW-2"}))[
            "Items"
        ][0]
        assert by_path["Code"] == "NEW-2"
        assert (await client.get(f"{API}/Items/NEW-2")).status_code == 200

    async def test_an_account_needs_a_name_and_type(self, client: httpx.AsyncClient) -> None:
        assert (await client.put(f"{API}/Accounts", json={"Code": "999"})).status_code == 400


@pytest.mark.anyio
class TestValidationShapes:
    async def test_validation_exception_shape(self, client: httpx.AsyncClient) -> None:
        response = await client.put(
            f"{API}/Invoices", json={"Invoices": [{"Type": "ACCREC", "Reference": "r-1"}]}
        )
        assert response.status_code == 400
        data = response.json()
        assert data["ErrorNumber"] == 10
        assert data["Type"] == "ValidationException"
        assert data["Message"] == "A validation exception occurred"
        element = data["Elements"][0]
        assert element["Reference"] == "r-1"
        assert element["ValidationErrors"][0]["Message"]

    async def test_batch_is_all_or_nothing_by_default(self, app: Any, client: httpx.AsyncClient) -> None:
        before = len(em_of(app).records("Contact"))
        response = await client.put(
            f"{API}/Contacts", json={"Contacts": [{"Name": "Good One"}, {"Name": ""}]}
        )
        assert response.status_code == 400
        elements = response.json()["Elements"]
        assert [len(e["ValidationErrors"]) for e in elements] == [0, 1]
        assert len(em_of(app).records("Contact")) == before

    async def test_summarize_errors_false(self, app: Any, client: httpx.AsyncClient) -> None:
        before = len(em_of(app).records("Invoice"))
        response = await client.put(
            f"{API}/Invoices",
            params={"summarizeErrors": "false"},
            json={
                "Invoices": [
                    {"Type": "ACCREC", "Contact": {"Name": "Batch A"}, "LineItems": [line()]},
                    {"Type": "ACCREC", "Reference": "bad"},
                    {"Type": "ACCREC", "Contact": {"Name": "Batch B"}, "LineItems": [line()]},
                ]
            },
        )
        assert response.status_code == 200
        invoices = response.json()["Invoices"]
        assert [i["StatusAttributeString"] for i in invoices] == ["OK", "ERROR", "OK"]
        assert invoices[1]["HasErrors"] is True
        assert invoices[1]["ValidationErrors"][0]["Message"]
        assert invoices[1]["Reference"] == "bad"
        assert len(em_of(app).records("Invoice")) == before + 2

    async def test_body_forms(self, client: httpx.AsyncClient) -> None:
        as_list = await client.put(f"{API}/Contacts", json=[{"Name": "List A"}, {"Name": "List B"}])
        assert len(as_list.json()["Contacts"]) == 2
        not_json = await client.put(f"{API}/Contacts", content=b"<Contacts/>")
        assert not_json.status_code == 400
        assert not_json.json()["Type"] == "PostDataInvalidException"
        empty = await client.put(f"{API}/Contacts", content=b"")
        assert empty.status_code == 400

    async def test_body_size_limit(self) -> None:
        app = create_emulator(max_body_bytes=100)
        client, _ = api_client(app)
        async with client:
            response = await client.put(f"{API}/Contacts", json={"Name": "x" * 200})
        assert response.status_code == 413


@pytest.mark.anyio
class TestIdempotency:
    async def test_replay_returns_original_without_executing(
        self, app: Any, client: httpx.AsyncClient
    ) -> None:
        payload = {"Type": "ACCREC", "Contact": {"Name": "Idem"}, "LineItems": [line()]}
        first = await client.put(f"{API}/Invoices", json=payload, headers={"Idempotency-Key": "key-1"})
        count = len(em_of(app).records("Invoice"))
        second = await client.put(f"{API}/Invoices", json=payload, headers={"Idempotency-Key": "key-1"})
        assert second.status_code == 200
        assert second.content == first.content
        assert len(em_of(app).records("Invoice")) == count
        assert em_of(app).request_log[-1].extra["idempotent_replay"] is True
        assert em_of(app).request_log[-1].headers.get("idempotency-key") == "key-1"
        third = await client.put(f"{API}/Invoices", json=payload, headers={"Idempotency-Key": "key-2"})
        assert body(third)["Invoices"][0]["InvoiceID"] != body(first)["Invoices"][0]["InvoiceID"]

    async def test_errors_are_replayed_too(self, client: httpx.AsyncClient) -> None:
        bad = {"Type": "ACCREC"}
        first = await client.put(f"{API}/Invoices", json=bad, headers={"Idempotency-Key": "bad-1"})
        fixed = {"Type": "ACCREC", "Contact": {"Name": "Now valid"}}
        second = await client.put(f"{API}/Invoices", json=fixed, headers={"Idempotency-Key": "bad-1"})
        assert first.status_code == second.status_code == 400

    async def test_keys_are_per_tenant(self) -> None:
        app = create_emulator(tenants=2)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            for tenant in em.tenant_ids:
                client.headers["xero-tenant-id"] = tenant
                response = await client.put(
                    f"{API}/Contacts", json={"Name": "Same"}, headers={"Idempotency-Key": "k"}
                )
                assert response.status_code == 200
        assert all(len(em.records("Contact", t)) == 1 for t in em.tenant_ids)

    async def test_key_length_and_retention(self, app: Any, client: httpx.AsyncClient) -> None:
        too_long = await client.put(
            f"{API}/Contacts", json={"Name": "L"}, headers={"Idempotency-Key": "k" * 129}
        )
        assert too_long.status_code == 400
        ok = await client.put(
            f"{API}/Contacts", json={"Name": "Keep"}, headers={"Idempotency-Key": "k" * 128}
        )
        assert ok.status_code == 200
        em_of(app).advance(24 * 3600)
        em_of(app).issue_tokens()  # the old access token has expired; mint a new one for this client
        tokens = em_of(app).issue_tokens()
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        expired = await client.put(
            f"{API}/Contacts", json={"Name": "Keep"}, headers={"Idempotency-Key": "k" * 128}
        )
        assert expired.status_code == 400  # executed again: the name is now taken

    async def test_records_control(self, app: Any, client: httpx.AsyncClient) -> None:
        invoice = await create_invoice(client)
        stored = em_of(app).record("Invoice", invoice["InvoiceID"])
        assert stored is not None
        assert isinstance(stored["Total"], Decimal)
        assert isinstance(stored["Date"], date)
        wire = em_of(app).records("Invoice", wire=True)
        assert any(w["InvoiceID"] == invoice["InvoiceID"] and w["Date"].startswith("/Date(") for w in wire)
        stored["Total"] = Decimal(0)  # copies: mutating them does not touch the emulator
        again = em_of(app).record("Invoice", invoice["InvoiceID"])
        assert again is not None and again["Total"] == invoice["Total"]
        with pytest.raises(KeyError):
            em_of(app).records("Widget")
