"""The Ledgerly provider: what a third party's provider package looks like."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from unified_accounting import (
    Customer,
    FieldIssue,
    Grant,
    Invoice,
    LineItemType,
    OAuthSettings,
    Operation,
    Page,
    Payment,
    Provider,
    ProviderSession,
    ProviderSettings,
    TokenSet,
    capabilities,
    path_segment,
)
from unified_accounting.errors import DuplicateRecord, PermissionDenied, ProviderError, ValidationFailed
from unified_accounting.http.errors import error_from_status
from unified_accounting.models import RecordMeta
from unified_accounting.oauth import client_credentials, token_request

from .codec import LedgerlyCodec, encode_fields
from .emulator import create_emulator

COLLECTION = {"customer": "customers", "invoice": "invoices", "payment": "payments"}
MODELS: dict[str, type[RecordMeta]] = {"customer": Customer, "invoice": Invoice, "payment": Payment}


class LedgerlyProvider(Provider):
    name = "ledgerly"
    display_name = "Ledgerly"
    capabilities = capabilities(
        customer="create get list update",
        invoice="create get list update delete void",
        payment="create get list",
    )
    oauth = OAuthSettings(
        authorize_url="https://auth.ledgerly.example/authorize",
        token_url="https://auth.ledgerly.example/oauth/token",
        revoke_url="https://auth.ledgerly.example/oauth/revoke",
        scopes=("books",),
        pkce=True,
    )

    def __init__(self) -> None:
        self.codec = LedgerlyCodec()

    def _url(self, session: ProviderSession, resource: str, *parts: str) -> str:
        base = (session.settings.base_url or "https://api.ledgerly.example").rstrip("/")
        company = path_segment(session.company_id, field="company_id")
        return "/".join((base, "v1/companies", company, COLLECTION[resource], *map(path_segment, parts)))

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
        return self.codec.decode(resource, response.content, session.include_raw)

    async def get(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        response = await session.request("GET", self._url(session, resource, record_id))
        return self.codec.decode(resource, response.content, session.include_raw)

    async def list_page(
        self,
        session: ProviderSession,
        resource: str,
        *,
        cursor: str | None,
        updated_since: datetime | None,
        page_size: int | None,
    ) -> Page:
        params = {"limit": page_size or 50}
        if cursor:
            params["after"] = cursor
        if updated_since:
            params["modified_after"] = updated_since.isoformat()
        response = await session.request("GET", self._url(session, resource), params=params)
        items = self.codec.decode_list(resource, response.content, session.include_raw)
        return Page(items=items, next_cursor=response.json()["next"])

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        payload = {
            **encode_fields(MODELS[resource], set(fields), fields),
            **fields.get("pass_through", {}),
        }
        headers = {"If-Match": row_version} if row_version else {}
        response = await session.request(
            "PATCH", self._url(session, resource, record_id), json=payload, headers=headers
        )
        return self.codec.decode(resource, response.content, session.include_raw)

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
        return self.codec.decode(resource, response.content, session.include_raw)

    async def exchange_code(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        *,
        code: str,
        redirect_uri: str,
        callback_params: Mapping[str, str],
        code_verifier: str | None = None,
    ) -> list[Grant]:
        """Ledgerly names the company in the callback (``company=``), like QuickBooks' ``realmId``.

        The callback passed through the user's browser, so the company is only believed once the
        new token has read it: a company the token cannot reach is refused.
        """
        company = callback_params.get("company")
        if not company:
            raise ValidationFailed("Ledgerly's callback has no company parameter", provider=self.name)
        payload = await token_request(
            self,
            http,
            settings,
            "authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )
        tokens = TokenSet.from_token_response(payload, now=datetime.now(UTC))
        base = (settings.base_url or "https://api.ledgerly.example").rstrip("/")
        response = await http.get(
            f"{base}/v1/companies/{path_segment(company, field='company')}",
            headers={"Authorization": f"Bearer {tokens.access_token.get_secret_value()}"},
        )
        if not response.is_success:
            raise PermissionDenied(
                f"Ledgerly did not confirm company {company!r} for this authorization",
                provider=self.name,
                status_code=response.status_code,
                code="company_not_confirmed",
            )
        confirmed = response.json()
        return [Grant(company_id=str(confirmed["id"]), company_name=confirmed.get("name"), tokens=tokens)]

    async def revoke(self, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet) -> None:
        token = tokens.refresh_token or tokens.access_token
        client_id, client_secret = client_credentials(self, settings)
        response = await http.post(
            self.oauth_url(settings, "revoke"),
            data={"token": token.get_secret_value()},
            auth=(client_id, client_secret),
        )
        response.raise_for_status()

    def create_emulator(self, **options: Any) -> Any:
        return create_emulator(**options)
