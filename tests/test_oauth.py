"""The declared OAuth flow: client authentication, token requests, revocation, and the one mapping of
OAuth endpoint errors. HTTP goes to a recording ``httpx.MockTransport``; no provider is called."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from unified_accounting import (
    AuthenticationError,
    ConfigurationError,
    DecodeFailed,
    OAuthSettings,
    Provider,
    ProviderSettings,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
    TokenSet,
    ValidationFailed,
)
from unified_accounting.oauth import OAuthFlow, token_endpoint_error

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 1, tzinfo=UTC)
CONFIDENTIAL = ProviderSettings(client_id="app", client_secret=SecretStr("s3cret"))
PUBLIC = ProviderSettings(client_id="app")
DECLARED = OAuthSettings(
    authorize_url="https://login.acme.example/authorize",
    token_url="https://login.acme.example/token",
    revoke_url="https://login.acme.example/revoke",
    scopes=("books",),
)


class Recorder:
    """A token endpoint that records requests and answers what each test tells it."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda _: httpx.Response(200, json={"access_token": "at", "expires_in": 60}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def form(self, index: int = -1) -> dict[str, list[str]]:
        return parse_qs(self.requests[index].content.decode())


def refusal(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status)


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (refusal(400, {"error": "invalid_grant"}), ReauthorizationRequired, "connect again"),
        (refusal(400, {"error": "invalid_client"}), AuthenticationError, "UA_ACME_CLIENT_SECRET"),
        (refusal(401), AuthenticationError, "client_secret setting"),
        (refusal(400, {"error": "unauthorized_client"}), AuthenticationError, "registration"),
        (refusal(400, {"error": "invalid_scope"}), AuthenticationError, "UA_ACME_SCOPES"),
        (refusal(400, {"error": "unsupported_grant_type"}), AuthenticationError, "unsupported_grant_type"),
        (refusal(503, {"error": "temporarily_unavailable"}), ProviderUnavailable, "token endpoint failed"),
        (refusal(502), ProviderUnavailable, "token endpoint failed"),
    ],
)
def test_every_oauth_refusal_maps_onto_the_error_tree(
    answer: httpx.Response, error: type[Exception], words: str
) -> None:
    mapped = token_endpoint_error("acme", answer)
    assert type(mapped) is error and words in str(mapped)
    assert mapped.provider == "acme" and mapped.status_code == answer.status_code


def test_invalid_grant_is_not_a_client_problem_and_invalid_client_not_a_reconnection() -> None:
    grant = token_endpoint_error(
        "acme", refusal(400, {"error": "invalid_grant", "error_description": "gone"})
    )
    client = token_endpoint_error("acme", refusal(401, {"error": "invalid_client"}))
    assert grant.code == "invalid_grant" and grant.detail == "gone"
    assert not isinstance(client, ReauthorizationRequired) and client.code == "invalid_client"


def test_a_rate_limited_token_endpoint_says_how_long_to_wait() -> None:
    mapped = token_endpoint_error("acme", refusal(429, {"error": "slow_down"}, **{"Retry-After": "12"}))
    assert isinstance(mapped, RateLimited) and mapped.retry_after == 12 and mapped.retriable


async def test_a_confidential_client_authenticates_with_http_basic() -> None:
    recorder = Recorder()
    async with recorder.http() as http:
        await OAuthFlow("acme", DECLARED, CONFIDENTIAL).token_request(
            http, "refresh_token", refresh_token="rt"
        )
    request = recorder.requests[0]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"app:s3cret").decode()
    assert recorder.form() == {"grant_type": ["refresh_token"], "refresh_token": ["rt"]}


async def test_client_secret_post_puts_the_credentials_in_the_body() -> None:
    recorder = Recorder()
    declared = OAuthSettings(**{**DECLARED.__dict__, "client_auth_method": "client_secret_post"})
    async with recorder.http() as http:
        await OAuthFlow("acme", declared, CONFIDENTIAL).token_request(
            http, "refresh_token", refresh_token="rt"
        )
    assert "Authorization" not in recorder.requests[0].headers
    assert recorder.form()["client_id"] == ["app"] and recorder.form()["client_secret"] == ["s3cret"]


async def test_a_public_client_sends_only_its_client_id_and_always_uses_pkce() -> None:
    recorder = Recorder()
    declared = OAuthSettings(**{**DECLARED.__dict__, "public_clients": True})
    async with recorder.http() as http:
        await OAuthFlow("acme", declared, PUBLIC).token_request(
            http, "authorization_code", code="c", redirect_uri="https://app/cb", code_verifier="v" * 43
        )
    assert "Authorization" not in recorder.requests[0].headers
    assert recorder.form()["client_id"] == ["app"] and "client_secret" not in recorder.form()
    assert recorder.form()["code_verifier"] == ["v" * 43]
    assert declared.uses_pkce(PUBLIC) and not declared.uses_pkce(CONFIDENTIAL)
    assert not DECLARED.uses_pkce(PUBLIC)


async def test_a_client_without_a_secret_is_refused_where_public_clients_are_not_allowed() -> None:
    async with Recorder().http() as http:
        with pytest.raises(ConfigurationError, match="UA_ACME_CLIENT_SECRET"):
            await OAuthFlow("acme", DECLARED, PUBLIC).token_request(http, "refresh_token", refresh_token="rt")


async def test_declared_token_headers_go_with_every_token_request() -> None:
    recorder = Recorder()
    declared = OAuthSettings(**{**DECLARED.__dict__, "token_headers": {"x-include-hard-expiry": "true"}})
    async with recorder.http() as http:
        await OAuthFlow("acme", declared, CONFIDENTIAL).token_request(
            http, "refresh_token", refresh_token="r"
        )
    assert recorder.requests[0].headers["x-include-hard-expiry"] == "true"


async def test_an_unreadable_token_answer_is_decode_failed_without_the_body() -> None:
    recorder = Recorder(lambda _: httpx.Response(200, text="<html>sign in</html>"))
    async with recorder.http() as http:
        with pytest.raises(DecodeFailed) as caught:
            await OAuthFlow("acme", DECLARED, CONFIDENTIAL).token_request(
                http, "refresh_token", refresh_token="r"
            )
    assert caught.value.raw is None


async def test_an_unreachable_token_endpoint_is_provider_unavailable() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        with pytest.raises(ProviderUnavailable, match="token endpoint is unreachable"):
            await OAuthFlow("acme", DECLARED, CONFIDENTIAL).token_request(
                http, "refresh_token", refresh_token="r"
            )


@pytest.mark.parametrize(
    ("style", "content_type", "read"),
    [
        (
            "form",
            "application/x-www-form-urlencoded",
            lambda body: {k: v[0] for k, v in parse_qs(body).items()},
        ),
        ("json", "application/json", json.loads),
    ],
)
async def test_revocation_sends_the_refresh_token_in_the_declared_body(
    style: str, content_type: str, read: Callable[[str], dict[str, str]]
) -> None:
    recorder = Recorder(lambda _: httpx.Response(200))
    declared = OAuthSettings(**{**DECLARED.__dict__, "revocation_body": style})
    tokens = TokenSet(access_token=SecretStr("at"), refresh_token=SecretStr("rt"))
    async with recorder.http() as http:
        await OAuthFlow("acme", declared, CONFIDENTIAL).revoke(http, tokens)
    request = recorder.requests[0]
    assert str(request.url) == "https://login.acme.example/revoke"
    assert request.headers["Content-Type"] == content_type and request.headers["Authorization"].startswith(
        "Basic "
    )
    assert read(request.content.decode()) == {"token": "rt"}


async def test_a_refused_revocation_is_mapped_too() -> None:
    recorder = Recorder(lambda _: refusal(400, {"error": "invalid_client"}))
    async with recorder.http() as http:
        with pytest.raises(AuthenticationError, match="client_secret"):
            await OAuthFlow("acme", DECLARED, CONFIDENTIAL).revoke(
                http, TokenSet(access_token=SecretStr("at"))
            )


def test_the_authorization_url_carries_the_declared_parameters_and_the_challenge() -> None:
    declared = OAuthSettings(**{**DECLARED.__dict__, "authorize_params": {"prompt": "consent"}})
    settings = ProviderSettings(client_id="app", base_url="http://emulator.test/acme")
    url = OAuthFlow("acme", declared, settings).authorization_url(
        redirect_uri="https://app/cb", state="st", scopes=("books", "offline"), code_challenge="ch"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://emulator.test/acme/authorize"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": "https://app/cb",
        "scope": "books offline",
        "state": "st",
        "prompt": "consent",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
    }


class Acme(Provider):
    """A provider that declares its OAuth and overrides nothing of it."""

    name = "acme"
    display_name = "Acme Books"
    oauth: ClassVar[OAuthSettings | None] = OAuthSettings(
        **{
            **DECLARED.__dict__,
            "rotates_refresh_token": True,
            "refresh_token_idle_lifetime": timedelta(days=30),
            "company_parameter": "company",
        }
    )


async def test_a_rotating_provider_must_answer_a_refresh_with_a_new_refresh_token() -> None:
    tokens = TokenSet(access_token=SecretStr("old"), refresh_token=SecretStr("rt"))
    recorder = Recorder(lambda _: httpx.Response(200, json={"access_token": "new", "expires_in": 60}))
    async with recorder.http() as http:
        with pytest.raises(AuthenticationError, match="no new refresh token"):
            await Acme().refresh(http, CONFIDENTIAL, tokens)
        recorder.answer = lambda _: httpx.Response(200, json={"access_token": "new", "refresh_token": "rt2"})
        before = datetime.now(UTC)
        rotated = await Acme().refresh(http, CONFIDENTIAL, tokens)
    assert rotated.refresh_token is not None and rotated.refresh_token.get_secret_value() == "rt2"
    assert rotated.refresh_token_expires_at is not None
    assert rotated.refresh_token_expires_at - before >= timedelta(days=30)


async def test_a_callback_without_the_company_is_refused_before_the_code_is_spent() -> None:
    recorder = Recorder()
    async with recorder.http() as http:
        with pytest.raises(ValidationFailed, match="carries no company") as refused:
            await Acme().exchange_code(
                http, CONFIDENTIAL, code="c", redirect_uri="https://app/cb", callback_params={"code": "c"}
            )
    assert refused.value.issues[0].field == "company" and recorder.requests == []


def test_a_token_answer_keeps_an_unrotated_refresh_token_and_needs_an_access_token() -> None:
    previous = TokenSet(access_token=SecretStr("old"), refresh_token=SecretStr("rt"))
    kept = Acme().token_set({"access_token": "new", "expires_in": 60}, now=NOW, previous=previous)
    assert kept.refresh_token is not None and kept.expires_at == NOW + timedelta(seconds=60)
    with pytest.raises(DecodeFailed, match="cannot be read"):
        Acme().token_set({"token_type": "bearer"}, now=NOW)
