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

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from unified_accounting.emulation import oauth as kit

from .consent_page import render_error_page, render_tenant_picker
from .emulator import XeroEmulator
from .errors import json_response, problem, unauthorized
from .identity import DESCRIPTIONS, Holder


def _emulator(request: Request) -> XeroEmulator:
    emulator: XeroEmulator = request.app.state.emulator
    return emulator


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
    try:
        checked = kit.read_authorize_request(
            params, em.identity.client, allowed_scopes=options.allowed_scopes
        )
    except kit.AuthorizePageError as error:
        return HTMLResponse(render_error_page(error.error, error.description), 400)
    except kit.AuthorizeRedirectError as error:
        return error.response()
    if options.deny_consent or action == "deny":
        return checked.refuse("access_denied")
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
    code = em.identity.issue_code(
        checked.client_id,
        checked.redirect_uri,
        checked.scopes,
        chosen,
        checked.challenge,
        params.get("nonce"),
    )
    return checked.redirect({"code": code, "scope": " ".join(checked.scopes)})


def _token_error(error: kit.OAuthError) -> Response:
    return error.described(DESCRIPTIONS).response(realm="xero")


async def token(request: Request) -> Response:
    em = _emulator(request)
    form = await kit.read_form(request)
    try:
        result = em.identity.token(form, request.headers.get("authorization"))
    except kit.OAuthError as error:
        return _token_error(error)
    return kit.token_response(result)


async def revocation(request: Request) -> Response:
    em = _emulator(request)
    form = await kit.read_form(request)
    try:
        client = kit.client_credentials(request.headers.get("authorization"), form)
        em.identity.client.authenticate(client)  # a public client names itself without a secret
    except kit.OAuthError as error:
        return _token_error(error)
    if not form.get("token"):
        return _token_error(kit.OAuthError("invalid_request"))
    em.identity.revoke(form["token"], client.client_id)
    return Response(status_code=200)


def _bearer(request: Request) -> kit.AccessToken[Holder] | Response:
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
