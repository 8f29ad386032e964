"""Typed mirrors of the QuickBooks JSON that the invoice decoder reads, for ``msgspec``.

Decoding a query page straight into these structs is several times faster than building dicts and
checks the wire's types on the way: ids and text are ``str``, money is an exact ``Decimal`` (made from
the number's own digits, never through a float), objects have the expected shape. Only the fields
:mod:`.codec` maps are declared; everything else QuickBooks sends is skipped unread (``raw`` keeps
it when asked for).

Python names are snake case and ``rename="pascal"`` gives the QuickBooks names (``total_amt`` is
``TotalAmt``). Every field is optional with a ``None`` default: the codec treats a missing field and
``null`` alike, and decides itself what a record must have. ``gc=False`` is safe because these
structs only hold strings, numbers and other such structs (no reference cycles), and it spares the
garbage collector thousands of short-lived objects per page.

Times and dates stay strings here: the codec parses them exactly as the reference decoder does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import msgspec


class _Wire(msgspec.Struct, rename="pascal", gc=False):
    """Base: QuickBooks spells fields in PascalCase."""


#: A non-empty string. The reference decoder reads an empty reference id as no reference; refusing
#: ``""`` here sends such (rare) records to it rather than repeating the rule for every reference.
Id = Annotated[str, msgspec.Meta(min_length=1)]


class Ref(msgspec.Struct, gc=False):
    """A reference to another entity: ``{"value": "24", "name": "..."}`` (lower-case keys)."""

    value: Id | None = None


class NamedRef(Ref):
    """A reference whose display name is kept too (the customer's)."""

    name: str | None = None


class MetaData(_Wire):
    create_time: str | None = None
    last_updated_time: str | None = None


class PhysicalAddress(_Wire):
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    line5: str | None = None
    city: str | None = None
    country_sub_division_code: str | None = None
    postal_code: str | None = None
    country: str | None = None


class EmailAddress(_Wire):
    address: str | None = None


class Memo(msgspec.Struct, gc=False):
    value: str | None = None


class TaxDetail(_Wire):
    txn_tax_code_ref: Ref | None = None
    total_tax: Decimal | None = None


class CustomField(_Wire):
    definition_id: str | None = None
    name: str | None = None
    string_value: str | None = None


class SalesItemLineDetail(_Wire):
    item_ref: Ref | None = None
    unit_price: Decimal | None = None
    qty: Decimal | None = None
    item_account_ref: Ref | None = None
    tax_code_ref: Ref | None = None
    tax_inclusive_amt: Decimal | None = None
    class_ref: NamedRef | None = None


class DiscountLineDetail(_Wire):
    # QuickBooks writes a JSON boolean; the reference decoder also accepts the string "true".
    percent_based: bool | str | None = None
    discount_percent: Decimal | None = None
    discount_account_ref: Ref | None = None
    tax_code_ref: Ref | None = None
    class_ref: NamedRef | None = None


class GroupLineDetail(_Wire):
    group_item_ref: Ref | None = None
    quantity: Decimal | None = None


class Line(_Wire):
    id: str | None = None
    description: str | None = None
    amount: Decimal | None = None
    detail_type: str | None = None
    sales_item_line_detail: SalesItemLineDetail | None = None
    discount_line_detail: DiscountLineDetail | None = None
    group_line_detail: GroupLineDetail | None = None


class Invoice(_Wire):
    id: str | None = None
    sync_token: str | None = None
    meta_data: MetaData | None = None
    doc_number: str | None = None
    txn_date: str | None = None
    due_date: str | None = None
    currency_ref: Ref | None = None
    line: list[Line] | None = None
    txn_tax_detail: TaxDetail | None = None
    customer_ref: NamedRef | None = None
    customer_memo: Memo | None = None
    bill_addr: PhysicalAddress | None = None
    ship_addr: PhysicalAddress | None = None
    total_amt: Decimal | None = None
    bill_email: EmailAddress | None = None
    balance: Decimal | None = None
    private_note: str | None = None
    custom_field: list[CustomField] | None = None
    exchange_rate: Decimal | None = None
    global_tax_calculation: str | None = None
    sales_term_ref: Ref | None = None
    department_ref: NamedRef | None = None
    class_ref: NamedRef | None = None


def query_page(entity: str, element: Any) -> Any:
    """The struct of a query answer, ``{"QueryResponse": {entity: [element, ...]}, ...}``.

    ``element`` is the wire struct, or ``msgspec.Raw`` to keep each record's bytes unparsed.
    """
    name = getattr(element, "__name__", "Raw")
    response = msgspec.defstruct(
        f"{entity}QueryResponse{name}",
        [(entity, list[element] | None, None)],
        gc=False,
    )
    return msgspec.defstruct(
        f"{entity}QueryPage{name}",
        [("query_response", response | None, None)],
        rename="pascal",
        gc=False,
    )
