"""HTTP side of the emulated Intuit OAuth 2.0 endpoints (see :mod:`.oauth` for the rules).

Paths are the real ones without their hosts: ``/connect/oauth2`` (appcenter.intuit.com),
``/oauth2/v1/tokens/bearer`` (oauth.platform.intuit.com), ``/v2/oauth2/tokens/revoke``
(developer.api.intuit.com) and the discovery documents under ``/.well-known/``.

Failures injected with ``fail_next(endpoint="token")`` answer ``{"error": "server_error"}`` (5xx) or
``{"error": "rate_limit_exceeded"}`` (429): the real bodies of such failures are UNVERIFIED.
"""

from __future__ import annotations

import asyncio
import json
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .oauth import ALLOWED_SCOPES, OAuthError

if TYPE_CHECKING:
    from .emulator import QuickBooksEmulator


def _emulator(request: Request) -> QuickBooksEmulator:
    emulator: QuickBooksEmulator = request.app.state.emulator
    return emulator


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><title>Authorization error</title><h1>Authorization error</h1>"
        f"<p>{escape(message)}</p>",
        status_code=status,
    )


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> RedirectResponse:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=302)


async def authorize(request: Request) -> Response:
    emulator = _emulator(request)
    options = emulator.options
    params = request.query_params
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != options.client_id:
        return _error_page("Unknown client_id.")
    if not emulator.tokens.redirect_allowed(redirect_uri):
        return _error_page("The redirect_uri is not registered for this app.")
    state = params.get("state")
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
    scopes = params.get("scope", "").split()
    if not scopes or any(scope not in ALLOWED_SCOPES for scope in scopes):
        return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
    if options.consent == "deny":
        return _redirect(redirect_uri, {"error": "access_denied", "state": state})
    realm_id = params.get("realmId")
    if realm_id is not None and realm_id not in emulator.realms:
        return _error_page("Unknown company.")
    if realm_id is None:
        if len(emulator.realms) > 1 and options.company_picker:
            return _picker(request, emulator)
        realm_id = emulator.default_realm_id
    code = emulator.tokens.new_code(client_id, redirect_uri, realm_id, " ".join(scopes), emulator.clock.now())
    return _redirect(redirect_uri, {"code": code, "state": state, "realmId": realm_id})


def _picker(request: Request, emulator: QuickBooksEmulator) -> HTMLResponse:
    base = dict(request.query_params)
    links = []
    for realm_id, realm in emulator.realms.items():
        info = realm.table("CompanyInfo").get("1")
        name = info.data.get("CompanyName", realm_id) if info else realm_id
        href = "/connect/oauth2?" + urlencode({**base, "realmId": realm_id})
        links.append(
            f'<li><a href="{escape(href)}" data-realm-id="{escape(realm_id)}">{escape(str(name))}</a></li>'
        )
    return HTMLResponse(
        "<!doctype html><title>Choose a company</title><h1>Choose a company</h1><ul>"
        + "".join(links)
        + "</ul>"
    )


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


def _oauth_error(error: OAuthError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers={"Cache-Control": "no-store"})


async def token(request: Request) -> Response:
    emulator = _emulator(request)
    tokens = emulator.tokens
    tokens.token_requests += 1
    form = await _form(request)
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        tokens.refresh_count += 1
    failure = emulator.faults.draw("token")
    if failure is not None:
        if failure.timeout:
            if emulator.options.timeout_mode == "raise":
                raise httpx.ReadTimeout("emulated token endpoint timeout")
            await asyncio.sleep(emulator.options.timeout_sleep_s)
            return JSONResponse({"error": "server_error"}, status_code=504)
        error = "rate_limit_exceeded" if failure.status == 429 else "server_error"
        return JSONResponse({"error": error}, status_code=failure.status)
    now = emulator.clock.now()
    try:
        client_id = tokens.check_client(request.headers.get("authorization"))
        if grant_type == "authorization_code":
            grant = tokens.exchange_code(client_id, form.get("code"), form.get("redirect_uri"), now)
        elif grant_type == "refresh_token":
            grant = tokens.refresh(client_id, form.get("refresh_token"), now)
        elif not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        else:
            raise OAuthError("unsupported_grant_type")
    except OAuthError as error:
        return _oauth_error(error)
    access = tokens.mint_access(grant, now)
    hard = request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
    return JSONResponse(
        tokens.token_response(grant, access, now, hard), headers={"Cache-Control": "no-store"}
    )


async def revoke(request: Request) -> Response:
    emulator = _emulator(request)
    try:
        emulator.tokens.check_client(request.headers.get("authorization"))
    except OAuthError as error:
        return _oauth_error(error)
    raw = await request.body()
    value: Any = None
    try:
        parsed = json.loads(raw) if raw.strip() else {}
        value = parsed.get("token") if isinstance(parsed, dict) else None
    except ValueError:
        value = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}.get(
            "token"
        )
    if not isinstance(value, str) or not value:
        return _oauth_error(OAuthError("invalid_request", "token is required"))
    emulator.tokens.revoke(value)
    return Response(status_code=200)


async def discovery(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "issuer": "https://oauth.platform.intuit.com/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
            "response_types_supported": ["code"],
            "scopes_supported": sorted(ALLOWED_SCOPES),
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
    )


routes = [
    Route("/connect/oauth2", authorize, methods=["GET"]),
    Route("/oauth2/v1/tokens/bearer", token, methods=["POST"]),
    Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"]),
    Route("/.well-known/openid_configuration", discovery, methods=["GET"]),
    Route("/.well-known/openid_configuration/", discovery, methods=["GET"]),
    Route("/.well-known/openid_sandbox_configuration", discovery, methods=["GET"]),
    Route("/.well-known/openid_sandbox_configuration/", discovery, methods=["GET"]),
]
