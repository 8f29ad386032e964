"""The connect page: an ASGI app where a consumer connects, reconnects and disconnects companies.

Mount it in a product's Starlette or FastAPI app (``app.mount("/accounting", connect_app)``) or run
it with ``ua serve``. The consumer is never taken from something the visitor can edit: either the
host application says who is signed in (``identify=``), or the visitor arrives through a signed,
expiring link (:func:`connect_link`), which is exchanged for a signed, HttpOnly session cookie.
Every form carries a CSRF token; the OAuth callback is accepted only with a state this page issued
for the same consumer, unused and under ten minutes old.
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
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..client.async_client import AsyncClient
from ..connections import ConnectionHealth, ConnectionRecord
from ..errors import ConfigurationError, ProviderError, UnifiedAccountingError
from ..vault.states import AuthorizationDenied, InvalidState
from .signing import Signer

log = logging.getLogger(__name__)

#: Returns the consumer id of the signed-in user of the host application, or ``None``.
Identify = Callable[[Request], "Awaitable[str | None] | str | None"]

SESSION_COOKIE = "ua_connect_session"
LINK_PARAMETER = "link"
HEALTH_LABELS = {
    ConnectionHealth.OK: "Connected",
    ConnectionHealth.REFRESHING: "Refreshing",
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
    base_url: str, consumer_id: str, signing_key: str, *, expires_in: timedelta = timedelta(hours=1)
) -> str:
    """A signed link that opens the connect page (served at ``base_url``) as ``consumer_id``.

    Send it to the user (or redirect them to it) from the host application; it stops working after
    ``expires_in``. ``signing_key`` must be the page's (``create_connect_app(signing_key=...)``).
    """
    token = Signer(signing_key).sign("link", {"c": consumer_id}, max_age=expires_in.total_seconds())
    return f"{base_url.rstrip('/')}/?{urlencode({LINK_PARAMETER: token})}"


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
        public_url: str | None,
        session_max_age: timedelta,
        title: str,
    ) -> None:
        self.client = client
        self.signer = signer
        self.identify = identify
        self.public_url = public_url.rstrip("/") if public_url else None
        self.session_max_age = session_max_age
        self.title = title

    # ------------------------------------------------------------------------------- identity

    async def consumer(self, request: Request) -> str | None:
        if self.identify is not None:
            found = self.identify(request)
            if inspect.isawaitable(found):
                found = await found
            return str(found) if found else None
        session = self.signer.verify("session", request.cookies.get(SESSION_COOKIE))
        return str(session["c"]) if session else None

    def csrf_token(self, consumer_id: str) -> str:
        return self.signer.digest("csrf", consumer_id)

    async def _checked_form(self, request: Request) -> tuple[str, dict[str, str]] | Response:
        consumer_id = await self.consumer(request)
        if consumer_id is None:
            return self.message(request, "Sign-in needed", _SIGN_IN, status_code=401)
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not secrets.compare_digest(form.get("csrf", ""), self.csrf_token(consumer_id)):
            return self.message(
                request,
                "Request refused",
                "This form was not sent from the connections page (its security token is missing or "
                "wrong). Go back to the connections page and try again.",
                status_code=403,
            )
        return consumer_id, form

    # ------------------------------------------------------------------------------ rendering

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _templates.get_template(template).render(
            title=self.title, home=self.url(request, "home"), **context
        )
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

    def message(self, request: Request, heading: str, text: str, *, status_code: int) -> HTMLResponse:
        return self.render(request, "message.html", status_code, heading=heading, text=text)

    @staticmethod
    def url(request: Request, name: str, **params: str) -> str:
        """An absolute URL of one of the page's routes, wherever the page is mounted."""
        root = str(request.scope.get("root_path") or "").rstrip("/")
        return str(request.url.replace(path=root + _PATHS[name].format(**params), query=""))

    def redirect_uri(self, request: Request, provider: str) -> str:
        if self.public_url:
            return f"{self.public_url}/callback/{provider}"
        return self.url(request, "callback", provider=provider)

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

    async def page(self, request: Request, consumer_id: str, *, notice: str | None = None) -> HTMLResponse:
        records = await self.client.connections(consumer_id=consumer_id)
        names = {choice.name: choice.display_name for choice in self.providers()}
        return self.render(
            request,
            "connections.html",
            consumer_id=consumer_id,
            providers=self.providers(),
            connections=[_row(record, names) for record in records],
            csrf=self.csrf_token(consumer_id),
            notice=notice,
            connect_url=lambda provider: self.url(request, "connect", provider=provider),
            disconnect_url=self.url(request, "disconnect"),
        )

    # ------------------------------------------------------------------------------- handlers

    async def home(self, request: Request) -> Response:
        link = request.query_params.get(LINK_PARAMETER)
        if link is not None and self.identify is None:
            payload = self.signer.verify("link", link)
            if payload is None:
                return self.message(
                    request,
                    "Link expired or invalid",
                    "This link is no longer valid. Open the accounting connections again from the "
                    "application.",
                    status_code=401,
                )
            response = RedirectResponse(self.url(request, "home"), status_code=303)
            self._set_session(request, response, str(payload["c"]))
            return response
        consumer_id = await self.consumer(request)
        if consumer_id is None:
            return self.message(request, "Sign-in needed", _SIGN_IN, status_code=401)
        notice = {"disconnected": "The company was disconnected."}.get(request.query_params.get("done", ""))
        return await self.page(request, consumer_id, notice=notice)

    def _set_session(self, request: Request, response: Response, consumer_id: str) -> None:
        max_age = int(self.session_max_age.total_seconds())
        response.set_cookie(
            SESSION_COOKIE,
            self.signer.sign("session", {"c": consumer_id}, max_age=max_age),
            max_age=max_age,
            path=request.scope.get("root_path") or "/",
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="lax",
        )

    async def connect(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        consumer_id, _ = checked
        provider = request.path_params["provider"]
        try:
            url = await self.client.authorization_url(
                consumer_id=consumer_id, provider=provider, redirect_uri=self.redirect_uri(request, provider)
            )
        except ConfigurationError as exc:
            log.warning("connect page: cannot start %s authorization: %s", provider, exc)
            return self.message(request, "Cannot connect", str(exc), status_code=400)
        return RedirectResponse(url, status_code=303)

    async def callback(self, request: Request) -> Response:
        consumer_id = await self.consumer(request)
        if consumer_id is None:
            return self.message(request, "Sign-in needed", _SIGN_IN, status_code=401)
        provider = request.path_params["provider"]
        try:
            connections = await self.client.complete_authorization(
                provider=provider, callback_url=str(request.url), consumer_id=consumer_id
            )
        except InvalidState as exc:
            log.warning("connect page: refused a %s callback: %s", provider, exc.problem.value)
            return self.message(request, "Connection refused", str(exc), status_code=400)
        except AuthorizationDenied as exc:
            return self.message(request, "Access was not granted", str(exc), status_code=400)
        except ProviderError as exc:
            return self.message(request, "The provider failed", str(exc), status_code=502)
        except UnifiedAccountingError as exc:
            return self.message(request, "Cannot connect", str(exc), status_code=400)
        records = [await c.record() for c in connections]
        names = ", ".join(r.company_name or r.company_id for r in records)
        return await self.page(request, consumer_id, notice=f"Connected: {names}.")

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
            return self.message(request, "Cannot disconnect", str(exc), status_code=400)
        return RedirectResponse(self.url(request, "home") + "?done=disconnected", status_code=303)


_PATHS = {
    "home": "/",
    "connect": "/connect/{provider}",
    "callback": "/callback/{provider}",
    "disconnect": "/disconnect",
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
) -> Starlette:
    """The connect page for ``client``'s providers and vault, as a Starlette (ASGI) app.

    ``identify(request)`` (sync or async) returns the signed-in consumer id from the host
    application, or ``None``. Without it, visitors need a link from :func:`connect_link`, signed with
    ``signing_key`` (else ``UA_CONNECT_SIGNING_KEY``). ``public_url`` is the page's external URL
    (``https://app.example.com/accounting``) when a proxy hides it; the OAuth callback is
    ``{public_url}/callback/{provider}``: register that redirect URI with each provider.
    """
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
        public_url=public_url,
        session_max_age=session_max_age,
        title=title,
    )
    app = Starlette(
        routes=[
            Route(_PATHS["home"], page.home, methods=["GET"]),
            Route(_PATHS["connect"], page.connect, methods=["POST"]),
            Route(_PATHS["callback"], page.callback, methods=["GET"]),
            Route(_PATHS["disconnect"], page.disconnect, methods=["POST"]),
        ]
    )
    app.state.connect_page = page
    return app
