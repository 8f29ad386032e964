"""The fast page decoder (msgspec + trusted construction) against the reference decoder.

Every comparison decodes the same bytes both ways: ``QuickBooksCodec.decode_list`` (the fast path)
and ``decode_query(parse_query_answer(body))`` (the reference, :func:`decode_invoice` per record),
whose records the provider's read path then quantizes (``quantized``): the fast path builds them
quantized already. Records must be ``==``, dump alike (JSON too, so ``Decimal("1E+2")`` and
``Decimal("100")`` differ), have the same fields set and field order, and be left as they are by
``quantized``; errors must be the same exception with the same message.
"""

from __future__ import annotations

import copy
import json
import pickle
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from unified_accounting_quickbooks import codec as codec_module
from unified_accounting_quickbooks import fastpath
from unified_accounting_quickbooks.codec import (
    ENTITIES,
    RESOURCES,
    QuickBooksCodec,
    decode_query,
    loads,
    parse_query_answer,
)
from unified_accounting_quickbooks.emulator import create_emulator
from unified_accounting_quickbooks.emulator.jsonutil import dumps

from unified_accounting.errors import DecodeFailed
from unified_accounting.models import Invoice, InvoiceStatus, LineItem, LineItemType, RawPayload
from unified_accounting.models.money import QuantizedRecords, quantized

FIXTURES = Path(__file__).parent / "fixtures"
codec = QuickBooksCodec()


def bench_page(count: int = 1000) -> bytes:
    sys.path.insert(0, str(Path(__file__).parents[3] / "bench"))
    try:
        from quickbooks_decode import query_page
    finally:
        sys.path.pop(0)
    body: bytes = query_page(count=count)
    return body


def page(rows: list[Any], entity: str = "Invoice") -> bytes:
    """A query answer holding ``rows``; Decimals are written with their exact text."""
    body = {"QueryResponse": {entity: rows, "startPosition": 1, "maxResults": len(rows)}, "time": "now"}
    return dumps(body).encode()


def raw_page(*elements: str) -> bytes:
    """A query answer whose invoices are the given JSON texts, byte for byte."""
    return ('{"QueryResponse":{"Invoice":[' + ",".join(elements) + '],"maxResults":9}}').encode()


def fixture_invoice(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = loads((FIXTURES / "invoice.json").read_bytes())["Invoice"]
    data.update(changes)
    return data


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The records the fast path handed to the reference decoder, as their JSON bytes."""
    seen: list[bytes] = []
    reference = codec_module._decode_invoice_element

    def counting(element: bytes, raw: Any) -> Any:
        seen.append(element)
        return reference(element, raw)

    monkeypatch.setattr(codec_module, "_decode_invoice_element", counting)
    return seen


def outcome(function: Any, *args: Any) -> Any:
    """What a call returns, or the type and message of what it raises."""
    try:
        return function(*args)
    except Exception as exc:
        return ("raised", type(exc), str(exc))


def has_nan(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_nan()
    if isinstance(value, list):
        return any(has_nan(item) for item in value)
    return hasattr(value, "__pydantic_fields__") and any(has_nan(item) for item in value.__dict__.values())


def assert_same_records(fast: list[Any], reference: list[Any]) -> None:
    assert len(fast) == len(reference)
    for one, other in zip(fast, reference, strict=True):
        assert type(one) is type(other)
        if not has_nan(other):  # Decimal("NaN") equals nothing (and a signalling one raises)
            assert one == other
            assert one.model_dump(exclude={"raw"}) == other.model_dump(exclude={"raw"})
        assert one.raw == other.raw
        assert one.model_dump_json(exclude={"raw"}) == other.model_dump_json(exclude={"raw"})
        assert repr(one) == repr(other)  # field order and exact values
        assert one.model_fields_set == other.model_fields_set
        for child, other_child in zip(
            [*getattr(one, "line_items", ()), *getattr(one, "custom_fields", ())],
            [*getattr(other, "line_items", ()), *getattr(other, "custom_fields", ())],
            strict=True,
        ):
            assert child.model_fields_set == other_child.model_fields_set
            assert list(child.__dict__) == list(other_child.__dict__)
        for name in ("billing_address", "shipping_address"):
            address, other_address = getattr(one, name, None), getattr(other, name, None)
            if address is not None:
                assert address.model_fields_set == other_address.model_fields_set


def reference_records(body: bytes, resource: str = "invoice", include_raw: bool = False) -> list[Any]:
    """What the provider's read path made of a page before the fast path existed."""
    parsed = parse_query_answer(resource, body)
    return [quantized(record) for record in decode_query(resource, parsed, include_raw)]


def read_path(body: bytes, resource: str = "invoice", include_raw: bool = False) -> list[Any]:
    """What the provider's read path makes of a page now (``Provider.read_page``: records a codec
    hands over as ``QuantizedRecords`` are taken as they are), raising the first record's error."""
    records, issues = codec.decode_page(resource, body, include_raw)
    if issues:
        raise issues[0].error
    if isinstance(records, QuantizedRecords):
        for record in records:
            if not has_nan(record):  # NaN is never equal to itself, so it is always "changed"
                assert quantized(record) is record
        return list(records)
    return [quantized(record) for record in records]


def assert_same_as_reference(body: bytes, resource: str = "invoice", include_raw: bool = False) -> Any:
    fast = outcome(read_path, body, resource, include_raw)
    reference = outcome(reference_records, body, resource, include_raw)
    if isinstance(reference, tuple):
        assert fast == reference
    else:
        assert_same_records(fast, reference)
    return fast


# ------------------------------------------------------------------------------ whole pages


def test_the_fast_path_is_enabled_for_these_models() -> None:
    # Off when the unified models change shape (then every page takes the reference path).
    assert fastpath.ENABLED


@pytest.mark.parametrize("include_raw", [False, True])
def test_bench_page_equals_the_reference_without_fallbacks(include_raw: bool, fallbacks: list[bytes]) -> None:
    invoices = assert_same_as_reference(bench_page(), include_raw=include_raw)
    assert len(invoices) == 1000 and not fallbacks
    assert {invoice.status for invoice in invoices} == {
        InvoiceStatus.OPEN,
        InvoiceStatus.PAID,
        InvoiceStatus.PARTIALLY_PAID,
    }


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_emulator_seeded_invoices_equal_the_reference(seed: int, fallbacks: list[bytes]) -> None:
    emulator = create_emulator(seed=seed, invoices=300).state.emulator
    rows = emulator.records("Invoice")
    body = page(rows)
    invoices = assert_same_as_reference(body)
    assert len(invoices) == len(rows) and not fallbacks
    assert_same_as_reference(body, include_raw=True)
    kinds = {line.type for invoice in invoices for line in invoice.line_items}
    assert LineItemType.SALES_ITEM in kinds


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("resource", ["customer", "payment"])
def test_emulator_seeded_customers_and_payments_equal_the_reference(seed: int, resource: str) -> None:
    emulator = create_emulator(seed=seed, invoices=50).state.emulator
    assert_same_as_reference(page(emulator.records(ENTITIES[resource]), ENTITIES[resource]), resource)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.stem)
def test_every_fixture_decodes_as_the_reference_does(path: Path, fallbacks: list[bytes]) -> None:
    data = loads(path.read_bytes())
    entity = next((key for key in data if key in RESOURCES), None)
    if entity is None:  # a Fault answer: no records either way
        assert_same_as_reference(path.read_bytes())
        return
    resource = RESOURCES[entity]
    for include_raw in (False, True):
        records = assert_same_as_reference(page([data[entity]], entity), resource, include_raw)
        assert len(records) == 1
    assert not fallbacks


def test_the_invoice_fixture_takes_the_fast_path_for_every_line_type(fallbacks: list[bytes]) -> None:
    (invoice,) = codec.decode_list("invoice", page([fixture_invoice()]))
    assert not fallbacks
    assert [line.type for line in invoice.line_items] == [
        LineItemType.SALES_ITEM,
        LineItemType.SALES_ITEM,
        LineItemType.DESCRIPTION,
        LineItemType.GROUP,
        LineItemType.DISCOUNT,
    ]
    assert invoice.sub_total == Decimal("317.85") and invoice.line_items[4].discount_percentage == 10


# ------------------------------------------------------------------------------ edge cases


def test_bad_currency_falls_back_and_raises_the_reference_error(fallbacks: list[bytes]) -> None:
    body = page([fixture_invoice(), fixture_invoice(CurrencyRef={"value": "XXY"})])
    fast = assert_same_as_reference(body)
    assert fast[0] == "raised" and fast[1] is DecodeFailed and "ISO 4217" in fast[2]
    assert len(fallbacks) == 1


def test_lower_case_currency_is_normalised_on_the_fast_path(fallbacks: list[bytes]) -> None:
    (invoice,) = assert_same_as_reference(page([fixture_invoice(CurrencyRef={"value": "eur"})]))
    assert invoice.currency == "EUR" and not fallbacks


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"CustomerRef": None}, id="no-customer"),
        pytest.param({"CustomerRef": {"value": ""}}, id="empty-customer"),
    ],
)
def test_unreadable_invoices_raise_the_reference_error(
    changes: dict[str, Any], fallbacks: list[bytes]
) -> None:
    fast = assert_same_as_reference(page([fixture_invoice(**changes)]))
    assert fast[0] == "raised" and fast[1] is DecodeFailed and "customer_id" in fast[2]
    assert len(fallbacks) == 1


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"DueDate": "2025-01-01"}, id="due-before-issue"),
        pytest.param({"TotalAmt": 10, "Balance": 20}, id="paid-negative"),
        pytest.param({"TotalAmt": -10, "Balance": -10}, id="balance-negative"),
    ],
)
def test_input_rules_do_not_refuse_what_quickbooks_stores(
    changes: dict[str, Any], fallbacks: list[bytes]
) -> None:
    # Rules for user input (due date not before the issue date, amounts due not negative) do not
    # apply to decoding: the record is read as stored, by the reference decoder.
    (invoice,) = assert_same_as_reference(page([fixture_invoice(**changes)]))
    assert isinstance(invoice, Invoice)
    assert len(fallbacks) == 1


def _line(kind: str, **fields: Any) -> dict[str, Any]:
    return {"Id": "9", "Description": "x", "Amount": Decimal("5.00"), "DetailType": kind, **fields}


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(_line("SalesItemLineDetail", SalesItemLineDetail={"Qty": -1}), id="negative-qty"),
        pytest.param(_line("GroupLineDetail", GroupLineDetail={"Quantity": -2}), id="negative-group-qty"),
        pytest.param(
            _line("DiscountLineDetail", DiscountLineDetail={"PercentBased": True, "DiscountPercent": 150}),
            id="discount-over-100",
        ),
    ],
)
def test_lines_breaking_input_rules_are_read_as_stored(line: dict[str, Any], fallbacks: list[bytes]) -> None:
    (invoice,) = assert_same_as_reference(page([fixture_invoice(Line=[line])]))
    assert invoice.line_items[0].id == "9"
    assert len(fallbacks) == 1


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(_line("TaxLineDetail"), id="unknown-detail-type"),
        pytest.param({"Id": "9", "Description": "no type"}, id="no-detail-type"),
        pytest.param(_line("SalesItemLineDetail", SalesItemLineDetail={"Qty": "many"}), id="text-qty"),
        pytest.param(
            _line("SalesItemLineDetail", SalesItemLineDetail={"ItemRef": {"value": 5}}), id="int-ref"
        ),
    ],
)
def test_unusual_lines_fall_back_to_the_reference(line: dict[str, Any], fallbacks: list[bytes]) -> None:
    body = page([fixture_invoice(), fixture_invoice(Line=[line]), fixture_invoice()])
    assert_same_as_reference(body)
    assert_same_as_reference(body, include_raw=True)
    assert len(fallbacks) == 2  # once per decode: only the unusual record


def test_voided_invoice_takes_the_fast_path(fallbacks: list[bytes]) -> None:
    voided = fixture_invoice(TotalAmt=0, Balance=0, PrivateNote="Voided - wrong customer")
    not_voided = fixture_invoice(TotalAmt=10, Balance=10, PrivateNote="Voided is only a word here")
    first, second = assert_same_as_reference(page([voided, not_voided]))
    assert (first.status, first.amount_paid) == (InvoiceStatus.VOID, 0)
    assert second.status is InvoiceStatus.OPEN
    assert not fallbacks


@pytest.mark.parametrize(
    "drop",
    [
        ("MetaData", "BillAddr", "ShipAddr", "CurrencyRef", "TxnTaxDetail"),
        ("Line", "CustomField", "CustomerMemo", "BillEmail", "DueDate", "TxnDate"),
        ("TotalAmt", "Balance", "PrivateNote", "DocNumber", "SyncToken", "Id"),
    ],
    ids=["blocks", "lists-and-texts", "amounts-and-ids"],
)
def test_missing_optional_blocks_take_the_fast_path(drop: tuple[str, ...], fallbacks: list[bytes]) -> None:
    data = fixture_invoice()
    for key in drop:
        del data[key]
    nulled = fixture_invoice(**dict.fromkeys(drop))
    assert_same_as_reference(page([data, nulled]))
    assert not fallbacks


def test_empty_blocks_decode_as_the_reference_does(fallbacks: list[bytes]) -> None:
    data = fixture_invoice(
        MetaData={},
        ShipAddr={},
        CurrencyRef={},
        TxnTaxDetail={},
        CustomerMemo={},
        BillEmail={},
        CustomField=[],
    )
    (invoice,) = assert_same_as_reference(page([data]))
    assert invoice.shipping_address is None and invoice.currency is None
    # ``{}`` and an address without mapped fields cannot be told apart after the typed decode.
    assert len(fallbacks) == 1
    fallbacks.clear()
    (invoice,) = assert_same_as_reference(page([fixture_invoice(ShipAddr={"Id": "3"})]))
    assert invoice.shipping_address is not None and len(fallbacks) == 1


def test_numbers_stay_exact(fallbacks: list[bytes]) -> None:
    """Amounts from their own digits at the currency's minor units (half up); quantities and unit
    prices exact, in their canonical form (no trailing zeros; a price with at least the currency's
    minor units)."""
    element = (
        '{"Id":"1","CustomerRef":{"value":"2"},"TotalAmt":1E+2,"Balance":12.10,'
        '"TxnTaxDetail":{"TotalTax":0.1050000000000000055511151231257827},'
        '"Line":[{"DetailType":"SalesItemLineDetail","Amount":1234567890.125,'
        '"SalesItemLineDetail":{"Qty":2.50,"UnitPrice":-0.0}},'
        '{"DetailType":"SubTotalLineDetail","Amount":1e2}]}'
    )
    body = raw_page(element)
    (invoice,) = assert_same_as_reference(body)
    assert not fallbacks
    assert (str(invoice.total), str(invoice.amount_due), str(invoice.amount_paid)) == (
        "100.00",
        "12.10",
        "87.90",
    )
    assert str(invoice.total_tax) == "0.11"
    (line,) = invoice.line_items
    assert str(line.total_amount) == "1234567890.13"
    assert (str(line.quantity), str(line.unit_price), str(invoice.sub_total)) == ("2.5", "-0.00", "100.00")
    assert '"total":"100.00"' in invoice.model_dump_json()
    (with_raw,) = codec.decode_list("invoice", body, include_raw=True)
    assert with_raw.raw == json.loads(element, parse_float=Decimal)


@pytest.mark.parametrize(
    "amount",
    ['"12.50"', '" 7 "', '"NaN"', '"-Infinity"', '"sNaN"', "true", '"1_000"', '"abc"', "1e999999999"],
)
def test_odd_amounts_decode_as_the_reference_does(amount: str) -> None:
    for field in ("Balance", "TotalAmt"):
        element = f'{{"Id":"1","CustomerRef":{{"value":"2"}},"TotalAmt":100,"{field}":{amount}}}'
        assert_same_as_reference(raw_page(element))
    line = (
        f'{{"DetailType":"SalesItemLineDetail","Amount":{amount},"SalesItemLineDetail":{{"Qty":{amount}}}}}'
    )
    assert_same_as_reference(raw_page(f'{{"CustomerRef":{{"value":"2"}},"Line":[{line}]}}'))


@pytest.mark.parametrize(
    "changes",
    [
        # The reference decoder keeps a numeric id as it is (pydantic warns when dumping it).
        pytest.param({"Id": 130}, id="numeric-id", marks=pytest.mark.filterwarnings("ignore::UserWarning")),
        pytest.param({"MetaData": {"CreateTime": "2025-09-08T13:52:31"}}, id="naive-time"),
        pytest.param({"MetaData": {"CreateTime": "yesterday"}}, id="bad-time"),
        pytest.param({"TxnDate": "2025-09-08T10:00:00"}, id="date-with-time"),
        pytest.param({"TxnDate": "08/09/2025"}, id="bad-date"),
        pytest.param({"CustomField": [{"DefinitionId": 1, "StringValue": 102}]}, id="numeric-custom-field"),
        pytest.param({"BillAddr": "somewhere"}, id="address-text"),
        pytest.param(
            {
                "Line": [
                    {
                        "DetailType": "DiscountLineDetail",
                        "DiscountLineDetail": {"PercentBased": "true", "DiscountPercent": 5},
                    }
                ]
            },
            id="percent-based-text",
        ),
        pytest.param({"Line": {"Id": "1"}}, id="line-object"),
        pytest.param({"PrivateNote": 7}, id="numeric-note"),
    ],
)
def test_odd_shapes_decode_as_the_reference_does(changes: dict[str, Any]) -> None:
    assert_same_as_reference(page([fixture_invoice(**changes)]))
    assert_same_as_reference(page([fixture_invoice(**changes)]), include_raw=True)


def test_the_first_failing_record_raises_as_in_the_reference() -> None:
    rows = [
        fixture_invoice(),
        fixture_invoice(Line=[_line("SomethingNew")]),  # unusual but fine
        fixture_invoice(DueDate="2020-01-01"),  # the reference raises here first
        fixture_invoice(CurrencyRef={"value": "ZZZ"}),
    ]
    fast = assert_same_as_reference(page(rows))
    assert fast[1] is DecodeFailed and "ISO 4217" in fast[2]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"QueryResponse": null}',
        b'{"QueryResponse": []}',
        b'{"QueryResponse": {}}',
        b'{"QueryResponse": {"Invoice": null}}',
        b'{"QueryResponse": {"Invoice": {}}}',
        b'{"QueryResponse": {"Invoice": [1]}}',
        b'{"QueryResponse": {"Invoice": [null]}}',
        b'{"QueryResponse": {"Invoice": [{"CustomerRef": {"value": "1"}}]}} trailing',
        b'\xef\xbb\xbf{"QueryResponse": {"Invoice": [{"CustomerRef": {"value": "1"}}]}}',
    ],
)
def test_odd_pages_decode_as_the_reference_does(body: bytes) -> None:
    assert_same_as_reference(body)
    assert_same_as_reference(body, include_raw=True)


# ------------------------------------------------------------------------------ include_raw


def test_raw_is_each_records_exact_payload_parsed_lazily(fallbacks: list[bytes]) -> None:
    body = bench_page(20)
    elements = json.loads(body, parse_float=Decimal)["QueryResponse"]["Invoice"]
    invoices = codec.decode_list("invoice", body, include_raw=True)
    for invoice, element in zip(invoices, elements, strict=True):
        assert isinstance(invoice.raw, RawPayload)
        assert invoice.raw.body in body  # the record's bytes as sent
        assert invoice.raw == element
        assert json.loads(invoice.raw.body, parse_float=Decimal) == element
    assert not fallbacks


def test_raw_is_kept_for_records_that_fall_back(fallbacks: list[bytes]) -> None:
    unusual = fixture_invoice(Line=[_line("SomethingNew")])
    (invoice,) = codec.decode_list("invoice", page([unusual]), include_raw=True)
    assert isinstance(invoice.raw, RawPayload) and invoice.raw == unusual and len(fallbacks) == 1


# ------------------------------------------------------------------------------ fast-built models


@pytest.fixture
def invoice() -> Invoice:
    (decoded,) = codec.decode_list("invoice", page([fixture_invoice()]))
    assert isinstance(decoded, Invoice)
    return decoded


ASSIGNMENTS: list[tuple[str, Any]] = [
    ("amount_due", Decimal(-1)),
    ("due_date", date(2000, 1, 1)),
    ("currency", "NOPE"),
    ("currency", "eur"),
    ("customer_id", ""),
    ("memo", "Changed"),
    ("amount_due", 1.1),
    ("created_at", datetime(2025, 1, 1, 12)),
    ("created_at", datetime(2025, 1, 1, 12, tzinfo=UTC)),
    ("line_items", [{"quantity": 2, "unit_price": "3.5"}]),
]


@pytest.mark.parametrize(("name", "value"), ASSIGNMENTS)
def test_assignment_is_validated_as_on_a_validated_model(invoice: Invoice, name: str, value: Any) -> None:
    validated = Invoice.model_validate(invoice.model_dump())
    fast_result = outcome(setattr, invoice, name, value)
    assert fast_result == outcome(setattr, validated, name, value)
    assert invoice == validated and invoice.model_fields_set == validated.model_fields_set


def test_assignment_to_a_line_is_validated(invoice: Invoice) -> None:
    from pydantic import ValidationError

    line = invoice.line_items[0]
    with pytest.raises(ValidationError):
        line.quantity = Decimal(-3)
    line.quantity = "4"  # type: ignore[assignment]  # converted like any validated input
    assert line.quantity == Decimal(4)
    assert Invoice.model_validate(invoice.model_dump()) == invoice


def test_copies_and_pickles_are_equal_and_independent(invoice: Invoice) -> None:
    for duplicate in (
        invoice.model_copy(),
        invoice.model_copy(deep=True),
        copy.copy(invoice),
        copy.deepcopy(invoice),
        pickle.loads(pickle.dumps(invoice)),
    ):
        assert duplicate == invoice and duplicate.model_fields_set == invoice.model_fields_set
    changed = invoice.model_copy(update={"memo": "other"}, deep=True)
    changed.line_items[0].description = "other line"
    assert changed.memo == "other" and invoice.memo != "other"
    assert invoice.line_items[0].description == "Rock Fountain"
    restored = pickle.loads(pickle.dumps(invoice))
    restored.memo = "after unpickling"
    assert restored.model_fields_set == invoice.model_fields_set


def test_pickled_raw_payload_round_trips() -> None:
    (invoice,) = codec.decode_list("invoice", page([fixture_invoice()]), include_raw=True)
    restored = pickle.loads(pickle.dumps(invoice))
    assert restored == invoice and restored.raw == invoice.raw


def test_json_round_trip(invoice: Invoice) -> None:
    text = invoice.model_dump_json()
    assert Invoice.model_validate_json(text) == invoice
    assert json.loads(text)["total"] == "308.95"
    assert LineItem.model_validate(invoice.line_items[0].model_dump()) == invoice.line_items[0]


def test_json_dump_with_raw_payload() -> None:
    (invoice,) = codec.decode_list("invoice", page([fixture_invoice()]), include_raw=True)
    assert json.loads(invoice.model_dump_json())["raw"]["Id"] == "130"
    assert invoice.model_dump()["raw"]["Id"] == "130"


def test_fields_set_is_shared_but_read_only(invoice: Invoice) -> None:
    fields_set = invoice.model_fields_set
    assert fields_set == set(Invoice.model_fields)
    with pytest.raises(TypeError, match="copy it"):
        fields_set.discard("memo")
    with pytest.raises(TypeError):
        fields_set |= {"memo"}
    assert type(copy.copy(fields_set)) is set and type(fields_set.copy()) is set
    assert type(invoice.model_copy().model_fields_set) is set
