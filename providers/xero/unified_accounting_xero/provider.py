"""The Xero provider: unified operations on top of the codec, the API helpers and identity."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from unified_accounting.amounts import amounts_beyond
from unified_accounting.errors import (
    Conflict,
    DecodeFailed,
    FieldIssue,
    NotFound,
    ProviderError,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.models import RecordMeta, WebhookEvent
from unified_accounting.provider import (
    BulkResult,
    BulkUpdate,
    ChangeFeedResult,
    FetchedPage,
    ListQuery,
    Operation,
    Provider,
    ProviderSession,
    ProviderSettings,
    capabilities,
)
from unified_accounting.ratelimits import LimitFeedback, RateLimits, Window
from unified_accounting.tokens import Grant, TokenSet
from unified_accounting.types import ASGIApp

from . import api, limits, oauth, rules, webhooks
from .changes import read_changes
from .codec import RESOURCES, EncodeOptions, XeroCodec, encode_changes
from .errors import PROVIDER, XeroRateLimited, element_error, error_from_response
from .models import Account
from .settings import XeroSettings, xero_settings
from .versions import record_version


def _options(session: ProviderSession) -> EncodeOptions:
    return EncodeOptions.from_settings(xero_settings(session.settings))


def _check_version(resource: str, current: Mapping[str, Any], expected: str | None) -> None:
    """Xero has no version token: compare the version derived from what the caller read."""
    if expected is None:
        return
    actual = record_version(current)
    if actual != expected:
        raise Conflict(
            f"the Xero {resource} changed since it was read: read it again and reapply the change",
            provider=PROVIDER,
            code="StaleRowVersion",
            detail=f"row_version is {actual}, the update was based on {expected}",
        )


class XeroProvider(Provider):
    name = "xero"
    display_name = "Xero"
    settings_model = XeroSettings
    capabilities = capabilities(
        invoice="create get list update delete void bulk_create bulk_update",
        customer="create get list update archive bulk_create bulk_update",
        payment="create get list delete",
        account="get list",
        item="get list",
    )
    #: Xero's own resources (not in the unified catalog): ``conn.resource("account")``.
    models: ClassVar[Mapping[str, type[RecordMeta]]] = {"account": Account}
    oauth = oauth.OAUTH
    rate_limits = limits.RATE_LIMITS
    webhook_signature_header = webhooks.SIGNATURE_HEADER
    codec: XeroCodec
    #: The largest amount sent to Xero (see ``rules.MAX_AMOUNT``); larger ones are refused before any call.
    max_amount = rules.MAX_AMOUNT

    def __init__(self) -> None:
        self.codec = XeroCodec()

    # ------------------------------------------------------------------------------ HTTP plumbing

    def default_headers(self, session: ProviderSession) -> dict[str, str]:
        return {"Accept": "application/json", "xero-tenant-id": session.company_id}

    def error_from_response(self, response: httpx.Response) -> ProviderError | ValidationFailed:
        return error_from_response(response)

    # ----------------------------------------------------------------------------- rate limits

    def limits_for(self, settings: ProviderSettings) -> RateLimits:
        chosen = xero_settings(settings)
        return limits.RATE_LIMITS.adjusted(
            calls={
                "minute": chosen.minute_call_limit,
                "day": chosen.effective_daily_budget,
                "appminute": chosen.app_minute_call_limit,
            },
            concurrent=chosen.concurrent_call_limit,
        )

    def rate_limit_feedback(self, response: httpx.Response) -> LimitFeedback | None:
        return limits.feedback(response)

    def rate_limit_refusal(self, window: Window, retry_after: float) -> XeroRateLimited:
        return XeroRateLimited(
            f"the {window.name} Xero call budget of this organisation is spent "
            f"({window.calls} calls per {window.seconds:g} s)",
            limit_kind=window.name,
            retry_after=retry_after,
            provider=PROVIDER,
            code=limits.REFUSAL_CODES.get(window.name, window.name),
        )

    # -------------------------------------------------------------------------------- validation

    def validate(self, resource: str, record: RecordMeta, operation: Operation) -> list[FieldIssue]:
        issues = amounts_beyond(record, self.max_amount, provider=self.name)
        return issues + rules.check_record(resource, record)

    def validate_update(self, resource: str, fields: Mapping[str, Any]) -> list[FieldIssue]:
        issues = amounts_beyond(fields, self.max_amount, provider=self.name)
        return issues + rules.check_changes(resource, fields)

    # -------------------------------------------------------------------------------- operations

    def _decode(self, session: ProviderSession, resource: str, element: Mapping[str, Any]) -> Any:
        return self.read_record(session, resource, element)

    async def _write_one(
        self,
        session: ProviderSession,
        resource: str,
        method: str,
        element: Mapping[str, Any],
        record_id: str | None,
    ) -> Any:
        written = await api.write(session, resource, method, [element], record_id=record_id)
        if not written:
            raise ProviderError(f"Xero answered the {resource} write without the record", provider=PROVIDER)
        if api.has_errors(written[0]):
            raise element_error(written[0])
        return self._decode(session, resource, written[0])

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        self.require(resource, Operation.CREATE)
        payload = self.codec.encode(record, _options(session))
        return await self._write_one(session, resource, "PUT", payload, None)

    async def fetch_record(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        self.require(resource, Operation.GET)
        return await api.fetch_record(session, resource, record_id)

    async def fetch_page(self, session: ProviderSession, resource: str, query: ListQuery) -> FetchedPage:
        self.require(resource, Operation.LIST)
        try:
            page = int(query.cursor) if query.cursor else 1
        except ValueError:
            raise ValidationFailed(
                "invalid list cursor",
                issues=[FieldIssue("cursor", f"{query.cursor!r} is not a Xero page number")],
            ) from None
        size = min(query.page_size or xero_settings(session.settings).page_size, 1000)
        raw = await api.fetch_page(
            session, resource, page=page, page_size=size, updated_since=query.updated_since
        )
        return FetchedPage(raw.items, str(raw.next_page) if raw.next_page else None)

    async def _current(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> dict[str, Any]:
        """Read first and compare, then write: Xero itself would accept a stale write."""
        current = await api.fetch_record(session, resource, record_id)
        _check_version(resource, current, row_version)
        return current

    async def _set(
        self, session: ProviderSession, resource: str, current: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> Any:
        record_id = api.id_of(resource, current)
        element = {RESOURCES[resource][1]: record_id, **fields}
        return await self._write_one(session, resource, "POST", element, record_id)

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        self.require(resource, Operation.UPDATE)
        current = await self._current(session, resource, record_id, row_version)
        return await self._set(
            session, resource, current, encode_changes(resource, fields, _options(session))
        )

    async def delete(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> None:
        self.require(resource, Operation.DELETE)
        current = await self._current(session, resource, record_id, row_version)
        status = str(current.get("Status", "")).upper()
        if status in ("DELETED", "VOIDED"):
            return  # already gone
        if resource == "invoice" and status not in ("DRAFT", "SUBMITTED"):
            # Xero deletes only unapproved invoices. Voiding instead would keep the invoice on the
            # books under another status than the caller asked for, so say so and let them choose.
            raise ValidationFailed(
                f"Xero cannot delete a {status} invoice: only DRAFT and SUBMITTED ones can be deleted",
                issues=[FieldIssue("status", "void the invoice instead (conn.invoices.void(id))")],
                provider=self.name,
            )
        if resource == "invoice":
            await self._set(session, resource, current, {"Status": "DELETED"})
        else:
            await self._set(session, resource, current, {"Status": "DELETED"})

    async def void(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        self.require(resource, Operation.VOID)
        current = await self._current(session, resource, record_id, row_version)
        return await self._set(session, resource, current, {"Status": "VOIDED"})

    async def archive(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        self.require(resource, Operation.ARCHIVE)
        current = await self._current(session, resource, record_id, row_version)
        return await self._set(session, resource, current, {"ContactStatus": "ARCHIVED"})

    def _batches(self, session: ProviderSession, count: int) -> list[range]:
        size = xero_settings(session.settings).bulk_batch_size
        return [range(start, min(start + size, count)) for start in range(0, count, size)]

    async def _bulk_write(
        self,
        session: ProviderSession,
        resource: str,
        method: str,
        elements: Mapping[int, Mapping[str, Any]],
        results: dict[int, BulkResult],
    ) -> None:
        """Write ``elements`` (input index → Xero element) in batches; per-element outcomes."""
        indices = sorted(elements)
        failure: Exception | None = None
        for batch in self._batches(session, len(indices)):
            chosen = [indices[i] for i in batch]
            if failure is None:
                try:
                    written = await api.write(
                        session, resource, method, [elements[i] for i in chosen], summarize_errors=False
                    )
                except (ProviderError, ValidationFailed) as exc:
                    # The whole request failed (after retries): later batches would fail alike.
                    failure = exc
            if failure is not None:
                results.update({i: BulkResult(i, error=failure) for i in chosen})
                continue
            for index, element in zip(chosen, written, strict=False):
                if api.has_errors(element):
                    results[index] = BulkResult(index, error=element_error(element))
                    continue
                try:
                    results[index] = BulkResult(index, record=self._decode(session, resource, element))
                except DecodeFailed as exc:  # written, but the answer cannot be read
                    results[index] = BulkResult(index, error=exc)
            for index in chosen[len(written) :]:
                results[index] = BulkResult(
                    index, error=ProviderError("Xero skipped this element", provider=PROVIDER)
                )

    async def bulk_create(
        self, session: ProviderSession, resource: str, records: Sequence[RecordMeta]
    ) -> list[BulkResult]:
        self.require(resource, Operation.BULK_CREATE)
        options = _options(session)
        results: dict[int, BulkResult] = {}
        elements = {i: self.codec.encode(record, options) for i, record in enumerate(records)}
        await self._bulk_write(session, resource, "PUT", elements, results)
        return [results[i] for i in range(len(records))]

    async def bulk_update(
        self, session: ProviderSession, resource: str, updates: Sequence[BulkUpdate]
    ) -> list[BulkResult]:
        self.require(resource, Operation.BULK_UPDATE)
        options = _options(session)
        id_field = RESOURCES[resource][1]
        results: dict[int, BulkResult] = {}
        current: dict[str, dict[str, Any]] = {}
        for batch in self._batches(session, len(updates)):
            current.update(await api.fetch_records(session, resource, [updates[i].id for i in batch]))
        elements: dict[int, Mapping[str, Any]] = {}
        for index, update in enumerate(updates):
            record = current.get(update.id.lower())
            try:
                if record is None:
                    raise NotFound(f"no {resource} {update.id!r}", provider=PROVIDER, status_code=404)
                _check_version(resource, record, update.row_version)
            except ProviderError as exc:
                results[index] = BulkResult(index, error=exc)
                continue
            changes = encode_changes(resource, update.fields, options)
            elements[index] = {id_field: api.id_of(resource, record), **changes}
        await self._bulk_write(session, resource, "POST", elements, results)
        return [results[i] for i in range(len(updates))]

    async def read_change_feed(
        self, session: ProviderSession, resources: Sequence[str], since: datetime
    ) -> ChangeFeedResult:
        for resource in resources:
            self.require(resource, Operation.LIST)
        return await read_changes(session, resources, since, functools.partial(self.read_page, session))

    # ------------------------------------------------------------------------------------- OAuth

    def oauth_scopes(self, settings: ProviderSettings) -> tuple[str, ...]:
        return tuple(settings.scopes or oauth.default_scopes(settings))

    async def granted_companies(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        tokens: TokenSet,
        callback_params: Mapping[str, str],
    ) -> list[Grant]:
        return await oauth.granted_companies(self, http, settings, tokens)

    async def disconnect(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        tokens: TokenSet,
        grant_metadata: Mapping[str, str],
    ) -> None:
        await oauth.disconnect(self, http, settings, tokens, grant_metadata)

    # ---------------------------------------------------------------------------------- webhooks

    def webhook_response_status(self, body: bytes, headers: Mapping[str, str], secret: str) -> int:
        """What to answer a delivery, the intent-to-receive check included: 200 if signed right, else 401."""
        return 200 if self.verify_webhook(body, headers, secret) else 401

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        return webhooks.parse(body)

    # ---------------------------------------------------------------------------------- emulator

    def create_emulator(self, **options: Any) -> ASGIApp:
        try:
            from .emulator import create_emulator
        except ImportError as exc:  # pragma: no cover - the emulator ships in this distribution
            raise UnsupportedOperation(self.name, "emulator") from exc
        app: ASGIApp = create_emulator(**options)
        return app

    def emulator_command(self) -> Any:
        from .emulator.command import COMMAND

        return COMMAND
