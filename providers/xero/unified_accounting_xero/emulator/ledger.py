"""Business rules of the emulated Xero organisation: invoices, contacts, items and payments.

Emulated rules:

* ``LineAmount = Quantity × UnitAmount × (100 − DiscountRate) / 100`` (or ``Quantity × UnitAmount −
  DiscountAmount``), rounded half-up to 2 dp; ``UnitAmount`` keeps 2 dp, or 4 with ``unitdp=4``.
* ``LineAmountTypes`` Exclusive (default) / Inclusive / NoTax drive ``SubTotal``, ``TotalTax``, ``Total``
  with a flat percentage per ``TaxType`` (option ``tax_rates``; default tax type per invoice type from
  ``default_tax_type`` or the line's account).  Client-sent ``TaxAmount`` values are recalculated.
* Status transitions: DRAFT/SUBMITTED → DRAFT, SUBMITTED, AUTHORISED, DELETED; AUTHORISED → VOIDED (only
  without payments), never DELETED; PAID, VOIDED and DELETED invoices cannot be edited.  An AUTHORISED
  invoice with a zero total becomes PAID (option ``zero_total_becomes_paid``).  Line items of an invoice with
  payments are frozen.
* ACCREC invoice numbers are unique and minted as ``INV-0001`` when missing; contact names are unique among
  ACTIVE contacts; item codes are unique.  An invoice naming an unknown contact creates it (as Xero does).
* A payment pays one AUTHORISED invoice, needs a bank account (or one with ``EnablePaymentsToAccount``) and
  may not exceed ``AmountDue``; it moves ``AmountPaid``/``AmountDue`` and sets PAID at zero.  Deleting it
  (``Status: DELETED``) restores the invoice.
* Every write bumps ``UpdatedDateUTC`` from the emulator clock.  Setting a contact's read-only
  ``IsCustomer``/``IsSupplier`` flag as a side effect of an invoice does not (Xero documents that some
  changes do not bump ``UpdatedDateUTC``) and emits no webhook event.

Validation messages imitate Xero's wording; the exact texts are unverified.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .dates import DateParseError, parse_date
from .errors import ValidationFailed
from .journal import Journal
from .state import IdFactory, Record, TenantState

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

INVOICE_TYPES = ("ACCREC", "ACCPAY")
INVOICE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")
CREATABLE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
TRANSITIONS: dict[str, set[str]] = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
LINE_AMOUNT_TYPES = {"EXCLUSIVE": "Exclusive", "INCLUSIVE": "Inclusive", "NOTAX": "NoTax"}
CONTACT_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
ADDRESS_TYPES = ("POBOX", "STREET", "DELIVERY")
PHONE_TYPES = ("DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

CONTACT_TEXT_FIELDS = (
    "FirstName",
    "LastName",
    "EmailAddress",
    "ContactNumber",
    "AccountNumber",
    "DefaultCurrency",
    "TaxNumber",
    "BankAccountDetails",
    "Website",
    "SkypeUserName",
    "CompanyNumber",
)


#: The largest amount the emulator stores (Xero publishes none: UNVERIFIED, kept equal to the
#: provider's client-side bound).
MAX_AMOUNT = Decimal("999999999999.99")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Any, field_name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationFailed(f"{field_name} must be a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValidationFailed(f"{field_name} must be a number") from exc
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        raise ValidationFailed(f"{field_name} must be a number")
    if not result.is_finite():
        raise ValidationFailed(f"{field_name} must be a number")
    if abs(result) > MAX_AMOUNT:
        # Xero's bound and wording are UNVERIFIED; what matters is a validation answer, not a 500.
        raise ValidationFailed(f"{field_name} {result} is too large.")
    return result


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


@dataclass
class WriteContext:
    tenant: TenantState
    journal: Journal
    now: datetime
    unitdp: int = 2


class Ledger:
    """Applies writes to a :class:`TenantState` through a :class:`Journal`."""

    def __init__(
        self,
        ids: IdFactory,
        tax_rates: Mapping[str, Decimal | int | str],
        default_tax_type: Mapping[str, str],
        zero_total_becomes_paid: bool = True,
    ) -> None:
        self.ids = ids
        self.tax_rates = {k.upper(): Decimal(str(v)) for k, v in tax_rates.items()}
        self.default_tax_type = dict(default_tax_type)
        self.zero_total_becomes_paid = zero_total_becomes_paid

    # ------------------------------------------------------------------------------------------------ c
    def write_contact(self, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None) -> Record:
        t, j = ctx.tenant, ctx.journal
        if existing is None:
            rec: Record = {
                "ContactID": self.ids.new(),
                "ContactStatus": "ACTIVE",
                "Name": None,
                "Addresses": [],
                "Phones": [],
                "IsSupplier": False,
                "IsCustomer": False,
                "HasAttachments": False,
            }
        else:
            rec = dict(existing)
        errors: list[str] = []
        if "Name" in data:
            name = (_text(data["Name"]) or "").strip()
            rec["Name"] = name
        if not rec.get("Name"):
            errors.append("The contact name must be specified.")
        for key in CONTACT_TEXT_FIELDS:
            if key in data:
                rec[key] = _text(data[key])
        if rec.get("EmailAddress") and not _EMAIL.match(str(rec["EmailAddress"])):
            errors.append("Email address must be valid.")
        if "ContactStatus" in data:
            status = str(data["ContactStatus"] or "").upper()
            if status not in CONTACT_STATUSES:
                errors.append(f"ContactStatus '{data['ContactStatus']}' is not valid.")
            else:
                rec["ContactStatus"] = status
        if "Addresses" in data:
            rec["Addresses"] = self._addresses(data["Addresses"], errors)
        if "Phones" in data:
            rec["Phones"] = self._phones(data["Phones"], errors)
        if "ContactPersons" in data:
            rec["ContactPersons"] = self._people(data["ContactPersons"], errors)
        if rec.get("ContactStatus") == "ACTIVE" and rec.get("Name"):
            holder = t.active_contact_names.get(str(rec["Name"]).upper())
            if holder is not None and holder != rec["ContactID"]:
                errors.append(
                    f"The contact name {rec['Name']} is already assigned to another contact. "
                    "The contact name must be unique across all active contacts."
                )
        if errors:
            raise ValidationFailed(*errors)
        rec["UpdatedDateUTC"] = ctx.now
        if existing is not None and existing.get("ContactStatus") == "ACTIVE":
            old_key = str(existing.get("Name") or "").upper()
            if t.active_contact_names.get(old_key) == rec["ContactID"]:
                j.delete(t.active_contact_names, old_key)
        if rec["ContactStatus"] == "ACTIVE":
            j.set(t.active_contact_names, str(rec["Name"]).upper(), rec["ContactID"])
        j.set(t.contacts, rec["ContactID"], rec)
        j.event(t.tenant_id, "CONTACT", "CREATE" if existing is None else "UPDATE", rec["ContactID"])
        return rec

    @staticmethod
    def _addresses(value: Any, errors: list[str]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        for entry in value or []:
            if not isinstance(entry, Mapping):
                errors.append("Addresses must be objects.")
                continue
            address = {k: _text(v) for k, v in entry.items() if v is not None}
            kind = str(address.get("AddressType") or "POBOX").upper()
            if kind not in ADDRESS_TYPES:
                errors.append(f"AddressType '{kind}' is not valid.")
            address["AddressType"] = kind
            result.append(address)
        return result

    @staticmethod
    def _people(value: Any, errors: list[str]) -> list[dict[str, Any]]:
        """``ContactPersons``: up to five people besides the primary one (Xero's documented limit)."""
        people = [
            {k: (v if isinstance(v, bool) else _text(v)) for k, v in entry.items() if v is not None}
            for entry in value or []
            if isinstance(entry, Mapping)
        ]
        if len(people) > 5:
            errors.append("A contact can have at most 5 contact persons.")
        return people

    @staticmethod
    def _phones(value: Any, errors: list[str]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        for entry in value or []:
            if not isinstance(entry, Mapping):
                errors.append("Phones must be objects.")
                continue
            phone = {k: _text(v) for k, v in entry.items() if v is not None}
            kind = str(phone.get("PhoneType") or "DEFAULT").upper()
            if kind not in PHONE_TYPES:
                errors.append(f"PhoneType '{kind}' is not valid.")
            phone["PhoneType"] = kind
            result.append(phone)
        return result

    def find_contact(self, t: TenantState, data: Mapping[str, Any]) -> Record | None:
        contact_id = data.get("ContactID")
        if contact_id:
            return t.contacts.get(str(contact_id).lower())
        number = data.get("ContactNumber")
        if number:
            for rec in t.contacts.values():
                if rec.get("ContactNumber") == number:
                    return rec
        name = data.get("Name")
        if name:
            holder = t.active_contact_names.get(str(name).strip().upper())
            if holder:
                return t.contacts.get(holder)
        return None

    # --------------------------------------------------------------------------------------------------
    def write_item(self, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None) -> Record:
        t, j = ctx.tenant, ctx.journal
        rec: Record = (
            dict(existing)
            if existing is not None
            else {
                "ItemID": self.ids.new(),
                "Code": None,
                "IsTrackedAsInventory": False,
                "IsSold": True,
                "IsPurchased": True,
            }
        )
        errors: list[str] = []
        if "Code" in data:
            rec["Code"] = (_text(data["Code"]) or "").strip()
        if not rec.get("Code"):
            errors.append("Item code must be specified.")
        elif len(str(rec["Code"])) > 30:
            errors.append("Item code must be 30 characters or fewer.")
        else:
            holder = t.item_codes.get(str(rec["Code"]).upper())
            if holder is not None and holder != rec["ItemID"]:
                errors.append(f"Item code '{rec['Code']}' already exists.")
        for key in ("Name", "Description", "PurchaseDescription"):
            if key in data:
                rec[key] = _text(data[key])
        if not rec.get("Name"):
            rec["Name"] = rec.get("Code")
        for key in ("IsSold", "IsPurchased"):
            if key in data:
                rec[key] = bool(data[key])
        for key in ("SalesDetails", "PurchaseDetails"):
            if key in data:
                rec[key] = self._item_details(t, data[key], key, errors)
        if errors:
            raise ValidationFailed(*errors)
        rec["UpdatedDateUTC"] = ctx.now
        if existing is not None:
            j.delete(t.item_codes, str(existing.get("Code") or "").upper())
        j.set(t.item_codes, str(rec["Code"]).upper(), rec["ItemID"])
        j.set(t.items, rec["ItemID"], rec)
        return rec

    def _item_details(self, t: TenantState, value: Any, key: str, errors: list[str]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            errors.append(f"{key} must be an object.")
            return {}
        details: dict[str, Any] = {}
        if value.get("UnitPrice") is not None:
            try:
                details["UnitPrice"] = to_decimal(value["UnitPrice"], "UnitPrice")
            except ValidationFailed as exc:
                errors.extend(exc.messages)
        if value.get("AccountCode"):
            code = str(value["AccountCode"])
            if t.account_by_code(code) is None:
                errors.append(f"Account code '{code}' is not a valid code for this document.")
            details["AccountCode"] = code
        if value.get("TaxType"):
            tax = str(value["TaxType"]).upper()
            if tax not in self.tax_rates:
                errors.append(
                    f"The TaxType code '{tax}' does not exist or cannot be used for this type of item."
                )
            details["TaxType"] = tax
        return details

    # ------------------------------------------------------------------------------------------------ i
    def write_invoice(self, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None) -> Record:
        t, j = ctx.tenant, ctx.journal
        errors: list[str] = []
        if existing is not None:
            if existing["Status"] in ("PAID", "VOIDED", "DELETED"):
                raise ValidationFailed("Invoice not of valid status for modification")
            rec = dict(existing)
        else:
            rec = {
                "InvoiceID": self.ids.new(),
                "Type": None,
                "Status": "DRAFT",
                "LineAmountTypes": "Exclusive",
                "LineItems": [],
                "AmountPaid": ZERO,
                "AmountCredited": ZERO,
                "CurrencyCode": t.base_currency,
                "CurrencyRate": Decimal("1.000000"),
                "HasAttachments": False,
                "IsDiscounted": False,
                "_PaymentIDs": (),
            }
        # Type
        if "Type" in data:
            kind = str(data["Type"] or "").upper()
            if kind not in INVOICE_TYPES:
                errors.append(f"Invoice Type '{data['Type']}' is not valid.")
            elif existing is not None and kind != existing["Type"]:
                errors.append("The Type of an existing invoice cannot be changed.")
            else:
                rec["Type"] = kind
        if not rec.get("Type"):
            if "Type" not in data:
                errors.append("Invoice Type must be specified.")
            raise ValidationFailed(*errors)
        # Status
        old_status = existing["Status"] if existing is not None else None
        new_status = old_status or "DRAFT"
        if "Status" in data and data["Status"] is not None:
            requested = str(data["Status"]).upper()
            if requested not in INVOICE_STATUSES:
                errors.append(f"Invoice Status '{data['Status']}' is not valid.")
            elif old_status is None:
                if requested not in CREATABLE_STATUSES:
                    errors.append("Invoice not of valid status for creation")
                else:
                    new_status = requested
            elif requested not in TRANSITIONS.get(old_status, set()):
                if old_status == "AUTHORISED" and requested == "DELETED":
                    errors.append("Authorised invoices cannot be deleted, they must be voided.")
                else:
                    errors.append(f"Invoice cannot be changed from {old_status} to {requested}.")
            else:
                new_status = requested
        has_payments = bool(rec.get("_PaymentIDs"))
        if new_status == "VOIDED" and has_payments:
            errors.append(
                "This invoice has payments applied; they must be removed before the invoice can be voided."
            )
        # Contact
        contact: Record | None = None
        if "Contact" in data:
            contact_data = data["Contact"]
            if not isinstance(contact_data, Mapping) or not any(
                contact_data.get(k) for k in ("ContactID", "Name", "ContactNumber")
            ):
                errors.append(
                    "The Contact must contain at least 1 of the following elements to identify the contact: "
                    "Name, ContactID, ContactNumber"
                )
            else:
                contact = self.find_contact(t, contact_data)
                if contact is None and contact_data.get("ContactID"):
                    errors.append(f"Contact with ID '{contact_data['ContactID']}' could not be found.")
                elif contact is None and not contact_data.get("Name"):
                    errors.append(
                        f"Contact with number '{contact_data.get('ContactNumber')}' could not be found."
                    )
                elif contact is not None and contact.get("ContactStatus") != "ACTIVE" and existing is None:
                    errors.append(f"The contact '{contact.get('Name')}' is archived and cannot be used.")
        elif existing is None:
            errors.append(
                "The Contact must contain at least 1 of the following elements to identify the contact: "
                "Name, ContactID, ContactNumber"
            )
        # Dates
        for key in ("Date", "DueDate", "ExpectedPaymentDate"):
            if key in data:
                if data[key] in (None, ""):
                    rec.pop(key, None)
                    continue
                try:
                    rec[key] = parse_date(data[key])
                except DateParseError:
                    errors.append(f"The {key} '{data[key]}' is not a valid date.")
        if "Date" not in rec:
            rec["Date"] = ctx.now.date()
        # Simple fields
        for key in ("Reference", "Url", "BrandingThemeID"):
            if key in data:
                rec[key] = _text(data[key])
        if "SentToContact" in data:
            rec["SentToContact"] = bool(data["SentToContact"])
        if data.get("CurrencyCode"):
            rec["CurrencyCode"] = str(data["CurrencyCode"]).upper()
        if data.get("CurrencyRate") is not None:
            try:
                rec["CurrencyRate"] = to_decimal(data["CurrencyRate"], "CurrencyRate")
            except ValidationFailed as exc:
                errors.extend(exc.messages)
        if "LineAmountTypes" in data and data["LineAmountTypes"] is not None:
            lat = LINE_AMOUNT_TYPES.get(str(data["LineAmountTypes"]).upper())
            if lat is None:
                errors.append(f"LineAmountTypes '{data['LineAmountTypes']}' is not valid.")
            else:
                if has_payments and lat != rec["LineAmountTypes"]:
                    errors.append(
                        "This document cannot be edited as it has a payment or credit note allocated to it."
                    )
                rec["LineAmountTypes"] = lat
        # Invoice number
        number_key_old = str(existing.get("InvoiceNumber") or "").upper() if existing is not None else ""
        if "InvoiceNumber" in data and data["InvoiceNumber"] not in (None, ""):
            rec["InvoiceNumber"] = str(data["InvoiceNumber"]).strip()
        if rec["Type"] == "ACCREC":
            if not rec.get("InvoiceNumber"):
                rec["InvoiceNumber"] = None  # minted at commit
            else:
                holder = t.invoice_numbers.get(str(rec["InvoiceNumber"]).upper())
                if holder is not None and holder != rec["InvoiceID"]:
                    errors.append("Invoice # must be unique.")
        # Line items
        if "LineItems" in data:
            if has_payments:
                errors.append(
                    "This document cannot be edited as it has a payment or credit note allocated to it."
                )
            elif not isinstance(data["LineItems"], list):
                errors.append("LineItems must be a list.")
            else:
                previous = {li["LineItemID"]: li for li in rec.get("LineItems", [])}
                rec["LineItems"] = [
                    self._line_item(t, rec, raw, previous, ctx.unitdp, errors) for raw in data["LineItems"]
                ]
        elif "LineAmountTypes" in data and not has_payments:
            previous = {li["LineItemID"]: li for li in rec.get("LineItems", [])}
            rec["LineItems"] = [
                self._line_item(t, rec, dict(li), previous, 4, errors) for li in rec.get("LineItems", [])
            ]
        if new_status in ("SUBMITTED", "AUTHORISED") and new_status != old_status:
            if not rec["LineItems"]:
                errors.append("An invoice must have at least one line item to be submitted or approved.")
            for li in rec["LineItems"]:
                if not li.get("Description") and not li.get("ItemCode"):
                    errors.append("Description must be specified for each line item.")
                if not li.get("AccountCode"):
                    errors.append("Account code must be specified for each line item.")
        if errors:
            raise ValidationFailed(*dict.fromkeys(errors))
        # Totals
        self.compute_totals(rec)
        if rec["Total"] < rec["AmountPaid"]:
            raise ValidationFailed("The invoice total cannot be less than the amount already paid.")
        # Commit
        if contact is None and "Contact" in data:
            contact = self.write_contact(ctx, {"Name": data["Contact"]["Name"]}, None)
        if contact is not None:
            rec["Contact"] = {"ContactID": contact["ContactID"]}
            flag = "IsCustomer" if rec["Type"] == "ACCREC" else "IsSupplier"
            if not contact.get(flag):
                updated = dict(t.contacts[contact["ContactID"]])
                updated[flag] = True
                j.set(t.contacts, contact["ContactID"], updated)
        if rec["Type"] == "ACCREC" and not rec.get("InvoiceNumber"):
            number = f"INV-{t.next_invoice_number:04d}"
            while number.upper() in t.invoice_numbers:
                j.setattr(t, "next_invoice_number", t.next_invoice_number + 1)
                number = f"INV-{t.next_invoice_number:04d}"
            j.setattr(t, "next_invoice_number", t.next_invoice_number + 1)
            rec["InvoiceNumber"] = number
        rec["Status"] = new_status
        if new_status == "AUTHORISED" and rec["Total"] == 0 and self.zero_total_becomes_paid:
            rec["Status"] = "PAID"
            rec["FullyPaidOnDate"] = rec["Date"]
        rec["UpdatedDateUTC"] = ctx.now
        if number_key_old and t.invoice_numbers.get(number_key_old) == rec["InvoiceID"]:
            j.delete(t.invoice_numbers, number_key_old)
        if rec["Type"] == "ACCREC" and rec["Status"] not in ("DELETED",):
            j.set(t.invoice_numbers, str(rec["InvoiceNumber"]).upper(), rec["InvoiceID"])
        j.set(t.invoices, rec["InvoiceID"], rec)
        j.event(t.tenant_id, "INVOICE", "CREATE" if existing is None else "UPDATE", rec["InvoiceID"])
        return rec

    def _line_item(
        self,
        t: TenantState,
        invoice: Record,
        raw: Any,
        previous: Mapping[str, Record],
        unitdp: int,
        errors: list[str],
    ) -> Record:
        if not isinstance(raw, Mapping):
            errors.append("Line items must be objects.")
            return {"LineItemID": self.ids.new(), "LineAmount": ZERO, "TaxAmount": ZERO}
        given_id = str(raw.get("LineItemID") or "").lower()
        line_id = given_id if given_id in previous else self.ids.new()
        item: Record | None = None
        if raw.get("ItemCode"):
            item = t.item_by_code(str(raw["ItemCode"]))
            if item is None:
                errors.append(f"Item code '{raw['ItemCode']}' is not valid.")
        details: Mapping[str, Any] = {}
        if item is not None:
            details = item.get("SalesDetails" if invoice["Type"] == "ACCREC" else "PurchaseDetails") or {}
        description = _text(raw.get("Description"))
        if description is None and item is not None:
            description = item.get("Description") or item.get("Name")

        def number(key: str, default: Decimal | None) -> Decimal | None:
            if raw.get(key) is None:
                return default
            try:
                return to_decimal(raw[key], key)
            except ValidationFailed as exc:
                errors.extend(exc.messages)
                return default

        quantity = number("Quantity", Decimal(1))
        assert quantity is not None
        quantity = quantity.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        unit_q = Decimal(1).scaleb(-max(2, min(unitdp, 4)))
        unit = number("UnitAmount", details.get("UnitPrice"))
        given_line = number("LineAmount", None)
        discount_rate = number("DiscountRate", None)
        discount_amount = number("DiscountAmount", None)
        if unit is None:
            if given_line is not None and quantity != 0:
                factor = (HUNDRED - (discount_rate or 0)) / HUNDRED
                unit = given_line / quantity / (factor or Decimal(1)) + (discount_amount or 0) / quantity
            else:
                unit = Decimal(0)
        unit = unit.quantize(unit_q, rounding=ROUND_HALF_UP)
        gross = quantity * unit
        if discount_rate is not None:
            if discount_rate < 0 or discount_rate > HUNDRED:
                errors.append("DiscountRate must be between 0 and 100.")
            line_amount = money(gross * (HUNDRED - discount_rate) / HUNDRED)
        elif discount_amount is not None:
            line_amount = money(gross - discount_amount)
        else:
            line_amount = money(gross)
        if given_line is not None and raw.get("UnitAmount") is not None and money(given_line) != line_amount:
            errors.append(
                f"The line amount {money(given_line)} does not match Quantity × UnitAmount less discount "
                f"({line_amount})."
            )
        account_code = _text(raw.get("AccountCode")) or _text(details.get("AccountCode"))
        account: Record | None = None
        if raw.get("AccountID") and not account_code:
            account = t.accounts.get(str(raw["AccountID"]).lower())
            if account is None:
                errors.append(f"Account ID '{raw['AccountID']}' is not valid for this document.")
            else:
                account_code = account.get("Code")
        if account_code:
            account = t.account_by_code(account_code)
            if account is None:
                errors.append(f"Account code '{account_code}' is not a valid code for this document.")
        if invoice["LineAmountTypes"] == "NoTax":
            tax_type = "NONE"
        else:
            tax_type = (
                _text(raw.get("TaxType"))
                or _text(details.get("TaxType"))
                or (account.get("TaxType") if account else None)
                or self.default_tax_type.get(invoice["Type"], "NONE")
            ).upper()
        if tax_type not in self.tax_rates:
            errors.append(
                f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of "
                "transaction."
            )
        line: Record = {
            "LineItemID": line_id,
            "Description": description,
            "Quantity": quantity,
            "UnitAmount": unit,
            "TaxType": tax_type,
            "LineAmount": line_amount,
            "TaxAmount": ZERO,
            "Tracking": list(raw.get("Tracking") or []),
        }
        if item is not None:
            line["ItemCode"] = item["Code"]
            line["Item"] = {"ItemID": item["ItemID"], "Code": item["Code"], "Name": item.get("Name")}
        if account is not None:
            line["AccountCode"] = account["Code"]
            line["AccountID"] = account["AccountID"]
        if discount_rate is not None:
            line["DiscountRate"] = discount_rate
        elif discount_amount is not None:
            line["DiscountAmount"] = money(discount_amount)
        return line

    def compute_totals(self, rec: Record) -> None:
        mode = rec["LineAmountTypes"]
        sub_total = ZERO
        total_tax = ZERO
        lines: list[Record] = []
        for original in rec["LineItems"]:
            line = dict(original)
            lines.append(line)
            rate = self.tax_rates.get(str(line.get("TaxType")), Decimal(0))
            amount: Decimal = line["LineAmount"]
            if mode == "NoTax":
                tax = ZERO
                sub_total += amount
            elif mode == "Inclusive":
                tax = money(amount * rate / (HUNDRED + rate))
                sub_total += amount - tax
            else:
                tax = money(amount * rate / HUNDRED)
                sub_total += amount
            line["TaxAmount"] = tax
            total_tax += tax
        rec["LineItems"] = lines
        rec["SubTotal"] = money(sub_total)
        rec["TotalTax"] = money(total_tax)
        rec["Total"] = money(sub_total + total_tax)
        rec["AmountDue"] = money(rec["Total"] - rec["AmountPaid"] - rec["AmountCredited"])

    # ------------------------------------------------------------------------------------------------ p
    def create_payment(self, ctx: WriteContext, data: Mapping[str, Any]) -> Record:
        t, j = ctx.tenant, ctx.journal
        errors: list[str] = []
        invoice_ref = data.get("Invoice") if isinstance(data.get("Invoice"), Mapping) else {}
        assert isinstance(invoice_ref, Mapping)
        invoice_id = invoice_ref.get("InvoiceID") or data.get("InvoiceID")
        invoice_number = invoice_ref.get("InvoiceNumber") or data.get("InvoiceNumber")
        invoice: Record | None = None
        if invoice_id:
            invoice = t.invoices.get(str(invoice_id).lower())
        elif invoice_number:
            invoice = t.invoice_by_number(str(invoice_number))
        else:
            errors.append("You must specify an Invoice (InvoiceID or InvoiceNumber) for the payment.")
        if (invoice_id or invoice_number) and invoice is None:
            errors.append("Invoice could not be found.")
        account_ref = data.get("Account") if isinstance(data.get("Account"), Mapping) else {}
        assert isinstance(account_ref, Mapping)
        account: Record | None = None
        if account_ref.get("AccountID"):
            account = t.accounts.get(str(account_ref["AccountID"]).lower())
        elif account_ref.get("Code"):
            account = t.account_by_code(str(account_ref["Code"]))
        else:
            errors.append("You must specify an Account (AccountID or Code) for the payment.")
        if (account_ref.get("AccountID") or account_ref.get("Code")) and account is None:
            errors.append("Account could not be found.")
        if account is not None and not (
            account.get("Type") == "BANK" or account.get("EnablePaymentsToAccount")
        ):
            errors.append(
                f"Account type is invalid for making a payment to account code '{account.get('Code')}'."
            )
        amount: Decimal | None = None
        if data.get("Amount") is None:
            errors.append("Payment amount must be specified.")
        else:
            try:
                amount = money(to_decimal(data["Amount"], "Amount"))
                if amount <= 0:
                    errors.append("Payment amount must be greater than zero.")
            except ValidationFailed as exc:
                errors.extend(exc.messages)
        pay_date = ctx.now.date()
        if data.get("Date"):
            try:
                pay_date = parse_date(data["Date"])
            except DateParseError:
                errors.append(f"The Date '{data['Date']}' is not a valid date.")
        if invoice is not None:
            if invoice["Status"] != "AUTHORISED":
                errors.append("Payments can only be made against Authorised invoices.")
            elif amount is not None and amount > invoice["AmountDue"]:
                errors.append("Payment amount exceeds the amount outstanding on this document.")
        if data.get("Status") and str(data["Status"]).upper() != "AUTHORISED":
            errors.append("A payment can only be created with Status AUTHORISED.")
        if errors:
            raise ValidationFailed(*dict.fromkeys(errors))
        assert invoice is not None and account is not None and amount is not None
        rate = Decimal("1.000000")
        if data.get("CurrencyRate") is not None:
            rate = to_decimal(data["CurrencyRate"], "CurrencyRate")
        payment: Record = {
            "PaymentID": self.ids.new(),
            "Date": pay_date,
            "Amount": amount,
            "BankAmount": amount,
            "CurrencyRate": rate,
            "Reference": _text(data.get("Reference")),
            "Status": "AUTHORISED",
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "IsReconciled": bool(data.get("IsReconciled", False)),
            "HasAccount": True,
            "HasValidationErrors": False,
            "Account": {"AccountID": account["AccountID"], "Code": account.get("Code")},
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "UpdatedDateUTC": ctx.now,
        }
        j.set(t.payments, payment["PaymentID"], payment)
        self._apply_to_invoice(ctx, invoice["InvoiceID"], amount, payment["PaymentID"], pay_date)
        return payment

    def update_payment(self, ctx: WriteContext, existing: Record, data: Mapping[str, Any]) -> Record:
        status = str(data.get("Status") or "").upper()
        if status != "DELETED":
            raise ValidationFailed("A payment can only be updated to delete it (Status DELETED).")
        if existing["Status"] == "DELETED":
            raise ValidationFailed("This payment has already been deleted.")
        rec = dict(existing)
        rec["Status"] = "DELETED"
        rec["UpdatedDateUTC"] = ctx.now
        ctx.journal.set(ctx.tenant.payments, rec["PaymentID"], rec)
        self._apply_to_invoice(ctx, rec["Invoice"]["InvoiceID"], -rec["Amount"], rec["PaymentID"], None)
        return rec

    def _apply_to_invoice(
        self, ctx: WriteContext, invoice_id: str, amount: Decimal, payment_id: str, paid_on: date | None
    ) -> None:
        t = ctx.tenant
        invoice = dict(t.invoices[invoice_id])
        invoice["AmountPaid"] = money(invoice["AmountPaid"] + amount)
        invoice["AmountDue"] = money(invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"])
        ids = tuple(invoice.get("_PaymentIDs", ()))
        invoice["_PaymentIDs"] = (
            (*ids, payment_id) if amount > 0 else tuple(i for i in ids if i != payment_id)
        )
        if invoice["AmountDue"] == 0 and amount > 0:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = paid_on
        elif invoice["Status"] == "PAID" and invoice["AmountDue"] > 0:
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
        invoice["UpdatedDateUTC"] = ctx.now
        ctx.journal.set(t.invoices, invoice_id, invoice)
        ctx.journal.event(t.tenant_id, "INVOICE", "UPDATE", invoice_id)
