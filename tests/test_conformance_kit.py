"""The conformance kit's per-resource machinery: samples, seeds, and the skips that say what a
harness must supply for a resource it does not know."""

from __future__ import annotations

from typing import Any

import pytest
from ua_ledgerly.testing import LedgerlyHarness

from unified_accounting import RESOURCES, Customer, TaxRate
from unified_accounting.catalog import UPDATED_SINCE
from unified_accounting.testing import ConformanceEnv
from unified_accounting.testing.conformance import CATALOG, SINGLETONS, echoed_fields, example_value

pytestmark = pytest.mark.anyio


class Forgetful(LedgerlyHarness):
    """A harness written before tax rates existed: it has no sample for them."""

    async def sample(self, resource: str, records: Any, *, deletable: bool = False) -> Any:
        if resource == "tax_rate":
            return None
        return await super().sample(resource, records, deletable=deletable)


def env_for(harness: LedgerlyHarness) -> ConformanceEnv:
    app = harness.create_app()
    return ConformanceEnv(harness, app, client=None, company_id="c-1")  # type: ignore[arg-type]


def test_the_kit_runs_its_resource_tests_on_every_catalog_resource() -> None:
    # Collections through the resource tests, one-per-company records through the singleton test.
    assert sorted(CATALOG + SINGLETONS) == sorted(RESOURCES)
    assert all(RESOURCES[name].singleton for name in SINGLETONS)


async def test_a_missing_sample_skips_naming_what_to_override() -> None:
    env = env_for(Forgetful())
    with pytest.raises(
        pytest.skip.Exception, match=r"no sample tax_rate: override Forgetful.sample\(\) to return a TaxRate"
    ):
        await env.sample("tax_rate")


async def test_records_a_provider_cannot_create_need_the_harness_to_seed_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = env_for(LedgerlyHarness())
    monkeypatch.setattr(env.provider, "capabilities", {**env.provider.capabilities, "tax_rate": frozenset()})
    with pytest.raises(
        pytest.skip.Exception, match=r"cannot create tax_rate records .* LedgerlyHarness.seed\(\)"
    ):
        await env.existing("tax_rate", 3)

    class Seeding(LedgerlyHarness):
        def seed(self, app: Any, resource: str, count: int) -> list[str] | None:
            return [f"tax-{n}" for n in range(count)]

    seeded = env_for(Seeding())
    monkeypatch.setattr(
        seeded.provider, "capabilities", {**seeded.provider.capabilities, "tax_rate": frozenset()}
    )
    assert await seeded.existing("tax_rate", 2) == ["tax-0", "tax-1"]


async def test_default_samples_cover_the_built_in_resources() -> None:
    harness = LedgerlyHarness()

    class Records:
        async def created(self, resource: str) -> Any:
            raise AssertionError(f"{resource} is not needed")

    assert isinstance(await harness.sample("tax_rate", Records()), TaxRate)
    assert isinstance(await harness.sample("customer", Records()), Customer)
    assert harness.changes("tax_rate") is not None and harness.changes("widget") is None
    assert await harness.sample("widget", Records()) is None


def test_round_trips_compare_the_plain_fields_a_sample_sets() -> None:
    sample = TaxRate(name="GST", rate="10", applies_to=["sales"])
    assert echoed_fields(sample) == {"name": "GST", "rate": sample.rate}
    assert example_value(RESOURCES["tax_rate"].filter("status")) == "active"  # type: ignore[arg-type]
    assert example_value(UPDATED_SINCE).tzinfo is not None
