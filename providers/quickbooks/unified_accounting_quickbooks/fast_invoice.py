"""The invoice hot path: parsed QuickBooks invoice JSON → unified ``Invoice`` models, built in Rust.

A query page holds up to 1000 invoices, and decoding them field by field in Python costs several
times the JSON parse. Instead this module hand-builds a pydantic-core schema whose fields read the
QuickBooks names directly (``customer_id`` from ``CustomerRef.value``, ``quantity`` from
``SalesItemLineDetail.Qty``, ...) and whose output *is* the unified ``Invoice``/``LineItem``/``Address``
classes, so pydantic-core creates every object without Python calls per field.

What the wire cannot say directly is finished by one Python call per invoice (:func:`_finish`):
the status (void, open, partially paid, paid), ``amount_paid``, ``sub_total`` (the computed
``SubTotalLineDetail`` line, which is not a line item), UTC times, the currency check, and the
rules the unified models enforce (due date not before issue date). Amounts must already be
``Decimal`` (or ``int``) in the input: the JSON is parsed with exact decimals, never floats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError, SchemaValidator
from pydantic_core import core_schema as cs

from unified_accounting.models import Address, CustomField, Invoice, InvoiceStatus, LineItem, LineItemType
from unified_accounting.models.currency import ISO_4217_CODES

# A key QuickBooks never sends: fields aliased to it always take their default.
_ABSENT = "\x00absent"
_SUBTOTAL = "SubTotalLineDetail"


def _path(*keys: str) -> list[str | int]:
    return list(keys)


def _optional(schema: cs.CoreSchema, alias: str | list[str | int]) -> cs.ModelField:
    return cs.model_field(
        cs.with_default_schema(cs.nullable_schema(schema), default=None), validation_alias=alias
    )


def _constant(value: Any) -> cs.ModelField:
    return cs.model_field(cs.with_default_schema(cs.any_schema(), default=value), validation_alias=_ABSENT)


_text = cs.str_schema()
_money = cs.decimal_schema(allow_inf_nan=False)
_count = cs.decimal_schema(allow_inf_nan=False, ge=Decimal(0))


def _model(cls: type[Any], fields: dict[str, cs.ModelField]) -> cs.ModelSchema:
    # QuickBooks sends many fields the unified model has no place for: ignore them (``raw`` keeps them).
    return cs.model_schema(
        cls,
        cs.model_fields_schema(fields, extra_behavior="ignore"),
        extra_behavior="ignore",
        config=cs.CoreConfig(extra_fields_behavior="ignore"),
    )


def _line_fields(kind: LineItemType, **overrides: cs.ModelField) -> dict[str, cs.ModelField]:
    fields = {
        "id": _optional(_text, "Id"),
        "type": _constant(kind),
        "description": _optional(_text, "Description"),
        "quantity": _constant(None),
        "unit_price": _constant(None),
        "discount_percentage": _constant(None),
        "total_amount": _optional(_money, "Amount"),
        "item_id": _constant(None),
        "account_id": _constant(None),
        "tax_code": _constant(None),
    }
    fields.update(overrides)
    return fields


def _sales_detail(key: str, *path: str) -> list[str | int]:
    return ["SalesItemLineDetail", key, *path]


_sales_line = _model(
    LineItem,
    _line_fields(
        LineItemType.SALES_ITEM,
        quantity=_optional(_count, _sales_detail("Qty")),
        unit_price=_optional(_money, _sales_detail("UnitPrice")),
        item_id=_optional(_text, _sales_detail("ItemRef", "value")),
        account_id=_optional(_text, _sales_detail("ItemAccountRef", "value")),
        tax_code=_optional(_text, _sales_detail("TaxCodeRef", "value")),
    ),
)
_description_line = _model(LineItem, _line_fields(LineItemType.DESCRIPTION, total_amount=_constant(None)))
_group_line = _model(
    LineItem,
    _line_fields(
        LineItemType.GROUP,
        quantity=_optional(_count, ["GroupLineDetail", "Quantity"]),
        item_id=_optional(_text, ["GroupLineDetail", "GroupItemRef", "value"]),
    ),
)


def _discount_line(value: Mapping[str, Any]) -> LineItem:
    detail = value.get("DiscountLineDetail") or {}
    percent = detail.get("DiscountPercent") if detail.get("PercentBased") in (True, "true") else None
    return LineItem.model_validate(
        {
            "id": value.get("Id"),
            "type": LineItemType.DISCOUNT,
            "description": value.get("Description"),
            "discount_percentage": percent,
            "total_amount": value.get("Amount"),
            "account_id": (detail.get("DiscountAccountRef") or {}).get("value"),
            "tax_code": (detail.get("TaxCodeRef") or {}).get("value"),
        }
    )


# Discount and subtotal lines stay plain dicts here (one is rare, the other is not a line item at
# all) and are finished in Python; a detail type added after this was written keeps its text as a
# description line.
_line = cs.union_schema(
    [
        cs.tagged_union_schema(
            {
                "SalesItemLineDetail": _sales_line,
                "DescriptionOnly": _description_line,
                "GroupLineDetail": _group_line,
                "DiscountLineDetail": cs.dict_schema(),
                _SUBTOTAL: cs.dict_schema(),
            },
            discriminator="DetailType",
        ),
        _description_line,
    ],
    mode="left_to_right",
)


def _constructor(cls: type[Any]) -> Callable[[dict[str, Any]], Any]:
    """``cls.model_construct(**values)`` for a dict holding every field, without its generic work.

    Used for ``Address`` and ``CustomField``: pydantic-core swaps a hand-built schema of a model
    without validators of its own for the model's prebuilt validator, which knows nothing of
    QuickBooks' names, so these two are built from already-checked strings here.
    """
    new = object.__new__
    set_attribute = object.__setattr__

    def construct(values: dict[str, Any]) -> Any:
        instance = new(cls)
        set_attribute(instance, "__dict__", values)
        set_attribute(instance, "__pydantic_fields_set__", set(values))
        set_attribute(instance, "__pydantic_extra__", None)
        set_attribute(instance, "__pydantic_private__", None)
        return instance

    return construct


_new_address = _constructor(Address)
_new_custom_field = _constructor(CustomField)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _address(value: Any) -> Address | None:
    if not value:
        return None
    get = value.get
    address: Address = _new_address(
        {
            "line1": _text_or_none(get("Line1")),
            "line2": _text_or_none(get("Line2")),
            "city": _text_or_none(get("City")),
            "region": _text_or_none(get("CountrySubDivisionCode")),
            "postal_code": _text_or_none(get("PostalCode")),
            "country": _text_or_none(get("Country")),
        }
    )
    return address


def _custom_fields(values: Any) -> list[CustomField]:
    if not values:
        return []
    return [
        _new_custom_field(
            {
                "id": _text_or_none(field.get("DefinitionId")),
                "name": _text_or_none(field.get("Name")),
                "value": _text_or_none(field.get("StringValue")),
            }
        )
        for field in values
    ]


def _finish(invoice: Invoice) -> Invoice:
    # The instance is fresh from pydantic-core and not shared yet: writing its __dict__ directly
    # skips validate_assignment, which would re-run validators on values checked here.
    values = invoice.__dict__
    lines = values["line_items"]
    if any(type(line) is dict for line in lines):
        finished = []
        for line in lines:
            if type(line) is not dict:
                finished.append(line)
            elif line["DetailType"] == _SUBTOTAL:
                amount = line.get("Amount")
                values["sub_total"] = Decimal(amount) if isinstance(amount, int) else amount
            else:
                finished.append(_discount_line(line))
        values["line_items"] = finished
    values["billing_address"] = _address(values["billing_address"])
    values["shipping_address"] = _address(values["shipping_address"])
    values["custom_fields"] = _custom_fields(values["custom_fields"])
    total, balance = values["total"], values["amount_due"]
    note = values["status"]  # holds PrivateNote until here (see the schema below)
    if note and note.startswith("Voided") and not total:
        status = InvoiceStatus.VOID
    elif total is None or balance is None or balance == total:
        status = InvoiceStatus.OPEN
    elif balance == 0:
        status = InvoiceStatus.PAID
    else:
        status = InvoiceStatus.PARTIALLY_PAID
    values["status"] = status
    if total is not None and balance is not None:
        values["amount_paid"] = Decimal(0) if status is InvoiceStatus.VOID else total - balance
        if values["amount_paid"] < 0:
            raise PydanticCustomError("amount_paid", "Balance is larger than TotalAmt")
    for key in ("created_at", "updated_at"):
        moment = values[key]
        if moment is not None:
            values[key] = moment.astimezone(UTC)
    currency = values["currency"]
    if currency is not None:
        currency = values["currency"] = currency.upper()
        if currency not in ISO_4217_CODES:
            raise PydanticCustomError(
                "currency", "{code} is not an ISO 4217 currency code", {"code": currency}
            )
    issued, due = values["issue_date"], values["due_date"]
    if issued and due and due < issued:
        raise PydanticCustomError("due_date", "due_date must not be before issue_date")
    return invoice


_invoice = cs.no_info_after_validator_function(
    _finish,
    _model(
        Invoice,
        {
            "id": _optional(_text, "Id"),
            "row_version": _optional(_text, "SyncToken"),
            "created_at": _optional(cs.datetime_schema(tz_constraint="aware"), ["MetaData", "CreateTime"]),
            "updated_at": _optional(
                cs.datetime_schema(tz_constraint="aware"), ["MetaData", "LastUpdatedTime"]
            ),
            "raw": _constant(None),
            "pass_through": cs.model_field(
                cs.with_default_schema(cs.dict_schema(), default_factory=dict), validation_alias=_ABSENT
            ),
            "number": _optional(_text, "DocNumber"),
            "customer_id": cs.model_field(
                cs.str_schema(min_length=1), validation_alias=_path("CustomerRef", "value")
            ),
            "customer_name": _optional(_text, ["CustomerRef", "name"]),
            "issue_date": _optional(cs.date_schema(), "TxnDate"),
            "due_date": _optional(cs.date_schema(), "DueDate"),
            "currency": _optional(_text, ["CurrencyRef", "value"]),
            # Carries PrivateNote into _finish, which replaces it with the real status.
            "status": _optional(_text, "PrivateNote"),
            "line_items": cs.model_field(
                cs.with_default_schema(cs.list_schema(_line), default_factory=list), validation_alias="Line"
            ),
            "sub_total": _constant(None),
            "total_tax": _optional(_money, ["TxnTaxDetail", "TotalTax"]),
            "total": _optional(_money, "TotalAmt"),
            "amount_due": _optional(cs.decimal_schema(allow_inf_nan=False, ge=Decimal(0)), "Balance"),
            "amount_paid": _constant(None),
            "memo": _optional(_text, ["CustomerMemo", "value"]),
            "reference": _constant(None),
            # Read as plain dicts and built by _finish (see _constructor for why).
            "billing_address": _optional(cs.dict_schema(), "BillAddr"),
            "shipping_address": _optional(cs.dict_schema(), "ShipAddr"),
            "email": _optional(_text, ["BillEmail", "Address"]),
            "custom_fields": _optional(cs.list_schema(cs.dict_schema()), "CustomField"),
        },
    ),
)

_one = SchemaValidator(_invoice)
_many = SchemaValidator(cs.list_schema(_invoice))

decode_invoice: Callable[[Any], Invoice] = _one.validate_python
decode_invoices: Callable[[Any], list[Invoice]] = _many.validate_python
