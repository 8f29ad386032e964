"""Business rules of the emulated Xero organisation: invoices, contacts, items and payments.

Emulated rules:

* ``LineAmount = Quantity × UnitAmount × (100 − DiscountRate) / 100`` (or ``Quantity × UnitAmount −
  DiscountAmount``), rounded half-up to 2 dp; ``UnitAmount`` keeps 2 dp, or 4 with ``unitdp=4``.  Discounts
  are for sales invoices only; one larger than the line (or on a negative line) is refused with Xero's
  "discount rate" message; sent both, the rate wins.  ``IsDiscounted`` and ``TotalDiscount`` follow.
* ``LineAmountTypes`` Exclusive (default) / Inclusive / NoTax drive ``SubTotal``, ``TotalTax``, ``Total``
  with per-line tax at the line's rate (:mod:`.taxes`): the line's ``TaxType``, else its item's, else its
  account's, else the region's sales (or purchases) rate (option ``default_tax_type``).  A rate must be
  active and allowed on the line's account class.  A ``TaxAmount`` sent on a line overrides the calculation.
* ``CurrencyCode`` must be one of the organisation's currencies; a foreign document without
  ``CurrencyRate`` gets the rate of the day (:func:`exchange_rate`); base-currency documents have 1.
* Line ``Tracking`` names active categories and options (:mod:`.tracking`).
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

from . import taxes, tracking
from .dates import DateParseError, parse_date, read_date
from .errors import ValidationFailed
from .journal import Journal
from .regions import CHART_TAX_TYPES, USD_VALUE
from .state import IdFactory, Record, TenantState
from .taxes import usable_rate

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
PAYMENT_TERM_TYPES = ("DAYSAFTERBILLDATE", "DAYSAFTERBILLMONTH", "OFCURRENTMONTH", "OFFOLLOWINGMONTH")
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
    # Default accounts of the contact's documents (returned on single reads and pages).
    "SalesDefaultAccountCode",
    "PurchasesDefaultAccountCode",
)


#: The largest amount the emulator stores (Xero publishes none: UNVERIFIED, kept equal to the
#: provider's client-side bound).
MAX_AMOUNT = Decimal("999999999999.99")


RATE_PLACES = Decimal("0.000001")
#: Xero's ``CurrencyRate`` counts units of the document's currency per unit of the base currency
#: (UNVERIFIED: Xero's docs point to a page that is not found; its UI shows "1 <base> = x <foreign>").
#: Only ``BankAmount`` and the rate of the day depend on it.
CURRENCY_RATE_IS_FOREIGN_PER_BASE = True


def exchange_rate(t: TenantState, currency: str) -> Decimal:
    """The rate of the day Xero would use for a document in ``currency`` that names none: here from the
    emulator's round figures (:data:`.regions.USD_VALUE`); 1 for the base currency."""
    if currency == t.base_currency:
        return Decimal("1.000000")
    base, foreign = USD_VALUE.get(t.base_currency, Decimal(1)), USD_VALUE.get(currency, Decimal(1))
    rate = base / foreign if CURRENCY_RATE_IS_FOREIGN_PER_BASE else foreign / base
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def in_base_currency(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount`` of a document's currency in the base currency, at Xero's ``CurrencyRate``."""
    return money(amount / rate if CURRENCY_RATE_IS_FOREIGN_PER_BASE else amount * rate)


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


def _discount_message(value: Decimal) -> str:
    # Xero says "rate" whatever was sent (XeroAPI/xero-php-oauth2#288, XeroAPI/Xero-OpenAPI#429).
    return f"The discount rate '{money(value)}' is invalid. Discount must not be greater than the line total."


def _merge_by_type(current: Any, given: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    kept = [entry for entry in current or [] if entry.get(key) not in {g.get(key) for g in given}]
    return [*kept, *given]


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
        default_tax_type: Mapping[str, str] | None = None,
        zero_total_becomes_paid: bool = True,
        tracking_limits: tuple[int, int] = (2, 4),
    ) -> None:
        self.ids = ids
        self.default_tax_type = dict(default_tax_type) if default_tax_type is not None else None
        self.zero_total_becomes_paid = zero_total_becomes_paid
        self.tracking_limits = tracking_limits

    def default_tax_type_of(self, t: TenantState, invoice_type: str) -> str:
        if self.default_tax_type is not None:
            return self.default_tax_type.get(invoice_type, "NONE")
        sales, purchases, _, _ = CHART_TAX_TYPES.get(t.version, CHART_TAX_TYPES["GLOBAL"])
        return sales if invoice_type == "ACCREC" else purchases

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
        # Addresses and phones are kept one per type: those sent replace the ones of their type.
        if "Addresses" in data:
            rec["Addresses"] = _merge_by_type(
                rec.get("Addresses"), self._addresses(data["Addresses"], errors), "AddressType"
            )
        if "Phones" in data:
            rec["Phones"] = _merge_by_type(
                rec.get("Phones"), self._phones(data["Phones"], errors), "PhoneType"
            )
        if "PaymentTerms" in data:
            rec["PaymentTerms"] = self._payment_terms(rec.get("PaymentTerms"), data["PaymentTerms"], errors)
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
    def _payment_terms(current: Any, value: Any, errors: list[str]) -> dict[str, Any]:
        """``PaymentTerms {Bills, Sales}``: each given side replaces that side; ``Day`` of an
        ``OF...MONTH`` rule is a day of the month."""
        terms: dict[str, Any] = dict(current or {})
        if not isinstance(value, Mapping):
            errors.append("PaymentTerms must be an object.")
            return terms
        for side, label in (("Bills", "Bills"), ("Sales", "Sales Invoices")):
            rule = value.get(side)
            if rule is None:
                continue
            if not isinstance(rule, Mapping):
                errors.append(f"PaymentTerms.{side} must be an object.")
                continue
            kind = str(rule.get("Type") or "").upper()
            if kind not in PAYMENT_TERM_TYPES:
                errors.append(f"PaymentTerms {side} Type '{rule.get('Type')}' is not valid.")
                continue
            try:
                day = int(str(rule.get("Day", 0)))
            except ValueError:
                errors.append(f"PaymentTerms {side} Day must be a whole number.")
                continue
            if kind.startswith("OF") and not 1 <= day <= 31:
                # Xero's wording (calcinai/xero-php#839).
                errors.append(
                    f"Due Date for {label} must be between 1 and 31 when set to the following "
                    "(or current) month."
                )
                continue
            if day < 0:
                errors.append(f"PaymentTerms {side} Day must not be negative.")
                continue
            terms[side] = {"Day": day, "Type": kind}
        return terms

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

    def delete_item(self, ctx: WriteContext, item: Record) -> Record:
        """``DELETE /Items/{id}``: gone for good. Xero refuses to delete a tracked item or one documents
        use (per a third-party report; UNVERIFIED), so does the emulator."""
        t, j = ctx.tenant, ctx.journal
        code = str(item.get("Code") or "").upper()
        used = any(
            str(line.get("ItemCode") or "").upper() == code
            for doc in (*t.invoices.values(), *t.bank_transactions.values())
            for line in doc.get("LineItems") or []
        )
        if used or item.get("IsTrackedAsInventory"):
            raise ValidationFailed(
                f"The item '{item.get('Code')}' is used on transactions and cannot be deleted."
            )
        j.delete(t.item_codes, code)
        j.delete(t.items, item["ItemID"])
        return item

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
            if usable_rate(t, tax) is None:
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
            code = str(data["CurrencyCode"]).upper()
            if code not in t.currencies:
                # Xero's wording is UNVERIFIED; the rule (add a currency before using it) is documented.
                errors.append(f"The currency '{code}' has not been added to this organisation.")
            elif has_payments and code != rec["CurrencyCode"]:
                errors.append(
                    "This document cannot be edited as it has a payment or credit note allocated to it."
                )
            rec["CurrencyCode"] = code
        rate = self._currency_rate(t, rec["CurrencyCode"], data.get("CurrencyRate"), errors)
        if rate is not None:
            rec["CurrencyRate"] = rate
        elif "CurrencyCode" in data:
            rec["CurrencyRate"] = exchange_rate(t, rec["CurrencyCode"])
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
                self._line_item(t, rec, self.stored_line_request(t, li), previous, 4, errors)
                for li in rec.get("LineItems", [])
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
        self.compute_totals(t, rec)
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
        for li in rec["LineItems"]:
            # A rate or tracking option a document used is archived, not deleted, when deleted.
            taxes.mark_used(t, j, str(li.get("TaxType") or ""))
            tracking.mark_used(t, j, li.get("Tracking") or [])
        j.set(t.invoices, rec["InvoiceID"], rec)
        j.event(t.tenant_id, "INVOICE", "CREATE" if existing is None else "UPDATE", rec["InvoiceID"])
        return rec

    @staticmethod
    def _currency_rate(t: TenantState, currency: str, value: Any, errors: list[str]) -> Decimal | None:
        """The ``CurrencyRate`` a document asks for (``None``: none given). A base-currency document
        always has 1."""
        if value is None:
            return None
        if currency == t.base_currency:
            return Decimal("1.000000")
        try:
            rate = to_decimal(value, "CurrencyRate")
        except ValidationFailed as exc:
            errors.extend(exc.messages)
            return None
        if rate <= 0:
            errors.append("The CurrencyRate must be greater than zero.")  # UNVERIFIED wording
            return None
        return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

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
        if discount_rate is not None and discount_amount is not None:
            discount_amount = None  # Xero keeps the rate when both are sent (xeroizer#483)
        if (discount_rate is not None or discount_amount is not None) and invoice["Type"] != "ACCREC":
            errors.append("Discounts are only supported on sales invoices.")  # UNVERIFIED wording
        if unit is None:
            if given_line is not None and quantity != 0:
                factor = (HUNDRED - (discount_rate or 0)) / HUNDRED
                unit = given_line / quantity / (factor or Decimal(1)) + (discount_amount or 0) / quantity
            else:
                unit = Decimal(0)
        unit = unit.quantize(unit_q, rounding=ROUND_HALF_UP)
        gross = quantity * unit
        if discount_rate is not None:
            if discount_rate < 0 or discount_rate > HUNDRED or (gross < 0 and discount_rate):
                errors.append(_discount_message(discount_rate))
            line_amount = money(gross * (HUNDRED - discount_rate) / HUNDRED)
        elif discount_amount is not None:
            discount_amount = money(discount_amount)
            if discount_amount < 0 or discount_amount > gross or gross < 0:
                errors.append(_discount_message(discount_amount))
            line_amount = money(gross - discount_amount)
        else:
            line_amount = money(gross)
        if given_line is not None and raw.get("UnitAmount") is not None and money(given_line) != line_amount:
            # Xero's wording (XeroAPI/Xero-NetStandard#74).
            errors.append(
                f"The line total {money(given_line)} does not match the expected line total {line_amount}."
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
                or self.default_tax_type_of(t, invoice["Type"])
            ).upper()
            rate = usable_rate(t, tax_type)
            if rate is None:
                errors.append(
                    f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of "
                    "transaction."
                )
            elif not taxes.can_apply(rate, account):
                # Xero's wording (Tax Rates page, "Tax Rate Constraints").
                errors.append(
                    f"The TaxType code '{tax_type}' cannot be used with account code '{account_code}'."
                )
        override = number("TaxAmount", None)
        old = previous.get(line_id)
        line: Record = {
            "LineItemID": line_id,
            "Description": description,
            "Quantity": quantity,
            "UnitAmount": unit,
            "TaxType": tax_type,
            "LineAmount": line_amount,
            "TaxAmount": ZERO,
            "Tracking": tracking.line_tracking(t, raw.get("Tracking"), (old or {}).get("Tracking"), errors),
        }
        if override is not None and invoice["LineAmountTypes"] != "NoTax":
            # A TaxAmount sent on a line replaces Xero's calculation (documented for invoices).
            line["_TaxOverride"] = money(override)
        if item is not None:
            line["ItemCode"] = item["Code"]
            line["Item"] = {"ItemID": item["ItemID"], "Code": item["Code"], "Name": item.get("Name")}
        if account is not None:
            line["AccountCode"] = account["Code"]
            line["AccountID"] = account["AccountID"]
        if discount_rate is not None:
            line["DiscountRate"] = discount_rate
        elif discount_amount is not None:
            line["DiscountAmount"] = discount_amount
        return line

    @staticmethod
    def stored_line_request(t: TenantState, line: Record) -> dict[str, Any]:
        """A stored line as a request would send it again (to recompute it under a new tax mode)."""
        request = {
            k: v for k, v in line.items() if not k.startswith("_") and k not in ("TaxAmount", "Tracking")
        }
        if line.get("_TaxOverride") is not None:
            request["TaxAmount"] = line["_TaxOverride"]
        request["Tracking"] = tracking.line_tracking_wire(t, line.get("Tracking") or [])
        return request

    def compute_totals(self, t: TenantState, rec: Record) -> None:
        """Per-line tax at each line's rate (or its override), then Xero's totals: exclusive
        ``Total = SubTotal + TotalTax``; inclusive ``Total = Σ LineAmount`` and
        ``SubTotal = Total − TotalTax``; no tax ``Total = SubTotal``."""
        mode = rec["LineAmountTypes"]
        line_total = ZERO
        total_tax = ZERO
        discount = ZERO
        lines: list[Record] = []
        for original in rec["LineItems"]:
            line = dict(original)
            lines.append(line)
            rate = t.tax_rate(str(line.get("TaxType") or ""))
            percent = rate["EffectiveRate"] if rate is not None else Decimal(0)
            amount: Decimal = line["LineAmount"]
            tax = taxes.line_tax(mode, amount, percent)
            if line.get("_TaxOverride") is not None and mode != "NoTax":
                tax = line["_TaxOverride"]
            line["TaxAmount"] = tax
            total_tax += tax
            line_total += amount
            discount += money(line["Quantity"] * line["UnitAmount"]) - amount if "Quantity" in line else ZERO
        rec["LineItems"] = lines
        if mode == "Inclusive":
            rec["Total"] = money(line_total)
            rec["SubTotal"] = money(line_total - total_tax)
        else:
            rec["SubTotal"] = money(line_total)
            rec["Total"] = money(line_total + total_tax)
        rec["TotalTax"] = money(total_tax)
        rec["TotalDiscount"] = money(discount)
        rec["IsDiscounted"] = any("DiscountRate" in li or "DiscountAmount" in li for li in lines)
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
        pay_date = read_date(data, "Date", errors) or ctx.now.date()
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
        # A payment is in its invoice's currency, at the rate given or the rate of the day.
        rate_errors: list[str] = []
        rate = self._currency_rate(t, invoice["CurrencyCode"], data.get("CurrencyRate"), rate_errors)
        if rate_errors:
            raise ValidationFailed(*rate_errors)
        if rate is None:
            rate = exchange_rate(t, invoice["CurrencyCode"])
        payment: Record = {
            "PaymentID": self.ids.new(),
            "Date": pay_date,
            "Amount": amount,
            "BankAmount": in_base_currency(amount, rate),
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
