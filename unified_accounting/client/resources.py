"""``conn.invoices``, ``conn.tax_rates``, ...: thin resource objects over the provider, one per
resource of the catalog (and ``conn.resource(name)`` for a provider's own).

Every method checks the provider's capabilities and validates input before any HTTP call, then
fires ``ua_record_changed`` for writes.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import ValidationError

from ..catalog import RESOURCES, UPDATED_SINCE, ListFilter, ListSort, ResourceSpec
from ..changes import RecordChange
from ..errors import DecodeFailed, FieldIssue, UnsupportedOperation, ValidationFailed
from ..field_support import refusals
from ..listing import ListPlan, SortCursor
from ..mirror import query
from ..models.common import RecordMeta
from ..models.credit_note import CreditAllocation
from ..models.events import ChangeOperation
from ..models.money import excess_precision, excess_precision_in_update
from ..provider import BulkResult, BulkUpdate, Operation, Page
from .listing import provider_pager
from .pager import AsyncPager
from .updates import check_record_id, field_issues, validate_update

if TYPE_CHECKING:
    from .async_client import AsyncConnection

M = TypeVar("M", bound=RecordMeta)
#: How every PDF file starts (ISO 32000-1, 7.5.2).
PDF_SIGNATURE = b"%PDF-"


def _check_ranges(filters: Sequence[tuple[ListFilter, Any]]) -> None:
    """Refuse a range that can hold nothing (``issue_date_from`` after ``issue_date_to``)."""
    lows = {f.field: (f, v) for f, v in filters if f.match == "at_least"}
    for high, value in ((f, v) for f, v in filters if f.match == "at_most"):
        low = lows.get(high.field)
        if low is not None and low[1] > value:
            message = f"{low[0].name} ({low[1]}) is after {high.name} ({value}): no record can match"
            raise ValidationFailed("invalid list filter", issues=[FieldIssue(low[0].name, message)])


def _one_per_field(declared: list[FieldIssue], checked: list[FieldIssue]) -> list[FieldIssue]:
    """The refusals of ``field_support`` and the other checks' issues, a field named once: where
    the provider's own check also refuses a field, its message (the more specific) is kept."""
    named = {issue.field for issue in checked}
    return [issue for issue in declared if issue.field not in named] + checked


class AsyncResource(Generic[M]):
    """One resource of a connection (``conn.invoices``): every operation checks the provider's
    capabilities and validates input before any HTTP call."""

    #: The unified resource name (``"invoice"``).
    name: str
    model: type[M]

    def __init__(self, connection: AsyncConnection, name: str, model: type[M]) -> None:
        self._conn = connection
        self.name = name
        self.model = model

    def __repr__(self) -> str:
        return f"<AsyncResource {self.name!r} of {self._conn!r}>"

    # ---------------------------------------------------------------------------------- helpers

    def _require(self, operation: Operation) -> None:
        self._conn.provider.require(self.name, operation)

    def _coerce(self, record: M | Mapping[str, Any]) -> M:
        """The record to write, checked against every rule for user input.

        A model is checked again even when given as one: it may have been read from a provider,
        whose records are not held to input rules (an invoice Xero stores due before its date).
        """
        name = self.model.__name__
        try:
            if isinstance(record, self.model):
                type(record).model_validate(record.model_dump(exclude={"raw"}))
                return record
            if isinstance(record, Mapping):
                return self.model.model_validate(record)
        except ValidationError as exc:
            raise ValidationFailed(f"invalid {name}", issues=field_issues(exc)) from None
        raise ValidationFailed(f"expected a {name} or a mapping, got {type(record).__name__}")

    def _unsupported_fields(self, given: RecordMeta | Mapping[str, Any]) -> builtins.list[FieldIssue]:
        """The fields given (a record, or an update's fields) that the provider declares it
        computes or refuses (``Provider.field_support``): sent, they would be lost."""
        provider = self._conn.provider
        declared = provider.field_support.get(self.name)
        return refusals(provider.display_name, declared, given) if declared else []

    def _check(self, record: M, operation: Operation) -> None:
        # Fields the provider would not store are refused, and so are amounts with more decimals
        # than their currency has (not rounded behind the user's back); then what the provider
        # itself cannot take.
        issues = _one_per_field(
            self._unsupported_fields(record),
            excess_precision(record) + self._conn.provider.validate(self.name, record, operation),
        )
        if issues:
            raise ValidationFailed(
                f"{self.model.__name__} is not acceptable to {self._conn.provider.name}",
                issues=issues,
                provider=self._conn.provider.name,
            )

    def _changed(self, operation: ChangeOperation, record_id: str, record: Any | None) -> None:
        self._conn.fire_change(
            RecordChange(
                provider=self._conn.provider.name,
                consumer_id=self._conn.consumer_id,
                company_id=self._conn.company_id,
                resource=self.name,
                record_id=record_id,
                operation=operation,
                record=record,
            )
        )

    # -------------------------------------------------------------------------------- operations

    async def create(self, record: M | Mapping[str, Any], *, include_raw: bool | None = None) -> M:
        """Create ``record`` at the provider and return it as stored (with id and row_version)."""
        self._require(Operation.CREATE)
        model = self._coerce(record)
        self._check(model, Operation.CREATE)
        created: M = await self._conn.provider.create(self._conn.session(include_raw), self.name, model)
        self._changed(ChangeOperation.CREATED, str(created.id), created)
        return created

    async def get(
        self,
        record_id: str,
        *,
        include_raw: bool | None = None,
        source: Literal["provider", "mirror"] = "provider",
        include_deleted: bool = False,
    ) -> M:
        """The record from the provider, or with ``source="mirror"`` from the local mirror (no HTTP)."""
        if source == "mirror":
            db = await self._conn._client.database()
            found = await query.get_record(
                db, self._conn.key, self.name, record_id, include_deleted=include_deleted, model=self.model
            )
            assert isinstance(found, self.model)
            return found
        self._require(Operation.GET)
        check_record_id(record_id)
        record: M = await self._conn.provider.get(self._conn.session(include_raw), self.name, record_id)
        return record

    def list(
        self,
        *,
        updated_since: datetime | None = None,
        created_since: datetime | None = None,
        customer_id: str | None = None,
        supplier_id: str | None = None,
        status: str | Sequence[str] | None = None,
        number: str | None = None,
        issue_date_from: date | None = None,
        issue_date_to: date | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
        include_raw: bool | None = None,
        source: Literal["provider", "mirror"] = "provider",
        include_deleted: bool = False,
    ) -> AsyncPager[M]:
        """Every record that matches the filters given, in the order asked, fetched page by page as
        you iterate.

        Each resource declares the filters and sort keys its lists take (see
        ``docs/resources.md`` and ``docs/list-filters.md``): every list takes ``updated_since``;
        documents also take ``created_since``, their party (``customer_id`` or ``supplier_id``),
        ``status`` (one status or a list of them), ``number`` (exact), a range of their date
        (``issue_date_from``/``issue_date_to`` on invoices, bills and credit notes,
        ``date_from``/``date_to`` on expenses, payments and journal entries; inclusive), and
        ``sort`` (``"issue_date"``, ``"-issue_date"`` for descending, ``"number"``,
        ``"updated_at"``, ``"date"``); tax rates and tracking categories take ``status``. A filter
        or sort the resource does not declare raises ``ValidationFailed`` before any HTTP call.

        Filters the provider cannot apply are applied by the core to what the provider returns
        (pages may then hold fewer records than ``page_size``), and a sort it cannot do is done in
        memory after every page was read: ``pager.plan`` says which (see ``docs/client.md``).

        ``source="mirror"`` reads the local mirror instead of the provider (see ``docs/sync.md``),
        with the same filters and sort applied in SQL: records ordered by id unless sorted,
        tombstones included only with ``include_deleted=True``.
        """
        if source != "mirror":
            self._require(Operation.LIST)
        filters = self._filters(
            updated_since=updated_since,
            created_since=created_since,
            customer_id=customer_id,
            supplier_id=supplier_id,
            status=status,
            number=number,
            issue_date_from=issue_date_from,
            issue_date_to=issue_date_to,
            date_from=date_from,
            date_to=date_to,
        )
        order = None if sort is None else self._spec.sort(sort)
        if page_size is not None and page_size < 1:
            raise ValidationFailed(
                "invalid list filter",
                issues=[FieldIssue("page_size", f"must be at least 1, got {page_size}")],
            )
        provider = self._conn.provider
        if (
            source != "mirror"
            and updated_since is not None
            and not provider.supports_filter(self.name, UPDATED_SINCE.name)
        ):
            # A provider that keeps no update time on the resource (Xero tax rates) cannot say what
            # changed, and the core cannot tell either: refused rather than answered wrongly.
            raise UnsupportedOperation(provider.name, "filtering by updated_since", self.name)
        sorted_by_core = order is not None and (
            source == "mirror" or not self._conn.provider.supports_sort(self.name, order.field)
        )
        if sorted_by_core and order is not None and cursor is not None:
            SortCursor.decode(cursor, order, self.model)  # a bad cursor fails here, before any call
        if source == "mirror":
            return self._mirror_list(filters, order, page_size, cursor, include_deleted)
        return provider_pager(
            self._conn.provider,
            self._conn.session(include_raw),
            self.name,
            self.model,
            filters=filters,
            sort=order,
            page_size=page_size,
            cursor=cursor,
        )

    @functools.cached_property
    def _spec(self) -> ResourceSpec:
        """The resource's declaration; a provider's own resource lists with ``updated_since`` only."""
        spec = RESOURCES.get(self.name)
        if spec is None:
            spec = ResourceSpec(self.name, self.name, self.model, "", mirrored=False)
        return spec

    def _filters(self, **given: Any) -> builtins.list[tuple[ListFilter, Any]]:
        """The filters given, validated against the resource's declaration (the catalog's; a
        provider's own resource takes ``updated_since`` only)."""
        declared = self._spec.filters
        valid: builtins.list[tuple[ListFilter, Any]] = []
        for name, value in given.items():
            if value is None:
                continue
            wanted = next((f for f in declared if f.name == name), None)
            if wanted is None:
                takes = ", ".join(f.name for f in declared)
                raise ValidationFailed(
                    "invalid list filter",
                    issues=[FieldIssue(name, f"{self.name} lists take no such filter (they take: {takes})")],
                )
            valid.append((wanted, wanted.validate(value)))
        _check_ranges(valid)
        return valid

    def _mirror_list(
        self,
        filters: Sequence[tuple[ListFilter, Any]],
        sort: ListSort | None,
        page_size: int | None,
        cursor: str | None,
        include_deleted: bool,
    ) -> AsyncPager[M]:
        plan = ListPlan(
            self.name,
            "mirror",
            pushed_down=tuple(f.name for f, _ in filters),
            sort=None if sort is None else str(sort),
            sorted_by=None if sort is None else "mirror",
        )

        async def fetch(page_cursor: str | None) -> Page:
            db = await self._conn._client.database()
            return await query.list_page(
                db,
                self._conn.key,
                self.name,
                cursor=page_cursor,
                page_size=page_size,
                filters=filters,
                sort=sort,
                include_deleted=include_deleted,
                model=self.model,
            )

        return AsyncPager(fetch, cursor, plan=plan)

    async def update(
        self,
        record_id: str,
        fields: Mapping[str, Any] | M,
        *,
        row_version: str | None = None,
        include_raw: bool | None = None,
    ) -> M:
        """Set the given ``fields`` (a mapping, or a model whose set fields are taken); the record's
        other fields stay as they are.

        With ``row_version``, a record changed since that version raises ``Conflict`` instead.
        """
        self._require(Operation.UPDATE)
        check_record_id(record_id)
        validated = validate_update(self.model, fields)
        issues = _one_per_field(
            self._unsupported_fields(validated),
            excess_precision_in_update(self.model, validated)
            + self._conn.provider.validate_update(self.name, validated),
        )
        if issues:
            raise ValidationFailed(
                f"the update is not acceptable to {self._conn.provider.name}",
                issues=issues,
                provider=self._conn.provider.name,
            )
        updated: M = await self._conn.provider.update(
            self._conn.session(include_raw), self.name, record_id, validated, row_version
        )
        self._changed(ChangeOperation.UPDATED, record_id, updated)
        return updated

    async def delete(self, record_id: str, *, row_version: str | None = None) -> None:
        self._require(Operation.DELETE)
        check_record_id(record_id)
        await self._conn.provider.delete(self._conn.session(None), self.name, record_id, row_version)
        self._changed(ChangeOperation.DELETED, record_id, None)

    async def void(
        self, record_id: str, *, row_version: str | None = None, include_raw: bool | None = None
    ) -> M:
        self._require(Operation.VOID)
        check_record_id(record_id)
        voided: M = await self._conn.provider.void(
            self._conn.session(include_raw), self.name, record_id, row_version
        )
        self._changed(ChangeOperation.VOIDED, record_id, voided)
        return voided

    async def archive(
        self, record_id: str, *, row_version: str | None = None, include_raw: bool | None = None
    ) -> M:
        """Make the record inactive (customers are archived, not deleted, by accounting systems)."""
        self._require(Operation.ARCHIVE)
        check_record_id(record_id)
        archived: M = await self._conn.provider.archive(
            self._conn.session(include_raw), self.name, record_id, row_version
        )
        self._changed(ChangeOperation.UPDATED, record_id, archived)
        return archived

    async def send(self, record_id: str, *, to: str | None = None, include_raw: bool | None = None) -> M:
        """Ask the provider to e-mail the document (to ``to``, or to the address on file)."""
        self._require(Operation.SEND)
        check_record_id(record_id)
        sent: M = await self._conn.provider.send(self._conn.session(include_raw), self.name, record_id, to)
        return sent

    async def pdf(self, record_id: str) -> bytes:
        """The document as the provider prints it: a PDF's bytes (``DecodeFailed`` when the
        provider answers anything that is not a PDF)."""
        self._require(Operation.PDF)
        check_record_id(record_id)
        provider = self._conn.provider
        document = await provider.pdf(self._conn.session(None), self.name, record_id)
        if not isinstance(document, bytes) or not document.startswith(PDF_SIGNATURE):
            head = document[:16] if isinstance(document, bytes) else type(document).__name__
            raise DecodeFailed(
                f"{provider.name} answered the {self.name} PDF with something that is not a PDF "
                f"(it starts {head!r})",
                provider=provider.name,
                resource=self.name,
                record_id=record_id,
            )
        return document

    async def allocate(
        self,
        record_id: str,
        *,
        amount: Decimal | str | int,
        invoice_id: str | None = None,
        bill_id: str | None = None,
        date: dt.date | None = None,
        include_raw: bool | None = None,
    ) -> M:
        """Apply ``amount`` of a credit document to what it credits: a credit note to an invoice
        (``invoice_id=``), a supplier credit to a bill (``bill_id=``). It lowers the document's
        amount due and the credit's ``remaining_credit``; the credit document comes back updated."""
        self._require(Operation.ALLOCATE)
        check_record_id(record_id)
        allocation = _allocation(RESOURCES.spec(self.name), amount, invoice_id, bill_id, date)
        allocated: M = await self._conn.provider.allocate(
            self._conn.session(include_raw), self.name, record_id, allocation
        )
        self._changed(ChangeOperation.UPDATED, record_id, allocated)
        return allocated

    async def create_many(
        self, records: Sequence[M | Mapping[str, Any]], *, include_raw: bool | None = None
    ) -> builtins.list[BulkResult]:
        """Create several records in as few calls as the provider allows; one result per input, in order.

        Every record is validated first: one invalid record refuses the whole call before any HTTP.
        """
        self._require(Operation.BULK_CREATE)
        models: list[M] = []
        for index, record in enumerate(records):
            try:
                model = self._coerce(record)
                self._check(model, Operation.CREATE)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"record {index} is invalid",
                    issues=[
                        FieldIssue(f"{index}.{i.field}" if i.field else str(index), i.message)
                        for i in exc.issues
                    ],
                    provider=exc.provider,
                ) from None
            models.append(model)
        results = await self._conn.provider.bulk_create(self._conn.session(include_raw), self.name, models)
        for result in results:
            if result.ok and result.record is not None:
                self._changed(ChangeOperation.CREATED, str(result.record.id), result.record)
        return results

    async def update_many(
        self, updates: Sequence[BulkUpdate], *, include_raw: bool | None = None
    ) -> builtins.list[BulkResult]:
        self._require(Operation.BULK_UPDATE)
        checked = []
        for update in updates:
            check_record_id(update.id)
            fields = validate_update(self.model, update.fields)
            issues = _one_per_field(
                self._unsupported_fields(fields),
                excess_precision_in_update(self.model, fields)
                + self._conn.provider.validate_update(self.name, fields),
            )
            if issues:
                raise ValidationFailed(
                    f"the update of {update.id!r} is not acceptable to {self._conn.provider.name}",
                    issues=issues,
                    provider=self._conn.provider.name,
                )
            checked.append(BulkUpdate(update.id, fields, update.row_version))
        results = await self._conn.provider.bulk_update(self._conn.session(include_raw), self.name, checked)
        for result in results:
            if result.ok and result.record is not None:
                self._changed(ChangeOperation.UPDATED, str(result.record.id), result.record)
        return results


class AsyncSingleton(Generic[M]):
    """The one record a resource has per company (``conn.company_info``): read with :meth:`get`."""

    #: The unified resource name (``"company_info"``).
    name: str
    model: type[M]

    def __init__(self, connection: AsyncConnection, name: str, model: type[M]) -> None:
        self._conn = connection
        self.name = name
        self.model = model

    def __repr__(self) -> str:
        return f"<AsyncSingleton {self.name!r} of {self._conn!r}>"

    async def get(self, *, include_raw: bool | None = None) -> M:
        """The company's record, from the provider."""
        self._conn.provider.require(self.name, Operation.GET)
        record: M = await self._conn.provider.get(
            self._conn.session(include_raw), self.name, self._conn.company_id
        )
        return record


def _allocation(
    spec: ResourceSpec,
    amount: Decimal | str | int,
    invoice_id: str | None,
    bill_id: str | None,
    date: dt.date | None,
) -> CreditAllocation:
    """The allocation asked for, checked against what the resource's credit applies to."""
    targets = {"invoice": invoice_id, "bill": bill_id}
    given = [name for name, value in targets.items() if value is not None]
    target = targets.get(spec.allocates_to or "")
    if given != [spec.allocates_to] or target is None:
        raise ValidationFailed(
            f"{spec.collection} are allocated to a {spec.allocates_to}",
            issues=[
                FieldIssue(f"{spec.allocates_to}_id", f"give the {spec.allocates_to} this credit goes to")
            ]
            + [
                FieldIssue(f"{name}_id", f"not for {spec.collection}")
                for name in given
                if name != spec.allocates_to
            ],
        )
    check_record_id(target)
    try:
        allocation = CreditAllocation(document_id=target, amount=amount, date=date)
    except ValidationError as exc:
        raise ValidationFailed("invalid allocation", issues=field_issues(exc)) from None
    if allocation.amount <= 0:
        raise ValidationFailed("invalid allocation", issues=[FieldIssue("amount", "must be more than 0")])
    issues = excess_precision(allocation)
    if issues:
        raise ValidationFailed("invalid allocation", issues=issues)
    return allocation
