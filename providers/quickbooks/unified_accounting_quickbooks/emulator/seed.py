"""Deterministic sample companies.

Every company gets a ``CompanyInfo`` record and a small chart of accounts. With a ``seed`` it also gets
customers (people and businesses, with addresses, e-mails and phones), items (services and
products), invoices with one to four lines spread over ``history_days`` and payments that settle some
invoices fully and some partially. The same seed and options always give the same data (ids, names,
amounts, dates relative to the emulator clock).

Invoices are built directly rather than through the write path so that 100,000 of them take a few
seconds; the numbers obey the same rules the write path enforces.

The shapes follow real companies, not just the happy path (drawn without consuming the random
sequence, so a seed gives the same names and amounts as before): some customers have free-form
addresses (``Line1``–``Line4``/``Line5`` and no ``City``, the usual form in real companies), some are
jobs (sub-customers with ``Job``, ``ParentRef``, ``Level`` and a ``Parent:Child`` fully qualified
name); invoices carry a ``ShipAddr``, and some are taxed: ``TaxCodeRef`` "TAX" on their sales lines
and a ``TxnTaxDetail`` with ``TxnTaxCodeRef``, ``TotalTax`` and a ``TaxLine`` (as in Intuit's API
reference examples).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .books import DEFAULT_TERMS, Profile, preferences
from .chart import CLASSIFICATION as ACCOUNT_CLASSIFICATION
from .entities import Ledger
from .invoicing import code_rates, quantum
from .lists import pseudo_code, rate_detail, record_rate, tax_code_data, tax_rate_data
from .numbers import CENT, money
from .options import EmulatorOptions
from .taxmath import Rate, RateTotal, Taxable, totals_by_rate

#: Every how many customers one has a free-form address, and one is a job of an earlier customer.
FREE_FORM_EVERY = 4
JOB_EVERY = 6
#: Every how many invoices one is taxed; a US company's taxed invoices use Intuit's sample code "2"
#: (California, rate "3", 8 %), other countries' the first code of their profile.
TAXED_EVERY = 5
SEED_TXN_TAX_CODE = "2"


class _SeedTaxes:
    """How the seeded invoices of a company are taxed: its tax model's codes and rates."""

    def __init__(self, ledger: Ledger) -> None:
        profile = ledger.options.profile
        self.global_tax = profile.global_tax
        codes = ledger.realm.table("TaxCode")
        if self.global_tax:
            standard = codes.get(profile.codes[0].id)
            zero = next(
                (
                    codes.get(c.id)
                    for c in profile.codes
                    if all(r.percent == 0 for r in _rates(profile, c.sales))
                ),
                standard,
            )
            assert standard is not None and zero is not None
            self.taxed_code, self.untaxed_code = standard.id, zero.id
            self.taxed: tuple[Rate, ...] | None = code_rates(ledger, standard)
            self.untaxed: tuple[Rate, ...] | None = code_rates(ledger, zero)
            self.header: dict[str, Any] = {"GlobalTaxCalculation": "TaxExcluded"}
        else:
            code = codes.get(SEED_TXN_TAX_CODE)
            assert code is not None
            self.taxed_code, self.untaxed_code = "TAX", "NON"
            self.taxed, self.untaxed = code_rates(ledger, code), None
            self.header = {"ApplyTaxAfterDiscount": False}

    def line_code(self, taxed: bool) -> str:
        return self.taxed_code if taxed else self.untaxed_code


def _rates(profile: Profile, ids: tuple[str, ...]) -> list[Any]:
    return [rate for rate in profile.rates if rate.id in ids]


def _tax_line(total: RateTotal) -> dict[str, Any]:
    return {
        "Amount": total.tax,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": total.rate.id, "name": total.rate.name},
            "PercentBased": True,
            "TaxPercent": total.rate.percent,
            "NetAmountTaxable": total.net_taxable,
        },
    }


def free_form(lines: list[str]) -> dict[str, Any]:
    """A QuickBooks free-form address: the lines only, no City or postal fields."""
    return {f"Line{number}": text for number, text in enumerate([t for t in lines if t], start=1)}


CHART_OF_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    # Where the reports close earlier years' profit (QuickBooks makes this account itself).
    ("Retained Earnings", "Equity", "RetainedEarnings"),
)

GIVEN_NAMES = (
    "Amelia",
    "Bruno",
    "Chiara",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Liam",
    "Marta",
    "Noah",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Samir",
    "Tessa",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Adele",
    "Bastien",
    "Carmen",
    "Dario",
)
FAMILY_NAMES = (
    "Abbott",
    "Baptiste",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Haddad",
    "Ibarra",
    "Jovanovic",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Sandoval",
    "Takahashi",
    "Underwood",
    "Valdez",
    "Whitaker",
    "Xu",
    "Yilmaz",
    "Zimmerman",
)
BUSINESS_WORDS = (
    "Harbor",
    "Cedar",
    "Summit",
    "Blue Fern",
    "Granite",
    "Lantern",
    "Meadow",
    "Northwind",
    "Orchard",
    "Pioneer",
    "Quarry",
    "Riverbend",
    "Silverline",
    "Timber",
    "Urban",
    "Vista",
    "Willow",
    "Copper",
)
BUSINESS_KINDS = (
    "Bakery",
    "Builders",
    "Dental",
    "Design Studio",
    "Landscaping",
    "Logistics",
    "Motors",
    "Outfitters",
    "Plumbing",
    "Print Shop",
    "Realty",
    "Coffee Roasters",
    "Veterinary",
    "Yoga",
    "Books",
)
BUSINESS_SUFFIXES = ("LLC", "Inc.", "Co.", "Group", "")
STREETS = (
    "Maple Ave",
    "Oak St",
    "Pine Rd",
    "Elm St",
    "Lakeview Dr",
    "Hillcrest Blvd",
    "Sunset Way",
    "Park Ln",
    "Mission St",
    "Broadway",
    "Cherry Ct",
    "Highland Ave",
)
CITIES = (
    ("Bayshore", "CA", "94"),
    ("Millbrook", "NY", "12"),
    ("Cedar Falls", "IA", "50"),
    ("Riverton", "WY", "82"),
    ("Fairview", "OR", "97"),
    ("Springfield", "IL", "62"),
    ("Georgetown", "TX", "78"),
    ("Ashland", "MA", "01"),
    ("Madison", "WI", "53"),
    ("Greenville", "SC", "29"),
)
SERVICE_ITEMS: tuple[tuple[str, str, str, str], ...] = (
    ("Consulting", "Service", "150.00", "Services"),
    ("Design", "Service", "75.00", "Services"),
    ("Installation", "Service", "50.00", "Services"),
    ("Hours", "Service", "15.00", "Services"),
    ("Maintenance & Repair", "Service", "60.00", "Services"),
    ("Training", "Service", "95.50", "Services"),
    ("Site Survey", "Service", "120.00", "Services"),
    ("Garden Lighting", "NonInventory", "45.99", "Sales of Product Income"),
    ("Fountain Pump", "NonInventory", "15.75", "Sales of Product Income"),
    ("Sprinkler Heads", "NonInventory", "2.10", "Sales of Product Income"),
    ("Decorative Rocks", "NonInventory", "12.10", "Sales of Product Income"),
    ("Support Plan", "Service", "29.00", "Services"),
)
MEMOS = ("Thank you for your business.", "Payment due within 30 days.", "We appreciate your prompt payment.")


def seed_company(ledger: Ledger, options: EmulatorOptions, realm_index: int, now: datetime) -> None:
    """Fill one company: always CompanyInfo, Preferences, its country's tax setup, the default terms
    and a chart of accounts; sample data when ``options.seed`` is set."""
    tz = ledger.clock.tz
    company_start = now - timedelta(days=options.history_days + 1)
    name = options.company_name if realm_index == 0 else f"{options.company_name} {realm_index + 1}"
    profile = options.profile
    ledger.insert(
        "CompanyInfo", _company_info(name, ledger.realm.realm_id, company_start, tz, profile), company_start
    )
    _seed_taxes(ledger, profile, company_start)
    _seed_extra_codes(ledger, options, profile, company_start)
    for term_name, days in DEFAULT_TERMS:
        ledger.insert("Term", _term(term_name, days), company_start)
    for code, rate in options.exchange_rates.items():
        start_day = company_start.astimezone(tz).date().isoformat()
        record_rate(ledger, code.upper(), start_day, Decimal(str(rate)), ledger.clock.qbo(company_start))
    accounts: dict[str, dict[str, str]] = {}
    for account_name, kind, subtype in CHART_OF_ACCOUNTS:
        record = ledger.insert(
            "Account",
            {
                "Name": account_name,
                "FullyQualifiedName": account_name,
                "Active": True,
                "Classification": _classification(kind),
                "AccountType": kind,
                "AccountSubType": subtype,
                "SubAccount": False,
                "CurrentBalance": Decimal(0),
                "CurrentBalanceWithSubAccounts": Decimal(0),
                "CurrencyRef": ledger.currency_ref(),
            },
            company_start,
        )
        accounts[account_name] = {"value": record.id, "name": account_name}
    _seed_tax_account(ledger, profile, company_start)
    ledger.insert(
        "Preferences",
        preferences(
            home_currency=options.home_currency,
            multi_currency=options.multi_currency,
            class_tracking=options.class_tracking,
            track_departments=options.track_departments,
            department_terminology=options.department_terminology,
            allow_discount=options.allow_discount,
            using_sales_tax=options.using_sales_tax,
            partner_tax=options.automated_sales_tax,
            custom_fields=options.sales_custom_fields,
            fiscal_year_start=profile.fiscal_year_start,
            discount_account=accounts.get("Discounts given"),
        ),
        company_start,
        record_id="1",
    )
    if options.seed is None:
        return
    rng = random.Random(options.seed * 1_000_003 + realm_index)
    items = _seed_items(ledger, options, rng, accounts, company_start)
    customers = _seed_customers(ledger, options, rng, company_start)
    if customers and items:
        _seed_invoices_and_payments(ledger, options, rng, customers, items, accounts, now)


def _seed_tax_account(ledger: Ledger, profile: Profile, when: datetime) -> None:
    """The liability tax collected (and, outside the US, paid) is kept in, which QuickBooks makes
    when sales tax is set up ("Sales Tax Payable"; "GST Payable" and the like elsewhere)."""
    us = not profile.global_tax
    name = "Sales Tax Payable" if us else f"{profile.tax_word} Payable"
    ledger.insert(
        "Account",
        {
            "Name": name,
            "FullyQualifiedName": name,
            "Active": True,
            "Classification": "Liability",
            "AccountType": "Other Current Liability",
            "AccountSubType": "SalesTaxPayable" if us else "GlobalTaxPayable",
            "SubAccount": False,
            "CurrentBalance": Decimal(0),
            "CurrentBalanceWithSubAccounts": Decimal(0),
            "CurrencyRef": ledger.currency_ref(),
        },
        when,
    )


def _classification(kind: str) -> str:
    return ACCOUNT_CLASSIFICATION[kind]


def _seed_taxes(ledger: Ledger, profile: Profile, when: datetime) -> None:
    """The country's tax agencies, rates and codes, with the ids of the profile (US: Intuit's)."""
    since = when.astimezone(ledger.clock.tz).date()
    for agency_id, agency_name in profile.agencies:
        ledger.insert(
            "TaxAgency",
            {
                "DisplayName": agency_name,
                "TaxTrackedOnSales": True,
                "TaxTrackedOnPurchases": profile.global_tax,
            },
            when,
            record_id=agency_id,
        )
    names: dict[str, str] = {}
    for rate in profile.rates:
        ledger.insert(
            "TaxRate", tax_rate_data(rate.name, rate.percent, rate.agency, since), when, record_id=rate.id
        )
        names[rate.id] = rate.name
    if not profile.global_tax:
        for pseudo in ("TAX", "NON"):
            ledger.insert("TaxCode", pseudo_code(pseudo), when, record_id=pseudo, versioned=False)
    for code in profile.codes:
        sales = [rate_detail(rate_id, names[rate_id], order) for order, rate_id in enumerate(code.sales)]
        purchases = [
            rate_detail(rate_id, names[rate_id], order) for order, rate_id in enumerate(code.purchases)
        ]
        ledger.insert(
            "TaxCode", tax_code_data(code.name, code.description, sales, purchases), when, record_id=code.id
        )


def _seed_extra_codes(ledger: Ledger, options: EmulatorOptions, profile: Profile, when: datetime) -> None:
    """Option ``sales_tax_codes``: one code per name with one new sales rate (ids after the profile's)."""
    since = when.astimezone(ledger.clock.tz).date()
    agency = profile.agencies[0][0]
    for name, percent in options.sales_tax_codes.items():
        rate = ledger.insert("TaxRate", tax_rate_data(name, Decimal(str(percent)), agency, since), when)
        ledger.insert("TaxCode", tax_code_data(name, name, [rate_detail(rate.id, name, 0)], []), when)


def _term(name: str, days: int) -> dict[str, Any]:
    return {
        "Name": name,
        "Active": True,
        "Type": "STANDARD",
        "DueDays": days,
        "DiscountPercent": Decimal(0),
    }


def _company_info(name: str, realm_id: str, start: datetime, tz: Any, profile: Profile) -> dict[str, Any]:
    address = {"Id": "1", **profile.address}
    return {
        "CompanyName": name,
        "LegalName": f"{name} LLC",
        "CompanyAddr": dict(address),
        "CustomerCommunicationAddr": dict(address),
        "LegalAddr": dict(address),
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-0100"},
        "CompanyStartDate": start.astimezone(tz).date().isoformat(),
        "FiscalYearStartMonth": profile.fiscal_year_start,
        "Country": profile.country,
        "Email": {"Address": "owner@example.com"},
        "WebAddr": {"URI": "https://example.com"},
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"}, {"Name": "IndustryType", "Value": "Services"}],
    }


def _seed_items(
    ledger: Ledger,
    options: EmulatorOptions,
    rng: random.Random,
    accounts: dict[str, dict[str, str]],
    when: datetime,
) -> list[tuple[dict[str, str], Decimal]]:
    out: list[tuple[dict[str, str], Decimal]] = []
    for index in range(options.items):
        base_name, kind, price, account = SERVICE_ITEMS[index % len(SERVICE_ITEMS)]
        name = base_name if index < len(SERVICE_ITEMS) else f"{base_name} {index // len(SERVICE_ITEMS) + 1}"
        unit_price = (
            Decimal(price)
            if index < len(SERVICE_ITEMS)
            else money(Decimal(price) * Decimal(rng.randint(80, 140)) / 100)
        )
        record = ledger.insert(
            "Item",
            {
                "Name": name,
                "FullyQualifiedName": name,
                "Description": f"{name} ({kind.lower()})",
                "Active": True,
                "Type": kind,
                "UnitPrice": unit_price,
                "Taxable": False,
                "TrackQtyOnHand": False,
                "IncomeAccountRef": dict(accounts[account]),
            },
            when,
        )
        out.append(({"value": record.id, "name": name}, unit_price))
    return out


def _seed_customers(
    ledger: Ledger, options: EmulatorOptions, rng: random.Random, when: datetime
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for index in range(options.customers):
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        business = rng.random() < 0.45
        company = None
        if business:
            suffix = rng.choice(BUSINESS_SUFFIXES)
            company = (
                f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_KINDS)}{' ' + suffix if suffix else ''}"
            )
            display = company
            domain = company.lower().replace(" ", "").replace("&", "").replace(".", "")[:20] + ".example"
        else:
            display = f"{given} {family}"
            domain = "mail.example"
        candidate, counter = display, 2
        while candidate.lower() in used:
            candidate = f"{display} ({counter})"
            counter += 1
        used.add(candidate.lower())
        city, state, zip_prefix = rng.choice(CITIES)
        address = {
            "Line1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            "City": city,
            "CountrySubDivisionCode": state,
            "PostalCode": f"{zip_prefix}{rng.randint(100, 999)}",
            "Country": "USA",
        }
        email = f"{given}.{family}{index}@{domain}".lower()
        bill_address: dict[str, Any] = address
        ship_address: dict[str, Any] = dict(address)
        if index % FREE_FORM_EVERY == 1:
            place = f"{city}, {state} {address['PostalCode']}"
            bill_address = free_form([f"{given} {family}", company or "", address["Line1"], place])
            ship_address = free_form(
                [f"Attn: {given} {family}", company or candidate, "Receiving dock", address["Line1"], place]
            )
        data: dict[str, Any] = {
            "Title": "",
            "GivenName": given,
            "FamilyName": family,
            "DisplayName": candidate,
            "FullyQualifiedName": candidate,
            "PrintOnCheckName": company or candidate,
            "Active": True,
            "PrimaryEmailAddr": {"Address": email},
            "PrimaryPhone": {"FreeFormNumber": f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}"},
            "BillAddr": bill_address,
            "ShipAddr": ship_address,
            "Job": False,
            "BillWithParent": False,
            "Taxable": False,
            "Balance": Decimal(0),
            "BalanceWithJobs": Decimal(0),
            "CurrencyRef": ledger.currency_ref(),
            "PreferredDeliveryMethod": "Email",
        }
        if company:
            data["CompanyName"] = company
        del data["Title"]
        if index % JOB_EVERY == JOB_EVERY - 1:
            parent = out[index // 2]
            data.update(
                Job=True,
                BillWithParent=True,
                ParentRef={"value": parent["ref"]["value"]},
                Level=1,
                FullyQualifiedName=f"{parent['ref']['name']}:{candidate}",
            )
        record = ledger.insert("Customer", data, when + timedelta(minutes=index))
        out.append(
            {
                "ref": {"value": record.id, "name": candidate},
                "email": email,
                "record": record,
                "addr": bill_address,
                "ship": ship_address,
            }
        )
    return out


def _seed_invoices_and_payments(
    ledger: Ledger,
    options: EmulatorOptions,
    rng: random.Random,
    customers: list[dict[str, Any]],
    items: list[tuple[dict[str, str], Decimal]],
    accounts: dict[str, dict[str, str]],
    now: datetime,
) -> None:
    tz = ledger.clock.tz
    today = now.astimezone(tz).date()
    count = options.invoices
    rand = rng.random
    span = options.history_days * 86400
    offsets = sorted(int(rand() * span) for _ in range(count))
    start = (datetime.combine(today, time(), tz) - timedelta(days=options.history_days)).astimezone(UTC)
    currency = ledger.currency_ref()
    unit = quantum(options.home_currency)
    taxes = _SeedTaxes(ledger)
    zero = Decimal(0)
    ten_percent = Decimal("0.10")
    discount_account = accounts["Discounts given"]
    invoices = []
    realm = ledger.realm
    doc_start = realm.next_doc_number
    n_customers = len(customers)
    n_items = len(items)
    days: dict[int, tuple[str, str]] = {}
    insert = ledger.insert
    for index, offset in enumerate(offsets):
        created = start + timedelta(seconds=offset)
        local = created.astimezone(tz)
        day_number = offset // 86400
        dates = days.get(day_number)
        if dates is None:
            txn_day = local.date()
            dates = days[day_number] = (txn_day.isoformat(), (txn_day + timedelta(days=30)).isoformat())
        customer = customers[int(rand() * n_customers)]
        taxed = index % TAXED_EVERY == TAXED_EVERY - 1
        lines: list[dict[str, Any]] = []
        subtotal = zero
        taxables: list[Taxable] = []
        line_rates = taxes.taxed if taxed else taxes.untaxed
        for line_no in range(1, 2 + int(rand() * 4)):
            item_ref, price = items[int(rand() * n_items)]
            qty = 1 + int(rand() * 10)
            amount = price * qty
            subtotal += amount
            detail: dict[str, Any] = {
                "ItemRef": {"value": item_ref["value"], "name": item_ref["name"]},
                "UnitPrice": price,
                "Qty": qty,
                "TaxCodeRef": {"value": taxes.line_code(taxed)},
            }
            if line_rates is not None:
                taxable = Taxable(amount, line_rates)
                taxables.append(taxable)
                if taxes.global_tax:
                    detail["TaxInclusiveAmt"] = amount + sum(
                        (
                            t.tax
                            for t in totals_by_rate([taxable], inclusive=False, rounding="line", quantum=unit)
                        ),
                        zero,
                    )
            lines.append(
                {
                    "Id": str(line_no),
                    "LineNum": line_no,
                    "Description": item_ref["name"],
                    "Amount": amount,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": detail,
                }
            )
        lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        total = subtotal
        if rand() < 0.08:
            discount = money(subtotal * ten_percent)
            lines.append(
                {
                    "Amount": discount,
                    "DetailType": "DiscountLineDetail",
                    "DiscountLineDetail": {
                        "PercentBased": True,
                        "DiscountPercent": 10,
                        "DiscountAccountRef": dict(discount_account),
                    },
                }
            )
            total = subtotal - discount
        # Tax on the lines before the discount (ApplyTaxAfterDiscount false), per rate.
        tax_detail: dict[str, Any] = {"TotalTax": zero}
        totals = totals_by_rate(taxables, inclusive=False, rounding=options.tax_rounding, quantum=unit)
        if totals:
            tax = sum((t.tax for t in totals), zero)
            tax_detail = {"TotalTax": tax, "TaxLine": [_tax_line(t) for t in totals]}
            if not taxes.global_tax:
                tax_detail = {"TxnTaxCodeRef": {"value": SEED_TXN_TAX_CODE}, **tax_detail}
            total += tax
        data: dict[str, Any] = {
            "DocNumber": str(doc_start + index),
            "TxnDate": dates[0],
            "DueDate": dates[1],
            "CustomerRef": dict(customer["ref"]),
            "Line": lines,
            "TxnTaxDetail": tax_detail,
            "TotalAmt": total,
            "Balance": total,
            "CurrencyRef": dict(currency),
            "BillEmail": {"Address": customer["email"]},
            "BillAddr": dict(customer["addr"]),
            "ShipAddr": dict(customer["ship"]),
            "CustomerMemo": {"value": MEMOS[index % len(MEMOS)]},
            "SalesTermRef": {"value": "3", "name": "Net 30"},
            **taxes.header,
            "EmailStatus": "EmailSent" if rand() < 0.7 else "NotSet",
            "PrintStatus": "NotSet",
            "LinkedTxn": [],
        }
        invoices.append(insert("Invoice", data, created, local.isoformat()))
    realm.next_doc_number = doc_start + count

    payment_count = options.payments if options.payments is not None else int(count * 0.4)
    cutoff = now - timedelta(days=7)
    eligible = [invoice for invoice in invoices if invoice.created < cutoff]
    chosen = rng.sample(eligible, min(payment_count, len(eligible)))
    planned = []
    for invoice in chosen:
        total = invoice.data["TotalAmt"]
        if total <= 0:
            continue
        amount = total if rand() < 0.75 else money(total * Decimal(30 + int(rand() * 41)) / 100)
        amount = max(amount, CENT)
        paid_at = min(
            invoice.created + timedelta(days=1 + int(rand() * 45), seconds=int(rand() * 36000)), now
        )
        planned.append((paid_at, invoice, amount))
    planned.sort(key=lambda entry: (entry[0], int(entry[1].id)))
    deposit = accounts["Undeposited Funds"]
    for paid_at, invoice, amount in planned:
        customer_ref = invoice.data["CustomerRef"]
        local_paid = paid_at.astimezone(tz).replace(microsecond=0)
        stamp = local_paid.isoformat()
        payment = insert(
            "Payment",
            {
                "CustomerRef": dict(customer_ref),
                "TxnDate": local_paid.date().isoformat(),
                "TotalAmt": amount,
                "UnappliedAmt": zero,
                "CurrencyRef": dict(currency),
                "DepositToAccountRef": dict(deposit),
                "PaymentRefNum": str(1000 + int(rand() * 90000)),
                "ProcessPayment": False,
                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]}],
            },
            paid_at,
            stamp,
        )
        realm.applied[invoice.id] = {payment.id: amount}
        invoice.data["Balance"] = invoice.data["TotalAmt"] - amount
        invoice.data["LinkedTxn"] = [{"TxnId": payment.id, "TxnType": "Payment"}]
        invoice.data["SyncToken"] = "1"
        invoice.data["MetaData"]["LastUpdatedTime"] = stamp
        invoice.updated = paid_at
    realm.table("Invoice").touch()
    balances: dict[str, Decimal] = {}
    for invoice in invoices:
        customer_id = invoice.data["CustomerRef"]["value"]
        balances[customer_id] = balances.get(customer_id, zero) + invoice.data["Balance"]
    for customer in customers:
        record = customer["record"]
        balance = balances.get(record.id, zero)
        record.data["Balance"] = balance
        record.data["BalanceWithJobs"] = balance
        record.changed()
    realm.table("Customer").touch()
