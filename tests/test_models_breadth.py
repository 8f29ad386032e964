"""The payables, credit and ledger models: rules for what users send, faithful reads of the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from unified_accounting import (
    RESOURCES,
    AsyncConnection,
    Bill,
    BillAllocation,
    BillPayment,
    CreditNote,
    Expense,
    JournalEntry,
    JournalLine,
    LedgerAccountType,
    Payment,
    Supplier,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.catalog import Operation
from unified_accounting.client.resources import _allocation
from unified_accounting.client.updates import validate_update
from unified_accounting.models import CLASSIFICATION_OF, Allocation
from unified_accounting.models.context import from_provider


def balanced() -> list[JournalLine]:
    return [
        JournalLine(ledger_account_id="200", debit="100.00"),
        JournalLine(ledger_account_id="400", credit="60.00"),
        JournalLine(ledger_account_id="401", credit="40.00"),
    ]


def test_a_journal_entry_must_balance_and_says_both_totals() -> None:
    assert JournalEntry(lines=balanced()).total_debit == Decimal("100.00")
    with pytest.raises(ValidationError) as caught:
        JournalEntry(
            currency="USD",
            lines=[
                JournalLine(ledger_account_id="200", debit="100.00"),
                JournalLine(ledger_account_id="400", credit="90.00"),
            ],
        )
    assert "debits total 100.00 and credits total 90.00 (in USD)" in str(caught.value)
    with pytest.raises(ValidationError, match="exactly one of them"):
        JournalLine(ledger_account_id="200", debit="1", credit="1")


def test_an_update_of_a_journal_s_lines_must_balance_too() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_update(JournalEntry, {"lines": balanced()[:2]})
    assert [issue.field for issue in caught.value.issues] == ["lines"]
    assert "debits total 100.00 and credits total 60.00" in caught.value.issues[0].message
    assert validate_update(JournalEntry, {"lines": balanced()})["lines"][0].debit == Decimal("100.00")


def test_a_provider_s_unbalanced_journal_is_still_read() -> None:
    stored = from_provider(JournalEntry, {"lines": [{"ledger_account_id": "1", "debit": "5"}]})
    assert stored.total_credit == 0


def test_payments_allocate_to_invoices_and_credit_notes_together() -> None:
    payment = Payment(
        total_amount="40.00",
        allocations=[
            Allocation(invoice_id="inv-1", amount="100.00"),
            Allocation(credit_note_id="cn-1", amount="60.00"),
        ],
    )
    assert payment.type == "invoice_payment"
    with pytest.raises(ValidationError, match=r"less 60\.00 of credit notes"):
        Payment(
            total_amount="30.00",
            allocations=[
                Allocation(invoice_id="inv-1", amount="100.00"),
                Allocation(credit_note_id="cn-1", amount="60.00"),
            ],
        )
    with pytest.raises(ValidationError, match="either invoice_id or credit_note_id"):
        Allocation(amount="1")


def test_bill_payments_allocate_to_bills() -> None:
    payment = BillPayment(
        supplier_id="s1", total_amount="50", allocations=[BillAllocation(bill_id="b1", amount="50")]
    )
    assert payment.allocations[0].bill_id == "b1"
    with pytest.raises(ValidationError, match="more than total_amount"):
        BillPayment(
            supplier_id="s1", total_amount="10", allocations=[BillAllocation(bill_id="b1", amount="50")]
        )


def test_documents_share_their_rules() -> None:
    with pytest.raises(ValidationError, match="due_date must not be before issue_date"):
        Bill(supplier_id="s", issue_date="2026-02-01", due_date="2026-01-01")
    assert from_provider(Bill, {"supplier_id": "s", "issue_date": "2026-02-01", "due_date": "2026-01-01"})
    assert Expense(account_id="090").type == "expense"
    with pytest.raises(ValidationError, match="a supplier needs display_name"):
        Supplier()


def test_every_account_type_has_its_classification() -> None:
    assert set(CLASSIFICATION_OF) == set(LedgerAccountType)


def test_credit_documents_declare_what_they_are_allocated_to() -> None:
    allocating = {
        name: spec.allocates_to for name, spec in RESOURCES.items() if Operation.ALLOCATE in spec.operations
    }
    assert allocating == {"credit_note": "invoice", "supplier_credit": "bill"}


@pytest.mark.anyio
async def test_allocate_checks_its_target_before_any_call(conn: AsyncConnection) -> None:
    notes = conn.credit_notes
    # Ledgerly does not allocate credit: refused before anything else.
    with pytest.raises(UnsupportedOperation):
        await notes.allocate("cn-1", invoice_id="inv-1", amount="10")


def test_allocation_arguments_are_validated() -> None:
    spec = RESOURCES["credit_note"]
    assert _allocation(spec, "10.00", "inv-1", None, None).document_id == "inv-1"
    with pytest.raises(ValidationFailed) as caught:
        _allocation(spec, "10.00", None, "bill-1", None)
    assert {issue.field for issue in caught.value.issues} == {"invoice_id", "bill_id"}
    with pytest.raises(ValidationFailed, match="invalid allocation"):
        _allocation(spec, "0", "inv-1", None, None)
    with pytest.raises(ValidationFailed) as caught:
        _allocation(spec, "1.001", "inv-1", None, None)
    assert caught.value.issues[0].field == "amount"


def test_a_credit_note_keeps_what_is_left_to_use() -> None:
    note = CreditNote(customer_id="c1", total="100.00", remaining_credit="40.00")
    assert note.remaining_credit == Decimal("40.00")


def test_an_unbalanced_journal_entry_is_refused_naming_its_lines() -> None:
    """The refusal names ``lines`` (not the whole record), with both totals."""
    from pydantic import ValidationError

    from unified_accounting.models import JournalEntry

    with pytest.raises(ValidationError) as refused:
        JournalEntry.model_validate(
            {
                "lines": [
                    {"ledger_account_id": "1", "debit": "100.00"},
                    {"ledger_account_id": "2", "credit": "90.00"},
                ]
            }
        )
    [error] = refused.value.errors()
    assert error["loc"] == ("lines",)
    assert "debits total 100.00 and credits total 90.00" in error["msg"]
