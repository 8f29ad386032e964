"""The connect page: an ASGI app where a consumer connects, reconnects and disconnects companies.

Mount it in a product's Starlette or FastAPI app (``app.mount("/accounting", connect_app)``) or run
it with ``ua serve``. The consumer is never taken from something the visitor can edit: either the
host application says who is signed in (``identify=``), or the visitor arrives through a signed,
expiring, single-use link (:func:`connect_link`), exchanged on first use for a server-side session
(see :mod:`.sessions`). The page always says who is signed in. Every form carries a CSRF token
bound to the browser's session; the OAuth callback is accepted only with a state this page issued
for the same consumer, unused and under ten minutes old. Every URL the page builds — the OAuth
``redirect_uri`` first — comes from the configured ``public_url``, never from the request's
``Host`` or ``X-Forwarded-*`` headers.
"""

from __future__ import annotations

import inspect
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..client.async_client import AsyncClient
from ..connections import ConnectionHealth, ConnectionRecord
from ..errors import ConfigurationError, ProviderError, UnifiedAccountingError
from ..vault.authorize import validate_redirect_uri
from ..vault.states import AuthorizationDenied, InvalidState
from .sessions import ConnectSession, SessionStore, session_store_for
from .signing import Signer

log = logging.getLogger(__name__)

#: Returns the consumer id of the signed-in user of the host application, or ``None``.
Identify = Callable[[Request], "Awaitable[str | None] | str | None"]

SESSION_COOKIE = "ua_connect_session"
#: In ``identify=`` mode the host owns the session: this cookie is what CSRF tokens are bound to.
CSRF_COOKIE = "ua_connect_csrf"
LINK_PARAMETER = "link"
HEALTH_LABELS = {
    ConnectionHealth.OK: "Connected",
    ConnectionHealth.NEEDS_REAUTH: "Needs reconnecting",
    ConnectionHealth.REVOKED: "Revoked",
    ConnectionHealth.ERROR: "Error",
}

_templates = Environment(
    loader=PackageLoader("unified_accounting.web", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def connect_link(
    base_url: str,
    consumer_id: str,
    signing_key: str,
    *,
    expires_in: timedelta = timedelta(hours=1),
    display_name: str | None = None,
) -> str:
    """A signed link that opens the connect page (served at ``base_url``) as ``consumer_id``.

    Send it to the user (or redirect them to it) from the host application. It works once: the
    first visit trades it for a session, and it stops working after ``expires_in`` even unused.
    ``display_name`` (say, the user's email address) is shown on the page beside the consumer id,
    so the user can see whose account they are connecting companies to. ``signing_key`` must be
    the page's (``create_connect_app(signing_key=...)``).
    """
    payload: dict[str, Any] = {"c": consumer_id, "n": secrets.token_urlsafe(16)}
    if display_name:
        payload["d"] = display_name
    token = Signer(signing_key).sign("link", payload, max_age=expires_in.total_seconds())
    return f"{base_url.rstrip('/')}/?{urlencode({LINK_PARAMETER: token})}"


def page_url(public_url: str | None) -> str:
    """The page's external URL: ``public_url`` or ``UA_CONNECT_PUBLIC_URL``, checked."""
    url = public_url or os.environ.get("UA_CONNECT_PUBLIC_URL")
    if not url:
        raise ConfigurationError(
            "the connect page needs public_url= (or UA_CONNECT_PUBLIC_URL): its external URL, such as "
            "'https://app.example.com/accounting'. The OAuth redirect URI is built from it "
            "({public_url}/callback/<provider>), never from the request's Host header"
        )
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ConfigurationError(f"public_url {url!r} must not carry a query or a fragment")
    url = url.rstrip("/")
    try:
        validate_redirect_uri(f"{url}/callback/provider")
    except ConfigurationError as exc:
        raise ConfigurationError(f"public_url {url!r} is not usable for OAuth callbacks: {exc}") from None
    return url


@dataclass(frozen=True)
class ProviderChoice:
    name: str
    display_name: str
    configured: bool


class ConnectPage:
    """Request handlers of the connect page; :func:`create_connect_app` wires them into an app."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        signer: Signer,
        identify: Identify | None,
        public_url: str,
        session_max_age: timedelta,
        title: str,
        sessions: SessionStore | None = None,
    ) -> None:
        self.client = client
        self.signer = signer
        self.identify = identify
        self.public_url = public_url.rstrip("/")
        self.session_max_age = session_max_age
        self.title = title
        self._sessions = sessions
        parts = urlsplit(self.public_url)
        self.cookie_path = parts.path or "/"
        self.secure_cookies = parts.scheme == "https"

    async def sessions(self) -> SessionStore:
        if self._sessions is None:
            self._sessions = await session_store_for(self.client)
        return self._sessions

    # ------------------------------------------------------------------------------- identity

    async def signed_in(self, request: Request) -> ConnectSession | None:
        """Who is signed in, and what this browser's CSRF tokens are bound to."""
        if self.identify is not None:
            found = self.identify(request)
            if inspect.isawaitable(found):
                found = await found
            if not found:
                return None
            return ConnectSession(str(found), None, request.cookies.get(CSRF_COOKIE) or "")
        return await (await self.sessions()).find(request.cookies.get(SESSION_COOKIE))

    async def consumer(self, request: Request) -> str | None:
        session = await self.signed_in(request)
        return session.consumer_id if session else None

    def csrf_token(self, session: ConnectSession) -> str:
        """A token valid only with this browser's session (and for its consumer)."""
        if not session.binding:
            return ""
        return self.signer.digest("csrf", f"{session.binding}|{session.consumer_id}")

    async def _checked_form(self, request: Request) -> tuple[str, dict[str, str]] | Response:
        session = await self.signed_in(request)
        if session is None:
            return self.message("Sign-in needed", _SIGN_IN, status_code=401)
        form = {k: str(v) for k, v in (await request.form()).items()}
        expected = self.csrf_token(session)
        if not expected or not secrets.compare_digest(form.get("csrf", ""), expected):
            return self.message(
                "Request refused",
                "This form was not sent from the connections page (its security token is missing or "
                "wrong). Go back to the connections page and try again.",
                status_code=403,
            )
        return session.consumer_id, form

    # ------------------------------------------------------------------------------ rendering

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _templates.get_template(template).render(title=self.title, home=self.url("home"), **context)
        return HTMLResponse(
            html,
            status_code=status_code,
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action *; "
                "frame-ancestors 'self'; base-uri 'none'",
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def message(self, heading: str, text: str, *, status_code: int) -> HTMLResponse:
        return self.render("message.html", status_code, heading=heading, text=text)

    def url(self, name: str, **params: str) -> str:
        """The absolute URL of one of the page's routes, under the configured ``public_url``."""
        path = _PATHS[name].format(**{k: quote(v, safe="") for k, v in params.items()})
        return self.public_url + path

    def redirect_uri(self, provider: str) -> str:
        return self.url("callback", provider=provider)

    def providers(self) -> list[ProviderChoice]:
        choices = []
        for info in self.client.registry.infos():
            if info.provider.oauth is None:
                continue
            try:
                configured = bool(self.client.settings_for(info.name).client_id)
            except ConfigurationError:
                configured = False
            choices.append(ProviderChoice(info.name, info.provider.display_name, configured))
        return choices

    async def page(
        self, request: Request, session: ConnectSession, *, notice: str | None = None
    ) -> HTMLResponse:
        fresh_binding = None
        if self.identify is not None and not session.binding:
            # First visit in identify= mode: give this browser the value its CSRF tokens bind to.
            fresh_binding = secrets.token_urlsafe(32)
            session = ConnectSession(session.consumer_id, session.display_name, fresh_binding)
        records = await self.client.connections(consumer_id=session.consumer_id)
        names = {choice.name: choice.display_name for choice in self.providers()}
        response = self.render(
            "connections.html",
            consumer_id=session.consumer_id,
            display_name=session.display_name,
            can_sign_out=self.identify is None,
            providers=self.providers(),
            connections=[_row(record, names) for record in records],
            csrf=self.csrf_token(session),
            notice=notice,
            connect_url=lambda provider: self.url("connect", provider=provider),
            disconnect_url=self.url("disconnect"),
            sign_out_url=self.url("sign_out"),
        )
        if fresh_binding is not None:
            self._set_cookie(response, CSRF_COOKIE, fresh_binding, max_age=None)
        return response

    # ------------------------------------------------------------------------------- handlers

    async def home(self, request: Request) -> Response:
        link = request.query_params.get(LINK_PARAMETER)
        if link is not None and self.identify is None:
            return await self._open_session(request, link)
        session = await self.signed_in(request)
        if session is None:
            return self.message("Sign-in needed", _SIGN_IN, status_code=401)
        notice = {"disconnected": "The company was disconnected."}.get(request.query_params.get("done", ""))
        return await self.page(request, session, notice=notice)

    async def _open_session(self, request: Request, link: str) -> Response:
        """Trade a signed link, once, for a session; send the browser on to a URL without it."""
        payload = self.signer.verify("link", link) or {}
        consumer_id, nonce = payload.get("c"), payload.get("n")
        if not (consumer_id and isinstance(consumer_id, str) and nonce and isinstance(nonce, str)):
            return self.message(
                "Link expired or invalid",
                "This link is no longer valid. Open the accounting connections again from the application.",
                status_code=401,
            )
        display_name = payload.get("d") if isinstance(payload.get("d"), str) else None
        sessions = await self.sessions()
        session_id = await sessions.open(
            link_nonce=nonce,
            link_expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            consumer_id=consumer_id,
            display_name=display_name,
            lifetime=self.session_max_age,
        )
        if session_id is None:
            log.warning("connect page: refused a sign-in link that was used before")
            return self.message(
                "Link already used",
                "This link can be used only once, and it has been. Open the accounting connections "
                "again from the application to get a new one.",
                status_code=401,
            )
        await sessions.end(request.cookies.get(SESSION_COOKIE))  # one browser, one session
        response = RedirectResponse(self.url("home"), status_code=303)
        self._set_cookie(
            response, SESSION_COOKIE, session_id, max_age=int(self.session_max_age.total_seconds())
        )
        return response

    def _set_cookie(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=self.cookie_path,
            httponly=True,
            secure=self.secure_cookies,
            samesite="lax",
        )

    async def sign_out(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        await (await self.sessions()).end(request.cookies.get(SESSION_COOKIE))
        response = self.message(
            "Signed out",
            "You are signed out of the accounting connections page. Open it again from the "
            "application to continue.",
            status_code=200,
        )
        response.delete_cookie(
            SESSION_COOKIE, path=self.cookie_path, secure=self.secure_cookies, httponly=True, samesite="lax"
        )
        return response

    async def connect(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        consumer_id, _ = checked
        provider = request.path_params["provider"]
        try:
            url = await self.client.authorization_url(
                consumer_id=consumer_id, provider=provider, redirect_uri=self.redirect_uri(provider)
            )
        except ConfigurationError as exc:
            log.warning("connect page: cannot start %s authorization: %s", provider, exc)
            return self.message("Cannot connect", str(exc), status_code=400)
        return RedirectResponse(url, status_code=303)

    async def callback(self, request: Request) -> Response:
        session = await self.signed_in(request)
        if session is None:
            return self.message("Sign-in needed", _SIGN_IN, status_code=401)
        provider = request.path_params["provider"]
        try:
            connections = await self.client.complete_authorization(
                provider=provider,
                # Only the provider's query parameters are taken from the request, not its host.
                callback_url=f"{self.redirect_uri(provider)}?{request.url.query}",
                consumer_id=session.consumer_id,
            )
        except InvalidState as exc:
            log.warning("connect page: refused a %s callback: %s", provider, exc.problem.value)
            return self.message("Connection refused", str(exc), status_code=400)
        except AuthorizationDenied as exc:
            return self.message("Access was not granted", str(exc), status_code=400)
        except ProviderError as exc:
            return self.message("The provider failed", str(exc), status_code=502)
        except UnifiedAccountingError as exc:
            return self.message("Cannot connect", str(exc), status_code=400)
        records = [await c.record() for c in connections]
        names = ", ".join(r.company_name or r.company_id for r in records)
        return await self.page(request, session, notice=f"Connected: {names}.")

    async def disconnect(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        consumer_id, form = checked
        try:
            # The consumer comes from the session, never from the form: only their own companies.
            await self.client.disconnect(
                consumer_id=consumer_id,
                provider=form.get("provider", ""),
                company_id=form.get("company_id", ""),
                force=True,
            )
        except UnifiedAccountingError as exc:
            return self.message("Cannot disconnect", str(exc), status_code=400)
        return RedirectResponse(self.url("home") + "?done=disconnected", status_code=303)


_PATHS = {
    "home": "/",
    "connect": "/connect/{provider}",
    "callback": "/callback/{provider}",
    "disconnect": "/disconnect",
    "sign_out": "/sign-out",
}

_SIGN_IN = (
    "This page shows your accounting connections once the application has signed you in. "
    "Open it again from the application."
)


def _row(record: ConnectionRecord, names: dict[str, str]) -> dict[str, Any]:
    reauthorize_by = record.reauthorize_by
    expires_at = record.tokens.expires_at
    return {
        "provider": record.provider,
        "provider_name": names.get(record.provider, record.provider),
        "company_id": record.company_id,
        "company_name": record.company_name or record.company_id,
        "environment": record.environment,
        "health": record.health.value,
        "health_label": HEALTH_LABELS[record.health],
        "last_error": record.last_error,
        "reauthorize_by": _date(reauthorize_by),
        "reauthorize_soon": reauthorize_by is not None
        and reauthorize_by - datetime.now(UTC) < timedelta(days=14),
        "expires_at": _date(expires_at, with_time=True),
    }


def _date(value: datetime | None, *, with_time: bool = False) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")


def create_connect_app(
    client: AsyncClient,
    *,
    signing_key: str | None = None,
    identify: Identify | None = None,
    public_url: str | None = None,
    session_max_age: timedelta = timedelta(hours=8),
    title: str = "Accounting connections",
    sessions: SessionStore | None = None,
) -> Starlette:
    """The connect page for ``client``'s providers and vault, as a Starlette (ASGI) app.

    ``public_url`` (else ``UA_CONNECT_PUBLIC_URL``) is required: the page's external URL, such as
    ``https://app.example.com/accounting`` where it is mounted under ``/accounting``. Every link and
    the OAuth callback ``{public_url}/callback/{provider}`` (register it with each provider) are
    built from it; https is required outside localhost, and the cookies are ``Secure`` under https.

    ``identify(request)`` (sync or async) returns the signed-in consumer id from the host
    application, or ``None``. Without it, visitors need a single-use link from
    :func:`connect_link`, signed with ``signing_key`` (else ``UA_CONNECT_SIGNING_KEY``), which opens
    a server-side session lasting ``session_max_age``; ``sessions`` overrides where sessions are
    kept (default: the vault's database, else memory).
    """
    url = page_url(public_url)
    key = signing_key or os.environ.get("UA_CONNECT_SIGNING_KEY")
    if key is None:
        if identify is None:
            raise ConfigurationError(
                "the connect page needs identify= (who is signed in, from the host application) or a "
                "signing_key= / UA_CONNECT_SIGNING_KEY for signed links"
            )
        key = secrets.token_urlsafe(48)  # only signs CSRF tokens: a per-process key is enough
    page = ConnectPage(
        client,
        signer=Signer(key),
        identify=identify,
        public_url=url,
        session_max_age=session_max_age,
        title=title,
        sessions=sessions,
    )
    app = Starlette(
        routes=[
            Route(_PATHS["home"], page.home, methods=["GET"]),
            Route(_PATHS["connect"], page.connect, methods=["POST"]),
            Route(_PATHS["callback"], page.callback, methods=["GET"]),
            Route(_PATHS["disconnect"], page.disconnect, methods=["POST"]),
            Route(_PATHS["sign_out"], page.sign_out, methods=["POST"]),
        ]
    )
    app.state.connect_page = page
    return app
