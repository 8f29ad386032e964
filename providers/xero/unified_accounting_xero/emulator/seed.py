"""Deterministic sample data for emulated organisations.

Every organisation gets an ``Organisation`` record and a small chart of accounts (including the bank account
``090`` that payments can use, sales ``200`` and purchases ``310``) whose tax types are its region's (NZ sales
``OUTPUT2`` at 15 %, AU ``OUTPUT`` at 10 %, ...).  With a ``seed`` it also gets contacts
(with postal/street addresses and phones, a few archived), items, invoices (mostly ACCREC, some ACCPAY) dated
over the last three years in every status, and payments that fully or partly pay authorised invoices.  The
same seed and clock produce the same data.  Records are built directly (not through the HTTP layer) so tens
of thousands of invoices seed in a few seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from .ledger import ZERO, Ledger, money
from .organisation import organisation_record
from .regions import CHART_TAX_TYPES
from .state import IdFactory, Record, TenantState

#: Tax roles of the chart's accounts: indexes into :data:`.regions.CHART_TAX_TYPES`.
SALES_TAX, PURCHASE_TAX, UNTAXED, BALANCE_SHEET = range(4)


def chart_tax_type(t: TenantState, role: int) -> str:
    return CHART_TAX_TYPES.get(t.version, CHART_TAX_TYPES["GLOBAL"])[role]


CHART: tuple[tuple[str, str, str, str, int, str], ...] = (
    # code, name, type, class, tax role (index into regions.CHART_TAX_TYPES), reporting code
    ("090", "Business Bank Account", "BANK", "ASSET", UNTAXED, "ASS"),
    ("091", "Business Savings Account", "BANK", "ASSET", UNTAXED, "ASS"),
    ("200", "Sales", "REVENUE", "REVENUE", SALES_TAX, "REV.TRA.GOO"),
    ("260", "Other Revenue", "REVENUE", "REVENUE", SALES_TAX, "REV.OTH"),
    ("270", "Interest Income", "REVENUE", "REVENUE", UNTAXED, "REV.INV"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", PURCHASE_TAX, "EXP.COS"),
    ("400", "Advertising", "EXPENSE", "EXPENSE", PURCHASE_TAX, "EXP"),
    ("404", "Bank Fees", "EXPENSE", "EXPENSE", UNTAXED, "EXP"),
    ("429", "General Expenses", "EXPENSE", "EXPENSE", PURCHASE_TAX, "EXP"),
    ("453", "Office Expenses", "EXPENSE", "EXPENSE", PURCHASE_TAX, "EXP"),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", BALANCE_SHEET, "ASS.CUR.REC.TRA"),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", BALANCE_SHEET, "LIA.CUR.PAY"),
    ("820", "GST", "CURRLIAB", "LIABILITY", BALANCE_SHEET, "LIA.CUR.TAX"),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", BALANCE_SHEET, "EQU.RET"),
)

_ADJECTIVES = (
    "Bright", "Coastal", "Summit", "Golden", "Silver", "Rapid", "Northern", "Green", "Blue", "Urban",
    "Pacific", "Alpine", "Harbour", "Cedar", "Maple", "Pioneer", "Crystal", "Sterling", "Evergreen", "Red",
)  # fmt: skip
_NOUNS = (
    "Ridge", "Bay", "River", "Peak", "Valley", "Forge", "Works", "Studio", "Garden", "Bakery", "Freight",
    "Print", "Design", "Dental", "Motors", "Traders", "Outfitters", "Partners", "Labs", "Kitchen",
)  # fmt: skip
_SUFFIXES = ("Ltd", "Limited", "& Co", "Group", "Holdings", "Services", "Trading", "Co-op")
_FIRST = (
    "Amelia",
    "Oliver",
    "Isla",
    "Jack",
    "Charlotte",
    "Noah",
    "Mia",
    "Leo",
    "Ava",
    "Hugo",
    "Ruby",
    "Finn",
)
_LAST = (
    "Smith",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Ngata",
    "Patel",
    "Chen",
    "Walker",
    "Kaur",
    "Young",
)
_STREETS = ("Queen Street", "High Street", "Victoria Avenue", "Station Road", "Harbour Drive", "Main Road")
_CITIES = (
    ("Auckland", "Auckland", "1010"),
    ("Wellington", "Wellington", "6011"),
    ("Christchurch", "Canterbury", "8011"),
    ("Hamilton", "Waikato", "3204"),
    ("Dunedin", "Otago", "9016"),
)
_PRODUCTS = (
    ("Consulting hour", Decimal("150.00")),
    ("Design package", Decimal("1200.00")),
    ("Website hosting (monthly)", Decimal("49.00")),
    ("Support retainer", Decimal("450.00")),
    ("Training session", Decimal("320.00")),
    ("Printed brochures (box)", Decimal("89.50")),
    ("Installation", Decimal("275.00")),
    ("Annual licence", Decimal("999.00")),
    ("Site visit", Decimal("95.00")),
    ("Workshop ticket", Decimal("65.00")),
    ("Maintenance plan", Decimal("180.00")),
    ("Copywriting (per page)", Decimal("120.00")),
)


@dataclass(frozen=True)
class SeedCounts:
    contacts: int
    items: int
    invoices: int
    payments: int


def seed_chart(t: TenantState, ids: IdFactory, now: datetime) -> None:
    t.organisation = organisation_record(t, ids, now - timedelta(days=3 * 365 + 30))
    for code, name, kind, klass, role, reporting in CHART:
        tax = chart_tax_type(t, role)
        account_id = ids.new()
        account: Record = {
            "AccountID": account_id,
            "Code": code,
            "Name": name,
            "Status": "ACTIVE",
            "Type": kind,
            "TaxType": tax,
            "Class": klass,
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": kind == "EXPENSE",
            "ReportingCode": reporting,
            "HasAttachments": False,
            "AddToWatchlist": False,
            "UpdatedDateUTC": now - timedelta(days=3 * 365),
        }
        if kind == "BANK":
            account["BankAccountNumber"] = f"0{ids.token(4)[:2]}-0001-{int(code) * 1234:07d}-00"
            account["BankAccountType"] = "BANK"
            account["CurrencyCode"] = t.base_currency
        if code in ("610", "800", "820", "960"):
            account["SystemAccount"] = {
                "610": "DEBTORS",
                "800": "CREDITORS",
                "820": "GST",
                "960": "RETAINEDEARNINGS",
            }[code]
        t.accounts[account_id] = account
        t.account_codes[code] = account_id


def seed_data(
    t: TenantState, ids: IdFactory, ledger: Ledger, counts: SeedCounts, seed: int, now: datetime
) -> None:
    rng = random.Random(f"{seed}:{t.tenant_id}")
    today = now.date()
    _seed_contacts(t, ids, rng, counts.contacts, now)
    _seed_items(t, ids, rng, counts.items, now)
    _seed_invoices(t, ids, ledger, rng, counts.invoices, today, now)
    _seed_payments(t, ids, rng, counts.payments, today, now)


def _stamp(rng: random.Random, day: date, now: datetime) -> datetime:
    moment = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo) + timedelta(
        seconds=rng.randrange(8 * 3600, 86_400), milliseconds=rng.randrange(1000)
    )
    return min(moment, now)


#: Every how many seeded invoices one is due before its date.
DUE_EARLY_EVERY = 9


def _seed_contacts(t: TenantState, ids: IdFactory, rng: random.Random, count: int, now: datetime) -> None:
    used: set[str] = set()
    for index in range(count):
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.choice(_SUFFIXES)}"
        if name.upper() in used:
            name = f"{name} {index + 1}"
        used.add(name.upper())
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, region, postcode = rng.choice(_CITIES)
        street = f"{rng.randint(1, 400)} {rng.choice(_STREETS)}"
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        contact_id = ids.new()
        status = "ARCHIVED" if rng.random() < 0.05 else "ACTIVE"
        contact: Record = {
            "ContactID": contact_id,
            "ContactNumber": f"C{index + 1:05d}",
            "AccountNumber": f"ACC-{index + 1:04d}",
            "ContactStatus": status,
            "Name": name,
            "FirstName": first,
            "LastName": last,
            "EmailAddress": f"{first.lower()}.{last.lower()}@{domain}.example",
            "Addresses": [
                {
                    "AddressType": "POBOX",
                    "AddressLine1": f"PO Box {rng.randint(100, 9999)}",
                    "City": city,
                    "Region": region,
                    "PostalCode": postcode,
                    "Country": "New Zealand",
                    "AttentionTo": f"{first} {last}",
                },
                {
                    "AddressType": "STREET",
                    "AddressLine1": street,
                    "City": city,
                    "Region": region,
                    "PostalCode": postcode,
                    "Country": "New Zealand",
                },
            ],
            "Phones": [
                {
                    "PhoneType": "DEFAULT",
                    "PhoneNumber": f"{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                    "PhoneAreaCode": f"0{rng.choice((3, 4, 6, 7, 9))}",
                    "PhoneCountryCode": "64",
                },
                {
                    "PhoneType": "MOBILE",
                    "PhoneNumber": f"{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                    "PhoneAreaCode": f"02{rng.randint(1, 9)}",
                    "PhoneCountryCode": "64",
                },
            ],
            "DefaultCurrency": t.base_currency,
            "IsSupplier": False,
            "IsCustomer": False,
            "HasAttachments": False,
            "UpdatedDateUTC": _stamp(rng, now.date() - timedelta(days=rng.randrange(3 * 365, 4 * 365)), now),
        }
        if index % 3 == 1:
            # Real contacts use the extra address lines (building, floor, suburb) and list people.
            contact["Addresses"][1]["AddressLine2"] = f"Level {index % 9 + 1}"
            contact["Addresses"][1]["AddressLine3"] = f"{last} House"
            contact["Addresses"][1]["AddressLine4"] = "Te Aro"
            contact["ContactPersons"] = [
                {
                    "FirstName": _FIRST[(index + 3) % len(_FIRST)],
                    "LastName": last,
                    "EmailAddress": f"accounts{index}@{domain}.example",
                    "IncludeInEmails": True,
                }
            ]
        t.contacts[contact_id] = contact
        if status == "ACTIVE":
            t.active_contact_names[name.upper()] = contact_id


def _seed_items(t: TenantState, ids: IdFactory, rng: random.Random, count: int, now: datetime) -> None:
    for index in range(count):
        label, price = _PRODUCTS[index % len(_PRODUCTS)]
        if index >= len(_PRODUCTS):
            label = f"{label} #{index // len(_PRODUCTS) + 1}"
        code = f"ITEM-{index + 1:03d}"
        item_id = ids.new()
        t.items[item_id] = {
            "ItemID": item_id,
            "Code": code,
            "Name": label,
            "Description": label,
            "PurchaseDescription": label,
            "IsTrackedAsInventory": False,
            "IsSold": True,
            "IsPurchased": True,
            "SalesDetails": {
                "UnitPrice": price,
                "AccountCode": "200",
                "TaxType": chart_tax_type(t, SALES_TAX),
            },
            "PurchaseDetails": {
                "UnitPrice": money(price * Decimal("0.6")),
                "AccountCode": "310",
                "TaxType": chart_tax_type(t, PURCHASE_TAX),
            },
            "UpdatedDateUTC": _stamp(rng, now.date() - timedelta(days=rng.randrange(365, 3 * 365)), now),
        }
        t.item_codes[code.upper()] = item_id


_STATUS_WEIGHTS = (("DRAFT", 10), ("SUBMITTED", 5), ("AUTHORISED", 75), ("VOIDED", 6), ("DELETED", 4))


def _seed_invoices(
    t: TenantState,
    ids: IdFactory,
    ledger: Ledger,
    rng: random.Random,
    count: int,
    today: date,
    now: datetime,
) -> None:
    active = [c for c in t.contacts.values() if c["ContactStatus"] == "ACTIVE"]
    if not active or count <= 0:
        return
    items = list(t.items.values())
    sales = t.account_codes["200"]
    purchases = t.account_codes["310"]
    statuses = [s for s, _ in _STATUS_WEIGHTS]
    weights = [w for _, w in _STATUS_WEIGHTS]
    span = 3 * 365
    offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
    for offset in offsets:
        kind = "ACCREC" if rng.random() < 0.85 else "ACCPAY"
        contact = rng.choice(active)
        issued = today - timedelta(days=offset)
        status = rng.choices(statuses, weights)[0]
        if offset < 20 and status in ("VOIDED", "DELETED"):
            status = "AUTHORISED"
        mode = rng.choices(("Exclusive", "Inclusive", "NoTax"), (85, 10, 5))[0]
        lines: list[Record] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            quantity = Decimal(rng.choice((1, 1, 1, 2, 3, 5, 10))).quantize(Decimal("0.0001"))
            item = rng.choice(items) if items and rng.random() < 0.7 else None
            if item is not None:
                details = item["SalesDetails"] if kind == "ACCREC" else item["PurchaseDetails"]
                unit = details["UnitPrice"]
                description = item["Description"]
            else:
                unit = Decimal(rng.randrange(2000, 250_000)).scaleb(-2)
                description = rng.choice(
                    ("Professional services", "Materials", "Travel", "Expenses recharge")
                )
            discount = rng.choice((None, None, None, None, Decimal("10"), Decimal("5")))
            gross = quantity * unit
            amount = money(gross * (100 - discount) / 100) if discount is not None else money(gross)
            account_id = sales if kind == "ACCREC" else purchases
            role = SALES_TAX if kind == "ACCREC" else PURCHASE_TAX
            tax_type = "NONE" if mode == "NoTax" else chart_tax_type(t, role)
            line: Record = {
                "LineItemID": ids.new(),
                "Description": description,
                "Quantity": quantity,
                "UnitAmount": unit,
                "AccountCode": "200" if kind == "ACCREC" else "310",
                "AccountID": account_id,
                "TaxType": tax_type,
                "TaxAmount": ZERO,
                "LineAmount": amount,
                "Tracking": [],
            }
            if item is not None:
                line["ItemCode"] = item["Code"]
                line["Item"] = {"ItemID": item["ItemID"], "Code": item["Code"], "Name": item["Name"]}
            if discount is not None:
                line["DiscountRate"] = discount
            lines.append(line)
        invoice_id = ids.new()
        invoice: Record = {
            "InvoiceID": invoice_id,
            "Type": kind,
            "Status": status,
            "LineAmountTypes": mode,
            "LineItems": lines,
            "AmountPaid": ZERO,
            "AmountCredited": ZERO,
            "CurrencyCode": t.base_currency,
            "CurrencyRate": Decimal("1.000000"),
            "HasAttachments": False,
            "IsDiscounted": False,
            "_PaymentIDs": (),
            "Contact": {"ContactID": contact["ContactID"]},
            "Date": issued,
            "DueDate": issued + timedelta(days=rng.choice((7, 14, 20, 30))),
            # Xero stores invoices due before their date (its own API examples have them).
            **({"DueDate": issued - timedelta(days=3)} if len(t.invoices) % DUE_EARLY_EVERY == 4 else {}),
            "Reference": f"PO-{rng.randrange(1000, 99999)}" if rng.random() < 0.6 else None,
            "UpdatedDateUTC": _stamp(rng, min(today, issued + timedelta(days=rng.randrange(0, 10))), now),
        }
        if kind == "ACCREC":
            number = t.mint_invoice_number()
            invoice["InvoiceNumber"] = number
            if status != "DELETED":
                t.invoice_numbers[number.upper()] = invoice_id
        elif rng.random() < 0.8:
            invoice["InvoiceNumber"] = f"SUP-{rng.randrange(10000, 99999)}"
        ledger.compute_totals(t, invoice)
        t.invoices[invoice_id] = invoice
        flag = "IsCustomer" if kind == "ACCREC" else "IsSupplier"
        contact[flag] = True


def _seed_payments(
    t: TenantState, ids: IdFactory, rng: random.Random, count: int, today: date, now: datetime
) -> None:
    candidates = [i for i in t.invoices.values() if i["Status"] == "AUTHORISED" and i["Total"] > 0]
    rng.shuffle(candidates)
    bank = t.accounts[t.account_codes["090"]]
    for invoice in candidates[:count]:
        full = rng.random() < 0.7
        amount = invoice["AmountDue"] if full else money(invoice["AmountDue"] * Decimal("0.5"))
        if amount <= 0:
            continue
        paid_on = min(today, invoice["Date"] + timedelta(days=rng.randrange(0, 45)))
        payment_id = ids.new()
        stamp = _stamp(rng, paid_on, now)
        t.payments[payment_id] = {
            "PaymentID": payment_id,
            "Date": paid_on,
            "Amount": amount,
            "BankAmount": amount,
            "CurrencyRate": Decimal("1.000000"),
            "Reference": f"Payment {invoice.get('InvoiceNumber') or ''}".strip(),
            "Status": "AUTHORISED",
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "IsReconciled": rng.random() < 0.5,
            "HasAccount": True,
            "HasValidationErrors": False,
            "Account": {"AccountID": bank["AccountID"], "Code": bank["Code"]},
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "UpdatedDateUTC": stamp,
        }
        invoice["AmountPaid"] = money(invoice["AmountPaid"] + amount)
        invoice["AmountDue"] = money(invoice["Total"] - invoice["AmountPaid"])
        invoice["_PaymentIDs"] = (*invoice["_PaymentIDs"], payment_id)
        invoice["UpdatedDateUTC"] = max(invoice["UpdatedDateUTC"], stamp)
        if invoice["AmountDue"] == 0:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = paid_on
