"""The conformance suite every provider runs against its own emulator.

Use it from a provider's tests::

    # conftest.py
    @pytest.fixture
    def ua_harness() -> ProviderHarness:
        return MyHarness()

    # test_conformance.py
    from unified_accounting.testing import ConformanceSuite

    class TestMyProvider(ConformanceSuite):
        pass

Each test runs twice, once on ``AsyncClient`` and once on the blocking ``Client``.

Most tests run once per resource of the catalog (:data:`unified_accounting.RESOURCES`): round
trips, paging, ``updated_since``, the declared list filters, delete/void/archive, ``NotFound`` and
``UnsupportedOperation`` before any HTTP call cover every resource a provider declares, driven by
the harness's sample records (:meth:`ProviderHarness.sample`). The remaining tests check what only
some resources have: exact money, payments lowering the amount due, conflicts, rate limits,
authentication, ids kept inside one URL path segment.

Tests are generated from what the provider declares, while pytest collects them: a test is made
only for the resources, operations, filters, reports and attachments it needs that the provider
supports (:data:`RESOURCE_NEEDS`, :data:`SUITE_NEEDS`, :data:`DOCUMENT_NEEDS`), so a conforming
provider's run skips nothing. The provider is read from the ``ua_harness`` fixture when it takes no
arguments, else from the suite class's ``provider`` attribute. When neither names it, every test is
generated for every resource and a test skips at run time, saying why, when the provider lacks
what it needs; a test also skips when the harness supplies no sample (or seed) for a resource the
provider declares.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote

import httpx
import pytest
from pydantic import BaseModel

from ..catalog import RESOURCES, UPDATED_SINCE, ListFilter, ResourceSpec
from ..connections import MemoryConnectionStore
from ..errors import (
    AuthenticationError,
    Conflict,
    NotFound,
    RateLimited,
    UnsupportedOperation,
    ValidationFailed,
)
from ..listing import sort_records, sort_value
from ..models import InvoiceStatus, ReportName
from ..plugins import get_provider
from ..provider import Operation, Provider
from .conformance_documents import DocumentConformance
from .flavours import FlavouredClient, FlavouredResource
from .harness import ProviderHarness

#: Retries the suite allows, so "retried then RateLimited" needs max_retries + 1 throttled calls.
SUITE_MAX_RETRIES = 2
CONSUMER = "conformance"
#: Ids a caller might pass by mistake or malice: URL syntax, escapes, dot segments, non-ASCII.
#: Each id but the dot-only and empty ones holds "zq", so the test can find it in a request path.
HOSTILE_IDS = (
    "zq1?minorversion=1&x=",
    "zq1&x=1",
    "zq1#x",
    "zqa/b",
    "zq/../../../../_emulator/revoke-all?x=",
    "zq1/send?x=",
    "zq/%2e%2e",
    "zq100%",
    "zq-Rechnung-Nr.ä漢",
    "..",
    ".",
    "",
)


class WireLog:
    """An ASGI wrapper that notes every request as the emulator receives it (raw path and query)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, bytes, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode()
            self.requests.append((scope["method"], raw_path, scope.get("query_string", b"")))
        await self.app(scope, receive, send)


class ConformanceEnv:
    """A connected client on a fresh emulator, shared by the steps of one test."""

    def __init__(
        self,
        harness: ProviderHarness,
        app: Any,
        client: FlavouredClient,
        company_id: str,
        wire: WireLog | None = None,
    ) -> None:
        self.harness = harness
        self.app = app
        self.client = client
        self.company_id = company_id
        self.provider = get_provider(harness.provider)
        self.wire = wire or WireLog(app)

    def supports(self, resource: str, operation: Operation) -> bool:
        return self.provider.supports(resource, operation)

    def supports_filter(self, resource: str, name: str) -> bool:
        return self.provider.supports_filter(resource, name)

    def supports_sort(self, resource: str, key: str) -> bool:
        return self.provider.supports_sort(resource, key)

    def require(self, resource: str, *operations: Operation) -> None:
        missing = [op.value for op in operations if not self.supports(resource, op)]
        if missing:
            pytest.skip(f"{self.provider.name} does not support {', '.join(missing)} on {resource}")

    async def resource(self, name: str) -> FlavouredResource:
        """The accessor called ``name`` (``"invoices"``) of the connection under test."""
        return await self.client.resource(
            name, consumer_id=CONSUMER, provider=self.harness.provider, company_id=self.company_id
        )

    async def records_of(self, resource: str) -> FlavouredResource:
        """The accessor of the unified resource ``resource`` (``"invoice"``)."""
        return await self.resource(RESOURCES[resource].collection)

    async def sample(self, resource: str, *, deletable: bool = False) -> Any:
        """The harness's sample ``resource`` record; the test skips when the harness has none."""
        sample = await self.harness.sample(resource, self, deletable=deletable)
        if sample is None:
            model = RESOURCES[resource].model.__name__ if resource in RESOURCES else "record"
            pytest.skip(
                f"the harness supplies no sample {resource}: override "
                f"{type(self.harness).__name__}.sample() to return a {model} for {resource!r}"
            )
        return sample

    async def created(self, resource: str, *, deletable: bool = False) -> Any:
        """A new ``resource`` record created through the client (what samples name, too)."""
        self.require(resource, Operation.CREATE)
        target = await self.records_of(resource)
        return await target.create(await self.sample(resource, deletable=deletable))

    async def existing(self, resource: str, count: int) -> list[str]:
        """Ids of ``count`` new records: created through the client, or seeded by the harness when
        the provider cannot create the resource."""
        if self.supports(resource, Operation.CREATE):
            return [str((await self.created(resource)).id) for _ in range(count)]
        seeded = self.harness.seed(self.app, resource, count)
        if seeded is None:
            pytest.skip(
                f"{self.provider.name} cannot create {resource} records and the harness does not "
                f"seed them: override {type(self.harness).__name__}.seed()"
            )
        return seeded

    async def varied(self, resource: str, count: int = 3) -> tuple[list[Any], list[Any]]:
        """Every listed ``resource`` record, and ``count`` new ones among them made a minute apart
        (one voided or archived where the provider can), so that filters and sorts have different
        values to tell apart. A provider holding fewer (QuickBooks' two tracking categories) gives
        what it has."""
        ids: list[str] = []
        for _ in range(count):
            ids += await self.existing(resource, 1)
            self.harness.advance(self.app, 61)
        target = await self.records_of(resource)
        for operation in (Operation.VOID, Operation.ARCHIVE):
            if self.supports(resource, operation):
                await getattr(target, operation.value)(ids[1])
                break
        everything = await target.list_all()
        made = [record for record in everything if record.id in ids]
        assert len(made) == len(set(ids)), f"{resource}: the list left out records just made"
        return everything, made

    async def new_customer_id(self) -> str:
        return str((await self.created("customer")).id)

    async def new_invoice(self) -> Any:
        return await self.created("invoice")

    async def connection(self) -> FlavouredResource:
        """The connection under test itself (for ``conn.request``)."""
        conn = await self.client.call(
            "connection", consumer_id=CONSUMER, provider=self.harness.provider, company_id=self.company_id
        )
        return FlavouredResource(conn, self.client.blocking)


#: Fields every record has that the provider sets: not compared with what a sample said.
PROVIDER_SET = frozenset({"id", "row_version", "created_at", "updated_at", "raw", "pass_through"})
#: What each operation that takes a record off the books leaves as the record's status.
RETIRED_STATUS = {Operation.VOID: "void", Operation.ARCHIVE: "archived", Operation.DELETE: "deleted"}


def echoed_fields(sample: BaseModel) -> dict[str, Any]:
    """The plain fields (text, numbers, dates, enums) a sample sets: what the provider must give
    back as they were sent. Nested records and lists are left to resource-specific tests."""
    return {
        name: getattr(sample, name)
        for name in sample.model_fields_set - PROVIDER_SET
        if not isinstance(getattr(sample, name), BaseModel | list | dict | tuple)
    }


def status_of(record: Any) -> str | None:
    status = getattr(record, "status", None)
    return None if status is None else str(getattr(status, "value", status))


def _wire_value(value: Any) -> Any:
    """A filter value as product code writes it (enum members as their text)."""
    return value.value if isinstance(value, enum.Enum) else value


def filter_values(list_filter: ListFilter, records: list[Any]) -> list[Any]:
    """Values of ``list_filter`` worth trying on ``records``: those the records hold (the lowest
    and highest for a range or a moment), and for a ``one_of`` filter several at once."""
    held = sorted(
        {value for r in records if (value := getattr(r, list_filter.field, None)) is not None}, key=str
    )
    if not held:
        return []
    if list_filter.match in ("at_least", "at_most", "after"):
        ordered = sorted(held)
        values = [ordered[0], ordered[-1]]
    else:
        values = held[:2]
    single = [_wire_value(v) for v in dict.fromkeys(values)]
    tried: list[Any] = list(single)
    if list_filter.match == "one_of":
        tried.append(list(single))  # several at once
        kind = list_filter.type
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            absent = [m.value for m in kind if m.value not in single]
            if absent:
                tried.append([single[0], absent[0]])
    return tried


def combined_filters(filters: list[ListFilter], records: list[Any]) -> dict[str, Any]:
    """Every filter at once, each given the value of one record (so that it matches), but the
    ``after`` moments, which it would not pass."""
    record = records[0]
    combined: dict[str, Any] = {}
    for list_filter in filters:
        value = getattr(record, list_filter.field, None)
        if value is not None and list_filter.match != "after":
            combined[list_filter.name] = _wire_value(value)
    return combined


async def _same_as_the_rule(
    target: FlavouredResource, spec: ResourceSpec, everything: list[Any], given: dict[str, Any]
) -> int:
    """List with ``given`` (two records a page) and compare with the unified rule applied to the
    whole list."""
    checks = [(spec.filter(name), value) for name, value in given.items()]
    expected = {
        r.id
        for r in everything
        if all(f.matches(r, f.validate(value)) for f, value in checks if f is not None)
    }
    listed = await target.list_all(page_size=2, **given)
    got = [r.id for r in listed]
    assert len(got) == len(set(got)), f"{given}: a record was listed twice"
    assert set(got) == expected, f"{given}: listed {sorted(got)}, the rule keeps {sorted(expected)}"
    return 1


def example_value(list_filter: ListFilter) -> Any:
    """A valid value of a filter, for checks that must get past validation; ``None`` if unknown."""
    kind = list_filter.type
    while typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind)).value
    examples: dict[Any, Any] = {str: "1", int: 1, bool: True, date: date(2026, 1, 5)}
    if kind is datetime or list_filter is UPDATED_SINCE:
        return datetime(2026, 1, 5, tzinfo=UTC)
    return examples.get(kind)


#: Each operation's accessor method and dummy arguments, for calls that must fail before HTTP.
UNSUPPORTED_CALLS: dict[Operation, tuple[str, tuple[Any, ...]]] = {
    Operation.CREATE: ("create", ({},)),
    Operation.GET: ("get", ("1",)),
    Operation.LIST: ("list_all", ()),
    Operation.UPDATE: ("update", ("1", {})),
    Operation.DELETE: ("delete", ("1",)),
    Operation.VOID: ("void", ("1",)),
    Operation.ARCHIVE: ("archive", ("1",)),
    Operation.SEND: ("send", ("1",)),
    Operation.BULK_CREATE: ("create_many", ([],)),
    Operation.BULK_UPDATE: ("update_many", ([],)),
}

#: Every resource of the catalog, for the tests run per resource.
CATALOG = [name for name, spec in RESOURCES.items() if not spec.singleton]
#: Resources with one record per company (``conn.company_info.get()``).
SINGLETONS = [name for name, spec in RESOURCES.items() if spec.singleton]
#: The ways off the books, each checked by ``test_delete_void_or_archive`` where supported.
ANY_WAY_OFF_THE_BOOKS = (Operation.VOID, Operation.ARCHIVE, Operation.DELETE)


#: For each test run per resource: whether the provider declares what it needs of ``resource``.
RESOURCE_NEEDS: dict[str, Callable[[Provider, str], bool]] = {
    "test_round_trip": lambda p, r: p.supports(r, Operation.CREATE) and p.supports(r, Operation.GET),
    "test_list_pages_past_one_page": lambda p, r: p.supports(r, Operation.LIST),
    "test_list_updated_since": lambda p, r: (
        p.supports(r, Operation.CREATE)
        and p.supports(r, Operation.LIST)
        and p.supports_filter(r, "updated_since")
    ),
    "test_list_filters_and_sorts": lambda p, r: (
        p.supports(r, Operation.LIST)
        and (any(f is not UPDATED_SINCE for f in RESOURCES[r].filters) or bool(RESOURCES[r].sorts))
    ),
    "test_delete_void_or_archive": lambda p, r: any(p.supports(r, op) for op in ANY_WAY_OFF_THE_BOOKS),
    "test_missing_id_is_not_found": lambda p, r: p.supports(r, Operation.GET),
    "test_unsupported_operations_fail_before_http": lambda p, r: (
        not all(p.supports(r, op) for op in UNSUPPORTED_CALLS)
    ),
}

#: For each of the other tests: the operations it needs, per resource.
SUITE_NEEDS: dict[str, dict[str, tuple[Operation, ...]]] = {
    "test_invoice_round_trip_keeps_money_exact": {
        "customer": (Operation.CREATE,),
        "invoice": (Operation.CREATE, Operation.GET, Operation.UPDATE),
    },
    "test_payment_round_trip_lowers_amount_due": {
        "customer": (Operation.CREATE,),
        "invoice": (Operation.CREATE, Operation.GET),
        "payment": (Operation.CREATE, Operation.GET),
    },
    "test_stale_row_version_is_a_conflict": {"customer": (Operation.CREATE, Operation.UPDATE)},
    "test_ids_stay_inside_one_url_path_segment": {
        "customer": (Operation.CREATE,),
        "invoice": (Operation.CREATE, Operation.GET),
    },
    "test_rate_limit_is_retried_then_raised": {"customer": (Operation.CREATE, Operation.GET)},
    "test_bad_credentials_are_an_authentication_error": {"customer": (Operation.GET,)},
}

#: For the inherited tests of reports and attachments: whether the provider declares what they check.
DOCUMENT_NEEDS: dict[str, Callable[[Provider], bool]] = {
    "test_reports_the_provider_lacks_are_refused_before_http": lambda p: any(
        name not in p.reports for name in ReportName
    ),
    "test_profit_and_loss_moves_by_an_invoice": lambda p: ReportName.PROFIT_AND_LOSS in p.reports,
    "test_balance_sheet_balances": lambda p: ReportName.BALANCE_SHEET in p.reports,
    "test_trial_balance_debits_equal_credits": lambda p: ReportName.TRIAL_BALANCE in p.reports,
    "test_aged_receivables_show_an_open_invoice_of_its_customer": lambda p: (
        ReportName.AGED_RECEIVABLES in p.reports
    ),
    "test_attachments_round_trip_byte_for_byte": lambda p: (
        p.attachment_limits is not None
        and any(r in RESOURCES and p.supports(r, Operation.CREATE) for r in p.attachment_limits.resources)
    ),
}

#: Suite tests (by node id, without parameters) the provider under test declares too little for:
#: the library's pytest plugin deselects them after collection.
UNDECLARED = pytest.StashKey[set[str]]()


def harness_while_collecting(metafunc: pytest.Metafunc) -> ProviderHarness | None:
    """The ``ua_harness`` fixture's harness, when it can be built without other fixtures."""
    # pytest has no public way to reach a fixture's definition from a Metafunc; plugins that
    # generate tests from fixtures read this mapping too. Anything unexpected means "unknown".
    definitions = getattr(metafunc, "_arg2fixturedefs", {}).get("ua_harness")
    if not definitions:
        return None
    definition = definitions[-1]
    if getattr(definition, "argnames", ("unknown",)):
        return None
    try:
        harness = definition.func()
    except Exception:
        return None
    return harness if isinstance(harness, ProviderHarness) else None


def provider_while_collecting(suite: ConformanceSuite, metafunc: pytest.Metafunc) -> Provider | None:
    """The provider under test, or ``None`` when it cannot be known before the tests run."""
    name = suite.provider
    if name is None:
        harness = harness_while_collecting(metafunc)
        name = harness.provider if harness is not None else None
    return None if name is None else get_provider(name)


def generate(suite: ConformanceSuite, metafunc: pytest.Metafunc) -> None:
    """Parametrize the suite's test ``metafunc`` over what the provider under test declares."""
    test = metafunc.definition.originalname
    provider = provider_while_collecting(suite, metafunc)
    if "resource" in metafunc.fixturenames and test in RESOURCE_NEEDS:
        resources = CATALOG if provider is None else [r for r in CATALOG if RESOURCE_NEEDS[test](provider, r)]
        _parametrize(metafunc, "resource", resources, CATALOG, ids=resources)
        return
    needs = SUITE_NEEDS.get(test, {})
    declared = DOCUMENT_NEEDS.get(test)
    if provider is not None and not (
        all(provider.supports(r, op) for r, ops in needs.items() for op in ops)
        and (declared is None or declared(provider))
    ):
        metafunc.config.stash.setdefault(UNDECLARED, set()).add(metafunc.definition.nodeid)


def _parametrize(
    metafunc: pytest.Metafunc, names: Any, values: list[Any], every: list[Any], ids: list[str]
) -> None:
    if values:
        metafunc.parametrize(names, values, ids=ids)
        return
    # Nothing to run: an empty parametrization would be reported as a skip, so the test is made
    # once and deselected instead (see UNDECLARED).
    metafunc.parametrize(names, every[:1])
    metafunc.config.stash.setdefault(UNDECLARED, set()).add(metafunc.definition.nodeid)


def deselect_undeclared(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the suite's tests the provider under test declares too little for (reported as
    deselected, never as skipped)."""
    undeclared = config.stash.get(UNDECLARED, set())
    if not undeclared:
        return
    dropped = [item for item in items if item.nodeid.partition("[")[0] in undeclared]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.nodeid.partition("[")[0] not in undeclared]


def client_options(harness: ProviderHarness, app: Any) -> dict[str, Any]:
    return {
        "providers": {harness.provider: {**harness.settings, "base_url": harness.base_url}},
        "transport": httpx.ASGITransport(app=app),
        "max_retries": SUITE_MAX_RETRIES,
        "environ": {},
        "store": MemoryConnectionStore(),
        "rate_limits": harness.rate_limits,
    }


@pytest.mark.anyio
class ConformanceSuite(DocumentConformance):
    """Inherit from this in a test module; provide a ``ua_harness`` fixture. Reports,
    attachments, PDFs and raw requests are checked by the tests of :class:`DocumentConformance`."""

    #: The provider under test by name, for a ``ua_harness`` fixture that needs other fixtures (and
    #: so cannot be built while tests are collected). Tests are generated for what it declares.
    provider: ClassVar[str | None] = None

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        generate(self, metafunc)

    @pytest.fixture(params=["async", "sync"])
    async def ua_env(self, request: pytest.FixtureRequest, ua_harness: ProviderHarness) -> Any:
        app = ua_harness.create_app()
        grant = await ua_harness.grant(app)
        wire = WireLog(app)
        async with FlavouredClient(request.param == "sync", **client_options(ua_harness, wire)) as client:
            await client.call(
                "import_connection",
                consumer_id=CONSUMER,
                provider=ua_harness.provider,
                company_id=grant.company_id,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                expires_at=grant.expires_at,
            )
            yield ConformanceEnv(ua_harness, app, client, grant.company_id, wire)

    # --------------------------------------------------------------------- every resource, generically

    async def test_round_trip(self, ua_env: ConformanceEnv, resource: str) -> None:
        """Create, read back and update a record: what was sent comes back, the version moves."""
        ua_env.require(resource, Operation.CREATE, Operation.GET)
        target = await ua_env.records_of(resource)
        sample = await ua_env.sample(resource)
        created = await target.create(sample)
        assert isinstance(created, RESOURCES[resource].model)
        assert created.id and created.row_version is not None
        sent = echoed_fields(sample)
        assert {name: getattr(created, name) for name in sent} == sent
        fetched = await target.get(created.id)
        assert fetched.id == created.id
        assert {name: getattr(fetched, name) for name in sent} == sent
        if not ua_env.supports(resource, Operation.UPDATE):
            return
        changes = ua_env.harness.changes(resource)
        if changes is None:
            pytest.skip(
                f"the harness gives no changes for {resource}: override "
                f"{type(ua_env.harness).__name__}.changes() to test its updates"
            )
        ua_env.harness.advance(ua_env.app, 2)
        updated = await target.update(created.id, changes, row_version=fetched.row_version)
        for field, value in changes.items():
            assert getattr(updated, field) == value
        assert updated.row_version != fetched.row_version

    async def test_list_pages_past_one_page(self, ua_env: ConformanceEnv, resource: str) -> None:
        ua_env.require(resource, Operation.LIST)
        created = set(await ua_env.existing(resource, 3))
        # Pages smaller than what was made; a provider holding only two records of the resource
        # (QuickBooks' tracking categories) pages one by one.
        page_size = 2 if len(created) > 2 else 1
        listed = await (await ua_env.records_of(resource)).list_all(page_size=page_size)
        ids = [record.id for record in listed]
        assert created <= set(ids)
        assert len(ids) == len(set(ids)), "a record was listed twice across pages"
        assert all(isinstance(record, RESOURCES[resource].model) for record in listed)

    async def test_list_updated_since(self, ua_env: ConformanceEnv, resource: str) -> None:
        ua_env.require(resource, Operation.CREATE, Operation.LIST)
        if not ua_env.supports_filter(resource, UPDATED_SINCE.name):
            # A provider keeping no update time on a resource (Xero tax rates) says so, and the
            # client refuses the filter before any call: that is checked instead.
            target = await ua_env.records_of(resource)
            ua_env.wire.requests.clear()
            with pytest.raises(UnsupportedOperation):
                await target.list_all(updated_since=ua_env.harness.now(ua_env.app))
            assert ua_env.wire.requests == [], f"updated_since on {resource} reached the provider"
            return
        target = await ua_env.records_of(resource)
        old = await ua_env.created(resource)
        ua_env.harness.advance(ua_env.app, 120)
        since = ua_env.harness.now(ua_env.app)
        ua_env.harness.advance(ua_env.app, 120)
        new = await ua_env.created(resource)
        ids = {record.id for record in await target.list_all(updated_since=since)}
        assert new.id in ids
        assert old.id not in ids

    async def test_list_filters_and_sorts(self, ua_env: ConformanceEnv, resource: str) -> None:
        """Every declared filter and sort gives the records the unified rule gives — the same
        whether the provider applies it (``list_filters``, ``list_sorts``) or the core does after
        fetching — alone and combined, across pages; ``pager.plan`` says which applied it."""
        ua_env.require(resource, Operation.LIST)
        spec = RESOURCES[resource]
        filters = [f for f in spec.filters if f is not UPDATED_SINCE]
        if not filters and not spec.sorts:
            pytest.skip(f"{resource} lists declare no filter besides updated_since and no sort")
        target = await ua_env.records_of(resource)
        everything, made = await ua_env.varied(resource)
        checked = 0
        for list_filter in filters:
            plan = await target.list_plan(**{list_filter.name: example_value(list_filter)})
            pushed = ua_env.supports_filter(resource, list_filter.name)
            applied_by = plan.pushed_down if pushed else plan.filtered_after_fetch
            assert list_filter.name in applied_by, f"{list_filter.name}: {plan}"
            for value in filter_values(list_filter, made):
                checked += await _same_as_the_rule(target, spec, everything, {list_filter.name: value})
        combined = combined_filters(filters, made)
        if len(combined) > 1:
            checked += await _same_as_the_rule(target, spec, everything, combined)
        for key in spec.sorts:
            for text in (key, f"-{key}"):
                plan = await target.list_plan(sort=text)
                assert plan.sorted_by == ("provider" if ua_env.supports_sort(resource, key) else "core")
                listed = await target.list_all(sort=text, page_size=2)
                sort = spec.sort(text)
                assert sorted(r.id for r in listed) == sorted(r.id for r in everything), f"sort={text}"
                expected = [sort_value(r, sort) for r in sort_records(everything, sort)]
                assert [sort_value(r, sort) for r in listed] == expected, f"sort={text} ({plan.sorted_by})"
                checked += 1
        if not checked:
            pytest.skip(f"no {resource} record holds a value the declared filters test")

    async def test_delete_void_or_archive(self, ua_env: ConformanceEnv, resource: str) -> None:
        """Each way off the books the provider supports: voided and archived records say so; a
        deleted one is gone, or kept readable marked deleted."""
        ways = [op for op in ANY_WAY_OFF_THE_BOOKS if ua_env.supports(resource, op)]
        if not ways:
            pytest.skip(f"{ua_env.provider.name} neither deletes, voids nor archives {resource} records")
        target = await ua_env.records_of(resource)
        for way in ways:
            record = await ua_env.created(resource, deletable=way is Operation.DELETE)
            if way is Operation.DELETE:
                assert await target.delete(record.id) is None
                try:
                    fetched = await target.get(record.id)
                except NotFound:
                    continue
                assert status_of(fetched) == RETIRED_STATUS[way]
            else:
                changed = await getattr(target, way.value)(record.id)
                assert changed.id == record.id
                assert status_of(changed) == RETIRED_STATUS[way]

    async def test_missing_id_is_not_found(self, ua_env: ConformanceEnv, resource: str) -> None:
        ua_env.require(resource, Operation.GET)
        target = await ua_env.records_of(resource)
        with pytest.raises(NotFound) as caught:
            await target.get("999999999")
        assert caught.value.provider == ua_env.harness.provider

    async def test_unsupported_operations_fail_before_http(
        self, ua_env: ConformanceEnv, resource: str
    ) -> None:
        # The capability check comes first, so dummy arguments never reach validation or HTTP.
        calls = UNSUPPORTED_CALLS
        target = await ua_env.records_of(resource)
        unsupported = [op for op in calls if not ua_env.supports(resource, op)]
        if not unsupported:
            pytest.skip(f"{ua_env.provider.name} supports every operation on {resource}")
        for operation in unsupported:
            method, args = calls[operation]
            ua_env.wire.requests.clear()
            with pytest.raises(UnsupportedOperation) as caught:
                await getattr(target, method)(*args)
            assert caught.value.provider == ua_env.harness.provider
            assert caught.value.operation == operation.value
            assert ua_env.wire.requests == [], f"{method} on {resource} reached the provider"

    @pytest.mark.parametrize("resource", SINGLETONS)
    async def test_singleton_is_read_without_an_id(self, ua_env: ConformanceEnv, resource: str) -> None:
        target = await ua_env.records_of(resource)
        if not ua_env.supports(resource, Operation.GET):
            ua_env.wire.requests.clear()
            with pytest.raises(UnsupportedOperation) as caught:
                await target.get()
            assert caught.value.operation == "get"
            assert ua_env.wire.requests == [], f"get on {resource} reached the provider"
            return
        record = await target.get()
        assert isinstance(record, RESOURCES[resource].model)
        assert record.id, f"{resource} came back without an id"

    # ----------------------------------------------------------------- what some resources have

    async def test_invoice_round_trip_keeps_money_exact(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("invoice", Operation.CREATE, Operation.GET, Operation.UPDATE)
        invoices = await ua_env.resource("invoices")
        sample = ua_env.harness.invoice(await ua_env.new_customer_id())
        created = await invoices.create(sample)
        assert created.id and created.customer_id == sample.customer_id
        fetched = await invoices.get(created.id)
        sales = [line for line in fetched.line_items if line.quantity is not None]
        expected = [line for line in sample.line_items if line.quantity is not None]
        assert [(s.quantity, s.unit_price) for s in sales] == [(e.quantity, e.unit_price) for e in expected]
        expected_total = sum((line.total_amount or Decimal(0) for line in expected), Decimal(0))
        assert fetched.total is not None and fetched.total - (fetched.total_tax or 0) == expected_total
        assert isinstance(fetched.total, Decimal)
        ua_env.harness.advance(ua_env.app, 2)
        changes = ua_env.harness.invoice_changes()
        updated = await invoices.update(created.id, changes, row_version=fetched.row_version)
        for field, value in changes.items():
            assert getattr(updated, field) == value

    async def test_payment_round_trip_lowers_amount_due(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("payment", Operation.CREATE, Operation.GET)
        invoice = await ua_env.new_invoice()
        total = invoice.total
        assert total is not None and total > 0
        part = (total / 2).quantize(Decimal("0.01"))
        payments = await ua_env.resource("payments")
        payment = await payments.create(ua_env.harness.payment(invoice, part))
        assert payment.id and payment.total_amount == part
        assert [(a.invoice_id, a.amount) for a in payment.allocations] == [(invoice.id, part)]
        fetched = await payments.get(payment.id)
        assert fetched.total_amount == part
        invoices = await ua_env.resource("invoices")
        after = await invoices.get(invoice.id)
        assert after.amount_due == total - part
        assert after.status == InvoiceStatus.PARTIALLY_PAID

    # ----------------------------------------------------------------------------------- errors

    async def test_stale_row_version_is_a_conflict(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.UPDATE)
        customers = await ua_env.resource("customers")
        created = await customers.create(ua_env.harness.customer())
        ua_env.harness.advance(ua_env.app, 2)
        await customers.update(created.id, ua_env.harness.customer_changes(), row_version=created.row_version)
        ua_env.harness.advance(ua_env.app, 2)
        with pytest.raises(Conflict) as caught:
            await customers.update(
                created.id, ua_env.harness.customer_changes(), row_version=created.row_version
            )
        assert caught.value.provider == ua_env.harness.provider

    async def test_ids_stay_inside_one_url_path_segment(self, ua_env: ConformanceEnv) -> None:
        """An id is data: it can add no query parameter, leave no path, and ``.``/``..`` are refused."""
        ua_env.require("invoice", Operation.CREATE, Operation.GET)
        invoices = await ua_env.resource("invoices")
        real = await ua_env.new_invoice()
        calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [("get", (), {})]
        if ua_env.supports("invoice", Operation.UPDATE):
            calls.append(("update", (ua_env.harness.invoice_changes(),), {}))
        for operation, method in ((Operation.VOID, "void"), (Operation.DELETE, "delete")):
            if ua_env.supports("invoice", operation):
                calls.append((method, (), {}))
        if ua_env.supports("invoice", Operation.SEND):
            calls.append(("send", (), {}))
        for hostile in HOSTILE_IDS:
            for method, args, kwargs in calls:
                ua_env.wire.requests.clear()
                with pytest.raises((NotFound, ValidationFailed)) as caught:
                    await getattr(invoices, method)(hostile, *args, **kwargs)
                sent = list(ua_env.wire.requests)
                if not hostile.strip("."):
                    assert isinstance(caught.value, ValidationFailed), (method, hostile)
                    assert sent == [], f"{method}({hostile!r}) reached the provider: {sent}"
                    continue
                encoded = quote(hostile, safe="").encode()
                for _, raw_path, query in sent:
                    segments = raw_path.split(b"/")
                    # Where the id reaches a path it is one whole segment, escapes and all.
                    assert b"zq" not in raw_path or encoded in segments, (method, hostile, raw_path)
                    assert b"." not in segments and b".." not in segments, (method, hostile, raw_path)
                    parameters = parse_qs(query.decode(), keep_blank_values=True)
                    assert "x" not in parameters, (method, hostile, query)
                    assert all(len(values) == 1 for values in parameters.values()), (method, hostile, query)
        # The token still works and the real invoice is untouched: nothing was revoked or changed.
        again = await invoices.get(real.id)
        assert again.id == real.id and again.row_version == real.row_version

    async def test_rate_limit_is_retried_then_raised(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.CREATE, Operation.GET)
        customers = await ua_env.resource("customers")
        created = await customers.create(ua_env.harness.customer())
        ua_env.harness.throttle(ua_env.app, SUITE_MAX_RETRIES)
        assert (await customers.get(created.id)).id == created.id
        ua_env.harness.throttle(ua_env.app, SUITE_MAX_RETRIES + 1)
        with pytest.raises(RateLimited) as caught:
            await customers.get(created.id)
        assert caught.value.retriable
        ua_env.harness.throttle(ua_env.app, 0)

    async def test_bad_credentials_are_an_authentication_error(self, ua_env: ConformanceEnv) -> None:
        ua_env.require("customer", Operation.GET)
        await ua_env.client.call(
            "import_connection",
            consumer_id="intruder",
            provider=ua_env.harness.provider,
            company_id=ua_env.company_id,
            access_token="not-a-token",
        )
        customers = await ua_env.client.resource(
            "customers",
            consumer_id="intruder",
            provider=ua_env.harness.provider,
            company_id=ua_env.company_id,
        )
        with pytest.raises(AuthenticationError):
            await customers.get("1")
