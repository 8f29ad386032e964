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


# ----------------------------------------------------- tests generated from what the provider declares

SUITE_MODULE = """
from unified_accounting.testing import ConformanceSuite

class TestLedgerly(ConformanceSuite):
    pass
"""


def collected(pytester: pytest.Pytester, conftest: str, *args: str) -> pytest.RunResult:
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_suite=SUITE_MODULE)
    return pytester.runpytest("--collect-only", "-q", "-p", "no:randomly", *args)


HARNESS_FIXTURE = """
import pytest
from ua_ledgerly.testing import LedgerlyHarness

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.fixture
def ua_harness():
    return LedgerlyHarness()
"""


def test_tests_are_generated_only_for_what_the_provider_declares(pytester: pytest.Pytester) -> None:
    # CI showed ~400 skips: every test was made for every resource and skipped what was unsupported.
    ids = {line.split("::")[-1] for line in collected(pytester, HARNESS_FIXTURE).outlines if "::" in line}
    assert "test_round_trip[customer-async]" in ids and "test_round_trip[tax_rate-sync]" in ids
    assert not any(name.startswith("test_round_trip[item") for name in ids)  # Ledgerly has no items
    assert not any(name.startswith("test_list_pages_past_one_page[bill") for name in ids)
    # Ledgerly voids and deletes invoices and nothing else.
    assert {name for name in ids if name.startswith("test_delete_void_or_archive")} == {
        "test_delete_void_or_archive[invoice-async]",
        "test_delete_void_or_archive[invoice-sync]",
    }
    assert "test_list_filters_and_sorts[invoice-async]" in ids
    assert not any(name.startswith("test_list_filters_and_sorts[bill") for name in ids)
    # Resources it does not support at all are still checked: their calls fail before HTTP.
    assert "test_unsupported_operations_fail_before_http[bill-async]" in ids


def test_a_suite_test_needing_what_the_provider_lacks_is_deselected_not_skipped(
    pytester: pytest.Pytester,
) -> None:
    conftest = HARNESS_FIXTURE + (
        "\nfrom unified_accounting.provider import Operation\n"
        "from unified_accounting.testing import conformance\n"
        "NEEDS = {'customer': (Operation.ARCHIVE,)}\n"
        "conformance.SUITE_NEEDS['test_stale_row_version_is_a_conflict'] = NEEDS\n"
    )
    result = collected(pytester, conftest)
    assert not any("test_stale_row_version_is_a_conflict" in line for line in result.outlines)
    assert any("test_rate_limit_is_retried_then_raised[async]" in line for line in result.outlines)
    result.stdout.fnmatch_lines(["*2 deselected*"])


def test_a_harness_needing_other_fixtures_takes_the_provider_from_the_suite(
    pytester: pytest.Pytester,
) -> None:
    conftest = HARNESS_FIXTURE.replace("def ua_harness():", "def ua_harness(tmp_path):")
    unknown = {line.split("::")[-1] for line in collected(pytester, conftest).outlines if "::" in line}
    # Unknown provider: every resource, as before (unsupported ones skip at run time).
    assert "test_round_trip[item-async]" in unknown
    pytester.makepyfile(test_suite=SUITE_MODULE.replace("pass", 'provider = "ledgerly"'))
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:randomly")
    named = {line.split("::")[-1] for line in result.outlines if "::" in line}
    assert "test_round_trip[customer-async]" in named and "test_round_trip[item-async]" not in named
