from decimal import Decimal

from unified_accounting_xero.versions import record_version

INVOICE = {
    "UpdatedDateUTC": "/Date(1736164799123+0000)/",
    "Status": "AUTHORISED",
    "AmountDue": 517.5,
    "Total": 517.5,
}


def test_version_moves_with_the_update_time() -> None:
    later = {**INVOICE, "UpdatedDateUTC": "/Date(1736164799124+0000)/"}
    assert record_version(INVOICE) != record_version(later)


def test_version_moves_when_a_payment_lowers_the_amount_due_without_a_new_time() -> None:
    paid = {**INVOICE, "AmountDue": 317.5, "AmountPaid": 200}
    assert record_version(INVOICE) != record_version(paid)


def test_numbers_compare_by_value_whatever_their_json_form() -> None:
    exact = {**INVOICE, "AmountDue": Decimal("517.50"), "Total": Decimal("517.500")}
    assert record_version(INVOICE) == record_version(exact)


def test_records_without_an_update_time_are_versioned_by_content() -> None:
    # Tax rates and tracking categories carry no UpdatedDateUTC: any change must still move it.
    rate = {"TaxType": "TAX001", "Name": "Levy", "TaxComponents": [{"Name": "Levy", "Rate": 5}]}
    assert record_version(rate) is not None
    assert record_version(rate) == record_version(
        {**rate, "TaxComponents": [{"Name": "Levy", "Rate": Decimal("5.0000")}]}
    )
    assert record_version(rate) != record_version({**rate, "Name": "Levy 2"})
    assert record_version({}) is None
