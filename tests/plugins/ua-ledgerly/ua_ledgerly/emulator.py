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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unified_accounting.emulation import Emulator, EmulatorCommand, EmulatorOptions, Fault, emulator_app
from unified_accounting.emulation import oauth as kit
from unified_accounting.emulation.pdf import document_pdf
from unified_accounting.types import Scope
from unified_accounting.webhook_signatures import sign_hmac_sha256_base64

from . import books
from .webhooks import SIGNATURE_HEADER

COLLECTIONS = ("customers", "invoices", "payments", "taxRates")
#: Values of a tax rate's ``state`` (Ledgerly archives a rate no longer charged; it never deletes one).
TAX_RATE_STATES = ("active", "archived")
API_PREFIX = "/v1/"
#: Collections whose records hold files, and Ledgerly's (fictional) published limits on them.
ATTACHABLE = ("invoices", "payments")
ATTACHMENT_MAX_BYTES = 5_000_000
ATTACHMENTS_PER_RECORD = 5
ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv")
#: Where an attachment's temporary download link points (no API call, no token needed; any host
#: reaches the app in process), and how long a link works.
FILES_HOST = "https://files.ledgerly.example"
LINK_TTL = timedelta(minutes=15)
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
        #: Attached files by (company, attachment id): Ledgerly's metadata and the bytes.
        self.attachments: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}
        #: Download links: token → (company, attachment id, when issued).
        self.links: dict[str, tuple[str, str, datetime]] = {}
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

    # ----------------------------------------------------------------- reports, files, PDFs

    async def report(self, request: Request) -> Response:
        company, name = request.path_params["company"], request.path_params["report"]
        if denied := self._authorize(request, company):
            return denied
        if name not in books.REPORTS:
            return _error(404, "not_found", f"no report {name}")
        query = request.query_params
        invoices = list(self.table(company, "invoices").values())
        payments = list(self.table(company, "payments").values())
        try:
            basis = query.get("basis", "accrual")
            if basis not in ("accrual", "cash"):
                raise books.ReportRequestError("basis", "basis is accrual or cash")
            entries = books.postings(invoices, payments, basis)
            if name == "profitAndLoss":
                start, end = _query_date(query, "from"), _query_date(query, "to")
                body = books.profit_and_loss(entries, start, end, query.get("period", "total"), basis)
            elif name == "agedReceivables":
                customers = self.table(company, "customers")
                body = books.aged_receivables(
                    customers, invoices, payments, _query_date(query, "asOf"), query.get("customer")
                )
            elif name == "balanceSheet":
                body = books.balance_sheet(entries, _query_date(query, "asOf"), basis)
            else:
                body = books.trial_balance(entries, _query_date(query, "asOf"), basis)
        except books.ReportRequestError as error:
            return _error(422, "invalid", str(error), field=error.field)
        return JSONResponse(body)

    async def pdf(self, request: Request) -> Response:
        company, record_id = request.path_params["company"], request.path_params["id"]
        if denied := self._authorize(request, company):
            return denied
        invoice = self.table(company, "invoices").get(record_id)
        if invoice is None or invoice.get("state") == "deleted":
            return _error(404, "not_found", f"invoice {record_id} does not exist")
        lines = [
            f"{line.get('description') or ''}  {line.get('qty', '')} x {line.get('price', '')}"
            for line in invoice.get("lines", [])
        ]
        title = f"Invoice {invoice.get('number') or invoice['id']}"
        document = document_pdf(title, [*lines, f"Total {invoice['total']}", f"Due {invoice['balance']}"])
        return Response(document, media_type="application/pdf")

    async def record_attachments(self, request: Request) -> Response:
        company, name, record_id = (request.path_params[k] for k in ("company", "collection", "id"))
        if denied := self._authorize(request, company):
            return denied
        if name not in ATTACHABLE:
            return _error(404, "not_found", f"{name} records hold no attachments")
        record = self.table(company, name).get(record_id)
        if record is None or record.get("state") == "deleted":
            return _error(404, "not_found", f"{name} {record_id} does not exist")
        held = [
            meta
            for (owner, _), (meta, _) in self.attachments.items()
            if owner == company and meta["parent"] == {"collection": name, "id": record_id}
        ]
        if request.method == "GET":
            return JSONResponse({"data": sorted(held, key=lambda meta: int(meta["id"].split("-")[1]))})
        if len(held) >= ATTACHMENTS_PER_RECORD:
            return _error(409, "too_many_files", f"a record holds at most {ATTACHMENTS_PER_RECORD} files")
        declared = int(request.headers.get("content-length") or 0)
        if declared > ATTACHMENT_MAX_BYTES + 64 * 1024:
            return _error(413, "too_large", f"files are at most {ATTACHMENT_MAX_BYTES} bytes", field="file")
        async with request.form(max_part_size=ATTACHMENT_MAX_BYTES + 1) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                return _error(422, "invalid", "the form has no file part", field="file")
            content = await upload.read()
            kind = (upload.content_type or "").split(";")[0].strip().lower()
            note, public = form.get("note"), form.get("public") == "true"
            file_name = upload.filename or ""
        if len(content) > ATTACHMENT_MAX_BYTES:
            return _error(413, "too_large", f"files are at most {ATTACHMENT_MAX_BYTES} bytes", field="file")
        if kind not in ATTACHMENT_TYPES:
            return _error(415, "unsupported_type", f"{kind} files are not accepted", field="file")
        attachment_id = f"att-{next(self._ids)}"
        meta = self._stamp(
            {
                "id": attachment_id,
                "fileName": file_name,
                "mimeType": kind,
                "bytes": len(content),
                "note": note if isinstance(note, str) else None,
                "public": public,
                "parent": {"collection": name, "id": record_id},
                "downloadUrl": self._link(company, attachment_id),
                "version": 0,
            },
            created=True,
        )
        self.attachments[(company, attachment_id)] = (meta, content)
        return JSONResponse(meta, status_code=201)

    def _link(self, company: str, attachment_id: str) -> str:
        token = secrets.token_urlsafe(16)
        self.links[token] = (company, attachment_id, self.now())
        return f"{FILES_HOST}/t/{token}"

    async def linked_file(self, request: Request) -> Response:
        """A download link: works without a token for 15 minutes, like a signed URL."""
        link = self.links.get(request.path_params["token"])
        if link is None or self.now() - link[2] > LINK_TTL:
            return Response("link expired or unknown", status_code=403, media_type="text/plain")
        held = self.attachments.get((link[0], link[1]))
        if held is None:
            return Response("no such file", status_code=404, media_type="text/plain")
        return Response(held[1], media_type=held[0]["mimeType"])

    async def attachment(self, request: Request) -> Response:
        company, attachment_id = request.path_params["company"], request.path_params["id"]
        if denied := self._authorize(request, company):
            return denied
        held = self.attachments.get((company, attachment_id))
        if held is None:
            return _error(404, "not_found", f"attachment {attachment_id} does not exist")
        meta, content = held
        if request.method == "DELETE":
            del self.attachments[(company, attachment_id)]
            return Response(status_code=204)
        if request.url.path.endswith("/content"):
            return Response(content, media_type=meta["mimeType"])
        return JSONResponse(meta)


def _query_date(query: Mapping[str, str], name: str) -> date:
    try:
        return date.fromisoformat(query[name])
    except (KeyError, ValueError):
        raise books.ReportRequestError(name, f"{name} is a date (YYYY-MM-DD)") from None


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
        Route("/v1/companies/{company}/invoices/{id}/pdf", emulator.pdf, methods=["GET"]),
        Route("/t/{token}", emulator.linked_file, methods=["GET"]),
        Route("/v1/companies/{company}/reports/{report}", emulator.report, methods=["GET"]),
        Route("/v1/companies/{company}/attachments/{id}", emulator.attachment, methods=["GET", "DELETE"]),
        Route("/v1/companies/{company}/attachments/{id}/content", emulator.attachment, methods=["GET"]),
        Route(
            "/v1/companies/{company}/{collection}/{id}/attachments",
            emulator.record_attachments,
            methods=["GET", "POST"],
        ),
        Route("/v1/companies/{company}/{collection}", emulator.collection, methods=["GET", "POST"]),
        Route("/v1/companies/{company}/{collection}/{id}", emulator.item, methods=["GET", "PATCH", "DELETE"]),
    ]
    return emulator_app(emulator, routes, logged_headers=("idempotency-key", "if-match"))


#: ``ua sandbox ledgerly`` (the kit's shared flags; ``-o companies='["c-1","c-2"]'``).
COMMAND = EmulatorCommand(title="Ledgerly", create=create_emulator, options=LedgerlyOptions)
