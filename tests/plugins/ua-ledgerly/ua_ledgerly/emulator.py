"""A small stateful emulator of the (fictional) Ledgerly REST API, as an ASGI app.

Ledgerly's wire format differs from the unified model on purpose (camelCase, decimal strings,
``state`` instead of status, ``If-Match`` versions) so the codec has real work to do.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from unified_accounting.webhook_signatures import sign_hmac_sha256_base64

from .webhooks import SIGNATURE_HEADER

COLLECTIONS = ("customers", "invoices", "payments")


@dataclass
class LedgerlyEmulator:
    client_id: str = "ledgerly-client"
    client_secret: str = "ledgerly-secret"
    companies: tuple[str, ...] = ("c-1",)
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    records: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    access_tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    throttled: int = 0
    retry_after: int = 0
    api_calls: int = 0
    refresh_calls: int = 0
    #: Authorization codes issued by ``/authorize`` (auto-consent) and not yet exchanged.
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_exchanges: int = 0
    revoked: list[str] = field(default_factory=list)
    #: How many coming token requests fail with 503 (a provider outage).
    token_outages: int = 0
    #: The key webhook deliveries are signed with.
    webhook_secret: str = "ledgerly-webhook-secret"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ control (tests, harness)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def throttle(self, count: int, retry_after: int = 0) -> None:
        self.throttled = count
        self.retry_after = retry_after

    def issue_tokens(self, company: str | None = None, expires_in: int = 3600) -> dict[str, Any]:
        company = company or self.companies[0]
        access, refresh = "at-" + secrets.token_hex(8), "rt-" + secrets.token_hex(8)
        self.access_tokens[access] = (company, self.now + timedelta(seconds=expires_in))
        self.refresh_tokens[refresh] = company
        return {
            "company": company,
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": self.now + timedelta(seconds=expires_in),
        }

    @property
    def refresh_count(self) -> int:
        return self.refresh_calls

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working now (refresh tokens still work)."""
        for token, (company, _) in list(self.access_tokens.items()):
            self.access_tokens[token] = (company, self.now)

    def webhook_delivery(
        self, company: str, collection: str, record_id: str, change: str
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a signed delivery saying that one record changed."""
        event = {
            "id": "evt-" + secrets.token_hex(8),
            "company": company,
            "collection": collection,
            "recordId": record_id,
            "change": change,
            "at": self.now.isoformat(),
        }
        body = json.dumps({"events": [event]}).encode()
        signature = sign_hmac_sha256_base64(body, self.webhook_secret)
        return body, {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}

    def table(self, company: str, collection: str) -> dict[str, dict[str, Any]]:
        return self.records.setdefault((company, collection), {})

    # ----------------------------------------------------------------------------- handlers

    async def authorize(self, request: Request) -> Response:
        """Consent screen stand-in: the user always agrees, for ``?company=`` or the first company."""
        query = request.query_params
        redirect_uri = query.get("redirect_uri")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        company = query.get("company") or self.companies[0]
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = {
            "company": company,
            "redirect_uri": redirect_uri,
            "challenge": query.get("code_challenge"),
        }
        separator = "&" if "?" in redirect_uri else "?"
        params = f"code={code}&company={company}"
        if query.get("state") is not None:
            params += f"&state={query['state']}"
        return RedirectResponse(f"{redirect_uri}{separator}{params}", status_code=302)

    def _authorization_code(self, form: Any) -> Response:
        pending = self.codes.pop(str(form.get("code")), None)
        if pending is None or pending["redirect_uri"] != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant", "error_description": "bad code"}, status_code=400)
        if pending["challenge"] is not None:
            verifier = str(form.get("code_verifier") or "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != pending["challenge"]:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "PKCE verification failed"},
                    status_code=400,
                )
        self.code_exchanges += 1
        issued = self.issue_tokens(pending["company"])
        return JSONResponse(
            {
                "access_token": issued["access_token"],
                "refresh_token": issued["refresh_token"],
                "expires_in": 3600,
                "token_type": "bearer",
                "scope": "books",
            }
        )

    async def revoke(self, request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token"))
        self.refresh_tokens.pop(token, None)
        self.revoked.append(token)
        return Response(status_code=200)

    async def token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        if self.token_outages:
            self.token_outages -= 1
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
        if form.get("grant_type") == "authorization_code":
            return self._authorization_code(form)
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        company = self.refresh_tokens.pop(str(form.get("refresh_token")), None)
        if company is None:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "unknown token"}, status_code=400
            )
        self.refresh_calls += 1
        issued = self.issue_tokens(company)
        return JSONResponse(
            {
                "access_token": issued["access_token"],
                "refresh_token": issued["refresh_token"],
                "expires_in": 3600,
                "token_type": "bearer",
            }
        )

    def _authorize(self, request: Request, company: str) -> Response | None:
        self.api_calls += 1
        if self.throttled:
            self.throttled -= 1
            return JSONResponse(
                {"error": {"code": "rate_limited", "message": "slow down"}},
                status_code=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        grant = self.access_tokens.get(token)
        if grant is None or grant[1] <= self.now:
            return _error(401, "unauthorized", "token missing, unknown or expired")
        if grant[0] != company:
            return _error(403, "forbidden", "token is for another company")
        return None

    async def company(self, request: Request) -> Response:
        """The company a token reaches: 403 for a token of another company."""
        company = request.path_params["company"]
        if denied := self._authorize(request, company):
            return denied
        return JSONResponse({"id": company, "name": f"Ledgerly {company}"})

    async def collection(self, request: Request) -> Response:
        company, name = request.path_params["company"], request.path_params["collection"]
        if name not in COLLECTIONS:
            return _error(404, "not_found", f"no collection {name}")
        if denied := self._authorize(request, company):
            return denied
        table = self.table(company, name)
        if request.method == "GET":
            limit = min(int(request.query_params.get("limit", "50")), 200)
            after = request.query_params.get("after")
            since = request.query_params.get("modified_after")
            rows = sorted(table.values(), key=lambda r: int(r["id"].split("-")[1]))
            if after:
                rows = [r for r in rows if int(r["id"].split("-")[1]) > int(after)]
            if since:
                cutoff = datetime.fromisoformat(since)
                rows = [r for r in rows if datetime.fromisoformat(r["updatedAt"]) > cutoff]
            page = rows[:limit]
            more = len(rows) > limit
            return JSONResponse({"data": page, "next": page[-1]["id"].split("-")[1] if more else None})
        key = request.headers.get("idempotency-key")
        if key and (company, key) in self.idempotency:
            status, body = self.idempotency[(company, key)]
            return JSONResponse(body, status_code=status)
        payload = await request.json()
        problem = self._invalid(company, name, payload)
        if problem:
            return problem
        record = self._stamp({**payload, "id": f"{name[:3]}-{next(self._ids)}", "version": 0}, created=True)
        if name == "invoices":
            record["balance"] = record["total"] = str(_total(record["lines"]))
            record.setdefault("state", "open")
        if name == "payments":
            invoice = self.table(company, "invoices")[payload["invoice"]]
            invoice["balance"] = str(Decimal(invoice["balance"]) - Decimal(payload["amount"]))
            if Decimal(invoice["balance"]) == 0:
                invoice["state"] = "paid"
            self._stamp(invoice)
        table[record["id"]] = record
        if key:
            self.idempotency[(company, key)] = (201, record)
        return JSONResponse(record, status_code=201)

    def _invalid(self, company: str, name: str, payload: dict[str, Any]) -> Response | None:
        if name in ("invoices", "payments") and payload.get("customer") not in self.table(
            company, "customers"
        ):
            return _error(422, "invalid", "customer does not exist", field="customer")
        if name == "payments":
            invoice = self.table(company, "invoices").get(payload.get("invoice", ""))
            if invoice is None:
                return _error(422, "invalid", "invoice does not exist", field="invoice")
            if Decimal(payload["amount"]) > Decimal(invoice["balance"]):
                return _error(422, "invalid", "amount exceeds the invoice balance", field="amount")
        if name == "customers":
            names = {r["name"] for r in self.table(company, "customers").values() if not r.get("archived")}
            if payload.get("name") in names:
                return _error(409, "duplicate", "a customer with this name exists", field="name")
        return None

    def _stamp(self, record: dict[str, Any], created: bool = False) -> dict[str, Any]:
        record["updatedAt"] = self.now.isoformat()
        if created:
            record["createdAt"] = record["updatedAt"]
        else:
            record["version"] += 1
        return record

    async def item(self, request: Request) -> Response:
        company, name, record_id = (request.path_params[k] for k in ("company", "collection", "id"))
        if denied := self._authorize(request, company):
            return denied
        record = self.table(company, name).get(record_id)
        if record is None or record.get("state") == "deleted":
            return _error(404, "not_found", f"{name} {record_id} does not exist")
        if request.method == "GET":
            return JSONResponse(record)
        expected = request.headers.get("if-match")
        if expected is not None and expected != str(record["version"]):
            return _error(412, "version_mismatch", f"record is at version {record['version']}")
        if request.method == "DELETE":
            if name != "invoices":
                return _error(405, "not_allowed", "only invoices can be deleted")
            record["state"] = "deleted"
            self._stamp(record)
            return Response(status_code=204)
        record.update(await request.json())
        if name == "invoices":
            record["total"] = str(_total(record["lines"]))
        return JSONResponse(self._stamp(record))

    async def void(self, request: Request) -> Response:
        company, record_id = request.path_params["company"], request.path_params["id"]
        if denied := self._authorize(request, company):
            return denied
        record = self.table(company, "invoices").get(record_id)
        if record is None:
            return _error(404, "not_found", f"invoice {record_id} does not exist")
        record.update(state="void", balance="0")
        return JSONResponse(self._stamp(record))


def _total(lines: list[dict[str, Any]]) -> Decimal:
    return sum(
        (Decimal(line.get("qty", "0")) * Decimal(line.get("price", "0")) for line in lines), Decimal(0)
    )


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def create_emulator(**options: Any) -> Starlette:
    emulator = LedgerlyEmulator(**options)
    app = Starlette(
        routes=[
            Route("/authorize", emulator.authorize, methods=["GET"]),
            Route("/oauth/token", emulator.token, methods=["POST"]),
            Route("/oauth/revoke", emulator.revoke, methods=["POST"]),
            Route("/v1/companies/{company}", emulator.company, methods=["GET"]),
            Route("/v1/companies/{company}/invoices/{id}/void", emulator.void, methods=["POST"]),
            Route("/v1/companies/{company}/{collection}", emulator.collection, methods=["GET", "POST"]),
            Route(
                "/v1/companies/{company}/{collection}/{id}", emulator.item, methods=["GET", "PATCH", "DELETE"]
            ),
        ]
    )
    app.state.emulator = emulator
    return app
