"""The invoice hot path: a QuickBooks query page (bytes) → unified ``Invoice`` models, quickly.

A query page holds up to 1000 invoices. :mod:`.wire` decodes it in one ``msgspec`` pass into typed
structs (str ids, exact ``Decimal`` money, checked shapes); this module then builds the unified models
*trusted*, without pydantic validation, which is safe because:

* every value already has its field's exact type (the typed decode saw to that), and
* the invariants the models enforce are checked here explicitly (currency code, non-negative amount
  due and paid, quantities, discount percentages, due date not before issue date, customer id,
  aware datetimes normalised to UTC, finite amounts).

Anything unusual — a failed check, an unknown line ``DetailType``, an address without any mapped
field, a value of an unexpected JSON type — sends *that record* to the reference decoder
(:func:`.codec.decode_invoice`) instead, so results and errors are always the reference decoder's.
The records built here are what the provider's read path makes of the reference decoder's records:
*quantized* (amounts at their currency's minor units, unit prices and quantities in their canonical
form; see :func:`unified_accounting.models.money.quantized`), so that the read path need not walk
them again. They equal ``quantized`` of the reference's records to the last digit (``repr``, JSON
dump, fields set); tests check this.

Trusted construction mirrors ``BaseModel.model_construct`` for models without private attributes,
extras or ``model_post_init``: ``__dict__`` holding every field in declaration order, all fields
marked as set (as the reference decoder passes them all), no extras, no private state. If the
unified models change shape, :data:`ENABLED` turns false and every page takes the reference path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NoReturn, TypeVar

import msgspec

from unified_accounting.models import (
    Address,
    CustomField,
    Invoice,
    InvoiceStatus,
    LineItem,
    LineItemType,
    RawPayload,
    TaxMode,
    TrackingRef,
)
from unified_accounting.models.currency import ISO_4217_CODES
from unified_accounting.models.money import QUANTITY, UNIT_PRICE, canonical, quantum
from unified_accounting.models.slots import constructible, constructor

from . import wire
from .company import PO_FIELD_NAME
from .taxes import MODES as _MODES
from .taxes import NON as _NON
from .taxes import TAX as _TAX
from .taxes import unit_price
from .terms import terms_of
from .tracking import CATEGORY_NAMES as _CATEGORY_NAMES
from .tracking import CLASS as _CLASS
from .tracking import DEPARTMENT as _DEPARTMENT

Model = TypeVar("Model")

# The fields the builders below write, in the models' declaration order. If a model gains, loses or
# reorders a field, the fast path is switched off rather than building records that differ.
INVOICE_FIELDS = (
    "id",
    "row_version",
    "created_at",
    "updated_at",
    "raw",
    "pass_through",
    "number",
    "customer_id",
    "customer_name",
    "issue_date",
    "due_date",
    "currency",
    "currency_rate",
    "status",
    "tax_mode",
    "line_items",
    "sub_total",
    "total_tax",
    "total",
    "amount_due",
    "amount_paid",
    "memo",
    "reference",
    "po_number",
    "terms",
    "tracking",
    "billing_address",
    "shipping_address",
    "email",
    "custom_fields",
)
LINE_FIELDS = (
    "id",
    "type",
    "description",
    "quantity",
    "unit_price",
    "discount_percentage",
    "discount_amount",
    "total_amount",
    "item_id",
    "account_id",
    "tax_rate_id",
    "tax_amount",
    "tracking",
)
ADDRESS_FIELDS = (
    "line1",
    "line2",
    "line3",
    "line4",
    "line5",
    "city",
    "region",
    "postal_code",
    "country",
    "contact_name",
)
CUSTOM_FIELD_FIELDS = ("id", "name", "value")


ENABLED = all(
    constructible(cls, fields)
    for cls, fields in (
        (Invoice, INVOICE_FIELDS),
        (LineItem, LINE_FIELDS),
        (Address, ADDRESS_FIELDS),
        (CustomField, CUSTOM_FIELD_FIELDS),
    )
)


class _EveryField(set[str]):
    """The fields set of every record built here: one shared, read-only set per model class.

    A per-instance copy would be the largest allocation of a page (a 25-name set is over 2 KB), and
    sharing is safe: pydantic only ever *adds* a name to a fields set (on assignment, a no-op here
    as every field is in it already) and copies it before changing it (``model_copy``, ``copy``,
    ``deepcopy``; pickling stores a plain set). Anything else trying to change it in place raises
    instead of silently changing every record's fields set.
    """

    __slots__ = ()

    def add(self, element: str) -> None:
        if element not in self:
            _read_only()

    def _refuse(self, *args: Any) -> NoReturn:
        _read_only()

    discard = remove = pop = clear = update = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: Any) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[type[set[str]], tuple[list[str]]]:
        return (set, (list(self),))


def _read_only() -> NoReturn:
    raise TypeError("this fields set is shared by records decoded together: copy it to change it")


def _constructor(cls: type[Model], fields: tuple[str, ...]) -> Callable[[dict[str, Any]], Model]:
    """Records of ``cls`` built from their slots (see ``unified_accounting.models.slots``), all
    sharing one read-only fields set."""
    return constructor(cls, fields, itertools.repeat(_EveryField(fields)).__next__)


_new_invoice = _constructor(Invoice, INVOICE_FIELDS)
_new_line = _constructor(LineItem, LINE_FIELDS)
_new_address = _constructor(Address, ADDRESS_FIELDS)
_new_custom_field = _constructor(CustomField, CUSTOM_FIELD_FIELDS)
_new_tag = TrackingRef.model_construct

_SALES, _DISCOUNT, _DESCRIPTION, _GROUP = (
    LineItemType.SALES_ITEM,
    LineItemType.DISCOUNT,
    LineItemType.DESCRIPTION,
    LineItemType.GROUP,
)
_NO_SALES = wire.SalesItemLineDetail()
_NO_DISCOUNT = wire.DiscountLineDetail()
_NO_GROUP = wire.GroupLineDetail()
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class _Unusual(Exception):
    """This record needs the reference decoder."""


# What sends a record to the reference decoder: a failed check, a date or time that does not parse
# (ValueError), arithmetic that overflows (ArithmeticError). The reference decoder then raises its
# own error for the record, or builds it.
_FALL_BACK = (_Unusual, ValueError, ArithmeticError)

# Money is checked to be finite before anything compares or subtracts it. JSON numbers always are,
# but msgspec also reads money from JSON strings ("NaN", "Infinity"), which the reference decoder
# would carry through or trip over: such records are left to it. The checks are written out inline
# (``x is not None and not x.is_finite()``) because they run a dozen times per invoice.


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise _Unusual  # a naive time would be read in this machine's zone: the reference decides
    return moment.astimezone(UTC)


#: Dates and custom field names repeat from record to record; dates are immutable, so a page's
#: invoices of one day can share theirs.
_DATES: dict[str, date] = {}
_PO_NAMES: dict[str, bool] = {}
_CACHE_CAP = 4096


def _date(text: str | None) -> date | None:
    if not text:
        return None
    found = _DATES.get(text)
    if found is None:
        found = date.fromisoformat(text[:10])
        if len(_DATES) >= _CACHE_CAP:
            _DATES.clear()
        _DATES[text] = found
    return found


def _po_name(name: str) -> bool:
    """Whether a custom field's name says it holds the P.O. number (see ``company.PO_FIELD_NAME``)."""
    found = _PO_NAMES.get(name)
    if found is None:
        found = PO_FIELD_NAME.match(name) is not None
        if len(_PO_NAMES) >= _CACHE_CAP:
            _PO_NAMES.clear()
        _PO_NAMES[name] = found
    return found


def _address(value: wire.PhysicalAddress | None) -> Address | None:
    if value is None:
        return None
    line1, line2, line3, line4, line5 = value.line1, value.line2, value.line3, value.line4, value.line5
    city, region, postal_code = value.city, value.country_sub_division_code, value.postal_code
    country = value.country
    if line1 is line2 is line3 is line4 is line5 is city is region is postal_code is country is None:
        # ``{}`` means no address but ``{"Id": "9"}`` an empty one; the struct cannot tell which.
        raise _Unusual
    return _new_address(
        {
            "line1": line1,
            "line2": line2,
            "line3": line3,
            "line4": line4,
            "line5": line5,
            "city": city,
            "region": region,
            "postal_code": postal_code,
            "country": country,
            "contact_name": None,
        }
    )


def _tag(category: str, ref: wire.NamedRef | None) -> list[TrackingRef]:
    if ref is None or ref.value is None:
        return []
    return [
        _new_tag(
            category_id=category,
            option_id=ref.value,
            category_name=_CATEGORY_NAMES[category],
            option_name=ref.name,
        )
    ]


#: (value, kind, currency) → the value in its canonical form. Prices and quantities repeat from record
#: to record, and working a form out costs several Decimal operations.
_CANONICAL: dict[tuple[Decimal, str, str | None], Decimal] = {}
_PRICE, _QUANTITY = UNIT_PRICE.kind, QUANTITY.kind


def _canonical(value: Decimal | None, kind: str, currency: str | None) -> Decimal | None:
    """A unit price or quantity (finite) in the canonical form ``quantized`` gives it (see
    :func:`unified_accounting.models.money.canonical`)."""
    if value is None:
        return None
    key = (value, kind, currency)  # equal values share a form, so 150.0 and 150.00 share a slot
    found = _CANONICAL.get(key)
    if found is None:
        found = canonical(value, kind, currency)
        if not value:
            return found  # zeros are equal whatever their sign, which their form keeps
        if len(_CANONICAL) >= _CACHE_CAP:
            _CANONICAL.clear()
        _CANONICAL[key] = found
    return found


def _sales_line(
    line: wire.Line, txn_code: str | None, inclusive: bool, unit: Decimal | None, currency: str | None
) -> LineItem:
    sale = line.sales_item_line_detail or _NO_SALES
    quantity, price, amount, gross = sale.qty, sale.unit_price, line.amount, sale.tax_inclusive_amt
    if quantity is not None and (not quantity.is_finite() or quantity < 0):
        raise _Unusual
    if (price is not None and not price.is_finite()) or (amount is not None and not amount.is_finite()):
        raise _Unusual
    if gross is not None and not gross.is_finite():
        raise _Unusual
    if unit is not None:
        if amount is not None:
            amount = amount.quantize(unit, ROUND_HALF_UP)
        if gross is not None:
            gross = gross.quantize(unit, ROUND_HALF_UP)
    total = amount
    if inclusive and gross is not None:
        total = gross
        if quantity:
            price = unit_price(gross, quantity)
    item, account, tax_code = sale.item_ref, sale.item_account_ref, sale.tax_code_ref
    code = tax_code.value if tax_code is not None else None
    return _new_line(
        {
            "id": line.id,
            "type": _SALES,
            "description": line.description,
            "quantity": _canonical(quantity, _QUANTITY, currency),
            "unit_price": _canonical(price, _PRICE, currency),
            "discount_percentage": None,
            "discount_amount": None,
            "total_amount": total,
            "item_id": item.value if item is not None else None,
            "account_id": account.value if account is not None else None,
            "tax_rate_id": txn_code if code == _TAX and txn_code is not None else code,
            "tax_amount": gross - amount if gross is not None and amount is not None else None,
            "tracking": _tag(_CLASS, sale.class_ref),
        }
    )


def _discount_line(
    line: wire.Line, txn_code: str | None, inclusive: bool, unit: Decimal | None, currency: str | None
) -> LineItem:
    discount = line.discount_line_detail or _NO_DISCOUNT
    based, amount = discount.percent_based, line.amount
    percent_based = based is True or based == "true"
    percent = discount.discount_percent if percent_based else None
    if percent is not None and (not percent.is_finite() or not _ZERO <= percent <= _HUNDRED):
        raise _Unusual
    if amount is not None:
        if not amount.is_finite():
            raise _Unusual
        if unit is not None:
            amount = amount.quantize(unit, ROUND_HALF_UP)
    account, tax_code = discount.discount_account_ref, discount.tax_code_ref
    code = tax_code.value if tax_code is not None else None
    return _new_line(
        {
            "id": line.id,
            "type": _DISCOUNT,
            "description": line.description,
            "quantity": None,
            "unit_price": None,
            "discount_percentage": percent,
            "discount_amount": None if percent_based else amount,
            "total_amount": amount,
            "item_id": None,
            "account_id": account.value if account is not None else None,
            "tax_rate_id": txn_code if code == _TAX and txn_code is not None else code,
            "tax_amount": None,
            "tracking": _tag(_CLASS, discount.class_ref),
        }
    )


def _group_line(
    line: wire.Line, txn_code: str | None, inclusive: bool, unit: Decimal | None, currency: str | None
) -> LineItem:
    group = line.group_line_detail or _NO_GROUP
    quantity, amount = group.quantity, line.amount
    if quantity is not None and (not quantity.is_finite() or quantity < 0):
        raise _Unusual
    if amount is not None:
        if not amount.is_finite():
            raise _Unusual
        if unit is not None:
            amount = amount.quantize(unit, ROUND_HALF_UP)
    item = group.group_item_ref
    return _new_line(
        {
            "id": line.id,
            "type": _GROUP,
            "description": line.description,
            "quantity": _canonical(quantity, _QUANTITY, currency),
            "unit_price": None,
            "discount_percentage": None,
            "discount_amount": None,
            "total_amount": amount,
            "item_id": item.value if item is not None else None,
            "account_id": None,
            "tax_rate_id": None,
            "tax_amount": None,
            "tracking": [],
        }
    )


def _description_line(
    line: wire.Line, txn_code: str | None, inclusive: bool, unit: Decimal | None, currency: str | None
) -> LineItem:
    return _new_line(
        {
            "id": line.id,
            "type": _DESCRIPTION,
            "description": line.description,
            "quantity": None,
            "unit_price": None,
            "discount_percentage": None,
            "discount_amount": None,
            "total_amount": None,
            "item_id": None,
            "account_id": None,
            "tax_rate_id": None,
            "tax_amount": None,
            "tracking": [],
        }
    )


def _custom_field(field: wire.CustomField) -> CustomField:
    return _new_custom_field({"id": field.definition_id, "name": field.name, "value": field.string_value})


#: Line ``DetailType`` → builder. Any other type (or none) leaves the record to the reference decoder;
#: ``SubTotalLineDetail`` is not a line item and is handled by :func:`build_invoice`.
_LINES: dict[str | None, Callable[[wire.Line, str | None, bool, Decimal | None, str | None], LineItem]] = {
    "SalesItemLineDetail": _sales_line,
    "DiscountLineDetail": _discount_line,
    "GroupLineDetail": _group_line,
    "DescriptionOnly": _description_line,
}
#: Currency → the quantum of its amounts (``None``: a currency without minor units).
_UNITS: dict[str | None, Decimal | None] = {}


def _unit(currency: str | None) -> Decimal | None:
    try:
        return _UNITS[currency]
    except KeyError:
        found = _UNITS[currency] = quantum(currency)
        return found


def build_invoice(invoice: wire.Invoice, raw: Mapping[str, Any] | None) -> Invoice:
    """The unified invoice, as :func:`.codec.decode_invoice` builds it; raises :class:`_Unusual`
    (or the ``ValueError`` of a date that does not parse) when the record should go to the
    reference decoder instead."""
    customer = invoice.customer_ref
    if customer is None or customer.value is None:
        raise _Unusual  # the reference decoder raises the validation error naming customer_id
    currency_ref = invoice.currency_ref
    currency = currency_ref.value if currency_ref is not None else None
    if currency is not None:
        currency = currency.upper()
        if currency not in ISO_4217_CODES:
            raise _Unusual
    unit = _unit(currency)

    tax = invoice.txn_tax_detail
    txn_code_ref = tax.txn_tax_code_ref if tax is not None else None
    txn_code = txn_code_ref.value if txn_code_ref is not None else None
    calculation = invoice.global_tax_calculation
    inclusive = calculation == "TaxInclusive"
    lines = []
    taxed = False
    sub_total = None
    for line in invoice.line or ():
        kind = line.detail_type
        if kind == "SubTotalLineDetail":
            # Computed by QuickBooks from the other lines: the invoice's subtotal, not a line item.
            sub_total = line.amount
            if sub_total is not None and unit is not None and sub_total.is_finite():
                sub_total = sub_total.quantize(unit, ROUND_HALF_UP)
        else:
            build_line = _LINES.get(kind)
            if build_line is None:
                raise _Unusual
            built = build_line(line, txn_code, inclusive, unit, currency)
            lines.append(built)
            if kind == "SalesItemLineDetail" and not taxed:
                sale = line.sales_item_line_detail
                code = sale.tax_code_ref if sale is not None else None
                taxed = code is not None and code.value is not None and code.value != _NON
    if calculation is not None:
        mode = _MODES.get(calculation, TaxMode.EXCLUSIVE)
    else:
        mode = TaxMode.EXCLUSIVE if taxed or txn_code is not None else TaxMode.NO_TAX

    total, balance = invoice.total_amt, invoice.balance
    total_tax = tax.total_tax if tax is not None else None
    for amount in (total, balance, total_tax, sub_total):
        if amount is not None and not amount.is_finite():
            raise _Unusual
    if unit is not None:
        if total is not None:
            total = total.quantize(unit, ROUND_HALF_UP)
        if balance is not None:
            balance = balance.quantize(unit, ROUND_HALF_UP)
        if total_tax is not None:
            total_tax = total_tax.quantize(unit, ROUND_HALF_UP)
    note = invoice.private_note
    paid = None
    if note and note.startswith("Voided") and not total:
        # QuickBooks keeps a voided invoice, zeroed, with "Voided" prepended to its note.
        status = InvoiceStatus.VOID
        if total is not None and balance is not None:
            paid = _ZERO if unit is None else _ZERO.quantize(unit)
    else:
        if total is None or balance is None or balance == total:
            status = InvoiceStatus.OPEN
        elif balance == 0:
            status = InvoiceStatus.PAID
        else:
            status = InvoiceStatus.PARTIALLY_PAID
        if total is not None and balance is not None:
            paid = total - balance
            if paid < 0:
                raise _Unusual
    if balance is not None and balance < 0:
        raise _Unusual
    rate = invoice.exchange_rate
    if rate is not None and (not rate.is_finite() or rate <= 0):
        rate = None if rate.is_finite() else _unusual()

    issued, due = _date(invoice.txn_date), _date(invoice.due_date)
    if issued and due and due < issued:
        raise _Unusual
    meta = invoice.meta_data
    created = updated = None
    if meta is not None:
        created = _time(meta.create_time)
        # Often the same instant (never edited): parse it once.
        updated = created if meta.last_updated_time == meta.create_time else _time(meta.last_updated_time)
    memo, email, fields = invoice.customer_memo, invoice.bill_email, invoice.custom_field
    po_number = None
    for entry in fields or ():
        if entry.name is not None and _po_name(entry.name):
            po_number = entry.string_value
            break
    terms_ref = invoice.sales_term_ref
    tags = _tag(_DEPARTMENT, invoice.department_ref) + _tag(_CLASS, invoice.class_ref)
    return _new_invoice(
        {
            "id": invoice.id,
            "row_version": invoice.sync_token,
            "created_at": created,
            "updated_at": updated,
            "raw": raw,
            "pass_through": {},
            "number": invoice.doc_number,
            "customer_id": customer.value,
            "customer_name": customer.name,
            "issue_date": issued,
            "due_date": due,
            "currency": currency,
            "currency_rate": rate,
            "status": status,
            "tax_mode": mode,
            "line_items": lines,
            "sub_total": sub_total,
            "total_tax": total_tax,
            "total": total,
            "amount_due": balance,
            "amount_paid": paid,
            "memo": memo.value if memo is not None else None,
            "reference": None,
            "po_number": po_number,
            "terms": terms_of(terms_ref.value) if terms_ref is not None else None,
            "tracking": tags,
            "billing_address": _address(invoice.bill_addr),
            "shipping_address": _address(invoice.ship_addr),
            "email": email.address if email is not None else None,
            "custom_fields": [_custom_field(field) for field in fields] if fields else [],
        }
    )


def _unusual() -> NoReturn:
    raise _Unusual


# ------------------------------------------------------------------------------------ the page

#: Decodes one record's JSON the reference way; may return what stands for a record it could not read.
Fallback = Callable[[bytes, "Mapping[str, Any] | None"], Any]

_typed_page = msgspec.json.Decoder(wire.query_page("Invoice", wire.Invoice))
_raw_page = msgspec.json.Decoder(wire.query_page("Invoice", msgspec.Raw))
_typed_invoice = msgspec.json.Decoder(wire.Invoice)


class NotAPage(Exception):
    """The body is not a query page this module can split into records: use the reference path."""


def _raw_rows(body: bytes) -> list[msgspec.Raw]:
    try:
        page = _raw_page.decode(body)
    except msgspec.DecodeError:
        raise NotAPage from None
    response = page.query_response
    return (response.Invoice if response is not None else None) or []


def decode_invoices(body: bytes, include_raw: bool, fallback: Fallback) -> list[Any]:
    """The invoices of a query answer. ``fallback(element, raw)`` decodes one record's JSON the
    reference way; it runs for each record this path does not vouch for, in page order, so the
    first error raised is the one the reference decoder would raise.

    Raises :class:`NotAPage` when the body as a whole is not a well-formed query page.
    """
    if not include_raw:
        try:
            page = _typed_page.decode(body)
        except msgspec.DecodeError:
            pass  # some record has an unexpected type: decode record by record below
        else:
            response = page.query_response
            rows = (response.Invoice if response is not None else None) or []
            invoices: list[Invoice | None] = []
            unusual = False
            for row in rows:
                try:
                    invoices.append(build_invoice(row, None))
                except _FALL_BACK:
                    invoices.append(None)
                    unusual = True
            if not unusual:
                return invoices  # type: ignore[return-value]  # no None left
            raws = _raw_rows(body)
            return [
                invoice if invoice is not None else fallback(bytes(raws[index]), None)
                for index, invoice in enumerate(invoices)
            ]
    results = []
    for element in _raw_rows(body):
        payload = bytes(element)
        raw = RawPayload(payload) if include_raw else None
        try:
            invoice = build_invoice(_typed_invoice.decode(payload), raw)
        except (*_FALL_BACK, msgspec.DecodeError):
            invoice = fallback(payload, raw)
        results.append(invoice)
    return results
