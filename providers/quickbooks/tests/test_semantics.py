"""Tax, currency, discounts, tracking, terms and richer parties through the provider, end to end
against the emulator (in process): what is stored round-trips create → get → update, what a company
cannot take is refused before any HTTP call, naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks import QuickBooksProvider
from unified_accounting_quickbooks.testing import QuickBooksHarness

from unified_accounting import (
    Address,
    AsyncClient,
    Customer,
    EmailAddress,
    EmailType,
    Invoice,
    LineItem,
    LineItemType,
    MemoryConnectionStore,
    Payment,
    PaymentTerms,
    PaymentTermsType,
    PhoneNumber,
    PhoneType,
    TaxMode,
    TaxRate,
    TaxRateUse,
    TrackingRef,
    ValidationFailed,
)

pytestmark = pytest.mark.anyio

GST_ON_INCOME = "GST on Income"


@dataclass
class Env:
    app: Any
    conn: Any
    client: AsyncClient

    @property
    def emulator(self) -> Any:
        return self.app.state.emulator

    def calls(self) -> int:
        return len([entry for entry in self.emulator.request_log if "/v3/company/" in entry.path])


@pytest.fixture
async def company(request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    """A US company, or one shaped by emulator options given as the fixture's parameter."""
    options = dict(getattr(request, "param", {}))
    harness = QuickBooksHarness(**options)
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        providers={"quickbooks": {**harness.settings, "base_url": harness.base_url}},
        transport=httpx.ASGITransport(app=app),
        store=MemoryConnectionStore(),
        environ={},
    ) as client:
        conn = await client.import_connection(
            consumer_id="tests",
            provider="quickbooks",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        yield Env(app, conn, client)


AU = {"country": "AU", "sales_tax_codes": {GST_ON_INCOME: "10"}}


async def rate_id_named(conn: Any, name: str) -> str:
    rates = [rate async for rate in conn.tax_rates.list()]
    return str(next(rate.id for rate in rates if rate.name == name))


async def customer_id(conn: Any, **fields: Any) -> str:
    created = await conn.customers.create(Customer(display_name=f"Globex {id(fields)}", **fields))
    return str(created.id)


# ----------------------------------------------------------------------------- same product code


async def same_lines_in_mode(conn: Any, mode: TaxMode, rate_id: str | None) -> Invoice:
    """Product code: the same two lines at one rate, in ``mode``."""
    customer = await conn.customers.create(Customer(display_name=f"Mode {mode.value}"))
    lines = [
        LineItem(description="Consulting", quantity=3, unit_price="150.00", tax_rate_id=rate_id),
        LineItem(description="Licence", quantity=1, unit_price="99.95", tax_rate_id=rate_id),
    ]
    created: Invoice = await conn.invoices.create(
        Invoice(customer_id=str(customer.id), issue_date=date(2026, 11, 2), tax_mode=mode, line_items=lines)
    )
    return created


@pytest.mark.parametrize("company", [AU], indirect=True)
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # Net lines; tax per line, half up: 45.00 + 9.995 → 10.00.
        (TaxMode.EXCLUSIVE, ("549.95", "55.00", "604.95")),
        # Gross lines; tax per line: 450 × 10/110 = 40.91, 99.95 × 10/110 = 9.09.
        (TaxMode.INCLUSIVE, ("499.95", "50.00", "549.95")),
        (TaxMode.NO_TAX, ("549.95", "0.00", "549.95")),
    ],
)
async def test_same_product_code_in_each_tax_mode_on_an_au_company(
    company: Env, mode: TaxMode, expected: tuple[str, str, str]
) -> None:
    rate_id = await rate_id_named(company.conn, GST_ON_INCOME)
    created = await same_lines_in_mode(company.conn, mode, rate_id)
    fetched = await company.conn.invoices.get(str(created.id))
    for invoice in (created, fetched):
        assert (str(invoice.sub_total), str(invoice.total_tax), str(invoice.total)) == expected
        assert invoice.tax_mode is mode
        assert [line.total_amount for line in invoice.line_items] == [Decimal("450.00"), Decimal("99.95")]
        assert [line.unit_price for line in invoice.line_items] == [150, Decimal("99.95")]
    assert [line.tax_rate_id for line in fetched.line_items] == [rate_id, rate_id]
    if mode is TaxMode.INCLUSIVE:
        assert [line.tax_amount for line in fetched.line_items] == [Decimal("40.91"), Decimal("9.09")]
    # An update of something else keeps the mode, the rates and the money.
    updated = await company.conn.invoices.update(str(created.id), {"memo": "Thanks"})
    assert (str(updated.sub_total), str(updated.total_tax), str(updated.total)) == expected
    assert updated.tax_mode is mode and updated.memo == "Thanks"


@pytest.mark.parametrize("company", [AU], indirect=True)
async def test_an_inclusive_invoice_updated_with_new_lines_stays_inclusive(company: Env) -> None:
    rate_id = await rate_id_named(company.conn, GST_ON_INCOME)
    created = await same_lines_in_mode(company.conn, TaxMode.INCLUSIVE, rate_id)
    lines = [LineItem(description="Consulting", quantity=2, unit_price="110.00", tax_rate_id=rate_id)]
    updated = await company.conn.invoices.update(str(created.id), {"line_items": lines})
    assert updated.tax_mode is TaxMode.INCLUSIVE
    assert (str(updated.sub_total), str(updated.total_tax), str(updated.total)) == (
        "200.00",
        "20.00",
        "220.00",
    )


async def test_us_companies_refuse_inclusive_before_http(company: Env) -> None:
    customer = await customer_id(company.conn)
    await company.conn.company_info.get()
    before = company.calls()
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=customer,
                tax_mode=TaxMode.INCLUSIVE,
                line_items=[LineItem(quantity=1, unit_price="10.00", tax_rate_id="2")],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["tax_mode"]
    assert company.calls() == before


async def test_us_invoices_take_one_rate_and_read_it_back_on_the_taxed_lines(company: Env) -> None:
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=customer,
                line_items=[
                    LineItem(quantity=1, unit_price="10.00", tax_rate_id="2"),
                    LineItem(quantity=1, unit_price="10.00", tax_rate_id="3"),
                ],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.1.tax_rate_id"]
    created = await company.conn.invoices.create(
        Invoice(
            customer_id=customer,
            line_items=[
                LineItem(quantity=1, unit_price="275.00", tax_rate_id="2"),
                LineItem(quantity=1, unit_price="50.00", tax_rate_id="NON"),
            ],
        )
    )
    fetched = await company.conn.invoices.get(str(created.id))
    assert [line.tax_rate_id for line in fetched.line_items] == ["2", "NON"]
    assert (fetched.tax_mode, fetched.total_tax, fetched.total) == (
        TaxMode.EXCLUSIVE,
        Decimal("22.00"),
        Decimal("347.00"),
    )
    untaxed = await company.conn.invoices.create(
        Invoice(
            customer_id=customer, tax_mode=TaxMode.NO_TAX, line_items=[LineItem(quantity=1, unit_price="5")]
        )
    )
    assert (untaxed.tax_mode, untaxed.total_tax) == (TaxMode.NO_TAX, Decimal("0.00"))


async def test_line_tax_amounts_are_refused_quickbooks_computes_them(company: Env) -> None:
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=customer, line_items=[LineItem(quantity=1, unit_price="10", tax_amount="1.00")]
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.tax_amount"]
    assert "computes" in caught.value.issues[0].message


# ------------------------------------------------------------------------------------ tax rates


async def test_us_tax_rates_are_codes_with_their_rates(company: Env) -> None:
    rates = {rate.id: rate async for rate in company.conn.tax_rates.list()}
    assert "TAX" not in rates and rates["NON"].rate == 0
    tucson = await company.conn.tax_rates.get("3")
    assert (tucson.name, tucson.rate, tucson.applies_to) == ("Tucson", Decimal("9.1"), [TaxRateUse.SALES])
    assert [(c.name, c.rate) for c in tucson.components] == [
        ("AZ State tax", Decimal("7.1")),
        ("Tucson City", 2),
    ]


@pytest.mark.parametrize("company", [AU], indirect=True)
async def test_tax_rates_are_created_through_the_tax_service(company: Env) -> None:
    created = await company.conn.tax_rates.create(
        TaxRate(name="Luxury", rate=Decimal("33"), applies_to=[TaxRateUse.SALES, TaxRateUse.PURCHASES])
    )
    fetched = await company.conn.tax_rates.get(str(created.id))
    assert (fetched.name, fetched.rate, set(fetched.applies_to)) == (
        "Luxury",
        33,
        {TaxRateUse.SALES, TaxRateUse.PURCHASES},
    )
    gst = await company.conn.tax_rates.get("2")
    assert (gst.name, gst.rate, set(gst.applies_to)) == ("GST", 10, {TaxRateUse.SALES, TaxRateUse.PURCHASES})


# ---------------------------------------------------------------------------------- company info


@pytest.mark.parametrize("company", [{**AU, "multi_currency": True}], indirect=True)
async def test_company_info_from_company_info_and_preferences(company: Env) -> None:
    info = await company.conn.company_info.get()
    assert (info.country, info.base_currency, info.multi_currency_enabled, info.fiscal_year_start_month) == (
        "AU",
        "AUD",
        True,
        7,
    )
    assert info.tax_system.value == "vat" and info.default_tax_mode is TaxMode.EXCLUSIVE


async def test_us_company_info(company: Env) -> None:
    info = await company.conn.company_info.get()
    assert (info.country, info.base_currency, info.multi_currency_enabled, info.tax_system.value) == (
        "US",
        "USD",
        False,
        "sales_tax",
    )


# ------------------------------------------------------------------------------------- currency


async def test_a_foreign_currency_without_multi_currency_is_refused_before_http(company: Env) -> None:
    customer = await customer_id(company.conn)
    await company.conn.company_info.get()
    before = company.calls()
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(customer_id=customer, currency="EUR", line_items=[LineItem(quantity=1, unit_price="10")])
        )
    assert [issue.field for issue in caught.value.issues] == ["currency"]
    assert "multi-currency is off" in caught.value.issues[0].message
    assert company.calls() == before


@pytest.mark.parametrize(
    "company", [{"multi_currency": True, "exchange_rates": {"EUR": "1.08"}}], indirect=True
)
async def test_multi_currency_documents_follow_their_customer(company: Env) -> None:
    euro_customer = await customer_id(company.conn, currency="EUR")
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=euro_customer, currency="USD", line_items=[LineItem(quantity=1, unit_price="1")]
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["currency"]
    assert "billed in EUR" in caught.value.issues[0].message
    # No currency given: the customer's; a rate given is stored; by default the day's rate.
    invoice = await company.conn.invoices.create(
        Invoice(
            customer_id=euro_customer,
            currency_rate=Decimal("1.1"),
            line_items=[LineItem(quantity=1, unit_price="100.00")],
        )
    )
    fetched = await company.conn.invoices.get(str(invoice.id))
    assert (fetched.currency, fetched.currency_rate) == ("EUR", Decimal("1.1"))
    updated = await company.conn.invoices.update(str(invoice.id), {"currency_rate": Decimal("1.2")})
    assert updated.currency_rate == Decimal("1.2")
    payment = await company.conn.payments.create(
        Payment(customer_id=euro_customer, total_amount=Decimal("10.00"), date=date(2026, 1, 6))
    )
    assert (payment.currency, payment.currency_rate) == ("EUR", Decimal("1.08"))


@pytest.mark.parametrize("company", [{"currency": "JPY"}], indirect=True)
async def test_amounts_beyond_the_home_currency_are_refused(company: Env) -> None:
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.payments.create(
            Payment(customer_id=customer, total_amount=Decimal("10.50"), date=date(2026, 1, 6))
        )
    assert [issue.field for issue in caught.value.issues] == ["total_amount"]


async def test_unit_prices_beyond_seven_decimals_are_refused(company: Env) -> None:
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(customer_id=customer, line_items=[LineItem(quantity=1, unit_price="0.123456789")])
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.unit_price"]
    created = await company.conn.invoices.create(
        Invoice(customer_id=customer, line_items=[LineItem(quantity=2, unit_price="10.005")])
    )
    assert (created.line_items[0].unit_price, created.total) == (Decimal("10.005"), Decimal("20.01"))


# ------------------------------------------------------------------------------------ discounts


async def test_invoice_discount_lines_round_trip_and_line_discounts_are_refused(company: Env) -> None:
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=customer, line_items=[LineItem(quantity=1, unit_price="10", discount_amount="1")]
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.discount_amount"]
    created = await company.conn.invoices.create(
        Invoice(
            customer_id=customer,
            line_items=[
                LineItem(quantity=2, unit_price="50.00"),
                LineItem(type=LineItemType.DISCOUNT, discount_percentage=Decimal("10")),
            ],
        )
    )
    fetched = await company.conn.invoices.get(str(created.id))
    discount = fetched.line_items[1]
    assert (discount.type, discount.discount_percentage, discount.total_amount, fetched.total) == (
        LineItemType.DISCOUNT,
        10,
        Decimal("10.00"),
        Decimal("90.00"),
    )
    lines = [fetched.line_items[0], LineItem(type=LineItemType.DISCOUNT, discount_amount=Decimal("5.00"))]
    updated = await company.conn.invoices.update(str(created.id), {"line_items": lines})
    assert (updated.line_items[1].discount_amount, updated.total) == (Decimal("5.00"), Decimal("95.00"))


# ------------------------------------------------------------------------------------- tracking


@pytest.mark.parametrize("company", [{"class_tracking": "line", "track_departments": True}], indirect=True)
async def test_classes_and_departments_as_tracking_categories(company: Env) -> None:
    ledger = company.emulator
    north = ledger.create("Class", {"Name": "North"})
    shop = ledger.create("Department", {"Name": "Shop"})
    categories = {c.id: c async for c in company.conn.tracking_categories.list()}
    assert (categories["class"].name, categories["department"].name) == ("Class", "Location")
    assert [o.name for o in categories["class"].options] == ["North"]
    assert (await company.conn.tracking_categories.get("department")).options[0].id == shop["Id"]
    customer = await customer_id(company.conn)
    line_tag = TrackingRef(category_id="class", option_id=north["Id"])
    created = await company.conn.invoices.create(
        Invoice(
            customer_id=customer,
            tracking=[TrackingRef(category_id="department", option_id=shop["Id"])],
            line_items=[LineItem(quantity=1, unit_price="10", tracking=[line_tag])],
        )
    )
    fetched = await company.conn.invoices.get(str(created.id))
    assert [(t.category_id, t.option_id) for t in fetched.tracking] == [("department", shop["Id"])]
    assert [(t.category_id, t.option_id) for t in fetched.line_items[0].tracking] == [("class", north["Id"])]
    updated = await company.conn.invoices.update(str(created.id), {"memo": "kept"})
    assert (
        updated.tracking == fetched.tracking
        and updated.line_items[0].tracking == fetched.line_items[0].tracking
    )
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.update(
            str(created.id), {"tracking": [TrackingRef(category_id="class", option_id=north["Id"])]}
        )
    assert [issue.field for issue in caught.value.issues] == ["tracking.0"]


async def test_tracking_is_refused_where_the_company_turns_it_off(company: Env) -> None:
    assert [c async for c in company.conn.tracking_categories.list()] == []
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=customer,
                tracking=[TrackingRef(category_id="department", option_id="1")],
                line_items=[LineItem(quantity=1, unit_price="10")],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["tracking.0"]
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(
                customer_id=customer,
                line_items=[
                    LineItem(
                        quantity=1, unit_price="10", tracking=[TrackingRef(category_id="x", option_id="1")]
                    )
                ],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.tracking.0.category_id"]


# ------------------------------------------------------------------------------ terms, PO, parties


@pytest.mark.parametrize("company", [{"sales_custom_fields": ("P.O. Number",)}], indirect=True)
async def test_terms_and_po_number_round_trip(company: Env) -> None:
    customer = await customer_id(company.conn)
    net30 = PaymentTerms(type=PaymentTermsType.DAYS_AFTER_ISSUE, days=30)
    created = await company.conn.invoices.create(
        Invoice(
            customer_id=customer,
            issue_date=date(2026, 1, 5),
            terms=net30,
            po_number="PO-4471",
            line_items=[LineItem(quantity=1, unit_price="10")],
        )
    )
    fetched = await company.conn.invoices.get(str(created.id))
    assert fetched.terms is not None and (fetched.terms.days, fetched.terms.id, fetched.terms.name) == (
        30,
        "3",
        "Net 30",
    )
    assert (fetched.po_number, fetched.due_date) == ("PO-4471", date(2026, 2, 4))
    net45 = PaymentTerms(type=PaymentTermsType.DAYS_AFTER_ISSUE, days=45)
    updated = await company.conn.invoices.update(str(created.id), {"terms": net45, "po_number": "PO-4472"})
    assert updated.terms is not None and (updated.terms.days, updated.terms.name) == (45, "Net 45")
    assert updated.po_number == "PO-4472"
    again = await company.conn.customers.create(Customer(display_name="Termed", terms=net45))
    assert again.terms is not None and again.terms.id == updated.terms.id  # found, not made twice


async def test_a_term_made_since_the_term_list_was_read_is_found_by_the_next_page(company: Env) -> None:
    customer = await customer_id(company.conn)
    net30 = PaymentTerms(type=PaymentTermsType.DAYS_AFTER_ISSUE, days=30)
    line = LineItem(quantity=1, unit_price="10")
    await company.conn.invoices.create(Invoice(customer_id=customer, terms=net30, line_items=[line]))
    assert [invoice.terms.days async for invoice in company.conn.invoices.list() if invoice.terms] == [30]

    def term_reads() -> int:
        log = company.emulator.request_log
        return len([entry for entry in log if "from term" in entry.query.get("query", "").lower()])

    # Made outside this client (another app, the QuickBooks screens): its term list does not have it.
    made = await company.conn.request("POST", "term", json={"Name": "Net 17", "DueDays": 17})
    term = made.json()["Term"]["Id"]
    invoice = {
        "CustomerRef": {"value": customer},
        "SalesTermRef": {"value": term},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10, "SalesItemLineDetail": {"Qty": 1}}],
    }
    await company.conn.request("POST", "invoice", json=invoice)
    reads = term_reads()
    listed = [invoice.terms async for invoice in company.conn.invoices.list()]
    assert sorted((terms.days, terms.name) for terms in listed if terms) == [(17, "Net 17"), (30, "Net 30")]
    assert term_reads() == reads + 1  # the list read again once, for the page that named the new term
    again = [invoice.terms async for invoice in company.conn.invoices.list()]
    assert again == listed and term_reads() == reads + 1


async def test_po_number_without_the_custom_field_is_refused(company: Env) -> None:
    customer = await customer_id(company.conn)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(customer_id=customer, po_number="PO-1", line_items=[LineItem(quantity=1, unit_price="1")])
        )
    assert [issue.field for issue in caught.value.issues] == ["po_number"]


async def test_customers_with_several_emails_phones_a_parent_and_addresses(company: Env) -> None:
    parent = await customer_id(company.conn)
    address = Address(
        line1="Attn: Accounts", line2="1 Main St", line3="Suite 5", line4="Bldg 2", line5="Dock 7"
    )
    created = await company.conn.customers.create(
        Customer(
            display_name="Globex Job",
            parent_id=parent,
            billing_address=address,
            emails=[
                EmailAddress(address="ap@globex.example", type=EmailType.PRIMARY),
                EmailAddress(address="cfo@globex.example", type=EmailType.OTHER),
            ],
            phones=[
                PhoneNumber(number="555-0100", type=PhoneType.PRIMARY),
                PhoneNumber(number="555-0199", type=PhoneType.MOBILE),
            ],
        )
    )
    fetched = await company.conn.customers.get(str(created.id))
    assert fetched.parent_id == parent and fetched.billing_address == address
    assert [(e.address, e.type) for e in fetched.emails] == [
        ("ap@globex.example", EmailType.PRIMARY),
        ("cfo@globex.example", EmailType.OTHER),
    ]
    assert (fetched.email, fetched.phone) == ("ap@globex.example", "555-0100")
    assert [(p.number, p.type) for p in fetched.phones] == [
        ("555-0100", PhoneType.PRIMARY),
        ("555-0199", PhoneType.MOBILE),
    ]
    # Changing the primary address alone keeps the other one.
    updated = await company.conn.customers.update(str(created.id), {"email": "billing@globex.example"})
    assert [e.address for e in updated.emails] == ["billing@globex.example", "cfo@globex.example"]
    assert updated.phones == fetched.phones and updated.parent_id == parent
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.customers.update(
            str(created.id), {"billing_address": Address(line1="x", contact_name="Ann")}
        )
    assert [issue.field for issue in caught.value.issues] == ["billing_address.contact_name"]


def test_field_support_is_declared_for_the_new_fields() -> None:
    support = QuickBooksProvider.field_support
    assert support["invoice"]["line_items.tax_amount"][0] == "refused"
    assert support["invoice"]["reference"][0] == "refused"
    assert support["invoice"]["sub_total"][0] == "computed"
    assert support["invoice"]["currency_rate"][0] == "mapped"
    assert support["customer"]["billing_address.contact_name"][0] == "refused"


@pytest.mark.parametrize(
    "company", [{"multi_currency": True, "exchange_rates": {"EUR": "1.08"}}], indirect=True
)
async def test_customer_terms_phones_parent_and_payment_rates_update_without_loss(company: Env) -> None:
    parent = await customer_id(company.conn, currency="EUR")  # a job has its parent's currency
    net15 = PaymentTerms(type=PaymentTermsType.DAYS_AFTER_ISSUE, days=15)
    created = await company.conn.customers.create(
        Customer(
            display_name="Initech",
            currency="EUR",
            terms=net15,
            parent_id=parent,
            phones=[PhoneNumber(number="555-0100", type=PhoneType.PRIMARY)],
        )
    )
    fetched = await company.conn.customers.get(str(created.id))
    assert fetched.terms is not None and (fetched.terms.days, fetched.terms.name) == (15, "Net 15")
    assert (fetched.currency, fetched.parent_id) == ("EUR", parent)
    monthly = PaymentTerms(type=PaymentTermsType.DAY_OF_FOLLOWING_MONTH, days=20)
    phones = [
        PhoneNumber(number="555-0100", type=PhoneType.PRIMARY),
        PhoneNumber(number="555-0111", type=PhoneType.FAX),
    ]
    updated = await company.conn.customers.update(str(created.id), {"terms": monthly, "phones": phones})
    assert updated.terms is not None and (updated.terms.type, updated.terms.days) == (monthly.type, 20)
    assert [(p.number, p.type) for p in updated.phones] == [(p.number, p.type) for p in phones]
    assert (updated.currency, updated.parent_id) == ("EUR", parent)
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.customers.update(str(created.id), {"currency": "USD"})
    assert [issue.field for issue in caught.value.issues] == ["currency"]
    payment = await company.conn.payments.create(
        Payment(
            customer_id=str(created.id),
            total_amount=Decimal("10.00"),
            currency_rate=Decimal("1.07"),
            date=date(2026, 1, 6),
        )
    )
    assert (await company.conn.payments.get(str(payment.id))).currency_rate == Decimal("1.07")
    moved = await company.conn.payments.update(str(payment.id), {"currency_rate": Decimal("1.09")})
    assert (moved.currency, moved.currency_rate, moved.total_amount) == (
        "EUR",
        Decimal("1.09"),
        Decimal("10.00"),
    )


@pytest.mark.parametrize("company", [{**AU, "class_tracking": "line"}], indirect=True)
async def test_change_feed_lists_tax_rates_and_tracking_changed_since(company: Env) -> None:
    provider = company.client.provider("quickbooks")
    company.emulator.advance(60)
    since = company.emulator.now()
    company.emulator.advance(60)
    created = await company.conn.tax_rates.create(TaxRate(name="Fuel levy", rate=Decimal("5")))
    company.emulator.create("Class", {"Name": "East"})
    changes = await provider.read_change_feed(
        company.conn.session(), ["invoice", "tax_rate", "tracking_category"], since
    )
    assert [rate.id for rate in changes.records["tax_rate"]] == [created.id]
    (category,) = changes.records["tracking_category"]
    assert (category.id, [option.name for option in category.options]) == ("class", ["East"])
    assert changes.records["invoice"] == []


async def test_the_non_pseudo_code_reads_the_same_every_time(company: Env) -> None:
    # NON has no MetaData: a fixed time, so a mirror does not take each read for a change.
    first = await company.conn.tax_rates.get("NON")
    second = await company.conn.tax_rates.get("NON")
    assert first.updated_at == second.updated_at and first.updated_at is not None
    assert first.updated_at.year == 1970


async def test_one_tag_per_category_and_place(company: Env) -> None:
    customer = await customer_id(company.conn)
    tags = [TrackingRef(category_id="class", option_id="1"), TrackingRef(category_id="class", option_id="2")]
    with pytest.raises(ValidationFailed) as caught:
        await company.conn.invoices.create(
            Invoice(customer_id=customer, line_items=[LineItem(quantity=1, unit_price="1", tracking=tags)])
        )
    assert [(i.field, i.message) for i in caught.value.issues] == [
        ("line_items.0.tracking.1", "QuickBooks takes one class per line")
    ]
