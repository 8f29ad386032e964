"""HTTP endpoints of Xero Identity and the connections API.

* ``GET /identity/connect/authorize`` — validates ``client_id`` and ``redirect_uri`` (errors shown as a page),
  then ``response_type=code``, ``scope`` and PKCE (errors redirected as ``error=...``); consents on the user's
  behalf and redirects with ``code``, ``scope`` and ``state``.  With several organisations (and without
  ``auto_grant_all_tenants``) it first shows the organisation picker, which posts back to the same path.
  ``deny_consent`` (or the picker's Cancel) redirects with ``error=access_denied``.
* ``POST /connect/token`` — ``authorization_code`` and ``refresh_token`` grants.
* ``POST /connect/revocation`` — ``token=<refresh_token>``; always 200 for an authenticated client.
* ``GET /connections`` (optional ``authEventId`` filter) and ``DELETE /connections/{id}`` (204; 404 if
  unknown).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .consent_page import render_error_page, render_tenant_picker
from .errors import json_response, problem, unauthorized
from .identity import AccessToken, TokenError

if TYPE_CHECKING:
    from .emulator import XeroEmulator

_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _emulator(request: Request) -> XeroEmulator:
    emulator: XeroEmulator = request.app.state.emulator
    return emulator


def _redirect(redirect_uri: str, params: dict[str, str | None]) -> RedirectResponse:
    clean = {k: v for k, v in params.items() if v is not None}
    url = httpx.URL(redirect_uri).copy_merge_params(clean)
    return RedirectResponse(str(url), status_code=302)


async def authorize(request: Request) -> Response:
    em = _emulator(request)
    options = em.options
    selected: list[str] | None = None
    action = "allow"
    if request.method == "POST":
        form = await request.form()
        params = {k: str(v) for k, v in form.items() if k not in ("tenant", "action")}
        selected = [str(v) for v in form.getlist("tenant")]
        action = str(form.get("action") or "allow")
    else:
        params = dict(request.query_params)
    client_id = params.get("client_id")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != options.client_id:
        return HTMLResponse(
            render_error_page("unauthorized_client", "Unknown client or client not enabled"), 400
        )
    if redirect_uri not in options.redirect_uris:
        return HTMLResponse(render_error_page("invalid_request", "Invalid redirect_uri"), 400)
    state = params.get("state")

    def fail(error: str, description: str | None = None) -> RedirectResponse:
        return _redirect(redirect_uri, {"error": error, "error_description": description, "state": state})

    if params.get("response_type") != "code":
        return fail("unsupported_response_type")
    scopes = em.identity.check_scopes(params.get("scope"))
    if scopes is None:
        return fail("invalid_scope")
    challenge = params.get("code_challenge")
    if challenge is not None or params.get("code_challenge_method") is not None:
        if params.get("code_challenge_method") != "S256":
            return fail("invalid_request", "code_challenge_method must be S256")
        if challenge is None or not _CHALLENGE.match(challenge):
            return fail("invalid_request", "code_challenge is invalid")
    if options.deny_consent or action == "deny":
        return fail("access_denied")
    tenants = [(t.tenant_id, t.name) for t in em.tenants.values()]
    if selected is not None and len(tenants) > 1 and not options.auto_grant_all_tenants:
        known = {tid for tid, _ in tenants}
        chosen = [tid for tid in selected if tid in known]
        if not chosen:
            return HTMLResponse(
                render_tenant_picker(params, tenants, "Select at least one organisation."), status_code=400
            )
    elif len(tenants) == 1 or options.auto_grant_all_tenants:
        chosen = [tid for tid, _ in tenants]
    else:
        return HTMLResponse(render_tenant_picker(params, tenants))
    code = em.identity.issue_code(client_id, redirect_uri, scopes, chosen, challenge, params.get("nonce"))
    return _redirect(redirect_uri, {"code": code, "scope": " ".join(scopes), "state": state})


def _basic(request: Request) -> tuple[str, str] | TokenError | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    if not header.lower().startswith("basic "):
        return TokenError("invalid_client", status=401)
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return TokenError("invalid_client", status=401)
    if ":" not in decoded:
        return TokenError("invalid_client", status=401)
    client_id, secret = decoded.split(":", 1)
    return unquote_plus(client_id), unquote_plus(secret)


def _token_error(exc: TokenError) -> Response:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="xero"'
    return json_response(exc.body(), exc.status, headers)


async def token(request: Request) -> Response:
    em = _emulator(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    basic = _basic(request)
    if isinstance(basic, TokenError):
        return _token_error(basic)
    try:
        result = em.identity.token(form, basic)
    except TokenError as exc:
        return _token_error(exc)
    return json_response(result, 200, _NO_STORE)


async def revocation(request: Request) -> Response:
    em = _emulator(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    basic = _basic(request)
    if isinstance(basic, TokenError):
        return _token_error(basic)
    client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
    if client_id != em.options.client_id or (secret is not None and secret != em.options.client_secret):
        return _token_error(TokenError("invalid_client", status=401 if basic else 400))
    if not form.get("token"):
        return _token_error(TokenError("invalid_request"))
    em.identity.revoke(form["token"], client_id)
    return Response(status_code=200)


def _bearer(request: Request) -> AccessToken | Response:
    result = _emulator(request).identity.authenticate(request.headers.get("authorization"))
    if isinstance(result, str):
        return unauthorized(result)
    return result


async def list_connections(request: Request) -> Response:
    token_or_error = _bearer(request)
    if isinstance(token_or_error, Response):
        return token_or_error
    connections = _emulator(request).identity.connections_for(token_or_error)
    auth_event = request.query_params.get("authEventId")
    if auth_event:
        connections = [c for c in connections if c.auth_event_id == auth_event]
    return json_response([c.wire() for c in connections])


async def delete_connection(request: Request) -> Response:
    token_or_error = _bearer(request)
    if isinstance(token_or_error, Response):
        return token_or_error
    if _emulator(request).identity.delete_connection(token_or_error, request.path_params["connection_id"]):
        return Response(status_code=204)
    return problem(404, "NotFound", "Connection not found")
