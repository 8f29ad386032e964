"""The emulator's chart of accounts, item deletion and manual journals (Xero's rules)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_xero.emulator import create_emulator
from unified_accounting_xero.emulator.testing import API, api_client
from unified_accounting_xero.emulator.wirejson import loads

START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def client() -> Any:
    app = create_emulator(start_time=START, seed=3, invoices=5, contacts=5, payments=0)
    client, _ = api_client(app)
    async with client:
        yield client


def body(response: httpx.Response) -> Any:
    return loads(response.content)


def messages(response: httpx.Response) -> list[str]:
    return [m["Message"] for e in body(response)["Elements"] for m in e["ValidationErrors"]]


@pytest.mark.anyio
class TestAccounts:
    async def test_create_update_archive_and_delete(self, client: httpx.AsyncClient) -> None:
        made = await client.put(
            f"{API}/Accounts", json={"Code": "4100", "Name": "Consulting", "Type": "REVENUE"}
        )
        account = body(made)["Accounts"][0]
        assert made.status_code == 200 and account["Class"] == "REVENUE" and account["Status"] == "ACTIVE"
        assert (
            await client.put(
                f"{API}/Accounts", json={"Code": "4101", "Name": "consulting", "Type": "REVENUE"}
            )
        ).status_code == 400
        both = await client.post(
            f"{API}/Accounts/{account['AccountID']}", json={"Accounts": [{"Name": "X", "Status": "ARCHIVED"}]}
        )
        assert "Cannot update account details and STATUS on the same request" in messages(both)
        archived = await client.post(f"{API}/Accounts/{account['AccountID']}", json={"Status": "ARCHIVED"})
        assert body(archived)["Accounts"][0]["Status"] == "ARCHIVED"
        deleted = await client.delete(f"{API}/Accounts/{account['AccountID']}")
        assert body(deleted)["Accounts"][0]["Status"] == "DELETED"
        assert (await client.get(f"{API}/Accounts/{account['AccountID']}")).status_code == 404
        codes = [a["Code"] for a in body(await client.get(f"{API}/Accounts"))["Accounts"]]
        assert "4100" not in codes

    async def test_system_and_used_accounts_are_kept(self, client: httpx.AsyncClient) -> None:
        receivable = body(await client.get(f"{API}/Accounts/610"))["Accounts"][0]
        assert receivable["SystemAccount"] == "DEBTORS"
        assert (await client.delete(f"{API}/Accounts/{receivable['AccountID']}")).status_code == 400
        renamed = await client.post(f"{API}/Accounts/{receivable['AccountID']}", json={"Name": "Debtors"})
        assert renamed.status_code == 400
        sales = body(await client.get(f"{API}/Accounts/200"))["Accounts"][0]
        assert (await client.delete(f"{API}/Accounts/{sales['AccountID']}")).status_code == 400

    async def test_a_bank_account_needs_its_number(self, client: httpx.AsyncClient) -> None:
        refused = await client.put(f"{API}/Accounts", json={"Name": "Card", "Type": "BANK"})
        assert "Bank account number must be specified for a bank account." in messages(refused)
        made = await client.put(
            f"{API}/Accounts",
            json={
                "Name": "Card",
                "Type": "BANK",
                "BankAccountNumber": "12-34",
                "BankAccountType": "CREDITCARD",
            },
        )
        assert body(made)["Accounts"][0]["BankAccountType"] == "CREDITCARD"


@pytest.mark.anyio
class TestItemsAndJournals:
    async def test_unused_items_are_deleted(self, client: httpx.AsyncClient) -> None:
        await client.put(f"{API}/Items", json={"Code": "GONE", "Name": "Gone"})
        assert (await client.delete(f"{API}/Items/GONE")).status_code == 204
        assert (await client.get(f"{API}/Items/GONE")).status_code == 404

    async def test_manual_journal_lines_balance_and_statuses_move_forward(
        self, client: httpx.AsyncClient
    ) -> None:
        lines = [{"AccountCode": "429", "LineAmount": 100}, {"AccountCode": "453", "LineAmount": -10}]
        refused = await client.put(
            f"{API}/ManualJournals", json={"Narration": "Moves", "JournalLines": lines}
        )
        assert "The total debits (100.00) must equal total credits (-10.00)" in messages(refused)
        lines[1]["LineAmount"] = -100
        journal = body(
            await client.put(f"{API}/ManualJournals", json={"Narration": "Moves", "JournalLines": lines})
        )["ManualJournals"][0]
        assert journal["Status"] == "DRAFT" and journal["LineAmountTypes"] == "NoTax"
        assert [line["LineAmount"] for line in journal["JournalLines"]] == [Decimal(100), Decimal(-100)]
        path = f"{API}/ManualJournals/{journal['ManualJournalID']}"
        assert (
            body(await client.post(path, json={"Status": "POSTED"}))["ManualJournals"][0]["Status"]
            == "POSTED"
        )
        assert (await client.post(path, json={"Status": "DELETED"})).status_code == 400
        assert (
            body(await client.post(path, json={"Status": "VOIDED"}))["ManualJournals"][0]["Status"]
            == "VOIDED"
        )

    async def test_bank_and_system_accounts_are_not_journalled(self, client: httpx.AsyncClient) -> None:
        lines = [{"AccountCode": "090", "LineAmount": 5}, {"AccountCode": "610", "LineAmount": -5}]
        refused = await client.put(f"{API}/ManualJournals", json={"Narration": "No", "JournalLines": lines})
        assert len(messages(refused)) == 2


@pytest.mark.anyio
class TestCreditNotes:
    async def test_allocating_credit_lowers_what_is_due_on_both(self, client: httpx.AsyncClient) -> None:
        contact = body(await client.put(f"{API}/Contacts", json={"Name": "Credited Ltd"}))["Contacts"][0]
        line = {"Description": "Refund", "Quantity": 1, "UnitAmount": 40, "AccountCode": "200"}
        invoice = body(
            await client.put(
                f"{API}/Invoices",
                json={
                    "Type": "ACCREC",
                    "Status": "AUTHORISED",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [{**line, "UnitAmount": 100}],
                },
            )
        )["Invoices"][0]
        credit = body(
            await client.put(
                f"{API}/CreditNotes",
                json={
                    "Type": "ACCRECCREDIT",
                    "Status": "AUTHORISED",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [line],
                },
            )
        )["CreditNotes"][0]
        assert credit["CreditNoteNumber"] == "CN-0001" and credit["RemainingCredit"] == credit["Total"]
        path = f"{API}/CreditNotes/{credit['CreditNoteID']}/Allocations"
        too_much = await client.put(
            path, json={"Allocations": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 999}]}
        )
        assert too_much.status_code == 400
        made = body(
            await client.put(
                path,
                json={
                    "Allocations": [
                        {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": str(credit["Total"])}
                    ]
                },
            )
        )["Allocations"][0]
        assert made["Amount"] == credit["Total"]
        used = body(await client.get(f"{API}/CreditNotes/{credit['CreditNoteID']}"))["CreditNotes"][0]
        assert used["Status"] == "PAID" and used["RemainingCredit"] == 0
        credited = body(await client.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"][0]
        assert credited["AmountCredited"] == credit["Total"]
        assert credited["AmountDue"] == invoice["Total"] - credit["Total"]
        assert credited["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]
        undone = await client.delete(f"{path}/{made['AllocationID']}")
        assert body(undone)["Allocations"][0]["IsDeleted"] is True
        assert (
            body(await client.get(f"{API}/Invoices/{invoice['InvoiceID']}"))["Invoices"][0]["AmountDue"]
            == invoice["Total"]
        )

    async def test_a_customer_credit_is_not_allocated_to_a_bill(self, client: httpx.AsyncClient) -> None:
        contact = {"Name": "Sides Ltd"}
        line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "429"}
        bill = body(
            await client.put(
                f"{API}/Invoices",
                json={"Type": "ACCPAY", "Status": "AUTHORISED", "Contact": contact, "LineItems": [line]},
            )
        )["Invoices"][0]
        credit = body(
            await client.put(
                f"{API}/CreditNotes",
                json={
                    "Type": "ACCRECCREDIT",
                    "Status": "AUTHORISED",
                    "Contact": contact,
                    "LineItems": [{**line, "AccountCode": "200"}],
                },
            )
        )["CreditNotes"][0]
        refused = await client.put(
            f"{API}/CreditNotes/{credit['CreditNoteID']}/Allocations",
            json={"Invoice": {"InvoiceID": bill["InvoiceID"]}, "Amount": 1},
        )
        assert refused.status_code == 400


@pytest.mark.anyio
class TestBankTransactions:
    async def test_spend_money_is_inclusive_by_default_and_deleted_by_status(
        self, client: httpx.AsyncClient
    ) -> None:
        spend = {
            "Type": "SPEND",
            "Contact": {"Name": "Cafe Ltd"},
            "BankAccount": {"Code": "090"},
            "LineItems": [
                {"Description": "Lunch", "Quantity": 1, "UnitAmount": "89.00", "AccountCode": "429"}
            ],
        }
        made = body(await client.put(f"{API}/BankTransactions", json=spend))["BankTransactions"][0]
        assert made["LineAmountTypes"] == "Inclusive" and made["Total"] == Decimal("89.00")
        assert made["SubTotal"] + made["TotalTax"] == made["Total"] and made["BankAccount"]["Code"] == "090"
        path = f"{API}/BankTransactions/{made['BankTransactionID']}"
        deleted = body(await client.post(path, json={"Status": "DELETED"}))["BankTransactions"][0]
        assert deleted["Status"] == "DELETED"

    async def test_spend_money_needs_a_bank_account_and_a_positive_total(
        self, client: httpx.AsyncClient
    ) -> None:
        line = {"Description": "x", "Quantity": 1, "UnitAmount": "-5.00", "AccountCode": "429"}
        bad = {"Type": "SPEND", "Contact": {"Name": "X"}, "BankAccount": {"Code": "429"}, "LineItems": [line]}
        assert (await client.put(f"{API}/BankTransactions", json=bad)).status_code == 400
        bad["BankAccount"] = {"Code": "090"}
        refused = await client.put(f"{API}/BankTransactions", json=bad)
        assert "The total of a bank transaction must be positive." in messages(refused)
