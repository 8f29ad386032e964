"""Business rules of the emulated entities: Invoice, Customer, Payment, Item, Account, CompanyInfo.

What is modelled:

* Create, full update (omitted writable fields become null; read-only fields are kept or recomputed),
  sparse update (``"sparse": true``: only sent fields change; a sent ``Line`` replaces all lines).
* Optimistic locking: every write needs the current ``SyncToken`` (else 5010) and increments it.
* Invoice totals: ``SalesItemLineDetail`` amounts (``Qty × UnitPrice`` when ``Amount`` is omitted, fault
  6070 when both are sent and disagree), ``DiscountLineDetail`` (fixed or percent), a computed
  ``SubTotalLineDetail`` line, ``TxnTaxDetail.TotalTax`` from a flat rate per ``TaxCodeRef`` (option
  ``tax_rates``; codes without a configured rate keep a client-sent ``TotalTax``), ``TotalAmt`` and
  ``Balance``.
* Payments lower the balance of each linked invoice and bump its SyncToken (the cause of many 5010s in
  real integrations); void/delete restore the balances. Applying more than the open balance is fault 6000.
* Void invoice: kept, amounts and quantities zeroed, "Voided" prepended to ``PrivateNote``.
  Voiding or deleting an invoice that has payments applied is refused with 6000 (delete or void the
  payment first) — the real service's handling of that case is UNVERIFIED.
* Customers, items and accounts are never deleted (``Active=false``); their names are unique
  (case-insensitive), duplicates give 6240. Customer ``Balance`` follows its open invoices.
* References to ids that do not exist give 2500; references to inactive objects give 610.
* Unknown top-level properties are refused with 2010 like the real service (option
  ``strict_properties``); nested objects are not checked.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from . import attachments, books, chart, credits, expenses, faults, invoicing, lists, payables
from .clock import QuickBooksClock
from .faults import QBOFault
from .numbers import (
    check_date,
    money,
    to_decimal,
)
from .options import EmulatorOptions
from .state import ENTITY_BY_LOWER, NAMED, RealmState, Record, Tombstone

ZERO = Decimal(0)
HUNDRED = Decimal(100)

SYSTEM_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status", "time"})
READ_ONLY: dict[str, frozenset[str]] = {
    "Invoice": frozenset({"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "LinkedTxn", "DeliveryInfo"}),
    "Customer": frozenset({"Balance", "BalanceWithJobs", "FullyQualifiedName", "Level"}),
    "Payment": frozenset({"UnappliedAmt"}),
    "Item": frozenset({"FullyQualifiedName"}),
    "Account": frozenset(
        {
            "CurrentBalance",
            "CurrentBalanceWithSubAccounts",
            "FullyQualifiedName",
            "Classification",
            "SubAccount",
        }
    ),
    "JournalEntry": frozenset({"TotalAmt", "HomeTotalAmt"}),
    "Vendor": frozenset({"Balance"}),
    "Bill": frozenset({"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "LinkedTxn"}),
    "BillPayment": frozenset({"HomeTotalAmt"}),
    "CreditMemo": frozenset(
        {"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "RemainingCredit", "LinkedTxn"}
    ),
    "VendorCredit": frozenset({"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "LinkedTxn"}),
    "Purchase": frozenset({"TotalAmt", "HomeTotalAmt", "PurchaseEx", "RemitToAddr"}),
    "CompanyInfo": frozenset(),
    "Preferences": frozenset(),
    "TaxAgency": frozenset(),
    "TaxRate": frozenset(),
    "TaxCode": frozenset(),
    "Term": frozenset({"Type"}),
    "Class": frozenset({"FullyQualifiedName", "SubClass"}),
    "Department": frozenset({"FullyQualifiedName", "SubDepartment"}),
}
#: Name lists built by :mod:`.lists` (the Customer, Item and Account builders are below).
LISTS = frozenset({"Term", "Class", "Department", "TaxAgency"})
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "AUD": "Australian Dollar",
}
INVALID_NAME_CHARS = (":", "\t", "\n")
NAME_LABELS = {
    "Customer": "customer, vendor or employee",
    "Vendor": "customer, vendor or employee",
    "TaxAgency": "tax agency",
    "TaxCode": "tax code",
}

_TXN_FIELDS = {
    "DocNumber",
    "TxnDate",
    "CurrencyRef",
    "ExchangeRate",
    "PrivateNote",
    "LinkedTxn",
    "Line",
    "TxnSource",
    "TransactionLocationType",
    "ProjectRef",
    "DepartmentRef",
    "TxnStatus",
    "CustomerRef",
    "TotalAmt",
}
KNOWN_PROPERTIES: dict[str, frozenset[str]] = {
    "Invoice": frozenset(
        _TXN_FIELDS
        | {
            "DueDate",
            "TxnTaxDetail",
            "Balance",
            "HomeBalance",
            "HomeTotalAmt",
            "BillEmail",
            "BillEmailCc",
            "BillEmailBcc",
            "BillAddr",
            "ShipAddr",
            "ShipFromAddr",
            "FreeFormAddress",
            "CustomerMemo",
            "SalesTermRef",
            "CustomField",
            "EmailStatus",
            "PrintStatus",
            "ApplyTaxAfterDiscount",
            "ShipDate",
            "TrackingNum",
            "ShipMethodRef",
            "ClassRef",
            "GlobalTaxCalculation",
            "AllowOnlinePayment",
            "AllowOnlineCreditCardPayment",
            "AllowOnlineACHPayment",
            "AllowIPNPayment",
            "Deposit",
            "DepositToAccountRef",
            "DeliveryInfo",
            "InvoiceLink",
            "TaxExemptionRef",
            "RecurDataRef",
        }
    ),
    "Payment": frozenset(
        _TXN_FIELDS
        | {
            "UnappliedAmt",
            "DepositToAccountRef",
            "PaymentMethodRef",
            "PaymentRefNum",
            "ARAccountRef",
            "ProcessPayment",
            "CreditCardPayment",
        }
    ),
    "Customer": frozenset(
        {
            "Title",
            "GivenName",
            "MiddleName",
            "FamilyName",
            "Suffix",
            "DisplayName",
            "FullyQualifiedName",
            "CompanyName",
            "PrintOnCheckName",
            "Active",
            "PrimaryPhone",
            "AlternatePhone",
            "Mobile",
            "Fax",
            "PrimaryEmailAddr",
            "WebAddr",
            "OtherContactInfo",
            "DefaultTaxCodeRef",
            "Taxable",
            "BillAddr",
            "ShipAddr",
            "Notes",
            "Job",
            "BillWithParent",
            "ParentRef",
            "Level",
            "SalesTermRef",
            "PaymentMethodRef",
            "Balance",
            "OpenBalanceDate",
            "BalanceWithJobs",
            "CurrencyRef",
            "PreferredDeliveryMethod",
            "ResaleNum",
            "ARAccountRef",
            "PrimaryTaxIdentifier",
            "SecondaryTaxIdentifier",
            "TaxExemptionReasonId",
            "IsProject",
            "ClientEntityId",
            "GSTIN",
            "GSTRegistrationType",
            "BusinessNumber",
            "CustomerTypeRef",
            "Source",
        }
    ),
    "Item": frozenset(
        {
            "Name",
            "Sku",
            "Description",
            "Active",
            "SubItem",
            "ParentRef",
            "Level",
            "FullyQualifiedName",
            "Taxable",
            "SalesTaxIncluded",
            "UnitPrice",
            "Type",
            "IncomeAccountRef",
            "PurchaseDesc",
            "PurchaseTaxIncluded",
            "PurchaseCost",
            "ExpenseAccountRef",
            "AssetAccountRef",
            "TrackQtyOnHand",
            "QtyOnHand",
            "InvStartDate",
            "SalesTaxCodeRef",
            "PurchaseTaxCodeRef",
            "ClassRef",
            "PrefVendorRef",
            "ItemCategoryType",
            "ServiceType",
            "AbatementRate",
            "ReverseChargeRate",
            "Source",
            "TaxClassificationRef",
        }
    ),
    "Account": frozenset(
        {
            "Name",
            "SubAccount",
            "ParentRef",
            "Description",
            "FullyQualifiedName",
            "Active",
            "Classification",
            "AccountType",
            "AccountSubType",
            "AcctNum",
            "CurrentBalance",
            "CurrentBalanceWithSubAccounts",
            "CurrencyRef",
            "TaxCodeRef",
            "TxnLocationType",
            "AccountAlias",
            "OpeningBalance",
            "OpeningBalanceDate",
            "BankNum",
            "AcctNumExtn",
            "TaxAccount",
        }
    ),
    "Vendor": frozenset(
        {
            "Title",
            "GivenName",
            "MiddleName",
            "FamilyName",
            "Suffix",
            "DisplayName",
            "CompanyName",
            "PrintOnCheckName",
            "Active",
            "PrimaryPhone",
            "AlternatePhone",
            "Mobile",
            "Fax",
            "PrimaryEmailAddr",
            "WebAddr",
            "OtherContactInfo",
            "BillAddr",
            "ShipAddr",
            "ContactName",
            "AltContactName",
            "Notes",
            "TaxIdentifier",
            "TaxCountry",
            "BusinessNumber",
            "VendorTypeRef",
            "TermRef",
            "PrefillAccountRef",
            "Balance",
            "BillRate",
            "CostRate",
            "OpenBalanceDate",
            "CreditLimit",
            "AcctNum",
            "Vendor1099",
            "T4AEligible",
            "T5018Eligible",
            "CurrencyRef",
            "TaxReportingBasis",
            "APAccountRef",
            "VendorPaymentBankDetail",
            "GSTIN",
            "GSTRegistrationType",
            "Source",
        }
    ),
    "Bill": frozenset(
        _TXN_FIELDS
        | {
            "VendorRef",
            "APAccountRef",
            "DueDate",
            "SalesTermRef",
            "GlobalTaxCalculation",
            "TxnTaxDetail",
            "Balance",
            "HomeBalance",
            "HomeTotalAmt",
            "RecurDataRef",
            "IncludeInAnnualTPAR",
            "VendorAddr",
            "RemitToAddr",
        }
    ),
    "BillPayment": frozenset(
        _TXN_FIELDS
        | {
            "VendorRef",
            "APAccountRef",
            "PayType",
            "CheckPayment",
            "CreditCardPayment",
            "HomeTotalAmt",
            "ProcessBillPayment",
        }
    ),
    "JournalEntry": frozenset(
        _TXN_FIELDS
        | {"Adjustment", "HomeCurrencyAdjustment", "EnteredInHomeCurrency", "HomeTotalAmt", "TxnTaxDetail"}
    ),
    "Term": frozenset(
        {
            "Name",
            "Active",
            "Type",
            "DueDays",
            "DayOfMonthDue",
            "DueNextMonthDays",
            "DiscountPercent",
            "DiscountDays",
            "DiscountDayOfMonth",
        }
    ),
    "Class": frozenset({"Name", "SubClass", "ParentRef", "FullyQualifiedName", "Active"}),
    "Department": frozenset({"Name", "SubDepartment", "ParentRef", "FullyQualifiedName", "Active"}),
    "TaxAgency": frozenset(
        {
            "DisplayName",
            "TaxTrackedOnSales",
            "TaxTrackedOnPurchases",
            "TaxRegistrationNumber",
            "ReportingPeriod",
            "LastFileDate",
            "TaxAgencyConfig",
        }
    ),
    "TaxRate": frozenset(
        {
            "Name",
            "Description",
            "Active",
            "RateValue",
            "AgencyRef",
            "TaxReturnLineRef",
            "SpecialTaxType",
            "DisplayType",
            "EffectiveTaxRate",
        }
    ),
    "TaxCode": frozenset(
        {
            "Name",
            "Description",
            "Active",
            "Hidden",
            "Taxable",
            "TaxGroup",
            "SalesTaxRateList",
            "PurchaseTaxRateList",
            "AdjustmentTaxRateList",
            "TaxCodeConfigType",
        }
    ),
    "Preferences": frozenset(
        {
            "AccountingInfoPrefs",
            "ProductAndServicesPrefs",
            "SalesFormsPrefs",
            "EmailMessagesPrefs",
            "VendorAndPurchasesPrefs",
            "TimeTrackingPrefs",
            "TaxPrefs",
            "CurrencyPrefs",
            "ReportPrefs",
            "OtherPrefs",
        }
    ),
    "CompanyInfo": frozenset(
        {
            "CompanyName",
            "LegalName",
            "CompanyAddr",
            "CustomerCommunicationAddr",
            "LegalAddr",
            "PrimaryPhone",
            "CompanyStartDate",
            "FiscalYearStartMonth",
            "Country",
            "Email",
            "WebAddr",
            "SupportedLanguages",
            "NameValue",
            "EmployerId",
            "CustomerCommunicationEmailAddr",
            "OtherContactInfo",
        }
    ),
}


KNOWN_PROPERTIES["CreditMemo"] = KNOWN_PROPERTIES["Invoice"] | {"RemainingCredit", "InvoiceRef"}
KNOWN_PROPERTIES["VendorCredit"] = KNOWN_PROPERTIES["Bill"] - {"DueDate", "SalesTermRef"}
KNOWN_PROPERTIES["Purchase"] = (
    KNOWN_PROPERTIES["Bill"]
    - {"DueDate", "SalesTermRef", "VendorRef", "Balance", "HomeBalance", "APAccountRef"}
) | {
    "AccountRef",
    "PaymentType",
    "EntityRef",
    "Credit",
    "PaymentMethodRef",
    "PrintStatus",
    "RemitToAddr",
    "PurchaseEx",
}


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change, as reported by webhooks."""

    realm_id: str
    entity: str
    id: str
    operation: str
    when: datetime


def entity_name(path_part: str) -> str | None:
    return ENTITY_BY_LOWER.get(path_part.lower())


def ref_value(ref: Any) -> str | None:
    if isinstance(ref, dict):
        value = ref.get("value")
        return None if value in (None, "") else str(value)
    if isinstance(ref, str | int) and not isinstance(ref, bool):
        return str(ref)
    return None


class Ledger:
    """Applies reads and writes to one company, enforcing the rules above."""

    def __init__(
        self,
        realm: RealmState,
        options: EmulatorOptions,
        clock: QuickBooksClock,
        on_change: Callable[[Change], None] | None = None,
    ) -> None:
        self.realm = realm
        self.options = options
        self.clock = clock
        self.tax_rates = options.tax_rate_table()
        self.on_change = on_change

    # ------------------------------------------------------------------ helpers
    def emit(self, entity: str, record_id: str, operation: str, when: datetime) -> None:
        if self.on_change is not None:
            self.on_change(Change(self.realm.realm_id, entity, record_id, operation, when))

    def currency_ref(self, code: str | None = None) -> dict[str, str]:
        """``{"value": "USD", "name": ...}``: the home currency unless ``code`` is given."""
        code = (code or self.options.home_currency).upper()
        return {"value": code, "name": CURRENCY_NAMES.get(code, code)}

    def resolve(self, entity: str, ref: Any, element: str, *, required: bool = True) -> Record | None:
        value = ref_value(ref)
        if value is None:
            if ref is not None and not isinstance(ref, dict):
                raise faults.request_parse(f"{element} must be a reference object")
            if required:
                raise faults.required(element)
            return None
        record = self.realm.table(entity).get(value)
        if record is None:
            raise faults.invalid_reference(entity, value, element)
        if record.data.get("Active") is False:
            raise faults.not_found(entity, value)
        return record

    def read(self, entity: str, record_id: str) -> Record:
        if (entity == "CompanyInfo" and record_id == self.realm.realm_id) or entity == "Preferences":
            record_id = "1"
        record = self.realm.table(entity).get(record_id)
        if record is None:
            raise faults.not_found(entity, record_id)
        return record

    def _stamp_new(
        self,
        entity: str,
        data: dict[str, Any],
        when: datetime,
        stamp: str | None = None,
        record_id: str | None = None,
        versioned: bool = True,
    ) -> Record:
        table = self.realm.table(entity)
        rid = record_id or table.new_id()
        if record_id is not None and record_id.isdigit():
            table.next_id = max(table.next_id, int(record_id) + 1)
        stamp = stamp or self.clock.qbo(when)
        data["domain"] = "QBO"
        data["sparse"] = False
        data["Id"] = rid
        if versioned:  # US pseudo tax codes (TAX, NON) come without SyncToken and MetaData
            data["SyncToken"] = "0"
            data["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
        record = Record(entity, rid, data, when, when)
        table.put(record)
        return record

    def _stamp_update(self, record: Record, data: dict[str, Any], when: datetime) -> None:
        data["domain"] = "QBO"
        data["sparse"] = False
        data["Id"] = record.id
        data["SyncToken"] = str(int(record.sync_token) + 1)
        data["MetaData"] = {
            "CreateTime": record.data["MetaData"]["CreateTime"],
            "LastUpdatedTime": self.clock.qbo(when),
        }
        record.data = data
        record.updated = when
        self.realm.table(record.entity).put(record)

    def _bump(self, record: Record, when: datetime) -> None:
        """Increment SyncToken and LastUpdatedTime of a record changed as a side effect."""
        self._stamp_update(record, record.data, when)

    def _target(self, entity: str, body: dict[str, Any]) -> Record:
        rid = body.get("Id")
        if rid in (None, ""):
            raise faults.required("Id")
        record = self.realm.table(entity).get(str(rid))
        if record is None:
            raise faults.not_found(entity, rid)
        token = body.get("SyncToken")
        if token is None:
            raise faults.required("SyncToken")
        if str(token) != record.sync_token:
            raise faults.stale_object(entity, record.sync_token, token)
        return record

    @staticmethod
    def _unstamped(record: Record) -> dict[str, Any]:
        return {key: value for key, value in copy.deepcopy(record.data).items() if key not in SYSTEM_FIELDS}

    @staticmethod
    def _writable(entity: str, body: dict[str, Any]) -> dict[str, Any]:
        blocked = SYSTEM_FIELDS | READ_ONLY[entity]
        return {key: value for key, value in body.items() if key not in blocked}

    # ------------------------------------------------------------------ public writes
    def write(self, entity: str, operation: str, body: Any, *, include: str | None = None) -> dict[str, Any]:
        """Run one write and return the response object (without ``time``)."""
        if entity == "Attachable":
            return attachments.write(self, (operation or "create").lower(), body)
        if not isinstance(body, dict):
            raise faults.request_parse(f"the {entity} body must be a JSON object")
        if self.options.strict_properties:
            allowed = KNOWN_PROPERTIES[entity] | SYSTEM_FIELDS
            unknown = sorted(key for key in body if key not in allowed)
            if unknown:
                raise faults.invalid_property(
                    f'Property Name:Unrecognized field "{unknown[0]}" specified is unsupported or invalid',
                    unknown[0],
                )
        operation = (operation or "create").lower()
        if operation == "update" and include == "void":
            operation = "void"
        if entity in ("TaxCode", "TaxRate"):
            raise faults.unsupported_operation(
                f"Operation {operation.capitalize()} {entity} is not supported: create tax codes and "
                "rates with TaxService (POST /taxservice/taxcode)"
            )
        if entity == "Preferences":
            if operation != "update" and body.get("Id") in (None, ""):
                body = {**body, "Id": "1"}
            operation = "update"
        if operation == "delete":
            tomb = self.delete(entity, body)
            return {entity: {"domain": "QBO", "status": "Deleted", "Id": tomb.id}}
        if operation == "void":
            return {entity: self.void(entity, body).data}
        if operation not in ("create", "update"):
            raise faults.unsupported_operation(f"Operation {operation} is not supported.")
        if body.get("Id") not in (None, ""):
            return {entity: self.update(entity, body).data}
        if operation == "update":
            raise faults.required("Id")
        return {entity: self.create(entity, body).data}

    def create(self, entity: str, body: dict[str, Any]) -> Record:
        if entity in ("CompanyInfo", "Preferences"):
            raise faults.unsupported_operation(f"Operation Create {entity} is not supported.")
        now = self.clock.now()
        data = self._writable(entity, body)
        if entity == "Invoice":
            context = self._build_invoice(data, None, body)
            record = self._stamp_new(entity, data, now)
            self._index_invoice(record, None, context)
        elif entity == "Payment":
            applications, uses = self._build_payment(data, None)
            record = self._stamp_new(entity, data, now)
            self.emit(entity, record.id, "Create", now)
            self._apply_payment(record, applications, now, uses)
            return record
        elif entity == "JournalEntry":
            self._build_journal_entry(data)
            record = self._stamp_new(entity, data, now)
        elif entity == "CreditMemo":
            credits.build_credit_memo(self, data, None, body)
            record = self._stamp_new(entity, data, now)
            self._refresh_customer_balance(data["CustomerRef"]["value"])
        elif entity in ("Bill", "VendorCredit"):
            payables.build_bill(self, data, None, credit=entity == "VendorCredit")
            record = self._stamp_new(entity, data, now)
            payables.refresh_vendor_balance(self, record.data["VendorRef"]["value"])
        elif entity == "Purchase":
            expenses.build_purchase(self, data)
            record = self._stamp_new(entity, data, now)
        elif entity == "BillPayment":
            bills, uses = payables.build_bill_payment(self, data, None)
            record = self._stamp_new(entity, data, now)
            self.emit(entity, record.id, "Create", now)
            payables.apply_bill_payment(self, record, bills, now, uses)
            return record
        else:
            self._build_named(entity, data, None)
            record = self._stamp_new(entity, data, now)
            self._index_name(record, None)
        self.emit(entity, record.id, "Create", now)
        return record

    def update(self, entity: str, body: dict[str, Any]) -> Record:
        record = self._target(entity, body)
        now = self.clock.now()
        sparse = body.get("sparse") in (True, "true")
        if sparse:
            data = {
                key: value for key, value in copy.deepcopy(record.data).items() if key not in SYSTEM_FIELDS
            }
            data.update(self._writable(entity, copy.deepcopy(body)))
        else:
            data = self._writable(entity, body)
            if entity == "CompanyInfo":
                data.setdefault("CompanyName", None)
        old_name = record.data.get(NAMED.get(entity, "Name"))
        if entity == "Invoice":
            context = self._build_invoice(data, record, body)
            old_customer = ref_value(record.data.get("CustomerRef"))
            old_doc = record.data.get("DocNumber")
            self._stamp_update(record, data, now)
            self._index_invoice(record, (old_customer, old_doc), context)
        elif entity == "Payment":
            if record.voided:
                raise faults.business("A voided payment cannot be changed")
            applications, uses = self._build_payment(data, record)
            self._stamp_update(record, data, now)
            self._apply_payment(record, applications, now, uses)
        elif entity == "JournalEntry":
            self._build_journal_entry(data)
            self._stamp_update(record, data, now)
        elif entity == "Purchase":
            if record.voided:
                raise faults.business("A voided expense cannot be changed")
            expenses.build_purchase(self, data)
            self._stamp_update(record, data, now)
        elif entity == "CreditMemo":
            if record.voided:
                raise faults.business("A voided credit memo cannot be changed")
            before = ref_value(record.data.get("CustomerRef"))
            credits.build_credit_memo(self, data, record, body)
            self._stamp_update(record, data, now)
            for customer_id in {before, data["CustomerRef"]["value"]} - {None}:
                self._refresh_customer_balance(str(customer_id))
        elif entity in ("Bill", "VendorCredit"):
            old_vendor = record.data["VendorRef"]["value"]
            book = self.realm.bill_applied if entity == "Bill" else self.realm.vendor_credit_applied
            if ref_value(data.get("VendorRef")) != old_vendor and book.get(record.id):
                raise faults.business(
                    "A bill or vendor credit in a bill payment keeps its vendor", "VendorRef"
                )
            payables.build_bill(self, data, record, credit=entity == "VendorCredit")
            self._stamp_update(record, data, now)
            for vendor in {old_vendor, data["VendorRef"]["value"]}:
                payables.refresh_vendor_balance(self, vendor)
        elif entity == "BillPayment":
            if record.voided:
                raise faults.business("A voided bill payment cannot be changed")
            bills, uses = payables.build_bill_payment(self, data, record)
            self._stamp_update(record, data, now)
            payables.apply_bill_payment(self, record, bills, now, uses)
        elif entity == "CompanyInfo":
            if not data.get("CompanyName"):
                raise faults.required("CompanyName")
            self._stamp_update(record, data, now)
        elif entity == "Preferences":
            sent = self._writable(entity, body)
            self._stamp_update(record, lists.merge_preferences(self._unstamped(record), sent), now)
        else:
            self._build_named(entity, data, record)
            self._stamp_update(record, data, now)
            self._index_name(record, old_name)
        self.emit(entity, record.id, "Update", now)
        return record

    def delete(self, entity: str, body: dict[str, Any]) -> Tombstone:
        if entity not in (
            "Invoice",
            "Payment",
            "JournalEntry",
            "Bill",
            "BillPayment",
            "CreditMemo",
            "VendorCredit",
            "Purchase",
        ):
            raise faults.unsupported_operation(
                f"Operation Delete {entity} is not supported. Make it inactive (Active=false) instead."
                if entity != "CompanyInfo"
                else "Operation Delete CompanyInfo is not supported."
            )
        record = self._target(entity, body)
        now = self.clock.now()
        if entity == "Invoice":
            if self.realm.applied.get(record.id):
                raise faults.business(
                    "This invoice has payments applied. Delete or void the payments first.", "Id"
                )
            customer = ref_value(record.data.get("CustomerRef"))
            self._unindex_invoice(record)
            if customer:
                self._refresh_customer_balance(customer)
        elif entity == "Payment":
            self._apply_payment(record, {}, now)
        elif entity in ("Bill", "VendorCredit"):
            payables.bill_deletable(self, record)
        elif entity == "CreditMemo":
            credits.removable(self, record, "delete")
        elif entity == "BillPayment":
            payables.apply_bill_payment(self, record, {}, now)
        tomb = Tombstone(entity, record.id, now, self.clock.qbo(now))
        self.realm.table(entity).remove(record.id, tomb)
        if entity in ("Bill", "VendorCredit"):
            payables.refresh_vendor_balance(self, record.data["VendorRef"]["value"])
        if entity == "CreditMemo":
            self._refresh_customer_balance(record.data["CustomerRef"]["value"])
        self.emit(entity, record.id, "Delete", now)
        return tomb

    def void(self, entity: str, body: dict[str, Any]) -> Record:
        if entity not in ("Invoice", "Payment", "BillPayment", "CreditMemo", "Purchase"):
            raise faults.unsupported_operation(f"Operation Void {entity} is not supported.")
        record = self._target(entity, body)
        now = self.clock.now()
        data = copy.deepcopy(record.data)
        if entity == "Purchase":
            record.voided = True
            expenses.void(data)
            self._stamp_update(record, data, now)
        elif entity == "CreditMemo":
            credits.removable(self, record, "void")
            record.voided = True
            credits.void(data)
            self._stamp_update(record, data, now)
            self._refresh_customer_balance(data["CustomerRef"]["value"])
        elif entity == "BillPayment":
            record.voided = True
            payables.void_bill_payment(data)
            self._stamp_update(record, data, now)
            payables.apply_bill_payment(self, record, {}, now)
        elif entity == "Invoice":
            if self.realm.applied.get(record.id):
                raise faults.business(
                    "This invoice has payments applied. Delete or void the payments first.", "Id"
                )
            record.voided = True
            _zero_invoice(data)
            self._stamp_update(record, data, now)
            customer = ref_value(data.get("CustomerRef"))
            if customer:
                self._refresh_customer_balance(customer)
        else:
            record.voided = True
            data["TotalAmt"] = ZERO
            data["UnappliedAmt"] = ZERO
            for line in data.get("Line") or []:
                line["Amount"] = ZERO
            data["PrivateNote"] = _voided_note(data.get("PrivateNote"))
            self._stamp_update(record, data, now)
            self._apply_payment(record, {}, now)
        self.emit(entity, record.id, "Void", now)
        return record

    def send(self, invoice_id: str, send_to: str | None) -> Record:
        record = self.read("Invoice", invoice_id)
        now = self.clock.now()
        data = copy.deepcopy(record.data)
        if send_to:
            data["BillEmail"] = {"Address": send_to}
        address = (data.get("BillEmail") or {}).get("Address")
        if not address:
            raise faults.business(
                "An email address is required to send the invoice (BillEmail).", "BillEmail"
            )
        data["EmailStatus"] = "EmailSent"
        data["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": self.clock.qbo(now)}
        self._stamp_update(record, data, now)
        self.emit("Invoice", record.id, "Emailed", now)
        return record

    # ------------------------------------------------------------------ invoices
    def _build_invoice(
        self, data: dict[str, Any], existing: Record | None, sent: dict[str, Any]
    ) -> dict[str, Any]:
        customer = self.resolve("Customer", data.get("CustomerRef"), "CustomerRef")
        assert customer is not None
        if (
            existing is not None
            and self.realm.applied.get(existing.id)
            and ref_value(existing.data.get("CustomerRef")) != customer.id
        ):
            raise faults.business(
                "The customer of an invoice with payments applied cannot change", "CustomerRef"
            )
        data["CustomerRef"] = {"value": customer.id, "name": customer.data.get("DisplayName", "")}
        lines = data.get("Line")
        if lines is None or lines == []:
            raise faults.required("Line")
        if not isinstance(lines, list):
            raise faults.request_parse("Line must be an array")
        today = self.clock.today().isoformat()
        data["TxnDate"] = check_date(data.get("TxnDate") or today, "TxnDate")
        due_given = bool(data.get("DueDate"))
        if due_given:
            data["DueDate"] = check_date(data["DueDate"], "DueDate")
        else:
            data["DueDate"] = data["TxnDate"]
        code = invoicing.currency(self, data, customer)
        invoicing.terms(self, data, due_given)
        invoicing.tracking(self, data)
        for key, default in (
            ("EmailStatus", "NotSet"),
            ("PrintStatus", "NotSet"),
            ("ApplyTaxAfterDiscount", False),
        ):
            if data.get(key) is None:
                data[key] = default
        for key in ("BillEmail", "BillAddr", "ShipAddr", "CustomerMemo", "SalesTermRef"):
            if key in data and data[key] is None:
                del data[key]
        self._custom_fields(data)
        if existing is None and not data.get("DocNumber") and self.options.auto_doc_number:
            data["DocNumber"] = self.next_doc_number()
        doc = data.get("DocNumber")
        if doc is not None:
            doc = str(doc)
            if len(doc) > 21:
                raise faults.invalid_property("DocNumber is longer than 21 characters", "DocNumber")
            data["DocNumber"] = doc
            if self.options.reject_duplicate_doc_number:
                holders = self.realm.doc_numbers.get(doc, set()) - ({existing.id} if existing else set())
                if holders:
                    raise QBOFault(
                        faults.DUPLICATE_DOC_NUMBER,
                        "Duplicate Document Number Error",
                        f"Duplicate Document Number Error : You must specify a different number. "
                        f"This number has already been used. DocNumber={doc} is assigned to "
                        f"TxnType=Invoice with TxnId={min(holders, key=int)}",
                        "DocNumber",
                    )
        invoicing.SalesTotals(self, data, sent, code).run()
        applied = sum(self.realm.applied.get(existing.id, {}).values(), ZERO) if existing else ZERO
        if existing is not None and existing.voided:
            _zero_invoice(data, prefix_note=False)
        balance = data["TotalAmt"] - applied
        if balance < 0:
            raise faults.business(
                f"The invoice total {data['TotalAmt']} is less than the payments applied to it ({applied}).",
                "Line",
            )
        data["Balance"] = ZERO if existing is not None and existing.voided else balance
        invoicing.home_amounts(self, data, "TotalAmt", "Balance")
        data["LinkedTxn"] = (
            [{"TxnId": pid, "TxnType": "Payment"} for pid in self.realm.applied.get(existing.id, {})]
            if existing
            else []
        )
        return {"customer": customer.id}

    def _custom_fields(self, data: dict[str, Any]) -> None:
        """Sales form custom fields: named after the company's definitions (by ``DefinitionId``)."""
        fields = data.get("CustomField")
        if fields is None:
            data.pop("CustomField", None)
            return
        if not isinstance(fields, list):
            raise faults.request_parse("CustomField must be an array")
        defined = books.custom_field_definitions(invoicing.preferences(self))
        out = []
        for field in fields:
            if not isinstance(field, dict):
                raise faults.request_parse("each CustomField must be an object")
            entry = dict(field)
            definition = str(entry.get("DefinitionId") or "")
            if definition in defined:
                entry["Name"] = defined[definition]
                entry.setdefault("Type", "StringType")
            out.append(entry)
        data["CustomField"] = out

    def next_doc_number(self) -> str:
        while str(self.realm.next_doc_number) in self.realm.doc_numbers:
            self.realm.next_doc_number += 1
        value = str(self.realm.next_doc_number)
        self.realm.next_doc_number += 1
        return value

    def _index_invoice(
        self, record: Record, previous: tuple[str | None, Any] | None, context: dict[str, Any]
    ) -> None:
        realm = self.realm
        customer = context["customer"]
        if previous is not None:
            old_customer, old_doc = previous
            if old_doc is not None:
                realm.doc_numbers.get(str(old_doc), set()).discard(record.id)
            if old_customer and old_customer != customer:
                realm.customer_invoices.get(old_customer, set()).discard(record.id)
                self._refresh_customer_balance(old_customer)
        doc = record.data.get("DocNumber")
        if doc is not None:
            realm.doc_numbers.setdefault(str(doc), set()).add(record.id)
        realm.customer_invoices.setdefault(customer, set()).add(record.id)
        self._refresh_customer_balance(customer)

    def _unindex_invoice(self, record: Record) -> None:
        doc = record.data.get("DocNumber")
        if doc is not None:
            self.realm.doc_numbers.get(str(doc), set()).discard(record.id)
        customer = ref_value(record.data.get("CustomerRef"))
        if customer:
            self.realm.customer_invoices.get(customer, set()).discard(record.id)

    def _refresh_customer_balance(self, customer_id: str) -> None:
        customer = self.realm.table("Customer").get(customer_id)
        if customer is None:
            return
        invoices = self.realm.table("Invoice")
        total = ZERO
        for invoice_id in self.realm.customer_invoices.get(customer_id, ()):
            invoice = invoices.get(invoice_id)
            if invoice is not None:
                total += invoice.data.get("Balance", ZERO)
        # Unused credit is owed back: it lowers what the customer owes.
        for memo in self.realm.table("CreditMemo"):
            if ref_value(memo.data.get("CustomerRef")) == customer_id:
                total -= Decimal(str(memo.data.get("RemainingCredit") or 0))
        if customer.data.get("Balance") != total:
            customer.data["Balance"] = total
            customer.data["BalanceWithJobs"] = total
            customer.changed()
            self.realm.table("Customer").touch()

    # ------------------------------------------------------------------ payments
    def _build_payment(
        self, data: dict[str, Any], existing: Record | None
    ) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        customer = self.resolve("Customer", data.get("CustomerRef"), "CustomerRef")
        assert customer is not None
        data["CustomerRef"] = {"value": customer.id, "name": customer.data.get("DisplayName", "")}
        if data.get("TotalAmt") is None:
            raise faults.required("TotalAmt")
        total = to_decimal(data["TotalAmt"], "TotalAmt")
        if total < 0:
            raise faults.business("The payment amount cannot be negative", "TotalAmt")
        data["TxnDate"] = check_date(data.get("TxnDate") or self.clock.today().isoformat(), "TxnDate")
        code = invoicing.currency(self, data, customer)
        total = money(total, "TotalAmt", invoicing.quantum(code))
        data["TotalAmt"] = total
        if data.get("DepositToAccountRef") is not None:
            account = self.resolve("Account", data["DepositToAccountRef"], "DepositToAccountRef")
            assert account is not None
            data["DepositToAccountRef"] = {"value": account.id, "name": account.data.get("Name", "")}
        else:
            undeposited = self._find_account("Undeposited Funds")
            if undeposited is not None:
                data["DepositToAccountRef"] = {"value": undeposited.id, "name": "Undeposited Funds"}
        data.setdefault("ProcessPayment", False)
        lines = data.get("Line") or []
        if not isinstance(lines, list):
            raise faults.request_parse("Line must be an array")
        invoices = self.realm.table("Invoice")
        applications: dict[str, Decimal] = {}
        uses: dict[str, Decimal] = {}
        out: list[dict[str, Any]] = []
        for raw in lines:
            if not isinstance(raw, dict):
                raise faults.request_parse("each Line must be an object")
            if raw.get("Amount") is None:
                raise faults.required("Line.Amount")
            amount = to_decimal(raw["Amount"], "Line.Amount")
            if amount < 0:
                raise faults.business("A payment line amount cannot be negative", "Line.Amount")
            links = raw.get("LinkedTxn") or []
            if not isinstance(links, list) or not links:
                raise faults.required("Line.LinkedTxn")
            line = dict(raw)
            new_links = []
            if isinstance(links[0], dict) and links[0].get("TxnType") == "CreditMemo":
                memo = credits.check_use(self, str(links[0].get("TxnId")), customer.id, code)
                line["Amount"] = amount
                line["LinkedTxn"] = [{"TxnId": memo.id, "TxnType": "CreditMemo"}]
                uses[memo.id] = uses.get(memo.id, ZERO) + amount
                out.append(line)
                continue
            for link in links:
                if not isinstance(link, dict) or link.get("TxnId") in (None, ""):
                    raise faults.required("Line.LinkedTxn.TxnId")
                if link.get("TxnType") != "Invoice":
                    raise faults.invalid_property(
                        f"Linking a payment to {link.get('TxnType')} is not emulated",
                        "Line.LinkedTxn.TxnType",
                    )
                invoice_id = str(link["TxnId"])
                invoice = invoices.get(invoice_id)
                if invoice is None:
                    raise faults.invalid_reference("Invoice", invoice_id, "Line.LinkedTxn.TxnId")
                if invoice.voided:
                    raise faults.business(f"Invoice {invoice_id} is voided", "Line.LinkedTxn.TxnId")
                if ref_value(invoice.data.get("CustomerRef")) != customer.id:
                    raise faults.business(
                        f"Invoice {invoice_id} belongs to another customer", "Line.LinkedTxn.TxnId"
                    )
                if ref_value(invoice.data.get("CurrencyRef")) not in (None, code):
                    raise faults.business(
                        f"Invoice {invoice_id} is in {ref_value(invoice.data.get('CurrencyRef'))}, "
                        f"the payment in {code}",
                        "Line.LinkedTxn.TxnId",
                    )
                new_links.append({"TxnId": invoice_id, "TxnType": "Invoice"})
            line["Amount"] = amount
            line["LinkedTxn"] = new_links
            applications[new_links[0]["TxnId"]] = applications.get(new_links[0]["TxnId"], ZERO) + amount
            out.append(line)
        data["Line"] = out
        # Credit used in the payment pays invoices too: only the rest is money received.
        applied = sum(applications.values(), ZERO) - sum(uses.values(), ZERO)
        if applied > total:
            raise faults.business(
                f"The amount applied ({applied}) is more than the payment amount ({total})", "Line.Amount"
            )
        if applied < 0:
            raise faults.business("More credit is used than the payment applies to invoices", "Line.Amount")
        credits.check_uses(self, uses, existing)
        for invoice_id, amount in applications.items():
            invoice = invoices.get(invoice_id)
            assert invoice is not None
            previously = self.realm.applied.get(invoice_id, {}).get(existing.id, ZERO) if existing else ZERO
            open_balance = invoice.data.get("Balance", ZERO) + previously
            if amount > open_balance:
                raise faults.business(
                    f"The payment amount {amount} applied to invoice {invoice_id} is more than "
                    f"its open balance {open_balance}",
                    "Line.Amount",
                )
        data["UnappliedAmt"] = total - applied
        invoicing.home_amounts(self, data, "TotalAmt")
        return applications, uses

    def _build_journal_entry(self, data: dict[str, Any]) -> None:
        data["TxnDate"] = check_date(data.get("TxnDate") or self.clock.today().isoformat(), "TxnDate")
        doc = data.get("DocNumber")
        if doc is not None and len(str(doc)) > 21:
            raise faults.invalid_property("DocNumber is longer than 21 characters", "DocNumber")
        chart.build_journal_entry(self, data)

    def _find_account(self, name: str) -> Record | None:
        account_id = self.realm.names["Account"].get(name.lower())
        return self.realm.table("Account").get(account_id) if account_id else None

    def _apply_payment(
        self,
        payment: Record,
        applications: dict[str, Decimal],
        when: datetime,
        uses: dict[str, Decimal] | None = None,
    ) -> None:
        """Make the invoice side match ``applications`` of this payment (empty: unapply it)."""
        realm = self.realm
        invoices = realm.table("Invoice")
        previous = {
            invoice_id: amounts[payment.id]
            for invoice_id, amounts in realm.applied.items()
            if payment.id in amounts
        }
        customers: set[str] = set()
        for invoice_id in set(previous) | set(applications):
            if previous.get(invoice_id) == applications.get(invoice_id):
                continue
            amounts = realm.applied.setdefault(invoice_id, {})
            if invoice_id in applications:
                amounts[payment.id] = applications[invoice_id]
            else:
                amounts.pop(payment.id, None)
            if not amounts:
                realm.applied.pop(invoice_id, None)
            invoice = invoices.get(invoice_id)
            if invoice is None:
                continue
            invoice.data["Balance"] = invoice.data["TotalAmt"] - sum(amounts.values(), ZERO)
            invoice.data["LinkedTxn"] = [{"TxnId": pid, "TxnType": "Payment"} for pid in amounts]
            self._bump(invoice, when)
            self.emit("Invoice", invoice_id, "Update", when)
            customer = ref_value(invoice.data.get("CustomerRef"))
            if customer:
                customers.add(customer)
        credits.apply(self, payment, uses or {}, when)
        for customer in customers:
            self._refresh_customer_balance(customer)

    # ------------------------------------------------------------------ name lists
    def _build_named(self, entity: str, data: dict[str, Any], existing: Record | None) -> None:
        if entity == "Customer":
            self._build_customer(data, existing)
        elif entity == "Item":
            chart.build_item(self, data, existing)
        elif entity == "Vendor":
            payables.build_vendor(self, data, existing)
        elif entity == "Term":
            lists.build_term(self, data, existing)
        elif entity in ("Class", "Department"):
            lists.build_list_item(self, entity, data, existing)
        elif entity == "TaxAgency":
            lists.build_tax_agency(self, data, existing)
        else:
            chart.build_account(self, data, existing)
        active = data.get("Active")
        if active is None:
            data["Active"] = True
        elif not isinstance(active, bool):
            raise faults.request_parse("Active must be true or false")

    def check_name(self, entity: str, name: str, existing: Record | None, element: str) -> None:
        # Fully qualified names (classes, departments) hold colons between their levels.
        banned = INVALID_NAME_CHARS[1:] if NAMED.get(entity) == "FullyQualifiedName" else INVALID_NAME_CHARS
        if any(char in name for char in banned):
            raise faults.invalid_property(f"{element} cannot contain a colon, tab or new line", element)
        holder = self.realm.names[entity].get(name.lower())
        if holder is not None and existing is not None and holder == existing.id:
            holder = None
        if holder is None and entity in ("Customer", "Vendor"):
            # Customers, vendors and employees share one name list.
            holder = self.realm.names["Vendor" if entity == "Customer" else "Customer"].get(name.lower())
        if holder is not None:
            label = NAME_LABELS.get(entity, entity.lower())
            raise QBOFault(
                faults.DUPLICATE_NAME,
                "Duplicate Name Exists Error",
                f"The name supplied already exists. : Another {label} is already using this name. "
                f"Please use a different name. Id={holder}",
                element,
            )

    def _build_customer(self, data: dict[str, Any], existing: Record | None) -> None:
        display = data.get("DisplayName")
        if not isinstance(display, str) or not display.strip():
            parts = [data.get(key) for key in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
            display = " ".join(str(part).strip() for part in parts if part) or str(
                data.get("CompanyName") or ""
            )
            if not display.strip():
                raise faults.required("DisplayName")
        display = display.strip()
        if len(display) > 500:
            raise faults.invalid_property("DisplayName is longer than 500 characters", "DisplayName")
        if (
            self.options.rename_inactive_customers
            and data.get("Active") is False
            and not display.endswith(" (deleted)")
        ):
            display = f"{display} (deleted)"
        self.check_name("Customer", display, existing, "DisplayName")
        data["DisplayName"] = display
        if not data.get("PrintOnCheckName"):
            data["PrintOnCheckName"] = display
        balance = existing.data.get("Balance", ZERO) if existing is not None else ZERO
        data["Balance"] = balance
        data["BalanceWithJobs"] = balance
        self._customer_currency(data, existing)
        self._customer_parent(data, existing, display)
        if data.get("SalesTermRef") is not None:
            term = self.resolve("Term", data["SalesTermRef"], "SalesTermRef")
            assert term is not None
            data["SalesTermRef"] = {"value": term.id, "name": term.data["Name"]}
        for key, default in (
            ("Job", False),
            ("BillWithParent", False),
            ("Taxable", False),
            ("PreferredDeliveryMethod", "Print"),
        ):
            if data.get(key) is None:
                data[key] = default
        for key in (
            "PrimaryEmailAddr",
            "PrimaryPhone",
            "AlternatePhone",
            "Mobile",
            "Fax",
            "BillAddr",
            "ShipAddr",
            "SalesTermRef",
            "ParentRef",
        ):
            if key in data and data[key] is None:
                del data[key]
        email = (data.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None:
            # Several addresses are one comma-separated value of at most 100 characters.
            addresses = [part.strip() for part in str(email).split(",")]
            if len(str(email)) > 100 or not all("@" in part and "." in part for part in addresses):
                raise faults.invalid_property(
                    "PrimaryEmailAddr.Address must hold e-mail addresses separated by commas, "
                    "100 characters at most",
                    "PrimaryEmailAddr",
                )

    def _customer_currency(self, data: dict[str, Any], existing: Record | None) -> None:
        """A customer's currency is set once (default: the home currency) and never changes."""
        home = self.options.home_currency
        given = ref_value(data.get("CurrencyRef"))
        before = ref_value(existing.data.get("CurrencyRef")) if existing is not None else None
        code = (given or before or home).upper()
        if before is not None and code != before.upper():
            raise faults.business(f"The currency of a customer cannot change (it is {before})", "CurrencyRef")
        if code != home and not self.options.multi_currency:
            raise faults.business(
                f"Multicurrency is off for this company: customers are in {home}", "CurrencyRef"
            )
        data["CurrencyRef"] = self.currency_ref(code)

    def _customer_parent(self, data: dict[str, Any], existing: Record | None, display: str) -> None:
        """Sub-customers and jobs: ``ParentRef``, ``Level`` (at most 4 below the top) and the
        ``Parent:Child`` fully qualified name."""
        parent = self.resolve("Customer", data.get("ParentRef"), "ParentRef", required=False)
        if parent is None:
            if data.get("Job") is True:
                raise faults.required("ParentRef")
            if data.get("BillWithParent") is True:
                raise faults.invalid_property("BillWithParent is for sub-customers only", "BillWithParent")
            data["FullyQualifiedName"] = display
            data["Level"] = 0
            data.pop("ParentRef", None)
            return
        level = int(parent.data.get("Level") or 0) + 1
        chain, ancestor = set(), parent
        while ancestor is not None and ancestor.id not in chain:
            chain.add(ancestor.id)
            up = ref_value(ancestor.data.get("ParentRef"))
            ancestor = self.realm.table("Customer").get(up) if up else None
        if existing is not None and existing.id in chain:
            raise QBOFault(
                faults.INVALID_PARENT, "Invalid parent", "A customer cannot be its own parent", "ParentRef"
            )
        if level > 4:
            raise QBOFault(
                faults.INVALID_PARENT, "Invalid parent", "Sub-customers go at most 4 levels deep", "ParentRef"
            )
        if ref_value(parent.data.get("CurrencyRef")) != ref_value(data.get("CurrencyRef")):
            raise faults.business("A sub-customer has its parent's currency", "CurrencyRef")
        data["ParentRef"] = {"value": parent.id, "name": parent.data.get("DisplayName", "")}
        data["Level"] = level
        data["FullyQualifiedName"] = (
            f"{parent.data.get('FullyQualifiedName') or parent.data['DisplayName']}:{display}"
        )

    def _index_name(self, record: Record, old_name: Any) -> None:
        names = self.realm.names[record.entity]
        if isinstance(old_name, str) and names.get(old_name.lower()) == record.id:
            del names[old_name.lower()]
        new_name = record.data.get(NAMED[record.entity])
        if isinstance(new_name, str):
            names[new_name.lower()] = record.id

    # ------------------------------------------------------------------ seeding support
    def insert(
        self,
        entity: str,
        data: dict[str, Any],
        when: datetime,
        stamp: str | None = None,
        *,
        record_id: str | None = None,
        versioned: bool = True,
    ) -> Record:
        """Store a fully built record as if created at ``when`` (used by the seeder; no checks).

        ``stamp`` is ``when`` already formatted for ``MetaData`` (whole seconds, company offset);
        ``record_id`` a fixed id (Intuit's sample ids), ``versioned=False`` a record without
        SyncToken and MetaData (the US pseudo tax codes).
        """
        record = self._stamp_new(entity, data, when, stamp, record_id, versioned)
        if entity in self.realm.names:
            self._index_name(record, None)
        elif entity == "Invoice":
            doc = data.get("DocNumber")
            if doc is not None:
                self.realm.doc_numbers.setdefault(str(doc), set()).add(record.id)
            customer = ref_value(data.get("CustomerRef"))
            if customer:
                self.realm.customer_invoices.setdefault(customer, set()).add(record.id)
        return record


def _voided_note(note: Any) -> str:
    if note:
        return f"Voided - {note}" if not str(note).startswith("Voided") else str(note)
    return "Voided"


def _zero_invoice(data: dict[str, Any], prefix_note: bool = True) -> None:
    for line in data.get("Line") or []:
        line["Amount"] = ZERO
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict) and "Qty" in detail:
            detail["Qty"] = 0
    tax = dict(data.get("TxnTaxDetail") or {})
    tax["TotalTax"] = ZERO
    data["TxnTaxDetail"] = tax
    data["TotalAmt"] = ZERO
    data["Balance"] = ZERO
    for home in ("HomeTotalAmt", "HomeBalance"):
        if home in data:
            data[home] = ZERO
    if prefix_note:
        data["PrivateNote"] = _voided_note(data.get("PrivateNote"))


def local_date(moment: datetime, clock: QuickBooksClock) -> str:
    return clock.local(moment).date().isoformat()


def days_before(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)
