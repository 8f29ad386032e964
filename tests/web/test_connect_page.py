"""The connect page, driven in-process: identity from signed links or the host, OAuth state checks,
CSRF, consumer isolation, reconnect and disconnect."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount
from ua_ledgerly.emulator import LedgerlyEmulator, create_emulator

from unified_accounting import AsyncClient, ConfigurationError, MemoryConnectionStore
from unified_accounting.vault import new_key
from unified_accounting.web import connect_link, create_connect_app
from unified_accounting.web.sessions import connect_sessions

pytestmark = pytest.mark.anyio
LEDGERLY = {
    "client_id": "ledgerly-client",
    "client_secret": "ledgerly-secret",
    "base_url": "http://ledgerly.test",
}
SIGNING_KEY = "page-signing-key-" + "s" * 32
PAGE = "http://localhost:8000"


@pytest.fixture
def ledgerly_app() -> Any:
    return create_emulator()


@pytest.fixture
def emulator(ledgerly_app: Any) -> LedgerlyEmulator:
    emulator: LedgerlyEmulator = ledgerly_app.state.emulator
    return emulator


@pytest.fixture
async def client(ledgerly_app: Any, database_url: str) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        providers={"ledgerly": LEDGERLY},
        transport=httpx.ASGITransport(app=ledgerly_app),
        database_url=database_url,
        secret_key=new_key(),
        environ={},
    ) as client:
        yield client


@pytest.fixture
def page(client: AsyncClient) -> Any:
    return create_connect_app(client, signing_key=SIGNING_KEY, public_url=PAGE)


class Browser:
    """A cookie-keeping browser stand-in that visits the page and the provider emulator."""

    def __init__(self, page: Any, provider: Any) -> None:
        self.page = httpx.AsyncClient(transport=httpx.ASGITransport(app=page), base_url=PAGE)
        self.provider = httpx.AsyncClient(transport=httpx.ASGITransport(app=provider))

    async def sign_in(self, consumer: str, **link_options: Any) -> httpx.Response:
        response = await self.page.get(connect_link(PAGE, consumer, SIGNING_KEY, **link_options))
        assert response.status_code == 303
        assert response.headers["location"] == f"{PAGE}/"  # the link does not stay in the address bar
        return await self.page.get(response.headers["location"])

    async def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', (await self.page.get("/")).text)
        assert match, "no CSRF field on the page"
        return match.group(1)

    async def start(self, provider: str = "ledgerly") -> str:
        """Click Connect: return the provider's consent URL the page redirected to."""
        response = await self.page.post(f"/connect/{provider}", data={"csrf": await self.csrf()})
        assert response.status_code == 303, response.text
        return response.headers["location"]

    async def consent(self, url: str) -> str:
        """Agree at the provider: return the callback URL it redirects back to."""
        response = await self.provider.get(url)
        assert response.status_code == 302
        return response.headers["location"]

    async def aclose(self) -> None:
        await self.page.aclose()
        await self.provider.aclose()


@pytest.fixture
async def browser(page: Any, ledgerly_app: Any) -> AsyncIterator[Browser]:
    browser = Browser(page, ledgerly_app)
    yield browser
    await browser.aclose()


async def test_a_signed_link_opens_the_page_and_connect_stores_the_company(
    browser: Browser, client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    first = await browser.sign_in("acme")
    assert first.status_code == 200 and "No company is connected yet." in first.text
    assert (
        'aria-label="Connect Ledgerly"' in first.text
        and "<script" not in first.text
        and "http" not in re.sub(r'(action|href)="[^"]*"', "", first.text).replace("http-equiv", "")
    )  # no external assets
    cookie = browser.page.cookies.get("ua_connect_session")
    assert cookie and "acme" not in cookie and "Signed in as <strong>acme</strong>" in first.text
    consent_url = await browser.start()
    assert consent_url.startswith("http://ledgerly.test/authorize?") and "code_challenge=" in consent_url
    assert f"redirect_uri={PAGE.replace(':', '%3A').replace('/', '%2F')}%2Fcallback%2Fledgerly" in consent_url
    done = await browser.page.get(await browser.consent(consent_url))
    assert done.status_code == 200 and "Connected: Ledgerly c-1." in done.text
    assert re.search(r'class="health health-ok">Connected<', done.text)
    assert [r.company_id for r in await client.connections(consumer_id="acme")] == ["c-1"]
    assert emulator.code_exchanges == 1


async def test_forged_replayed_expired_and_missing_states_are_refused_without_exchange(
    browser: Browser, client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    await browser.sign_in("acme")
    callback = await browser.consent(await browser.start())
    forged = re.sub(r"state=[^&]+", "state=forged-by-someone", callback)
    missing = re.sub(r"&?state=[^&]+", "", callback)
    for url, reason in ((forged, "not issued by this application"), (missing, "no state parameter")):
        refused = await browser.page.get(url)
        assert refused.status_code == 400 and reason in refused.text and 'role="alert"' in refused.text
    assert (await browser.page.get(callback)).status_code == 200
    replayed = await browser.page.get(callback)
    assert replayed.status_code == 400 and "already used" in replayed.text
    stale = await client.states.create_state(
        consumer_id="acme",
        provider="ledgerly",
        redirect_uri=f"{PAGE}/callback/ledgerly",
        code_verifier=None,
        lifetime=timedelta(0),
    )
    expired = await browser.page.get(f"/callback/ledgerly?code=x&company=c-1&state={stale}")
    assert expired.status_code == 400 and "longer than 10 minutes" in expired.text
    assert emulator.code_exchanges == 1


async def test_consumer_b_cannot_finish_see_or_disconnect_consumer_a(
    page: Any, ledgerly_app: Any, client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    alice, bob = Browser(page, ledgerly_app), Browser(page, ledgerly_app)
    await alice.sign_in("alice")
    await bob.sign_in("bob")
    callback = await alice.consent(await alice.start())
    stolen = await bob.page.get(callback)  # Alice's callback opened in Bob's session
    assert stolen.status_code == 400 and "started by another user" in stolen.text
    assert emulator.code_exchanges == 0
    await alice.page.get(await alice.consent(await alice.start()))
    bob_page = await bob.page.get("/?consumer_id=alice&consumer=alice")
    assert "No company is connected yet." in bob_page.text and "c-1" not in bob_page.text
    attempt = await bob.page.post(
        "/disconnect", data={"csrf": await bob.csrf(), "provider": "ledgerly", "company_id": "c-1"}
    )
    assert attempt.status_code == 400 and "has no connection" in attempt.text
    alice_csrf = await alice.csrf()
    cross = await bob.page.post(
        "/disconnect", data={"csrf": alice_csrf, "provider": "ledgerly", "company_id": "c-1"}
    )
    assert cross.status_code == 403
    assert [r.consumer_id for r in await client.connections()] == ["alice"]
    for browser in (alice, bob):
        await browser.aclose()


async def test_no_identity_no_page_and_query_parameters_do_not_identify(browser: Browser) -> None:
    for url in ("/", "/?consumer_id=acme", "/?link=forged.link", "/callback/ledgerly?state=x&code=y"):
        response = await browser.page.get(url)
        assert response.status_code == 401, url
    expired = connect_link(PAGE, "acme", SIGNING_KEY, expires_in=timedelta(seconds=-1))
    assert (await browser.page.get(expired)).status_code == 401
    other_key = connect_link(PAGE, "acme", "another-signing-key-" + "x" * 32)
    assert (await browser.page.get(other_key)).status_code == 401
    assert (await browser.page.post("/connect/ledgerly", data={"csrf": "x"})).status_code == 401


async def test_forms_without_the_csrf_token_are_refused(browser: Browser, emulator: LedgerlyEmulator) -> None:
    await browser.sign_in("acme")
    for data in ({}, {"csrf": "guess"}):
        assert (await browser.page.post("/connect/ledgerly", data=data)).status_code == 403
        assert (await browser.page.post("/disconnect", data=data)).status_code == 403


async def test_reconnect_and_disconnect(
    browser: Browser, client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    await browser.sign_in("acme")
    await browser.page.get(await browser.consent(await browser.start()))
    record = (await client.connections(consumer_id="acme"))[0]
    await client.store.save(
        record.model_copy(update={"health": "needs_reauth", "last_error": "invalid_grant"})
    )
    listed = await browser.page.get("/")
    assert "Needs reconnecting" in listed.text and "invalid_grant" in listed.text
    assert 'aria-label="Reconnect Ledgerly c-1 (Ledgerly)"' in listed.text
    again = await browser.page.get(await browser.consent(await browser.start()))
    assert "Connected: Ledgerly c-1." in again.text
    assert (await client.connections(consumer_id="acme"))[0].health.value == "ok"
    gone = await browser.page.post(
        "/disconnect", data={"csrf": await browser.csrf(), "provider": "ledgerly", "company_id": "c-1"}
    )
    assert gone.status_code == 303
    final = await browser.page.get(gone.headers["location"])
    assert "The company was disconnected." in final.text and "No company is connected yet." in final.text
    assert await client.connections() == [] and len(emulator.revoked) == 1


async def test_mounted_in_a_host_app_with_an_identify_hook(client: AsyncClient, ledgerly_app: Any) -> None:
    def signed_in_user(request: Request) -> str | None:  # the host's own session would say this
        return request.scope.get("user")

    connect_app = create_connect_app(
        client, identify=signed_in_user, public_url="https://app.example.com/accounting"
    )

    async def host(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "user": "host-user-7"}
        await Starlette(routes=[Mount("/accounting", app=connect_app)])(scope, receive, send)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=host), base_url="https://app.example.com"
    ) as web:
        listed = await web.get("/accounting/")
        assert (
            listed.status_code == 200
            and 'action="https://app.example.com/accounting/connect/ledgerly"' in listed.text
        )
        csrf = re.search(r'name="csrf" value="([^"]+)"', listed.text).group(1)  # type: ignore[union-attr]
        started = await web.post("/accounting/connect/ledgerly", data={"csrf": csrf})
        assert (
            "redirect_uri=https%3A%2F%2Fapp.example.com%2Faccounting%2Fcallback%2Fledgerly"
            in started.headers["location"]
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ledgerly_app)) as provider:
            callback = (await provider.get(started.headers["location"])).headers["location"]
        done = await web.get(callback.replace("https://app.example.com", ""))
        assert done.status_code == 200 and "Connected: Ledgerly c-1." in done.text
    assert [r.consumer_id for r in await client.connections()] == ["host-user-7"]


async def test_plain_http_outside_localhost_is_refused(client: AsyncClient) -> None:
    with pytest.raises(ConfigurationError, match="must be https"):
        create_connect_app(client, identify=lambda request: "acme", public_url="http://app.example.com")


# ------------------------------------------------------------------------ links, sessions, CSRF


async def test_a_link_opens_one_session_once(page: Any, ledgerly_app: Any) -> None:
    """A link is a bearer credential that lands in mail archives and access logs: one use only."""
    link = connect_link(PAGE, "acme", SIGNING_KEY)
    first, second = Browser(page, ledgerly_app), Browser(page, ledgerly_app)
    opened = await first.page.get(link)
    assert opened.status_code == 303 and "link=" not in opened.headers["location"]
    for browser in (second, first):  # another browser, or the same one again
        again = await browser.page.get(link)
        assert again.status_code == 401 and "can be used only once" in again.text
    assert (await second.page.get("/")).status_code == 401  # the second browser got no session
    assert (await first.page.get("/")).status_code == 200  # the first one keeps its session
    for browser in (first, second):
        await browser.aclose()


async def test_the_page_says_who_is_signed_in(browser: Browser) -> None:
    shown = await browser.sign_in("acct-42", display_name="dana@example.com")
    assert re.search(
        r"Signed in as <strong>dana@example.com</strong> <span[^>]*>\(acct-42\)</span>", shown.text
    )
    assert 'aria-describedby="signed-in-as">Sign out</button>' in shown.text


async def test_csrf_tokens_are_bound_to_the_session(page: Any, ledgerly_app: Any) -> None:
    """Two sessions of one consumer get different tokens, and neither's works in the other."""
    one, two = Browser(page, ledgerly_app), Browser(page, ledgerly_app)
    await one.sign_in("acme")
    await two.sign_in("acme")
    token_one, token_two = await one.csrf(), await two.csrf()
    assert token_one != token_two
    refused = await two.page.post("/connect/ledgerly", data={"csrf": token_one})
    assert refused.status_code == 403
    assert (await two.page.post("/connect/ledgerly", data={"csrf": token_two})).status_code == 303
    for browser in (one, two):
        await browser.aclose()


async def test_sessions_are_server_side_and_sign_out_ends_them(
    browser: Browser, client: AsyncClient, page: Any, ledgerly_app: Any
) -> None:
    await browser.sign_in("acme")
    session_id = browser.page.cookies["ua_connect_session"]
    db = await client.database()
    async with db.read() as conn:
        rows = (await conn.execute(select(connect_sessions))).all()
    assert [(r.consumer_id, r.session_hash) for r in rows] == [
        ("acme", hashlib.sha256(session_id.encode()).hexdigest())
    ]  # only the id's hash is stored
    signed_out = await browser.page.post("/sign-out", data={"csrf": await browser.csrf()})
    assert signed_out.status_code == 200 and "signed out" in signed_out.text
    assert "ua_connect_session" not in browser.page.cookies
    replay = Browser(page, ledgerly_app)  # the old cookie, kept by someone, opens nothing now
    replay.page.cookies.set("ua_connect_session", session_id)
    assert (await replay.page.get("/")).status_code == 401
    await replay.aclose()


async def test_cookie_attributes(client: AsyncClient, ledgerly_app: Any) -> None:
    for public_url, secure in (("https://app.example.com/accounting", True), (PAGE, False)):
        connect_app = create_connect_app(client, signing_key=SIGNING_KEY, public_url=public_url)
        path = "/accounting" if secure else "/"
        host = Starlette(routes=[Mount(path.rstrip("/"), app=connect_app)]) if secure else connect_app
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=host)) as web:
            opened = await web.get(connect_link(public_url, "acme", SIGNING_KEY))
        cookie = opened.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and ("secure" in cookie) is secure
        assert f"path={path}" in cookie and opened.headers["location"] == f"{public_url}/"


async def test_redirect_uris_never_come_from_request_headers(browser: Browser, client: AsyncClient) -> None:
    await browser.sign_in("acme")
    forged = {"host": "evil.example", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example"}
    listed = await browser.page.get("/", headers=forged)
    assert "evil.example" not in listed.text
    started = await browser.page.post(
        "/connect/ledgerly", data={"csrf": await browser.csrf()}, headers=forged
    )
    location = started.headers["location"]
    assert (
        "evil.example" not in location and "redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback" in location
    )
    with pytest.raises(ConfigurationError, match="public_url"):
        create_connect_app(client, signing_key=SIGNING_KEY)  # no public_url: nothing to build it from


async def test_a_link_with_trailing_garbage_is_refused(browser: Browser) -> None:
    link = connect_link(PAGE, "acme", SIGNING_KEY)
    for tampered in (link + "!", link + "=", link + "%00", link + "A"):
        assert (await browser.page.get(tampered)).status_code == 401, tampered
    assert (await browser.page.get(link)).status_code == 303


async def test_with_identify_csrf_tokens_are_bound_to_each_browser(client: AsyncClient) -> None:
    """The host owns the session; the page binds its tokens to a random cookie of each browser."""
    app = create_connect_app(client, identify=lambda request: "host-user", public_url=PAGE)
    one = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PAGE)
    two = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PAGE)
    tokens = []
    for web in (one, two):
        listed = await web.get("/")
        assert "Signed in as <strong>host-user</strong>" in listed.text and "Sign out" not in listed.text
        tokens.append(re.search(r'name="csrf" value="([^"]+)"', listed.text).group(1))  # type: ignore[union-attr]
    assert tokens[0] != tokens[1]
    assert (await two.post("/connect/ledgerly", data={"csrf": tokens[0]})).status_code == 403
    assert (await two.post("/connect/ledgerly", data={"csrf": tokens[1]})).status_code == 303
    fresh = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PAGE)  # no cookie yet
    assert (await fresh.post("/connect/ledgerly", data={"csrf": tokens[0]})).status_code == 403
    for web in (one, two, fresh):
        await web.aclose()


async def test_a_callback_naming_another_company_connects_nothing(
    browser: Browser, client: AsyncClient
) -> None:
    await browser.sign_in("acme")
    callback = await browser.consent(await browser.start())
    refused = await browser.page.get(callback.replace("company=c-1", "company=c-2"))
    assert refused.status_code == 400 and "company_not_confirmed" in refused.text
    assert await client.connections() == []


async def test_without_a_vault_sessions_live_in_memory_with_the_same_rules(ledgerly_app: Any) -> None:
    async with AsyncClient(
        providers={"ledgerly": LEDGERLY},
        transport=httpx.ASGITransport(app=ledgerly_app),
        store=MemoryConnectionStore(),
        environ={},
    ) as memory_client:
        page = create_connect_app(memory_client, signing_key=SIGNING_KEY, public_url=PAGE)
        browser = Browser(page, ledgerly_app)
        link = connect_link(PAGE, "acme", SIGNING_KEY)
        assert (await browser.page.get(link)).status_code == 303
        assert (await browser.page.get(link)).status_code == 401
        csrf = await browser.csrf()
        assert (await browser.page.post("/sign-out", data={"csrf": csrf})).status_code == 200
        assert (await browser.page.get("/")).status_code == 401
        await browser.aclose()


def test_every_connection_health_has_a_label() -> None:
    from unified_accounting.connections import ConnectionHealth
    from unified_accounting.web.app import HEALTH_LABELS

    assert set(HEALTH_LABELS) == set(ConnectionHealth)
