"""The Ledgerly provider: what a third party's provider package looks like.

Nothing here is about one resource: what Ledgerly serves, and how, is its codec's table
(:data:`.codec.WIRE`). Reads use the base class's ``get``/``list_page``, which decode through the
codec; this class only says how to fetch a record and a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from unified_accounting import (
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
    TokenSet,
    WebhookEvent,
    Window,
    capabilities,
    jsonutil,
    path_segment,
)
from unified_accounting.decoding import decode_one
from unified_accounting.errors import DuplicateRecord, ProviderError, ValidationFailed
from unified_accounting.http.errors import error_from_status
from unified_accounting.models import RecordMeta
from unified_accounting.provider import FetchedPage, ListQuery

from .codec import WIRE, LedgerlyCodec
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

    codec: LedgerlyCodec

    def __init__(self) -> None:
        self.codec = LedgerlyCodec()

    def _url(self, session: ProviderSession, resource: str, *parts: str) -> str:
        company = path_segment(session.company_id, field="company_id")
        segments = (company, WIRE[resource].collection, *map(path_segment, parts))
        return "/".join((_base(session.settings), "v1/companies", *segments))

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
