"""HTTP side of the emulated Intuit OAuth 2.0 endpoints (see :mod:`.oauth` for the rules).

Paths are the real ones without their hosts: ``/connect/oauth2`` (appcenter.intuit.com),
``/oauth2/v1/tokens/bearer`` (oauth.platform.intuit.com), ``/v2/oauth2/tokens/revoke``
(developer.api.intuit.com) and the discovery documents under ``/.well-known/``.

Failures injected with ``fail_next(target="token")`` answer ``{"error": "server_error"}`` (5xx) or
``{"error": "rate_limit_exceeded"}`` (429): the real bodies of such failures are UNVERIFIED.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from unified_accounting.emulation import oauth as kit

from .emulator import QuickBooksEmulator
from .oauth import ALLOWED_SCOPES, DESCRIPTIONS

TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def _emulator(request: Request) -> QuickBooksEmulator:
    emulator: QuickBooksEmulator = request.app.state.emulator
    return emulator


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><title>Authorization error</title><h1>Authorization error</h1>"
        f"<p>{escape(message)}</p>",
        status_code=status,
    )


async def authorize(request: Request) -> Response:
    emulator = _emulator(request)
    options = emulator.options
    params = request.query_params
    try:
        checked = kit.read_authorize_request(
            params, emulator.oauth.client, allowed_scopes=ALLOWED_SCOPES, pkce=False
        )
    except kit.AuthorizePageError as error:
        return _error_page(error.description)
    except kit.AuthorizeRedirectError as error:
        return error.response()
    if options.consent == "deny":
        return checked.refuse("access_denied")
    realm_id = params.get("realmId")
    if realm_id is not None and realm_id not in emulator.realms:
        return _error_page("Unknown company.")
    if realm_id is None:
        if len(emulator.realms) > 1 and options.company_picker:
            return _picker(request, emulator)
        realm_id = emulator.default_realm_id
    code = emulator.oauth.new_code(checked, realm_id, emulator.clock.now())
    return checked.redirect({"code": code, "realmId": realm_id})


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


def _oauth_error(error: kit.OAuthError) -> JSONResponse:
    return error.described(DESCRIPTIONS).response(realm="intuit")


async def token(request: Request) -> Response:
    emulator = _emulator(request)
    tokens = emulator.oauth
    tokens.token_requests += 1
    form = await kit.read_form(request)
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        tokens.note_refresh(emulator.now(), "received")
    # Injected failures come after the request was counted, as the real endpoint counts them.
    fault = emulator.faults.take(request.url.path)
    if fault is not None:
        failed = await emulator.inject(fault, request.scope)
        if failed is not None:
            return failed
    now = emulator.clock.now()
    try:
        client = kit.client_credentials(request.headers.get("authorization"), form, body_auth=False)
        client_id = tokens.check_client(client)
        if grant_type == "authorization_code":
            grant = tokens.exchange_code(client, form, now)
        elif grant_type == "refresh_token":
            grant = tokens.refresh(client_id, form.get("refresh_token"), now)
        elif not grant_type:
            raise kit.OAuthError("invalid_request", "grant_type is required")
        else:
            raise kit.OAuthError("unsupported_grant_type")
    except kit.OAuthError as error:
        return _oauth_error(error)
    access = tokens.mint_access(grant, now)
    hard = request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
    return kit.token_response(tokens.token_response(grant, access, now, hard))


async def revoke(request: Request) -> Response:
    emulator = _emulator(request)
    raw = await request.body()
    try:
        emulator.oauth.check_client(
            kit.client_credentials(request.headers.get("authorization"), {}, body_auth=False)
        )
    except kit.OAuthError as error:
        return _oauth_error(error)
    value: Any = None
    try:
        parsed = json.loads(raw) if raw.strip() else {}
        value = parsed.get("token") if isinstance(parsed, dict) else None
    except ValueError:
        value = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}.get(
            "token"
        )
    if not isinstance(value, str) or not value:
        return _oauth_error(kit.OAuthError("invalid_request", "token is required"))
    emulator.oauth.revoke(value)
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
    Route(TOKEN_PATH, token, methods=["POST"]),
    Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"]),
    Route("/.well-known/openid_configuration", discovery, methods=["GET"]),
    Route("/.well-known/openid_configuration/", discovery, methods=["GET"]),
    Route("/.well-known/openid_sandbox_configuration", discovery, methods=["GET"]),
    Route("/.well-known/openid_sandbox_configuration/", discovery, methods=["GET"]),
]
