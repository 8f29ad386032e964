"""The resource catalog: declarations, list filters, event names, and what derives from them."""

from __future__ import annotations

import inspect
from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from unified_accounting import (
    RESOURCES,
    AsyncResource,
    ConfigurationError,
    Resource,
    TaxRate,
    TaxRateStatus,
    ValidationFailed,
)
from unified_accounting.catalog import UPDATED_SINCE, ListFilter, ResourceCatalog, ResourceSpec
from unified_accounting.client.async_client import AsyncConnection
from unified_accounting.client.blocking import Connection
from unified_accounting.mirror.records import decode, record_json
from unified_accounting.mirror.schema import FIELD_COLUMNS, mirror_records
from unified_accounting.models import Customer, Invoice
from unified_accounting.sync.engine import DEFAULT_RESOURCES, resources_for


def test_every_declared_filter_is_a_keyword_of_list_on_both_clients() -> None:
    """A filter declared in the catalog can be passed: the typed ``list()`` signatures have it."""
    for cls in (AsyncResource, Resource):
        parameters = inspect.signature(cls.list).parameters
        for name in RESOURCES.filter_names():
            assert name in parameters, f"{cls.__name__}.list lacks the {name!r} filter"
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
            assert parameters[name].default is None


def test_every_resource_has_a_typed_accessor_on_both_connections() -> None:
    for spec in RESOURCES.values():
        for cls in (AsyncConnection, Connection):
            accessor = getattr(cls, spec.collection, None)
            assert accessor is not None, f"{cls.__name__} has no {spec.collection}"
            annotation = inspect.signature(accessor.func).return_annotation
            assert spec.model.__name__ in str(annotation)


def test_tax_rate_is_declared_with_its_status_filter() -> None:
    spec = RESOURCES["tax_rate"]
    assert (spec.collection, spec.model) == ("tax_rates", TaxRate)
    assert [f.name for f in spec.filters] == ["updated_since", "status"]
    status = spec.filter("status")
    assert status is not None and status.validate("archived") is TaxRateStatus.ARCHIVED
    assert spec.filter("customer_id") is None
    assert spec.events == ("tax_rate.created", "tax_rate.updated", "tax_rate.deleted")


def test_filter_values_are_validated_naming_the_filter() -> None:
    with pytest.raises(ValidationFailed) as caught:
        RESOURCES["tax_rate"].filter("status").validate("gone")  # type: ignore[union-attr]
    assert caught.value.issues[0].field == "status"
    assert "active" in caught.value.issues[0].message
    with pytest.raises(ValidationFailed) as naive:
        UPDATED_SINCE.validate(datetime(2026, 1, 1))
    assert naive.value.issues[0].field == "updated_since"
    assert "timezone-aware" in naive.value.issues[0].message


def test_a_declaration_must_keep_updated_since_and_name_each_filter_once() -> None:
    status = ListFilter("status", str, "By status.")
    with pytest.raises(ConfigurationError, match="updated_since"):
        ResourceSpec("widget", "widgets", Customer, "Widgets.", filters=(status,))
    with pytest.raises(ConfigurationError, match="twice"):
        ResourceSpec("widget", "widgets", Customer, "Widgets.", filters=(UPDATED_SINCE, status, status))
    with pytest.raises(ConfigurationError, match="identifier"):
        ListFilter("Issue Date", str, "Bad name.")


def test_mirroring_order_puts_the_records_named_first() -> None:
    order = list(RESOURCES.mirrored())
    for spec in RESOURCES.values():
        for before in spec.after:
            assert order.index(before) < order.index(spec.name)
    assert RESOURCES.in_order(["payment", "customer"]) == ("customer", "payment")
    with pytest.raises(ConfigurationError, match="no unified resource is called 'widget'"):
        RESOURCES.in_order(["widget"])
    assert RESOURCES.mirrored() == DEFAULT_RESOURCES


def test_a_catalog_refuses_cycles_and_unknown_dependencies() -> None:
    first = ResourceSpec("first", "firsts", Customer, "A.", after=("second",))
    second = ResourceSpec("second", "seconds", Invoice, "B.", after=("first",))
    with pytest.raises(ConfigurationError, match="depends on itself"):
        ResourceCatalog([first, second])
    with pytest.raises(ConfigurationError, match="unknown"):
        ResourceCatalog([first])


def test_syncs_mirror_what_the_provider_lists_in_catalog_order() -> None:
    from ua_ledgerly.provider import LedgerlyProvider

    ledgerly = LedgerlyProvider()
    assert resources_for(ledgerly, None) == ("tax_rate", "customer", "invoice", "payment")
    assert resources_for(ledgerly, ("payment", "tax_rate")) == ("tax_rate", "payment")
    with pytest.raises(ConfigurationError, match="widget"):
        resources_for(ledgerly, ("widget",))


def test_the_mirror_reads_every_resource_back_as_its_catalog_model() -> None:
    rate = TaxRate.model_validate({"id": "t1", "name": "GST", "rate": "10", "components": [{"rate": "10"}]})
    back = decode("tax_rate", record_json(rate))
    assert isinstance(back, TaxRate) and back == rate
    assert back.rate == Decimal("10")
    with pytest.raises(ValueError, match="pass model="):
        decode("widget", record_json(rate))


def test_tax_rates_are_exact_and_refuse_negative_input() -> None:
    rate = TaxRate(name="Sales tax", rate=8.875)
    assert rate.rate == Decimal("8.875")
    assert rate.model_dump(mode="json")["rate"] == "8.875"
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        TaxRate(name="Odd", rate="-1")


def test_every_mirrored_filter_and_sort_has_an_indexed_mirror_column() -> None:
    """``source="mirror"`` applies each declared filter and sort in SQL on a column of its own,
    led by an index on (connection, resource, column): a new filter on a field without one fails
    here (add the column to ``mirror.schema`` and a migration filling it)."""
    key = ["consumer_id", "provider", "company_id", "resource"]
    led = {
        tuple(column.name for column in index.columns)[len(key)]
        for index in mirror_records.indexes
        if [column.name for column in index.columns][: len(key)] == key
    }
    missing = [
        f"{spec.name}: {field}"
        for spec in RESOURCES.values()
        if spec.mirrored
        for field in {f.field for f in spec.filters} | set(spec.sorts)
        if field not in FIELD_COLUMNS or field not in led
    ]
    assert missing == []
    documents = ("invoice", "bill", "credit_note", "supplier_credit", "expense", "journal_entry")
    for name in documents:
        filters = {f.name for f in RESOURCES[name].filters}
        assert {"updated_since", "created_since", "status", "number"} <= filters, name
        assert {"issue_date_from", "issue_date_to"} <= filters or {"date_from", "date_to"} <= filters
        assert "updated_at" in RESOURCES[name].sorts and "number" in RESOURCES[name].sorts


def test_filter_errors_name_the_filter_and_what_it_takes() -> None:
    number = RESOURCES["bill"].filter("number")
    since = RESOURCES["expense"].filter("created_since")
    status = RESOURCES["journal_entry"].filter("status")
    assert number is not None and since is not None and status is not None
    cases: list[tuple[ListFilter, object, str, str]] = [
        (number, 5, "number", "the number filter takes text of 1 to 255 characters, compared exactly"),
        (number, ["B-1"], "number", "valid string"),
        (
            since,
            1767225600,
            "created_since",
            "got the number 1767225600; the created_since filter takes a timezone-aware datetime",
        ),
        (since, "2026-01-01T00:00:00", "created_since", "timezone"),
        (
            status,
            ["posted", 3],
            "status.1",
            "takes one of 'draft', 'posted', 'void', 'deleted', or a non-empty list of them",
        ),
    ]
    for list_filter, value, field, words in cases:
        with pytest.raises(ValidationFailed) as caught:
            list_filter.validate(value)
        [issue] = caught.value.issues
        assert issue.field == field and words in issue.message, (value, issue)
    date_from = RESOURCES["expense"].filter("date_from")
    assert date_from is not None
    with pytest.raises(ValidationFailed, match="date_from filter takes a date"):
        date_from.validate(True)
