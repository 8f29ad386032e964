"""What Xero would refuse, found before any HTTP call (``Provider.validate``/``validate_update``).

These checks need nothing but the record. Those that need the organisation (its base currency, its
currencies, its tracking categories, its region) run in the provider before the write
(:mod:`.checks`). Fields Xero has no place for are refused from the declaration in :mod:`.support`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from unified_accounting.errors import FieldIssue
from unified_accounting.models import (
    Bill,
    BillPayment,
    BillPaymentType,
    BillStatus,
    CreditNote,
    CreditNoteStatus,
    EmailType,
    Expense,
    ExpenseStatus,
    Invoice,
    InvoiceStatus,
    Item,
    ItemStatus,
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    LineItem,
    LineItemType,
    Payment,
    PaymentType,
    RecordMeta,
    TaxMode,
    TaxRate,
    TaxRateStatus,
    TrackingCategory,
    TrackingStatus,
)
from unified_accounting.models.credit_note import SupplierCredit
from unified_accounting.models.customer import Customer
from unified_accounting.models.supplier import Supplier

from .contacts import MAX_CONTACT_PERSONS, TO_PHONE_TYPE
from .currency import xero_rate
from .statuses import (
    BILL_TO_XERO,
    CREATABLE_BILL_STATUSES,
    CREATABLE_CREDIT_STATUSES,
    CREATABLE_INVOICE_STATUSES,
    CREDIT_TO_XERO,
    INVOICE_TO_XERO,
)
from .support import computed, refused
from .tracking import MAX_PER_LINE

#: The largest amount sent to Xero. Xero publishes no bound (UNVERIFIED: its spec types amounts as
#: plain numbers); twelve digits before the point cover any real ledger and keep absurd values
#: (1e30) from reaching it, where they fail the server instead of being refused.
MAX_AMOUNT = Decimal("999999999999.99")
#: Decimals Xero keeps: unit prices with ``unitdp=4`` (which every request carries) and quantities;
#: discount rates and tax rates (UNVERIFIED for discount rates).
UNIT_PLACES = 4
QUANTITY_PLACES = 4
PERCENT_PLACES = 4
#: Xero's length limits on codes and names of accounts and items.
ACCOUNT_CODE_LENGTH = 10
ITEM_CODE_LENGTH = 30
ITEM_NAME_LENGTH = 50


def places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _given(value: Any) -> bool:
    return value not in (None, [], {})


def _refused(resource: str, values: Mapping[str, Any]) -> list[FieldIssue]:
    return [
        FieldIssue(name, reason)
        for name, reason in refused(resource).items()
        if "." not in name and _given(values.get(name))
    ]


def _too_precise(field: str, value: Decimal | None, limit: int, what: str) -> list[FieldIssue]:
    if value is None or places(value) <= limit:
        return []
    return [
        FieldIssue(field, f"{value} has more decimals than Xero keeps for {what} ({limit}): round it first")
    ]


def line_issues(lines: Iterable[LineItem], mode: TaxMode | None) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    for index, line in enumerate(lines):
        at = f"line_items.{index}."
        if line.type is LineItemType.DISCOUNT:
            issues.append(
                FieldIssue(
                    f"{at}type",
                    "Xero has no discount lines and no document-level discount: give each line its "
                    "discount_percentage or discount_amount",
                )
            )
        elif line.type is LineItemType.GROUP:
            issues.append(FieldIssue(f"{at}type", "Xero has no group lines: send the lines of the group"))
        issues += _too_precise(f"{at}unit_price", line.unit_price, UNIT_PLACES, "unit prices")
        issues += _too_precise(f"{at}quantity", line.quantity, QUANTITY_PLACES, "quantities")
        issues += _too_precise(
            f"{at}discount_percentage", line.discount_percentage, PERCENT_PLACES, "discount rates"
        )
        issues += _discount_issues(at, line)
        if mode is TaxMode.NO_TAX and line.tax_amount:
            issues.append(
                FieldIssue(f"{at}tax_amount", "a no_tax invoice carries no tax: leave tax_amount out")
            )
        issues += _tracking_issues(at, line)
    return issues


def _discount_issues(at: str, line: LineItem) -> list[FieldIssue]:
    discounted = line.discount_percentage or line.discount_amount
    if not discounted or line.quantity is None or line.unit_price is None:
        return []
    gross = line.quantity * line.unit_price
    if gross < 0:
        field = "discount_percentage" if line.discount_percentage else "discount_amount"
        return [FieldIssue(f"{at}{field}", "Xero takes no discount on a negative line")]
    if line.discount_amount is not None and line.discount_amount > gross:
        return [
            FieldIssue(
                f"{at}discount_amount",
                f"{line.discount_amount} is more than the line comes to before the discount ({gross})",
            )
        ]
    return []


def _tracking_issues(at: str, line: LineItem) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    if len(line.tracking) > MAX_PER_LINE:
        issues.append(
            FieldIssue(f"{at}tracking", f"a Xero line has at most {MAX_PER_LINE} tracking categories")
        )
    seen: set[str] = set()
    for position, ref in enumerate(line.tracking):
        if ref.category_id.lower() in seen:
            issues.append(
                FieldIssue(f"{at}tracking.{position}.category_id", "a line takes one option of each category")
            )
        seen.add(ref.category_id.lower())
    return issues


def _reference_issues(values: Mapping[str, Any]) -> list[FieldIssue]:
    reference, po_number = values.get("reference"), values.get("po_number")
    if reference and po_number and reference != po_number:
        return [
            FieldIssue(
                "po_number",
                "Xero keeps one Reference on a sales invoice, which holds both reference and po_number: "
                "give the same value, or only one of them",
            )
        ]
    return []


def _rate_issues(rate: Decimal | None) -> list[FieldIssue]:
    if rate is not None and xero_rate(rate) <= 0:
        return [FieldIssue("currency_rate", f"{rate} is beyond the six decimals Xero keeps of its inverse")]
    return []


def invoice_issues(values: Mapping[str, Any], lines: Iterable[LineItem]) -> list[FieldIssue]:
    mode = values.get("tax_mode")
    issues = line_issues(lines, TaxMode(mode) if mode is not None else None)
    return issues + _reference_issues(values) + _rate_issues(values.get("currency_rate"))


def bill_issues(values: Mapping[str, Any], lines: Iterable[Any]) -> list[FieldIssue]:
    lines = [line if isinstance(line, LineItem) else LineItem.model_validate(line) for line in lines]
    issues = invoice_issues(values, lines)
    for index, line in enumerate(lines):
        if line.type is LineItemType.DESCRIPTION:
            continue
        if line.discount_percentage or line.discount_amount:
            issues.append(
                FieldIssue(f"line_items.{index}.discount_percentage", "Xero bills take no discounts")
            )
        if not line.account_id and not line.item_id:
            issues.append(
                FieldIssue(
                    f"line_items.{index}.account_id",
                    "a Xero bill line names the account it is spent on (account_id) or an item (item_id)",
                )
            )
    return issues


def credit_issues(values: Mapping[str, Any], lines: Iterable[Any], *, supplier: bool) -> list[FieldIssue]:
    lines = [line if isinstance(line, LineItem) else LineItem.model_validate(line) for line in lines]
    issues = bill_issues(values, lines) if supplier else invoice_issues(values, lines)
    if not supplier:
        issues += [
            FieldIssue(f"line_items.{index}.discount_percentage", "Xero credit notes take no discounts")
            for index, line in enumerate(lines)
            if line.discount_percentage or line.discount_amount
        ]
    return [issue for issue in issues if issue.field != "po_number"]


def customer_issues(values: Mapping[str, Any]) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    emails = [e if isinstance(e, Mapping) else e.model_dump() for e in values.get("emails") or []]
    primaries = [e for e in emails if EmailType(e["type"]) is EmailType.PRIMARY]
    if len(primaries) > 1:
        issues.append(FieldIssue("emails", "a Xero contact has one primary e-mail address (EmailAddress)"))
    if len(emails) - len(primaries) > MAX_CONTACT_PERSONS:
        issues.append(
            FieldIssue(
                "emails", f"Xero keeps at most {MAX_CONTACT_PERSONS} e-mail addresses besides the primary one"
            )
        )
    kinds = [
        TO_PHONE_TYPE[p["type"] if isinstance(p, Mapping) else p.type] for p in values.get("phones") or []
    ]
    duplicated = sorted({k for k in kinds if kinds.count(k) > 1})
    if duplicated:
        issues.append(
            FieldIssue("phones", "Xero keeps one number of each type (primary, mobile, fax, other)")
        )
    terms = values.get("terms")
    if terms is not None and (terms.get("id") if isinstance(terms, Mapping) else terms.id):
        issues.append(FieldIssue("terms.id", "Xero terms are rules, not records: give type and days only"))
    return issues


def _values(record: RecordMeta) -> dict[str, Any]:
    return {name: getattr(record, name) for name in type(record).model_fields}


def check_record(resource: str, record: RecordMeta) -> list[FieldIssue]:
    values = _values(record)
    issues = _refused(resource, values)
    if isinstance(record, Invoice):
        issues += invoice_issues(values, record.line_items)
        if record.status is not None and record.status not in CREATABLE_INVOICE_STATUSES:
            issues.append(
                FieldIssue("status", "Xero creates invoices as draft, submitted or open (approved) only")
            )
    if isinstance(record, Customer | Supplier):
        issues += customer_issues(values)
    if isinstance(record, Bill):
        issues += bill_issues(values, record.line_items)
        if record.status is not None and record.status not in CREATABLE_BILL_STATUSES:
            issues.append(FieldIssue("status", "Xero creates bills as draft or open (approved) only"))
    if isinstance(record, CreditNote | SupplierCredit):
        issues += credit_issues(values, record.line_items, supplier=isinstance(record, SupplierCredit))
        if record.status is not None and record.status not in CREATABLE_CREDIT_STATUSES:
            issues.append(FieldIssue("status", "Xero creates credit notes as draft or open (approved) only"))
    if isinstance(record, Expense):
        issues += bill_issues(values, record.line_items)
        if not record.supplier_id:
            issues.append(
                FieldIssue("supplier_id", "Xero needs a contact on spend and receive money: give supplier_id")
            )
        if record.status is not None and record.status is not ExpenseStatus.POSTED:
            issues.append(FieldIssue("status", "Xero creates spend money posted: create it, then delete it"))
    if isinstance(record, BillPayment):
        issues += _rate_issues(record.currency_rate)
        refund = record.type is BillPaymentType.SUPPLIER_CREDIT_REFUND
        if record.type in (BillPaymentType.OVERPAYMENT, BillPaymentType.PREPAYMENT):
            issues.append(
                FieldIssue(
                    "type",
                    "Xero makes over- and prepayments from spend-money transactions: their refunds are "
                    "read here, not created",
                )
            )
        elif refund and (len(record.allocations) != 1 or record.allocations[0].supplier_credit_id is None):
            issues.append(
                FieldIssue(
                    "allocations",
                    "a Xero supplier credit refund refunds exactly one supplier credit: one allocation "
                    "with supplier_credit_id",
                )
            )
        elif refund:
            if record.allocations[0].amount != record.total_amount:
                issues.append(
                    FieldIssue("total_amount", "a Xero refund applies its whole amount to its one credit")
                )
        elif len(record.allocations) != 1 or record.allocations[0].bill_id is None:
            issues.append(
                FieldIssue(
                    "allocations",
                    "a Xero bill payment pays exactly one bill "
                    "(use conn.supplier_credits.allocate for credit)",
                )
            )
        elif record.allocations[0].amount != record.total_amount:
            issues.append(
                FieldIssue("total_amount", "a Xero bill payment applies its whole amount to its one bill")
            )
    if isinstance(record, Payment):
        issues += _rate_issues(record.currency_rate)
        refund = record.type is PaymentType.CREDIT_NOTE_REFUND
        if record.type in (PaymentType.OVERPAYMENT, PaymentType.PREPAYMENT):
            issues.append(
                FieldIssue(
                    "type",
                    "Xero makes over- and prepayments from receive-money transactions: they are read here, "
                    "not created",
                )
            )
        elif len(record.allocations) != 1:
            issues.append(
                FieldIssue(
                    "allocations",
                    "a Xero payment pays exactly one invoice (or refunds one credit note); apply a credit "
                    "note to an invoice with conn.credit_notes.allocate",
                )
            )
        elif refund and record.allocations[0].credit_note_id is None:
            issues.append(
                FieldIssue("allocations.0.credit_note_id", "a credit-note refund names its credit note")
            )
        elif not refund and record.allocations[0].invoice_id is None:
            issues.append(
                FieldIssue(
                    "allocations.0.invoice_id",
                    "an invoice payment names its invoice (type credit_note_refund refunds a credit note)",
                )
            )
        elif record.allocations[0].amount != record.total_amount:
            issues.append(
                FieldIssue("total_amount", "a Xero payment applies its whole amount to its one invoice")
            )
    if isinstance(record, TaxRate):
        issues += _too_precise("rate", record.rate, PERCENT_PLACES, "tax rates")
        issues += [
            issue
            for index, component in enumerate(record.components)
            for issue in _too_precise(f"components.{index}.rate", component.rate, PERCENT_PLACES, "tax rates")
        ]
        if record.status is not TaxRateStatus.ACTIVE:
            issues.append(FieldIssue("status", "Xero creates tax rates active: create it, then delete it"))
    if isinstance(record, LedgerAccount):
        issues += account_issues(values, creating=True)
    if isinstance(record, Item):
        issues += item_issues(values, creating=True)
    if isinstance(record, JournalEntry):
        issues += journal_issues(values, creating=True)
    if isinstance(record, TrackingCategory):
        if record.status is not TrackingStatus.ACTIVE:
            issues.append(
                FieldIssue("status", "Xero creates tracking categories active: create it, then archive it")
            )
        issues += _option_name_issues(record.options)
    return issues


def _option_name_issues(options: Iterable[Any]) -> list[FieldIssue]:
    seen: set[str] = set()
    issues: list[FieldIssue] = []
    for index, option in enumerate(options):
        name = (option["name"] if isinstance(option, Mapping) else option.name).casefold()
        if name in seen:
            issues.append(FieldIssue(f"options.{index}.name", "option names are unique within a category"))
        seen.add(name)
    return issues


def check_changes(resource: str, changes: Mapping[str, Any]) -> list[FieldIssue]:
    issues = _refused(resource, changes)
    issues += [
        FieldIssue(name, "is computed by Xero and cannot be set")
        for name in computed(resource)
        if name in changes
    ]
    if resource == "invoice":
        issues += invoice_issues(changes, list(changes.get("line_items") or []))
        status = changes.get("status")
        if status is not None and InvoiceStatus(status) not in INVOICE_TO_XERO:
            issues.append(FieldIssue("status", "paid and partially paid follow from payments"))
        if "customer_id" in changes and not changes["customer_id"]:
            issues.append(FieldIssue("customer_id", "an invoice needs a customer"))
    if resource == "bill":
        issues += bill_issues(changes, list(changes.get("line_items") or []))
        status = changes.get("status")
        if status is not None and BillStatus(status) not in BILL_TO_XERO:
            issues.append(FieldIssue("status", "paid and partially paid follow from payments"))
    if resource == "expense":
        issues += bill_issues(changes, list(changes.get("line_items") or []))
        if "supplier_id" in changes and not changes["supplier_id"]:
            issues.append(FieldIssue("supplier_id", "Xero keeps a contact on spend and receive money"))
        status = changes.get("status")
        if status is not None and ExpenseStatus(status) is not ExpenseStatus.POSTED:
            issues.append(FieldIssue("status", "delete the expense with conn.expenses.delete(id)"))
        if "type" in changes:
            issues.append(
                FieldIssue("type", "Xero keeps a bank transaction's type: delete it and create another")
            )
    if resource in ("credit_note", "supplier_credit"):
        issues += credit_issues(
            changes, list(changes.get("line_items") or []), supplier=resource == "supplier_credit"
        )
        status = changes.get("status")
        if status is not None and CreditNoteStatus(status) not in CREDIT_TO_XERO:
            issues.append(FieldIssue("status", "used follows from allocations and refunds"))
    if resource in ("customer", "supplier"):
        issues += customer_issues(changes)
        if "terms" in changes and changes["terms"] is None:
            issues.append(
                FieldIssue("terms", "Xero's API offers no way to remove a contact's terms: give other terms")
            )
    if resource == "tax_rate":
        if "applies_to" in changes:
            issues.append(
                FieldIssue(
                    "applies_to",
                    "Xero fixes where a rate applies when it is created (its ReportTaxType): "
                    "create a new rate",
                )
            )
        status = changes.get("status")
        if status is not None and TaxRateStatus(status) is TaxRateStatus.ARCHIVED:
            issues.append(
                FieldIssue(
                    "status", "Xero archives a rate itself, when a rate documents used is deleted: delete it"
                )
            )
        if "rate" in changes and changes["rate"] is not None:
            issues += _too_precise("rate", changes["rate"], PERCENT_PLACES, "tax rates")
    if resource == "tracking_category":
        issues += _option_name_issues(changes.get("options") or [])
    if resource == "ledger_account":
        issues += account_issues(changes, creating=False)
    if resource == "item":
        issues += item_issues(changes, creating=False)
    if resource == "journal_entry":
        issues += journal_issues(changes, creating=False)
    return issues


def account_issues(values: Mapping[str, Any], *, creating: bool) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    kind = values.get("type")
    if kind is not None and LedgerAccountType(kind) in (
        LedgerAccountType.ACCOUNTS_RECEIVABLE,
        LedgerAccountType.ACCOUNTS_PAYABLE,
    ):
        issues.append(
            FieldIssue(
                "type",
                "Xero keeps one receivable and one payable account, its own system accounts: use "
                "current_asset or current_liability",
            )
        )
    code = values.get("code")
    if code is not None and len(str(code)) > ACCOUNT_CODE_LENGTH:
        issues.append(FieldIssue("code", f"Xero account codes are at most {ACCOUNT_CODE_LENGTH} characters"))
    if "code" in values and code is None and not creating:
        issues.append(FieldIssue("code", "a Xero account keeps its code: give another one"))
    name = values.get("name")
    if name is not None and len(str(name)) > 150:
        issues.append(FieldIssue("name", "Xero account names are at most 150 characters"))
    status = values.get("status")
    if status is not None and LedgerAccountStatus(status) is LedgerAccountStatus.DELETED:
        issues.append(FieldIssue("status", "delete the account with conn.ledger_accounts.delete(id)"))
    elif creating and status is not None and LedgerAccountStatus(status) is not LedgerAccountStatus.ACTIVE:
        issues.append(FieldIssue("status", "Xero creates accounts active: create it, then archive it"))
    if creating:
        bank = kind is not None and LedgerAccountType(kind) in (
            LedgerAccountType.BANK,
            LedgerAccountType.CREDIT_CARD,
        )
        if bank and not values.get("bank_account_number"):
            issues.append(
                FieldIssue("bank_account_number", "Xero needs the number of a bank or card account")
            )
        if not bank and not code:
            issues.append(FieldIssue("code", "Xero needs a code for every account but bank accounts"))
    return issues


def item_issues(values: Mapping[str, Any], *, creating: bool) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    code = values.get("code")
    if creating and not code:
        issues.append(FieldIssue("code", "Xero needs a code for every item (its lines name items by code)"))
    if "code" in values and not code and not creating:
        issues.append(FieldIssue("code", "a Xero item keeps a code: give another one"))
    if code is not None and len(str(code)) > ITEM_CODE_LENGTH:
        issues.append(FieldIssue("code", f"Xero item codes are at most {ITEM_CODE_LENGTH} characters"))
    name = values.get("name")
    if name is not None and len(str(name)) > ITEM_NAME_LENGTH:
        issues.append(FieldIssue("name", f"Xero item names are at most {ITEM_NAME_LENGTH} characters"))
    kind = values.get("type")
    if kind is not None and ItemType(kind) in (ItemType.BUNDLE, ItemType.CATEGORY):
        issues.append(FieldIssue("type", "Xero items are services or goods: it has no bundles or categories"))
    if kind is not None and ItemType(kind) is ItemType.INVENTORY:
        purchase = values.get("purchase")
        cost = (
            purchase.get("account_id")
            if isinstance(purchase, Mapping)
            else getattr(purchase, "account_id", None)
        )
        if not values.get("inventory_account_id") or not cost:
            issues.append(
                FieldIssue(
                    "type",
                    "a Xero tracked item needs inventory_account_id (an INVENTORY account) and "
                    "purchase.account_id (its cost of sales account)",
                )
            )
    status = values.get("status")
    if status is not None and ItemStatus(status) is not ItemStatus.ACTIVE:
        issues.append(FieldIssue("status", "Xero items have no status: delete the item instead"))
    return issues


def journal_issues(values: Mapping[str, Any], *, creating: bool) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    if creating and not values.get("memo"):
        issues.append(FieldIssue("memo", "Xero needs a narration for every manual journal: give memo"))
    if "memo" in values and not values.get("memo") and not creating:
        issues.append(FieldIssue("memo", "a Xero manual journal keeps its narration"))
    status = values.get("status")
    if (
        creating
        and status is not None
        and JournalEntryStatus(status)
        not in (
            JournalEntryStatus.DRAFT,
            JournalEntryStatus.POSTED,
        )
    ):
        issues.append(FieldIssue("status", "Xero creates manual journals as draft or posted"))
    for index, line in enumerate(values.get("lines") or []):
        data = line if isinstance(line, Mapping) else line.model_dump()
        for name in ("customer_id", "supplier_id"):
            if data.get(name):
                issues.append(FieldIssue(f"lines.{index}.{name}", "Xero journal lines name no contact"))
        if len(data.get("tracking") or []) > MAX_PER_LINE:
            issues.append(
                FieldIssue(
                    f"lines.{index}.tracking", f"Xero tracks a line by at most {MAX_PER_LINE} categories"
                )
            )
    return issues
