"""A small stateful emulator of the (fictional) Ledgerly REST API, as an ASGI app.

Ledgerly's wire format differs from the unified model on purpose (camelCase, decimal strings,
``state`` instead of status, ``If-Match`` versions) so the codec has real work to do.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unified_accounting.emulation import Emulator, EmulatorCommand, EmulatorOptions, Fault, emulator_app
from unified_accounting.emulation import oauth as kit
from unified_accounting.types import Scope
from unified_accounting.webhook_signatures import sign_hmac_sha256_base64

from .webhooks import SIGNATURE_HEADER

COLLECTIONS = ("customers", "invoices", "payments", "taxRates")
#: Values of a tax rate's ``state`` (Ledgerly archives a rate no longer charged; it never deletes one).
TAX_RATE_STATES = ("active", "archived")
API_PREFIX = "/v1/"
TOKEN_PATH = "/oauth/token"


@dataclass
class LedgerlyOptions(EmulatorOptions):
    """The kit's options plus Ledgerly's companies (``seed``: a few customers and invoices in each)."""

    client_id: str = "ledgerly-client"
    client_secret: str = "ledgerly-secret"
    companies: tuple[str, ...] = ("c-1",)
    access_token_ttl_s: int = 3600
    #: The key webhook deliveries are signed with.
    webhook_secret: str = "ledgerly-webhook-secret"


class LedgerlyEmulator(Emulator):
    """Ledgerly's companies, records and tokens; clock, faults and request log from the kit.

    Without ``clock`` or ``start_time`` its clock stands still (at the second it was built) until
    ``advance``: Ledgerly's timestamps are whole seconds, and tests see stable ones.
    """

    fault_targets: ClassVar[Mapping[str, str]] = {"api": API_PREFIX, "token": TOKEN_PATH}
    clock_resolution: ClassVar[timedelta] = timedelta(seconds=1)
    options: LedgerlyOptions

    def __init__(self, options: LedgerlyOptions | None = None) -> None:
        options = options or LedgerlyOptions()
        if options.clock is None and options.start_time is None:
            options = replace(options, start_time=datetime.now(UTC).replace(microsecond=0))
        super().__init__(options)
        self.companies = options.companies
        #: Authorization codes (auto-consent) grant a company; refresh tokens are single use (no grace
        #: period): ``token in emulator.refresh_tokens`` while it still works.
        self.oauth: kit.OAuthServer[str, str] = kit.OAuthServer(
            kit.OAuthClient(options.client_id, options.client_secret),
            code_ttl_s=300,
            new_code=lambda: "code-" + secrets.token_hex(8),
        )
        self.client = self.oauth.client
        self.codes = self.oauth.codes
        self.access_tokens = self.oauth.access_tokens
        self.refresh_tokens = self.oauth.refresh_tokens
        self.records: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.idempotency: dict[tuple[str, str], tuple[int, Any]] = {}
        self.refresh_calls = 0
        self.code_exchanges = 0
        self.revoked: list[str] = []
        self.webhook_secret = options.webhook_secret
        self._ids = itertools.count(1)
        if options.seed is not None:
            for company in self.companies:
                self._seed(company, random.Random(f"{options.seed}:{company}"))

    def _seed(self, company: str, rng: random.Random) -> None:
        customers = self.table(company, "customers")
        invoices = self.table(company, "invoices")
        for n in range(5):
            customer = self._stamp(
                {"id": f"cus-{next(self._ids)}", "name": f"Customer {n + 1}", "version": 0}, True
            )
            customers[customer["id"]] = customer
        for n in range(8):
            price = f"{rng.randint(10, 500)}.{rng.randint(0, 99):02d}"
            lines = [{"description": "Work", "qty": str(rng.randint(1, 4)), "price": price}]
            total = str(_total(lines))
            invoice = {
                "id": f"inv-{next(self._ids)}",
                "customer": rng.choice(list(customers)),
                "number": f"INV-{n + 1:04d}",
                "lines": lines,
                "total": total,
                "balance": total,
                "state": "open",
                "version": 0,
            }
            invoices[invoice["id"]] = self._stamp(invoice, True)

    # ------------------------------------------------------------------ control (tests, harness)

    def throttle(self, count: int, retry_after: int = 0) -> None:
        """The next ``count`` API calls answer 429 with ``Retry-After: retry_after``."""
        self.fail_next(count, 429, retry_after_s=retry_after)

    def fault_response(self, fault: Fault, scope: Scope) -> Response:
        if fault.prefix == TOKEN_PATH:
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=fault.status)
        if fault.status == 429:
            return JSONResponse(
                {"error": {"code": "rate_limited", "message": "slow down"}},
                status_code=429,
                headers={"Retry-After": str(fault.retry_after_s or 0)},
            )
        return _error(fault.status, "unavailable", "Ledgerly is unavailable, try again later")

    @property
    def api_calls(self) -> int:
        """Calls that reached the API (throttled ones included)."""
        return len(self.requests_to(API_PREFIX))

    def issue_tokens(self, company: str | None = None, expires_in: int | None = None) -> dict[str, Any]:
        company = company or self.companies[0]
        now = self.now()
        lineage = secrets.token_hex(8)
        expires_at = now + timedelta(
            seconds=self.options.access_token_ttl_s if expires_in is None else expires_in
        )
        access = self.access_tokens.issue(
            "at-" + secrets.token_hex(8), lineage, self.client.client_id, expires_at, company
        )
        refresh = self.refresh_tokens.issue(
            "rt-" + secrets.token_hex(8), lineage, self.client.client_id, now, company
        )
        return {
            "company": company,
            "access_token": access.value,
            "refresh_token": refresh.value,
            "expires_at": expires_at,
        }

    def issue_tokens_for(self, company: str | None) -> dict[str, Any]:
        return self.issue_tokens(company)

    # ``expire_access_tokens()``, ``revoke_all()`` and ``refresh_count`` (refresh requests received)
    # come from the kit; ``refresh_calls`` counts the refreshes that worked.

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
            "at": self.now().isoformat(),
        }
        body = json.dumps({"events": [event]}).encode()
        signature = sign_hmac_sha256_base64(body, self.webhook_secret)
        return body, {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}

    def table(self, company: str, collection: str) -> dict[str, dict[str, Any]]:
        return self.records.setdefault((company, collection), {})

    # ----------------------------------------------------------------------------- handlers

    async def authorize(self, request: Request) -> Response:
        """Consent screen stand-in: the user always agrees, for ``?company=`` or the first company."""
        try:
            checked = kit.read_authorize_request(request.query_params, self.client)
        except kit.AuthorizePageError:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        except kit.AuthorizeRedirectError as error:
            return error.response()
        company = request.query_params.get("company") or self.companies[0]
        code = self.codes.issue(checked, company, self.now())
        return checked.redirect({"code": code, "company": company})

    async def revoke(self, request: Request) -> Response:
        form = await kit.read_form(request)
        token = form.get("token", "")
        self.refresh_tokens.revoke(token)
        self.revoked.append(token)
        return Response(status_code=200)

    async def token(self, request: Request) -> Response:
        form = await kit.read_form(request)
        try:
            client = kit.client_credentials(request.headers.get("authorization"), form, body_auth=False)
            self.client.authenticate(client)
            if form.get("grant_type") == "authorization_code":
                code = self.codes.exchange(form, client=client, authenticated=True, now=self.now())
                self.code_exchanges += 1
                issued = self.issue_tokens(code.grant)
                return kit.token_response(self._token_body(issued) | {"scope": "books"})
            if form.get("grant_type") != "refresh_token":
                raise kit.OAuthError("unsupported_grant_type")
            self.oauth.note_refresh(self.now(), "received")
            presented = self.refresh_tokens.present(form.get("refresh_token"), client.client_id, self.now())
        except kit.OAuthError as error:
            return error.response(realm="ledgerly")
        self.refresh_tokens.revoke(presented.value)  # single use
        self.refresh_calls += 1
        return kit.token_response(self._token_body(self.issue_tokens(presented.data)))

    def _token_body(self, issued: dict[str, Any]) -> dict[str, Any]:
        return {
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
            "expires_in": self.options.access_token_ttl_s,
            "token_type": "bearer",
        }

    def _authorize(self, request: Request, company: str) -> Response | None:
        try:
            token = self.access_tokens.authenticate(request.headers.get("authorization"), self.now())
        except kit.BearerRejected:
            return _error(401, "unauthorized", "token missing, unknown or expired")
        if token.data != company:
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
            states = request.query_params.get("state")
            customer = request.query_params.get("customer")
            rows = sorted(table.values(), key=lambda r: int(r["id"].split("-")[1]))
            if states:
                rows = [r for r in rows if r.get("state") in states.split(",")]
            if customer:
                rows = [r for r in rows if r.get("customer") == customer]
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
        if name == "taxRates":
            record.setdefault("state", "active")
        if name == "invoices":
            record["balance"] = record["total"] = str(_total(record["lines"]))
            record.setdefault("state", "open")
            if not record.get("number"):  # numbered in sequence unless the invoice names its own
                record["number"] = f"INV-{len(table) + 1:04d}"
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
        if name == "taxRates":
            return _invalid_tax_rate(payload)
        return None

    def _stamp(self, record: dict[str, Any], created: bool = False) -> dict[str, Any]:
        record["updatedAt"] = self.now().isoformat()
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


def _invalid_tax_rate(payload: dict[str, Any]) -> Response | None:
    """A tax rate needs a label and a percent (a decimal string, 0 or more); parts likewise."""
    if not payload.get("label"):
        return _error(422, "invalid", "a tax rate needs a label", field="label")
    for where, part in [
        ("percent", payload),
        *((f"parts.{i}.percent", p) for i, p in enumerate(payload.get("parts") or [])),
    ]:
        try:
            percent = Decimal(str(part.get("percent")))
        except ArithmeticError:
            percent = Decimal(-1)
        if not percent.is_finite() or percent < 0:
            return _error(422, "invalid", "a percent is a decimal string, 0 or more", field=where)
    if payload.get("state", "active") not in TAX_RATE_STATES:
        return _error(422, "invalid", f"state is one of {', '.join(TAX_RATE_STATES)}", field="state")
    return None


def _total(lines: list[dict[str, Any]]) -> Decimal:
    return sum(
        (Decimal(line.get("qty", "0")) * Decimal(line.get("price", "0")) for line in lines), Decimal(0)
    )


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def create_emulator(**options: Any) -> Starlette:
    """Ledgerly's app; ``app.state.emulator`` is its :class:`LedgerlyEmulator`."""
    emulator = LedgerlyEmulator(LedgerlyOptions.from_kwargs(**options))
    routes = [
        Route("/authorize", emulator.authorize, methods=["GET"]),
        Route(TOKEN_PATH, emulator.token, methods=["POST"]),
        Route("/oauth/revoke", emulator.revoke, methods=["POST"]),
        Route("/v1/companies/{company}", emulator.company, methods=["GET"]),
        Route("/v1/companies/{company}/invoices/{id}/void", emulator.void, methods=["POST"]),
        Route("/v1/companies/{company}/{collection}", emulator.collection, methods=["GET", "POST"]),
        Route("/v1/companies/{company}/{collection}/{id}", emulator.item, methods=["GET", "PATCH", "DELETE"]),
    ]
    return emulator_app(emulator, routes, logged_headers=("idempotency-key", "if-match"))


#: ``ua sandbox ledgerly`` (the kit's shared flags; ``-o companies='["c-1","c-2"]'``).
COMMAND = EmulatorCommand(title="Ledgerly", create=create_emulator, options=LedgerlyOptions)
