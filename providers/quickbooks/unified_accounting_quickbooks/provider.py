"""The QuickBooks Online provider: the unified operations expressed as Accounting API v3 calls."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from unified_accounting.amounts import amounts_beyond
from unified_accounting.errors import Conflict, DecodeFailed, FieldIssue, ProviderError, ValidationFailed
from unified_accounting.models import Invoice, LineItemType, Payment, WebhookEvent
from unified_accounting.models.common import RecordMeta
from unified_accounting.provider import (
    BulkResult,
    BulkUpdate,
    ChangeFeedResult,
    Operation,
    Page,
    Provider,
    ProviderSession,
    ProviderSettings,
    capabilities,
)
from unified_accounting.ratelimits import RateLimits
from unified_accounting.settings import settings_as
from unified_accounting.tokens import TokenSet

from . import changes as change_reads
from . import oauth, webhooks
from .api import Api, app_of, company_url, is_metered, settings_of
from .codec import ENTITIES, READ_ONLY, EncodeContext, QuickBooksCodec, encode_fields
from .conflicts import VersionCache, changed_fields
from .errors import error_from_fault, error_from_response, fault_errors
from .limits import BATCH, RATE_LIMITS
from .meter import UsageMeter
from .models import Account
from .query import MAX_RESULTS, select
from .settings import QuickBooksSettings
from .taxes import keep_tax_code, needs_tax_code

#: Intuit's bound on amounts, "max 15 digits in 10.5 format".
MAX_AMOUNT = Decimal("9999999999.99999")
#: QuickBooks' limit of items per batch request.
BATCH_SIZE = 30
DEFAULT_PAGE_SIZE = MAX_RESULTS
#: Name lists hide inactive rows from queries unless ``Active`` is filtered on.
NAME_LISTS = frozenset({"Customer", "Item", "Account"})
#: Ids per ``Id IN (...)`` query: keeps the GET's URL well under common 8 KB limits.
ID_CHUNK = 100


def _start_position(cursor: str | None) -> int:
    """The query start position a list cursor stands for (1-based); a junk cursor is refused."""
    if not cursor:
        return 1
    try:
        start = int(cursor)
    except ValueError:
        start = 0
    if start < 1:
        raise ValidationFailed(
            "invalid list cursor",
            issues=[FieldIssue("cursor", f"{cursor!r} is not a cursor this QuickBooks list returned")],
            provider="quickbooks",
        )
    return start


class QuickBooksProvider(Provider):
    name = "quickbooks"
    display_name = "QuickBooks Online"
    settings_model = QuickBooksSettings
    capabilities = capabilities(
        invoice="create get list update delete void send bulk_create bulk_update",
        customer="create get list update archive bulk_create bulk_update",
        payment="create get list update delete void bulk_create bulk_update",
        item="get list",
        account="get list",
    )
    #: QuickBooks' own resources (not in the unified catalog): ``conn.resource("account")``.
    models: ClassVar[Mapping[str, type[RecordMeta]]] = {"account": Account}
    oauth = oauth.OAUTH
    rate_limits = RATE_LIMITS
    webhook_signature_header = webhooks.SIGNATURE_HEADER

    #: The largest amount QuickBooks takes: Intuit documents amounts as "max 15 digits in 10.5
    #: format" (ten digits before the point, five after). Larger ones are refused before any call.
    max_amount = MAX_AMOUNT
    #: Change Data Capture looks back 30 days; reads are kept a margin inside (clocks differ).
    change_feed_window = change_reads.CDC_WINDOW - change_reads.CDC_MARGIN

    def __init__(self) -> None:
        self.codec: QuickBooksCodec = QuickBooksCodec()
        self.meter = UsageMeter()
        self.versions = VersionCache()
        self.api = Api(self.meter)

    # ------------------------------------------------------------------------ checks and hooks

    def validate(self, resource: str, record: RecordMeta, operation: Operation) -> list[FieldIssue]:
        issues = amounts_beyond(record, self.max_amount, provider=self.name)
        if isinstance(record, Invoice):
            issues += self._invoice_issues(record.reference, record.line_items)
        if isinstance(record, Payment) and not record.customer_id:
            issues.append(FieldIssue("customer_id", "QuickBooks needs the paying customer"))
        return issues

    def validate_update(self, resource: str, fields: Mapping[str, Any]) -> list[FieldIssue]:
        issues = amounts_beyond(fields, self.max_amount, provider=self.name)
        issues += [
            FieldIssue(name, "is computed by QuickBooks and cannot be changed")
            for name in fields
            if name in READ_ONLY.get(resource, frozenset())
        ]
        if resource == "invoice":
            issues += self._invoice_issues(fields.get("reference"), fields.get("line_items") or [])
        return issues

    @staticmethod
    def _invoice_issues(reference: Any, lines: Sequence[Any]) -> list[FieldIssue]:
        issues = []
        if reference:
            issues.append(
                FieldIssue("reference", "QuickBooks invoices have no reference field; use pass_through")
            )
        for index, line in enumerate(lines):
            if line.type is LineItemType.SALES_ITEM and line.discount_percentage:
                issues.append(
                    FieldIssue(
                        f"line_items.{index}.discount_percentage",
                        "QuickBooks has no per-line discount: add a discount line instead",
                    )
                )
        return issues

    @staticmethod
    def _require_items(settings: QuickBooksSettings, lines: Sequence[Any]) -> None:
        # Provider.validate cannot see the settings, so the default item is checked here, still
        # before any HTTP call.
        missing = [
            FieldIssue(
                f"line_items.{index}.item_id",
                "QuickBooks needs an item on every sales line: set item_id or the default_item_id setting",
            )
            for index, line in enumerate(lines)
            if line.type is LineItemType.SALES_ITEM and not line.item_id and not settings.default_item_id
        ]
        if missing:
            raise ValidationFailed(
                "invoice is not acceptable to quickbooks", issues=missing, provider="quickbooks"
            )

    def error_from_response(self, response: httpx.Response) -> ProviderError | ValidationFailed:
        return error_from_response(response)

    def limits_for(self, settings: ProviderSettings) -> RateLimits:
        chosen = settings_as(QuickBooksSettings, settings)
        return RATE_LIMITS.adjusted(
            calls={
                "second": chosen.requests_per_second,
                "minute": chosen.requests_per_minute,
                BATCH: chosen.batch_per_minute,
            },
            concurrent=chosen.max_concurrent,
            count_from=chosen.limiter_counts_from,
            margin=chosen.limiter_margin_s,
        )

    def observe_response(self, session: ProviderSession, response: httpx.Response) -> None:
        super().observe_response(session, response)
        if response.status_code == 429 or "/v3/company/" not in response.request.url.path:
            return  # a throttled call was not served, so Intuit does not count it
        settings = settings_of(session)
        self.meter.record(
            app_of(session),
            session.company_id,
            "read" if is_metered(response.request) else "write",
            budget=settings.monthly_read_budget,
            warning_ratio=settings.budget_warning_ratio,
        )

    # ------------------------------------------------------------------------------- decoding

    def _decode(self, session: ProviderSession, resource: str, body: Mapping[str, Any]) -> Any:
        """A write's answer through the codec (the version remembered for the conflict policy)."""
        entity = ENTITIES[resource]
        payload = body[entity] if isinstance(body.get(entity), dict) else body
        if settings_of(session).conflict_policy == "reapply":
            self.versions.remember(session.company_id, entity, payload)
        return self.read_record(session, resource, payload)

    def _context(self, session: ProviderSession) -> EncodeContext:
        return EncodeContext(settings_of(session).default_item_id)

    # ----------------------------------------------------------------------------- operations

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        if isinstance(record, Invoice):
            self._require_items(settings_of(session), record.line_items)
        payload = self.codec.encode(record, default_item_id=settings_of(session).default_item_id)
        body = await self.api.write(session, ENTITIES[resource].lower(), payload=payload)
        return self._decode(session, resource, body)

    async def fetch_record(self, session: ProviderSession, resource: str, record_id: str) -> dict[str, Any]:
        """The record's JSON (``get`` decodes it through the codec); its version is remembered for
        the conflict policy."""
        entity = ENTITIES[resource]
        body = await self.api.read(session, entity.lower(), record_id)
        payload: dict[str, Any] = body[entity]
        if settings_of(session).conflict_policy == "reapply":
            self.versions.remember(session.company_id, entity, payload)
        return payload

    def _select(self, resource: str) -> Any:
        entity = ENTITIES[resource]
        query = select(entity)
        if entity in NAME_LISTS:
            query = query.where("Active", "IN", [True, False])  # archived records are records too
        return query

    async def list_page(
        self,
        session: ProviderSession,
        resource: str,
        *,
        cursor: str | None,
        updated_since: datetime | None,
        page_size: int | None,
        filters: Mapping[str, Any] | None = None,
    ) -> Page:
        # Overridden rather than built on fetch_page: the next cursor depends on how many records
        # the page held, read or not.
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_RESULTS)
        start = _start_position(cursor)
        query = self._select(resource)
        if updated_since is not None:
            query = query.where("MetaData.LastUpdatedTime", ">=", updated_since)
        body = await self.api.query_bytes(session, str(query.order_by("Id").page(start, size)))
        items, issues = self.read_page(session, resource, body)
        # A full page (records read or not) means there may be more.
        full = len(items) + len(issues) == size
        return Page(items=items, next_cursor=str(start + size) if full else None, issues=issues)

    def rewind_cursor(self, resource: str, cursor: str, records: int) -> str | None:
        # Cursors are STARTPOSITIONs over a listing ordered by Id, which never changes.
        return str(max(1, int(cursor) - records)) if cursor.isdigit() else None

    async def get_many(self, session: ProviderSession, resource: str, record_ids: Sequence[str]) -> Page:
        """One ``Id IN (...)`` query per chunk rather than one GET per record."""
        found = Page(items=[])
        for start in range(0, len(record_ids), ID_CHUNK):
            query = self._select(resource).where("Id", "IN", list(record_ids[start : start + ID_CHUNK]))
            body = await self.api.query_bytes(session, str(query.page(1, MAX_RESULTS)))
            records, issues = self.read_page(session, resource, body)
            found.items += records
            found.issues += issues
        return found

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        settings = settings_of(session)
        if resource == "invoice" and "line_items" in fields:
            self._require_items(settings, fields["line_items"] or [])
        encoded = encode_fields(resource, fields, self._context(session))
        entity = ENTITIES[resource]
        current: Mapping[str, Any] | None = None
        if row_version is None:
            # No version given: the caller asked for last-writer-wins, so use the current one.
            current = await self.fetch_record(session, resource, record_id)
            row_version = str(current["SyncToken"])
        if needs_tax_code(encoded):
            if current is None:
                known = self.versions.version(session.company_id, entity, record_id, row_version)
                current = known or await self.fetch_record(session, resource, record_id)
            encoded = keep_tax_code(encoded, current)
        try:
            body = await self._sparse_update(session, resource, record_id, row_version, encoded)
        except Conflict as conflict:
            if settings.conflict_policy != "reapply":
                raise
            current = await self.fetch_record(session, resource, record_id)
            base = self.versions.version(session.company_id, entity, record_id, row_version)
            if base is None:
                raise
            moved = changed_fields(base, current, encoded)
            if moved:
                conflict.detail = f"{conflict.detail or ''} (changed meanwhile: {', '.join(moved)})".strip()
                raise
            body = await self._sparse_update(session, resource, record_id, str(current["SyncToken"]), encoded)
        return self._decode(session, resource, body)

    async def _sparse_update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        sync_token: str,
        fields: Mapping[str, Any],
    ) -> Any:
        payload = {**fields, "Id": record_id, "SyncToken": sync_token, "sparse": True}
        return await self.api.write(session, ENTITIES[resource].lower(), payload=payload)

    async def _sync_token(
        self, session: ProviderSession, resource: str, record_id: str, given: str | None
    ) -> str:
        if given is not None:
            return given
        return str((await self.fetch_record(session, resource, record_id))["SyncToken"])

    async def delete(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> None:
        token = await self._sync_token(session, resource, record_id, row_version)
        await self.api.write(
            session,
            ENTITIES[resource].lower(),
            payload={"Id": record_id, "SyncToken": token},
            params={"operation": "delete"},
        )

    async def void(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        token = await self._sync_token(session, resource, record_id, row_version)
        entity = ENTITIES[resource].lower()
        if resource == "payment":
            params = {"operation": "update", "include": "void"}
            payload: dict[str, Any] = {"Id": record_id, "SyncToken": token, "sparse": True}
        else:
            params = {"operation": "void"}
            payload = {"Id": record_id, "SyncToken": token}
        body = await self.api.write(session, entity, payload=payload, params=params)
        return self._decode(session, resource, body)

    async def archive(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        token = await self._sync_token(session, resource, record_id, row_version)
        body = await self._sparse_update(session, resource, record_id, token, {"Active": False})
        return self._decode(session, resource, body)

    async def send(self, session: ProviderSession, resource: str, record_id: str, to: str | None) -> Any:
        body = await self.api.write(
            session,
            "invoice",
            record_id,
            "send",
            params={"sendTo": to} if to else None,
            content=b"",
            headers={"Content-Type": "application/octet-stream"},
        )
        return self._decode(session, resource, body)

    # ----------------------------------------------------------------------------------- batch

    async def bulk_create(
        self, session: ProviderSession, resource: str, records: Sequence[RecordMeta]
    ) -> list[BulkResult]:
        settings = settings_of(session)
        for record in records:
            if isinstance(record, Invoice):
                self._require_items(settings, record.line_items)
        entity = ENTITIES[resource]
        items = [
            {
                "bId": str(index),
                "operation": "create",
                entity: self.codec.encode(record, default_item_id=settings.default_item_id),
            }
            for index, record in enumerate(records)
        ]
        return await self._run_batch(session, resource, items)

    async def bulk_update(
        self, session: ProviderSession, resource: str, updates: Sequence[BulkUpdate]
    ) -> list[BulkResult]:
        entity = ENTITIES[resource]
        settings = settings_of(session)
        for update in updates:
            if resource == "invoice" and "line_items" in update.fields:
                self._require_items(settings, update.fields["line_items"] or [])
        tokens = await self._current_tokens(session, entity, [u.id for u in updates if u.row_version is None])
        items = []
        for index, update in enumerate(updates):
            payload = {
                **encode_fields(resource, update.fields, self._context(session)),
                "Id": update.id,
                "SyncToken": update.row_version or tokens.get(update.id, "0"),
                "sparse": True,
            }
            items.append({"bId": str(index), "operation": "update", entity: payload})
        return await self._run_batch(session, resource, items)

    async def _current_tokens(self, session: ProviderSession, entity: str, ids: list[str]) -> dict[str, str]:
        """SyncTokens of ``ids``, read with one query per chunk rather than one GET per record."""
        tokens: dict[str, str] = {}
        for start in range(0, len(ids), MAX_RESULTS):
            chunk = ids[start : start + MAX_RESULTS]
            query = select(entity).where("Id", "IN", chunk)
            if entity in NAME_LISTS:
                query = query.where("Active", "IN", [True, False])
            body = await self.api.query(session, str(query.page(1, MAX_RESULTS)))
            for row in (body.get("QueryResponse") or {}).get(entity) or ():
                tokens[str(row["Id"])] = str(row["SyncToken"])
        return tokens

    async def _run_batch(
        self, session: ProviderSession, resource: str, items: list[dict[str, Any]]
    ) -> list[BulkResult]:
        results: list[BulkResult] = []
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start : start + BATCH_SIZE]
            answers = await self.api.batch(session, chunk)
            for item, answer in zip(chunk, answers, strict=True):
                index = int(item["bId"])
                errors = fault_errors(answer)
                if errors or not answer:
                    error = error_from_fault(
                        errors, status_code=None, request_id=None, raw=answer
                    ) or ProviderError(
                        "QuickBooks gave no answer for this batch item", provider=self.name, raw=answer
                    )
                    results.append(BulkResult(index=index, error=error))
                else:
                    try:
                        record = self._decode(session, resource, answer)
                    except DecodeFailed as exc:  # written, but its answer cannot be read
                        results.append(BulkResult(index=index, error=exc))
                    else:
                        results.append(BulkResult(index=index, record=record))
        return results

    # ---------------------------------------------------------------------------- incremental

    async def read_change_feed(
        self, session: ProviderSession, resources: Sequence[str], since: datetime
    ) -> ChangeFeedResult:
        unknown = [r for r in resources if r not in ENTITIES]
        if unknown:
            raise ValidationFailed(f"QuickBooks has no resource {', '.join(unknown)}", provider=self.name)
        return await change_reads.read_changes(
            self.api, session, resources, since, read_page=functools.partial(self.read_page, session)
        )

    # ----------------------------------------------------------------------------------- OAuth

    async def confirm_company(
        self, http: httpx.AsyncClient, settings: ProviderSettings, company_id: str, tokens: TokenSet
    ) -> str | None:
        return await oauth.company_name(self, http, settings, company_id, tokens)

    def token_set(
        self, payload: Mapping[str, Any], *, now: datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        tokens = super().token_set(payload, now=now, previous=previous)
        return oauth.with_refresh_expiries(tokens, payload, now)

    # -------------------------------------------------------------------------------- webhooks

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        return webhooks.parse(body, self.name)

    # -------------------------------------------------------------------------------- emulator

    def create_emulator(self, **options: Any) -> Any:
        from .emulator import create_emulator

        return create_emulator(**options)

    def emulator_command(self) -> Any:
        from .emulator.command import COMMAND

        return COMMAND

    # ------------------------------------------------------------------------------- extras

    def company_url(self, session: ProviderSession, *path: str) -> str:
        """The URL of a company path (for calls the unified API does not cover). Each argument is one
        path segment, percent-encoded: ``company_url(session, "reports", "ProfitAndLoss")``."""
        return company_url(session, *path)


__all__ = ["QuickBooksProvider"]
