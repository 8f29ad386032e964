"""The Ledgerly provider: what a third party's provider package looks like.

Nothing here is about one resource: what Ledgerly serves, and how, is its codec's table
(:data:`.codec.WIRE`). Reads use the base class's ``get``/``list_page``, which decode through the
codec; this class only says how to fetch a record and a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import httpx

from unified_accounting import (
    Attachment,
    AttachmentLimits,
    AttachmentRef,
    AttachmentUpload,
    FieldIssue,
    FieldSupport,
    Invoice,
    LineItemType,
    OAuthSettings,
    Operation,
    Payment,
    Provider,
    ProviderSession,
    ProviderSettings,
    RateLimits,
    Report,
    ReportName,
    ReportPeriod,
    ReportRequest,
    TokenSet,
    WebhookEvent,
    Window,
    capabilities,
    jsonutil,
    path_segment,
)
from unified_accounting.decoding import decode_one
from unified_accounting.errors import DuplicateRecord, ProviderError, ValidationFailed
from unified_accounting.http.bodies import CHUNK, FormPart, multipart_form
from unified_accounting.http.errors import error_from_status
from unified_accounting.models import RecordMeta
from unified_accounting.provider import FetchedPage, ListQuery

from .codec import REPORT_PATHS, WIRE, LedgerlyCodec, read_attachment, read_report
from .emulator import COMMAND, create_emulator
from .webhooks import SIGNATURE_HEADER, parse_webhook

API = "https://api.ledgerly.example"


def _base(settings: ProviderSettings) -> str:
    return (settings.base_url or API).rstrip("/")


class LedgerlyProvider(Provider):
    name = "ledgerly"
    display_name = "Ledgerly"
    capabilities = capabilities(**{resource: wire.operations for resource, wire in WIRE.items()})
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {
        resource: frozenset(wire.filters) for resource, wire in WIRE.items() if wire.filters
    }
    field_support: ClassVar[FieldSupport] = {
        resource: wire.field_support for resource, wire in WIRE.items() if wire.field_support
    }
    oauth = OAuthSettings(
        authorize_url="https://auth.ledgerly.example/authorize",
        token_url="https://auth.ledgerly.example/oauth/token",
        revoke_url="https://auth.ledgerly.example/oauth/revoke",
        scopes=("books",),
        pkce=True,
        company_parameter="company",
    )
    #: Ledgerly's (fictional) published limit: 3,000 calls a minute per app and company.
    rate_limits = RateLimits(windows=(Window("minute", calls=3000, seconds=60.0),))
    webhook_signature_header = SIGNATURE_HEADER
    reports = frozenset(REPORT_PATHS)
    #: Ledgerly's (fictional) published limits on attachments.
    attachment_limits = AttachmentLimits(
        resources=frozenset({"invoice", "payment"}),
        max_bytes=5_000_000,
        max_per_record=5,
        content_types=frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv"}),
        source="Ledgerly API reference, Attachments (a fictional provider)",
    )

    codec: LedgerlyCodec

    def __init__(self) -> None:
        self.codec = LedgerlyCodec()

    def _url(self, session: ProviderSession, resource: str, *parts: str) -> str:
        company = path_segment(session.company_id, field="company_id")
        segments = (company, WIRE[resource].collection, *map(path_segment, parts))
        return "/".join((_base(session.settings), "v1/companies", *segments))

    def _company_url(self, session: ProviderSession, *parts: str) -> str:
        company = path_segment(session.company_id, field="company_id")
        return "/".join((_base(session.settings), "v1/companies", company, *parts))

    def validate(self, resource: str, record: RecordMeta, operation: Operation) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        if isinstance(record, Invoice):
            for index, line in enumerate(record.line_items):
                if line.type not in (LineItemType.SALES_ITEM, LineItemType.DESCRIPTION):
                    issues.append(
                        FieldIssue(f"line_items.{index}.type", f"Ledgerly has no {line.type} lines")
                    )
        if isinstance(record, Payment) and len(record.allocations) != 1:
            issues.append(FieldIssue("allocations", "a Ledgerly payment pays exactly one invoice"))
        return issues

    def error_from_response(self, response: httpx.Response) -> ProviderError | ValidationFailed:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            return error_from_status(self.name, response)
        if error.get("code") == "duplicate":
            return DuplicateRecord(
                error["message"], provider=self.name, status_code=409, code="duplicate", raw=error
            )
        return error_from_status(
            self.name, response, message=error.get("message"), code=error.get("code"), raw=error
        )

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        response = await session.request(
            "POST",
            self._url(session, resource),
            json=self.codec.encode(record),
            headers={"Idempotency-Key": session.new_idempotency_key()},
            idempotent=True,
        )
        return self.read_record(session, resource, response.content)

    async def fetch_record(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        return (await session.request("GET", self._url(session, resource, record_id))).content

    async def fetch_page(self, session: ProviderSession, resource: str, query: ListQuery) -> FetchedPage:
        params: dict[str, Any] = {"limit": query.page_size or 50}
        if query.cursor:
            params["after"] = query.cursor
        if query.updated_since:
            params["modified_after"] = query.updated_since.isoformat()
        for name, value in query.filters.items():
            parameter, written = WIRE[resource].filters[name]
            text = written(value)
            if text is not None:
                params[parameter] = text
        response = await session.request("GET", self._url(session, resource), params=params)
        body = decode_one(self.name, resource, response.content, jsonutil.loads)
        after = body.get("next") if isinstance(body, Mapping) else None
        return FetchedPage(body, None if after is None else str(after))

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        headers = {"If-Match": row_version} if row_version else {}
        response = await session.request(
            "PATCH",
            self._url(session, resource, record_id),
            json=self.codec.encode_changes(resource, fields),
            headers=headers,
        )
        return self.read_record(session, resource, response.content)

    async def delete(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> None:
        headers = {"If-Match": row_version} if row_version else {}
        await session.request("DELETE", self._url(session, resource, record_id), headers=headers)

    async def void(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        response = await session.request(
            "POST", self._url(session, resource, record_id, "void"), idempotent=True
        )
        return self.read_record(session, resource, response.content)

    # ----------------------------------------------------------------- reports and documents

    async def report(self, session: ProviderSession, request: ReportRequest) -> Report:
        params: dict[str, Any] = {"basis": request.accounting_method.value}
        if request.name is ReportName.PROFIT_AND_LOSS:
            assert request.start_date is not None and request.end_date is not None
            params |= {"from": request.start_date.isoformat(), "to": request.end_date.isoformat()}
            params["period"] = request.columns.value
        else:
            assert request.as_of is not None
            params["asOf"] = request.as_of.isoformat()
        issues = []
        if request.columns not in (ReportPeriod.TOTAL, ReportPeriod.MONTH) or (
            request.name is not ReportName.PROFIT_AND_LOSS and request.columns is not ReportPeriod.TOTAL
        ):
            issues.append(
                FieldIssue("columns", "Ledgerly splits only the profit and loss, and only by month")
            )
        if request.name is ReportName.AGED_RECEIVABLES:
            del params["basis"]  # ageing is of invoices: accrual by nature
            if request.customer_id is not None:
                params["customer"] = request.customer_id
        if issues:
            raise ValidationFailed("invalid report request", provider=self.name, issues=issues)
        url = self._company_url(session, "reports", REPORT_PATHS[request.name])
        response = await session.request("GET", url, params=params)
        return self.read_report(
            session, response.content, lambda body: read_report(request.name, jsonutil.loads(body))
        )

    def _attachments_url(self, session: ProviderSession, resource: str, record_id: str) -> str:
        return self._url(session, resource, record_id, "attachments")

    def _attachment(self, session: ProviderSession, data: Any) -> Attachment:
        attachment = Attachment.model_validate(read_attachment(data))
        return attachment.model_copy(update={"raw": dict(data)}) if session.include_raw else attachment

    async def upload_attachment(self, session: ProviderSession, upload: AttachmentUpload) -> Attachment:
        parts = [FormPart("file", upload.content, upload.content_type, file_name=upload.file_name)]
        if upload.note is not None:
            parts.append(FormPart("note", upload.note.encode()))
        parts.append(FormPart("public", b"true" if upload.include_online else b"false"))
        content_type, body = multipart_form(parts)
        response = await session.request(
            "POST",
            self._attachments_url(session, upload.resource, upload.record_id),
            content=body,
            headers={
                "Content-Type": content_type,
                "Content-Length": str(body.length),
                "Idempotency-Key": session.new_idempotency_key(),
            },
            idempotent=True,
        )
        return decode_one(
            self.name, "attachment", response.content, lambda b: self._attachment(session, jsonutil.loads(b))
        )

    async def list_attachments(
        self, session: ProviderSession, resource: str, record_id: str
    ) -> list[Attachment]:
        response = await session.request("GET", self._attachments_url(session, resource, record_id))

        def read(body: bytes) -> list[Attachment]:
            return [self._attachment(session, row) for row in jsonutil.loads(body)["data"]]

        return decode_one(self.name, "attachment", response.content, read, record_id=record_id)

    async def download_attachment(self, session: ProviderSession, ref: AttachmentRef) -> AsyncIterator[bytes]:
        url = self._company_url(session, "attachments", path_segment(ref.id), "content")
        async with session.stream("GET", url, headers={"Accept": "*/*"}) as response:
            async for chunk in response.aiter_bytes(CHUNK):
                yield chunk

    async def delete_attachment(self, session: ProviderSession, ref: AttachmentRef) -> None:
        await session.request("DELETE", self._company_url(session, "attachments", path_segment(ref.id)))

    async def pdf(self, session: ProviderSession, resource: str, record_id: str) -> bytes:
        url = self._url(session, resource, record_id, "pdf")
        return (await session.request("GET", url, headers={"Accept": "application/pdf"})).content

    # --------------------------------------------------------------------------- raw requests

    def api_root(self, session: ProviderSession) -> str:
        return self._company_url(session)

    def idempotent_request(
        self, session: ProviderSession, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """Ledgerly replays a write sent again with the same ``Idempotency-Key`` header."""
        if not any(name.lower() == "idempotency-key" for name in headers):
            headers = {**headers, "Idempotency-Key": session.new_idempotency_key()}
        return params, headers

    async def confirm_company(
        self, http: httpx.AsyncClient, settings: ProviderSettings, company_id: str, tokens: TokenSet
    ) -> str | None:
        """Ledgerly names the company in the callback (``company=``), like QuickBooks' ``realmId``:
        it is believed once the new token has read it."""
        url = f"{_base(settings)}/v1/companies/{path_segment(company_id, field='company')}"
        response = await self.call_with_token(http, "GET", url, tokens)
        name = response.json().get("name")
        return str(name) if name else None

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        return parse_webhook(self.name, body)

    def create_emulator(self, **options: Any) -> Any:
        return create_emulator(**options)

    def emulator_command(self) -> Any:
        return COMMAND
