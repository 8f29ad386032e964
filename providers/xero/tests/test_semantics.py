"""Real accounting semantics through the client: tax modes and rates, currencies and exchange rates,
company info, discounts, tracking, money precision, richer contacts; every new field round-trips
create → get → update without loss, and what Xero cannot do is refused before any HTTP call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from unified_accounting_xero.currency import XERO_RATE_IS_FOREIGN_PER_BASE, unified_rate, xero_rate
from unified_accounting_xero.emulator import TenantSpec, create_emulator
from unified_accounting_xero.support import FIELD_SUPPORT
from unified_accounting_xero.testing import XeroHarness, emulator_of

from unified_accounting.catalog import RESOURCES as CATALOG
from unified_accounting.errors import ValidationFailed
from unified_accounting.models import (
    Address,
    Allocation,
    CompanyInfo,
    Customer,
    EmailAddress,
    EmailType,
    Invoice,
    LineItem,
    Payment,
    PaymentTerms,
    PaymentTermsType,
    PhoneNumber,
    PhoneType,
    TaxMode,
    TaxRate,
    TaxRateStatus,
    TaxRateUse,
    TaxSystem,
    TrackingCategory,
    TrackingOption,
    TrackingRef,
)
from unified_accounting.plugins import get_provider

from .test_provider import Env, connect

pytestmark = pytest.mark.anyio


@pytest.fixture
async def au() -> AsyncIterator[Env]:
    """An Australian organisation: AUD, "GST on Income" OUTPUT 10 %."""
    async for value in connect(create_emulator(tenants=[TenantSpec.australia()])):
        yield value


@pytest.fixture
async def multi() -> AsyncIterator[Env]:
    """A multi-currency New Zealand organisation that added EUR (not GBP)."""
    spec = TenantSpec(name="Multi (NZ)", country_code="NZ", multi_currency=True, currencies=("EUR",))
    async for value in connect(create_emulator(tenants=[spec])):
        yield value


@pytest.fixture
async def nz() -> AsyncIterator[Env]:
    """A single-currency New Zealand organisation (GST 15 %, OUTPUT2)."""
    async for value in connect(create_emulator()):
        yield value


async def customer_of(env: Env, name: str = "Acme Pty Ltd") -> str:
    return str((await env.conn.customers.create(Customer(display_name=name))).id)


def writes(env: Env) -> list[Any]:
    return [call for call in env.api_calls if call.method in ("PUT", "POST", "DELETE")]


# ------------------------------------------------------------------------------- same product code


async def same_books(env: Env, mode: TaxMode, rate_id: str) -> tuple[Decimal, Decimal, Decimal]:
    """What a product function does, whatever the provider: the same lines, the same rate."""
    customer_id = await customer_of(env, f"Same Books {mode.value}")
    invoice = await env.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            issue_date=date(2026, 3, 2),
            tax_mode=mode,
            line_items=[
                LineItem(
                    description="Hours",
                    quantity=Decimal("3"),
                    unit_price=Decimal("33.3333"),
                    tax_rate_id=rate_id,
                ),
                LineItem(
                    description="Travel",
                    quantity=Decimal("1"),
                    unit_price=Decimal("10.05"),
                    tax_rate_id=rate_id,
                ),
            ],
        )
    )
    assert invoice.tax_mode is mode
    again = await env.conn.invoices.get(str(invoice.id))
    assert (again.sub_total, again.total_tax, again.total) == (
        invoice.sub_total,
        invoice.total_tax,
        invoice.total,
    )
    assert invoice.sub_total is not None and invoice.total_tax is not None and invoice.total is not None
    return invoice.sub_total, invoice.total_tax, invoice.total


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # 99.9999 → 100.00 and 10.05; tax 10.00 + 1.005 (→ 1.01, half up).
        (TaxMode.EXCLUSIVE, ("110.05", "11.01", "121.06")),
        # tax 100.00 × 10/110 = 9.0909 → 9.09 and 10.05 × 10/110 = 0.9136 → 0.91.
        (TaxMode.INCLUSIVE, ("100.05", "10.00", "110.05")),
        (TaxMode.NO_TAX, ("110.05", "0.00", "110.05")),
    ],
)
async def test_same_product_code_on_an_australian_organisation(
    au: Env, mode: TaxMode, expected: tuple[str, str, str]
) -> None:
    rates = {rate.id: rate for rate in await au.conn.tax_rates.list().to_list()}
    gst = rates["OUTPUT"]
    assert (gst.name, gst.rate, TaxRateUse.SALES in gst.applies_to) == ("GST on Income", Decimal("10"), True)
    totals = await same_books(au, mode, "OUTPUT")
    assert totals == tuple(Decimal(value) for value in expected)
    assert [str(value) for value in totals] == list(expected)  # two decimals, whatever Xero's JSON


def test_harness_seeds_the_organisations_the_cross_provider_test_needs() -> None:
    australia = XeroHarness.australia()
    organisation = emulator_of(australia.create_app()).tenant()
    assert (organisation.country_code, organisation.base_currency) == ("AU", "AUD")
    gst = organisation.tax_rates["OUTPUT"]
    assert (gst["Name"], Decimal(str(gst["EffectiveRate"]))) == ("GST on Income", Decimal("10"))
    multi = emulator_of(XeroHarness.multi_currency("EUR", "GBP").create_app()).tenant()
    assert multi.multi_currency and set(multi.currencies) == {"NZD", "EUR", "GBP"}


# ------------------------------------------------------------------------------------------- tax


async def test_a_rate_the_organisation_lacks_is_refused_before_http(au: Env) -> None:
    customer_id = await customer_of(au)
    before = len(writes(au))
    with pytest.raises(ValidationFailed) as caught:
        await au.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                line_items=[LineItem(description="x", quantity=1, unit_price=1, tax_rate_id="OUTPUT2")],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.tax_rate_id"]
    assert len(writes(au)) == before


async def test_tax_rates_create_get_update_delete(au: Env) -> None:
    made = await au.conn.tax_rates.create(
        TaxRate(name="Luxury levy", rate=Decimal("3.5"), applies_to=[TaxRateUse.SALES])
    )
    assert made.id and made.id == made.code and made.id.startswith("TAX")
    assert (made.rate, made.status, made.applies_to) == (
        Decimal("3.5"),
        TaxRateStatus.ACTIVE,
        [TaxRateUse.SALES],
    )
    got = await au.conn.tax_rates.get(made.id)
    assert got == made
    renamed = await au.conn.tax_rates.update(made.id, {"name": "Luxury levy 2", "rate": Decimal("4")})
    assert (renamed.name, renamed.rate, renamed.applies_to) == (
        "Luxury levy 2",
        Decimal("4"),
        [TaxRateUse.SALES],
    )
    active = await au.conn.tax_rates.list(status=TaxRateStatus.ACTIVE).to_list()
    assert made.id in {rate.id for rate in active}
    await au.conn.tax_rates.delete(made.id)
    assert made.id not in {
        rate.id for rate in await au.conn.tax_rates.list(status=TaxRateStatus.ACTIVE).to_list()
    }


async def test_a_compound_rate_keeps_its_components(nz: Env) -> None:
    made = await nz.conn.tax_rates.create(
        TaxRate(
            name="State and city",
            rate=Decimal("0"),
            applies_to=[TaxRateUse.SALES],
            components=[
                {"name": "State", "rate": Decimal("6"), "compound": False},
                {"name": "City", "rate": Decimal("2.5"), "compound": False},
            ],
        )
    )
    assert [(c.name, c.rate) for c in made.components] == [("State", Decimal("6")), ("City", Decimal("2.5"))]
    assert made.rate == Decimal("8.5")
    assert (await nz.conn.tax_rates.get(str(made.id))).components == made.components


async def test_australian_rates_need_to_say_where_they_apply(au: Env) -> None:
    before = len(writes(au))
    with pytest.raises(ValidationFailed) as caught:
        await au.conn.tax_rates.create(TaxRate(name="Unsure", rate=Decimal("5")))
    assert [issue.field for issue in caught.value.issues] == ["applies_to"]
    assert len(writes(au)) == before


async def test_tax_mode_rate_and_tax_override_round_trip(nz: Env) -> None:
    customer_id = await customer_of(nz)
    made = await nz.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            tax_mode=TaxMode.INCLUSIVE,
            po_number="PO-4471",
            line_items=[
                LineItem(description="Kit", quantity=2, unit_price=Decimal("57.50"), tax_rate_id="OUTPUT2"),
                LineItem(
                    description="Agreed tax",
                    quantity=1,
                    unit_price=Decimal("100"),
                    tax_rate_id="OUTPUT2",
                    tax_amount=Decimal("13.00"),
                ),
            ],
        )
    )
    assert made.tax_mode is TaxMode.INCLUSIVE and made.po_number == "PO-4471" == made.reference
    assert [line.tax_amount for line in made.line_items] == [Decimal("15.00"), Decimal("13.00")]
    got = await nz.conn.invoices.get(str(made.id))
    assert got.line_items == made.line_items and got.tax_mode is TaxMode.INCLUSIVE
    # Written back as read: nothing is lost, the override stays.
    updated = await nz.conn.invoices.update(str(made.id), {"line_items": got.line_items})
    assert updated.line_items == got.line_items and updated.total_tax == Decimal("28.00")
    # A change elsewhere keeps every line as it was.
    other = await nz.conn.invoices.update(str(made.id), {"po_number": "PO-4472"})
    assert other.line_items == got.line_items and other.po_number == "PO-4472"
    # Changing the mode: Xero taxes the lines again.
    exclusive = await nz.conn.invoices.update(str(made.id), {"tax_mode": TaxMode.EXCLUSIVE})
    assert exclusive.tax_mode is TaxMode.EXCLUSIVE


async def test_reference_and_po_number_are_one_xero_field(nz: Env) -> None:
    customer_id = await customer_of(nz)
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                reference="A",
                po_number="B",
                line_items=[LineItem(description="x", quantity=1, unit_price=1)],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["po_number"]


# -------------------------------------------------------------------------------------- currency


def test_exchange_rate_direction_both_ways() -> None:
    # Xero's rate taken as foreign units per base unit (the constant): 1 EUR = 1.08 NZD is 0.925926.
    assert XERO_RATE_IS_FOREIGN_PER_BASE is True
    assert xero_rate(Decimal("1.08")) == Decimal("0.925926")
    assert unified_rate(Decimal("0.925926")) == Decimal("1.08000")
    assert unified_rate(xero_rate(Decimal("1.08"))) == Decimal("1.08")
    # Were it the other way round, both conversions would be the identity (at Xero's six decimals).
    assert xero_rate(Decimal("1.08"), foreign_per_base=False) == Decimal("1.080000")
    assert unified_rate(Decimal("1.08"), foreign_per_base=False) == Decimal("1.08")
    assert unified_rate(Decimal(0)) is None and unified_rate(None) is None and unified_rate(Decimal(1)) == 1


async def test_foreign_invoice_and_payment_carry_the_unified_rate(multi: Env) -> None:
    customer_id = await customer_of(multi)
    invoice = await multi.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            currency="EUR",
            currency_rate=Decimal("1.08"),
            line_items=[LineItem(description="Service", quantity=1, unit_price=Decimal("100"))],
        )
    )
    stored = multi.emulator.record("Invoice", str(invoice.id))
    assert stored is not None and Decimal(str(stored["CurrencyRate"])) == Decimal("0.925926")
    assert (invoice.currency, invoice.currency_rate) == ("EUR", Decimal("1.08"))
    got = await multi.conn.invoices.get(str(invoice.id))
    assert got.currency_rate == Decimal("1.08")
    updated = await multi.conn.invoices.update(str(invoice.id), {"currency_rate": Decimal("1.1")})
    assert updated.currency_rate == Decimal("1.1")
    assert invoice.total is not None
    payment = await multi.conn.payments.create(
        Payment(
            total_amount=invoice.total,
            currency_rate=Decimal("1.09"),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=invoice.total)],
        )
    )
    assert (payment.currency, payment.currency_rate) == ("EUR", Decimal("1.09"))
    assert (await multi.conn.payments.get(str(payment.id))).currency_rate == Decimal("1.09")


async def test_currency_not_added_is_refused_before_http(multi: Env) -> None:
    customer_id = await customer_of(multi)
    before = len(writes(multi))
    with pytest.raises(ValidationFailed) as caught:
        await multi.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                currency="GBP",
                line_items=[LineItem(description="x", quantity=1, unit_price=1)],
            )
        )
    (issue,) = caught.value.issues
    assert issue.field == "currency" and "EUR" in issue.message and "NZD" in issue.message
    assert len(writes(multi)) == before


async def test_foreign_currency_without_multi_currency_is_refused_before_http(nz: Env) -> None:
    customer_id = await customer_of(nz)
    before = len(writes(nz))
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                currency="EUR",
                line_items=[LineItem(description="x", quantity=1, unit_price=1)],
            )
        )
    (issue,) = caught.value.issues
    assert issue.field == "currency" and "NZD" in issue.message
    with pytest.raises(ValidationFailed) as rated:
        await nz.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                currency_rate=Decimal("2"),
                line_items=[LineItem(description="x", quantity=1, unit_price=1)],
            )
        )
    assert [i.field for i in rated.value.issues] == ["currency_rate"]
    assert len(writes(nz)) == before


async def test_company_info_and_its_cache(au: Env, multi: Env) -> None:
    company = await au.conn.company_info.get()
    assert isinstance(company, CompanyInfo)
    assert (company.country, company.base_currency, company.multi_currency_enabled) == ("AU", "AUD", False)
    assert company.fiscal_year_start_month == 7 and company.tax_system is TaxSystem.VAT
    assert company.default_tax_mode is TaxMode.EXCLUSIVE and company.id
    assert (await multi.conn.company_info.get()).multi_currency_enabled is True
    # Writes read it once per connection, then use what they kept.
    customer_id = await customer_of(au)
    for _ in range(2):
        await au.conn.invoices.create(
            Invoice(customer_id=customer_id, line_items=[LineItem(description="x", quantity=1, unit_price=1)])
        )
    organisation_reads = [c for c in au.api_calls if c.path.endswith("/Organisation")]
    assert len(organisation_reads) == 2  # the get() above, and the first write


# ------------------------------------------------------------------------------------- discounts


async def test_line_discounts_round_trip(nz: Env) -> None:
    customer_id = await customer_of(nz)
    made = await nz.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            line_items=[
                LineItem(
                    description="Rate",
                    quantity=4,
                    unit_price=Decimal("25"),
                    discount_percentage=Decimal("12.5"),
                ),
                LineItem(
                    description="Amount", quantity=2, unit_price=Decimal("30"), discount_amount=Decimal("5")
                ),
            ],
        )
    )
    assert [line.total_amount for line in made.line_items] == [Decimal("87.50"), Decimal("55.00")]
    assert made.line_items[1].discount_amount == Decimal("5.00")
    got = await nz.conn.invoices.get(str(made.id))
    assert got.line_items == made.line_items
    # Lines read from a list lack DiscountAmount (Xero leaves it out): writing them back keeps it.
    listed = next(i for i in await nz.conn.invoices.list().to_list() if i.id == made.id)
    kept = await nz.conn.invoices.update(str(made.id), {"line_items": listed.line_items})
    assert kept.line_items[1].discount_amount == Decimal("5.00") and kept.total == made.total


async def test_discount_lines_are_refused_with_the_alternative(nz: Env) -> None:
    customer_id = await customer_of(nz)
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                line_items=[
                    LineItem(description="x", quantity=1, unit_price=10),
                    LineItem(type="discount", description="Loyalty", total_amount=Decimal("1")),
                ],
            )
        )
    (issue,) = caught.value.issues
    assert issue.field == "line_items.1.type" and "discount_percentage" in issue.message


# -------------------------------------------------------------------------------------- tracking


async def test_tracking_categories_and_line_tracking_round_trip(nz: Env) -> None:
    region = await nz.conn.tracking_categories.create(
        TrackingCategory(name="Region", options=[TrackingOption(name="North"), TrackingOption(name="South")])
    )
    team = await nz.conn.tracking_categories.create(
        TrackingCategory(name="Team", options=[TrackingOption(name="Sales")])
    )
    assert [o.name for o in region.options] == ["North", "South"]
    north = next(o for o in region.options if o.name == "North")
    sales = team.options[0]
    refs = [
        TrackingRef(category_id=str(region.id), option_id=str(north.id)),
        TrackingRef(category_id=str(team.id), option_id=str(sales.id)),
    ]
    customer_id = await customer_of(nz)
    made = await nz.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            line_items=[LineItem(description="x", quantity=1, unit_price=10, tracking=refs)],
        )
    )
    read = made.line_items[0].tracking
    assert [(r.category_id, r.option_id) for r in read] == [(r.category_id, r.option_id) for r in refs]
    assert [(r.category_name, r.option_name) for r in read] == [("Region", "North"), ("Team", "Sales")]
    got = await nz.conn.invoices.get(str(made.id))
    updated = await nz.conn.invoices.update(str(made.id), {"line_items": got.line_items})
    assert updated.line_items[0].tracking == read
    renamed = await nz.conn.tracking_categories.update(str(region.id), {"name": "Area"})
    assert renamed.name == "Area" and [o.name for o in renamed.options] == ["North", "South"]


async def test_three_tracking_categories_on_a_line_are_refused_before_http(nz: Env) -> None:
    customer_id = await customer_of(nz)
    before = len(nz.api_calls)
    refs = [TrackingRef(category_id=f"c{i}", option_id=f"o{i}") for i in range(3)]
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                line_items=[LineItem(description="x", quantity=1, unit_price=1, tracking=refs)],
            )
        )
    assert "line_items.0.tracking" in [issue.field for issue in caught.value.issues]
    assert len(nz.api_calls) == before


async def test_invoice_level_tracking_is_refused(nz: Env) -> None:
    customer_id = await customer_of(nz)
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.invoices.create(
            Invoice(
                customer_id=customer_id,
                tracking=[TrackingRef(category_id="c", option_id="o")],
                line_items=[LineItem(description="x", quantity=1, unit_price=1)],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["tracking"]


# ------------------------------------------------------------------------------------- precision


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (LineItem(description="x", quantity=1, unit_price=Decimal("10.00005")), "line_items.0.unit_price"),
        (LineItem(description="x", quantity=Decimal("1.00001"), unit_price=1), "line_items.0.quantity"),
    ],
)
async def test_more_decimals_than_xero_keeps_are_refused(nz: Env, line: LineItem, field: str) -> None:
    customer_id = await customer_of(nz)
    before = len(nz.api_calls)
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.invoices.create(Invoice(customer_id=customer_id, line_items=[line]))
    assert field in [issue.field for issue in caught.value.issues]
    assert len(nz.api_calls) == before


async def test_four_decimal_prices_and_quantities_are_kept_and_amounts_come_at_cents(nz: Env) -> None:
    customer_id = await customer_of(nz)
    made = await nz.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            line_items=[LineItem(description="x", quantity=Decimal("1.5"), unit_price=Decimal("10.005"))],
        )
    )
    (line,) = made.line_items
    assert (line.quantity, line.unit_price) == (Decimal("1.5"), Decimal("10.005"))
    assert str(line.total_amount) == "15.01" and str(made.total) == "17.26"


# --------------------------------------------------------------------------------------- parties


async def test_a_rich_customer_round_trips(nz: Env) -> None:
    customer = Customer(
        display_name="Harbour Traders",
        first_name="Ana",
        last_name="Ngata",
        emails=[
            EmailAddress(address="ana@harbour.example"),
            EmailAddress(address="accounts@harbour.example", type=EmailType.BILLING, name="Rewi Parata"),
        ],
        phones=[
            PhoneNumber(number="+64 9 555 0101"),
            PhoneNumber(number="+64 21 555 0102", type=PhoneType.MOBILE),
        ],
        billing_address=Address(
            line1="PO Box 12", city="Auckland", postal_code="1010", country="NZ", contact_name="Accounts"
        ),
        shipping_address=Address(line1="1 Quay St", line2="Level 2", city="Auckland", country="NZ"),
        terms=PaymentTerms(type=PaymentTermsType.DAY_OF_FOLLOWING_MONTH, days=20),
    )
    made = await nz.conn.customers.create(customer)
    assert made.email == "ana@harbour.example" and made.phone == "+64 9 555 0101"
    assert [(e.address, e.type) for e in made.emails] == [(e.address, e.type) for e in customer.emails]
    assert made.billing_address is not None and made.billing_address.contact_name == "Accounts"
    assert made.terms is not None and (made.terms.type, made.terms.days) == (
        PaymentTermsType.DAY_OF_FOLLOWING_MONTH,
        20,
    )
    got = await nz.conn.customers.get(str(made.id))
    # Xero's answer to a write leaves the balance out; reads carry it.
    assert got.model_dump(exclude={"raw", "balance"}) == made.model_dump(exclude={"raw", "balance"})
    # Writing back what was read loses nothing; changing one field keeps the others.
    same = await nz.conn.customers.update(
        str(made.id),
        {
            name: getattr(got, name)
            for name in ("emails", "phones", "billing_address", "shipping_address", "terms")
        },
    )
    keep = {"raw", "row_version", "updated_at", "balance"}
    assert same.model_dump(exclude=keep) == got.model_dump(exclude=keep)
    renamed = await nz.conn.customers.update(str(made.id), {"display_name": "Harbour Traders Ltd"})
    assert renamed.model_dump(exclude=keep | {"display_name"}) == got.model_dump(
        exclude=keep | {"display_name"}
    )


async def test_invoice_terms_set_the_due_date(nz: Env) -> None:
    customer_id = await customer_of(nz)
    made = await nz.conn.invoices.create(
        Invoice(
            customer_id=customer_id,
            issue_date=date(2026, 1, 15),
            terms=PaymentTerms(type=PaymentTermsType.DAYS_AFTER_ISSUE, days=30),
            line_items=[LineItem(description="x", quantity=1, unit_price=1)],
        )
    )
    assert made.due_date == date(2026, 2, 14)


async def test_parent_customers_are_refused(nz: Env) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.customers.create(Customer(display_name="Job 1", parent_id="abc"))
    assert [issue.field for issue in caught.value.issues] == ["parent_id"]


# ---------------------------------------------------------------------------------- field support


def _has_field(model: Any, path: str) -> bool:
    head, _, rest = path.partition(".")
    field = model.model_fields.get(head)
    if field is None:
        return False
    if not rest:
        return True
    inner = getattr(field.annotation, "__args__", (field.annotation,))[0]
    return _has_field(inner, rest)


def test_field_support_names_real_fields_with_known_kinds() -> None:
    provider = get_provider("xero")
    assert provider.field_support is FIELD_SUPPORT
    for resource, fields in FIELD_SUPPORT.items():
        model = CATALOG[resource].model
        for path, (kind, note) in fields.items():
            assert kind in ("stored", "computed", "refused", "mapped"), (resource, path)
            assert _has_field(model, path), f"{resource}.{path} is not a field of {model.__name__}"
            assert kind != "refused" or note, f"{resource}.{path} is refused without saying why"


async def test_a_payment_from_another_customer_is_refused_before_the_write(nz: Env) -> None:
    customer_id, other_id = await customer_of(nz, "Payer Ltd"), await customer_of(nz, "Someone Else Ltd")
    invoice = await nz.conn.invoices.create(
        Invoice(customer_id=customer_id, line_items=[LineItem(description="x", quantity=1, unit_price=10)])
    )
    assert invoice.total is not None
    allocations = [Allocation(invoice_id=str(invoice.id), amount=invoice.total)]
    before = len(writes(nz))
    with pytest.raises(ValidationFailed) as caught:
        await nz.conn.payments.create(
            Payment(customer_id=other_id, total_amount=invoice.total, allocations=allocations)
        )
    assert [issue.field for issue in caught.value.issues] == ["customer_id"]
    assert len(writes(nz)) == before
    paid = await nz.conn.payments.create(
        Payment(customer_id=customer_id.upper(), total_amount=invoice.total, allocations=allocations)
    )
    assert paid.customer_id == customer_id


async def test_a_new_harness_organisation_starts_with_nothing_kept(au: Env) -> None:
    provider = get_provider("xero")
    await provider.company(au.conn.session())
    assert provider._companies  # type: ignore[attr-defined]
    XeroHarness().create_app()
    assert not provider._companies  # type: ignore[attr-defined]
