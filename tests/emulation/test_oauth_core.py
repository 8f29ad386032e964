"""The kit's OAuth authorization-server core."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from unified_accounting.emulation.oauth import (
    AccessTokens,
    AuthorizationCode,
    AuthorizationCodes,
    AuthorizePageError,
    AuthorizeRedirectError,
    BearerRejected,
    ClientCredentials,
    OAuthClient,
    OAuthError,
    RefreshTokens,
    client_credentials,
    pkce_challenge,
    read_authorize_request,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
CLIENT = OAuthClient("app id", "s3cret:with/odd+chars", redirect_uris=["http://localhost:8000/callback"])
VERIFIER = "v" * 43
BASE = {
    "client_id": "app id",
    "redirect_uri": "http://localhost:8000/callback",
    "response_type": "code",
    "scope": "read write read",
    "state": "st",
}


def basic(client_id: str, secret: str, *, form_encode: bool = True) -> str:
    from urllib.parse import quote_plus

    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}" if form_encode else f"{client_id}:{secret}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def reason(caught: pytest.ExceptionInfo[OAuthError]) -> tuple[str, str | None, int]:
    return caught.value.error, caught.value.reason, caught.value.status


def test_client_authentication_by_basic_header_or_body() -> None:
    by_header = client_credentials(basic("app id", "s3cret:with/odd+chars"), {})
    assert by_header == ClientCredentials("app id", "s3cret:with/odd+chars", basic=True)
    assert CLIENT.authenticate(by_header) is True
    by_body = client_credentials(None, {"client_id": "app id", "client_secret": "s3cret:with/odd+chars"})
    assert CLIENT.authenticate(by_body) is True
    public = client_credentials(None, {"client_id": "app id"})
    assert CLIENT.authenticate(public) is False  # only a PKCE flow may go on
    with pytest.raises(OAuthError) as caught:
        CLIENT.authenticate(client_credentials(basic("app id", "wrong"), {}))
    assert reason(caught) == ("invalid_client", "wrong_secret", 401)
    with pytest.raises(OAuthError) as caught:
        CLIENT.authenticate(client_credentials(None, {"client_id": "other", "client_secret": "x"}))
    assert reason(caught) == ("invalid_client", "unknown_client", 400)


@pytest.mark.parametrize(
    "header", ["Bearer abc", "Basic not-base64!", "Basic " + base64.b64encode(b"nocolon").decode()]
)
def test_a_malformed_authorization_header_is_invalid_client(header: str) -> None:
    with pytest.raises(OAuthError) as caught:
        client_credentials(header, {"client_id": "app id", "client_secret": "x"})
    assert caught.value.error == "invalid_client" and caught.value.status == 401


def test_body_credentials_can_be_refused() -> None:
    with pytest.raises(OAuthError) as caught:
        client_credentials(None, {"client_id": "app id", "client_secret": "x"}, body_auth=False)
    assert reason(caught) == ("invalid_client", "no_credentials", 401)


def test_an_error_answer_is_not_cached_and_a_401_names_basic() -> None:
    response = OAuthError("invalid_client", status=401).response(realm="shop")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["www-authenticate"] == 'Basic realm="shop"'
    error = OAuthError("invalid_grant", reason="code_expired").described({"code_expired": "too late"})
    assert error.body() == {"error": "invalid_grant", "error_description": "too late"}
    assert OAuthError("invalid_grant", reason="other").described({}).body() == {"error": "invalid_grant"}


def test_authorize_errors_about_client_or_redirect_are_shown_never_redirected() -> None:
    with pytest.raises(AuthorizePageError, match="Unknown client"):
        read_authorize_request({**BASE, "client_id": "nope"}, CLIENT)
    with pytest.raises(AuthorizePageError, match="redirect_uri"):
        read_authorize_request({**BASE, "redirect_uri": "https://evil.example/cb"}, CLIENT)
    anywhere = OAuthClient("app id", "x")  # no registered URIs: any non-empty one
    assert read_authorize_request({**BASE, "redirect_uri": "https://x.example/"}, anywhere).redirect_uri
    with pytest.raises(AuthorizePageError):
        read_authorize_request({**BASE, "redirect_uri": ""}, anywhere)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"code_challenge": pkce_challenge(VERIFIER), "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ],
)
def test_other_authorize_errors_are_redirected_with_the_state(overrides: dict[str, str], error: str) -> None:
    with pytest.raises(AuthorizeRedirectError) as caught:
        read_authorize_request({**BASE, **overrides}, CLIENT, allowed_scopes={"read", "write"})
    location = caught.value.response().headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("http://localhost:8000/callback?")
    assert query["error"] == [error] and query["state"] == ["st"]


def test_a_checked_request_redirects_with_its_state_and_deduplicated_scopes() -> None:
    checked = read_authorize_request(BASE, CLIENT, allowed_scopes={"read", "write"})
    assert checked.scopes == ("read", "write")
    location = checked.redirect({"code": "abc", "extra": None}).headers["location"]
    assert parse_qs(urlsplit(location).query) == {"code": ["abc"], "state": ["st"]}
    # A provider without PKCE ignores the parameters.
    ignored = read_authorize_request({**BASE, "code_challenge": "short"}, CLIENT, pkce=False)
    assert ignored.challenge is None


def redeem(codes: AuthorizationCodes[str], value: str, **overrides: object) -> AuthorizationCode[str]:
    arguments: dict[str, object] = {
        "client": ClientCredentials("app id", "s3cret:with/odd+chars", basic=True),
        "authenticated": True,
        "redirect_uri": "http://localhost:8000/callback",
        "verifier": None,
        "now": NOW,
    }
    arguments.update(overrides)
    return codes.redeem(value, **arguments)  # type: ignore[arg-type]


def test_codes_work_once_and_a_reuse_can_revoke_what_they_gave() -> None:
    reused: list[str | None] = []
    codes: AuthorizationCodes[str] = AuthorizationCodes(
        300, on_reuse=lambda code: reused.append(code.lineage)
    )
    value = codes.issue(read_authorize_request(BASE, CLIENT), "company-1", NOW)
    code = redeem(codes, value)
    assert code.grant == "company-1"
    code.lineage = "grant-7"
    with pytest.raises(OAuthError) as caught:
        redeem(codes, value)
    assert reason(caught) == ("invalid_grant", "code_reused", 400)
    assert reused == ["grant-7"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"now": NOW + timedelta(seconds=300)}, ("invalid_grant", "code_expired", 400)),
        ({"redirect_uri": "http://localhost:8000/other"}, ("invalid_grant", "redirect_uri_mismatch", 400)),
        (
            {"client": ClientCredentials("other", "x", basic=True)},
            ("invalid_grant", "code_of_another_client", 400),
        ),
        (
            {"authenticated": False, "client": ClientCredentials("app id", None, basic=False)},
            ("invalid_client", "secret_missing", 400),
        ),
    ],
)
def test_code_checks(overrides: dict[str, object], expected: tuple[str, str, int]) -> None:
    codes: AuthorizationCodes[str] = AuthorizationCodes(300)
    value = codes.issue(read_authorize_request(BASE, CLIENT), "company-1", NOW)
    with pytest.raises(OAuthError) as caught:
        redeem(codes, value, **overrides)
    assert reason(caught) == expected
    with pytest.raises(OAuthError) as unknown:
        redeem(codes, "never-issued")
    assert reason(unknown) == ("invalid_grant", "unknown_code", 400)


def test_a_pkce_code_needs_the_verifier_and_no_secret() -> None:
    codes: AuthorizationCodes[str] = AuthorizationCodes(300)
    request = read_authorize_request(
        {**BASE, "code_challenge": pkce_challenge(VERIFIER), "code_challenge_method": "S256"}, CLIENT
    )
    public = ClientCredentials("app id", None, basic=False)
    for wrong in (None, "w" * 43, "v" * 42, "v" * 43 + "!"):
        value = codes.issue(request, "c", NOW)
        with pytest.raises(OAuthError) as caught:
            redeem(codes, value, client=public, authenticated=False, verifier=wrong)
        assert reason(caught) == ("invalid_grant", "pkce_failed", 400)
    value = codes.issue(request, "c", NOW)
    assert redeem(codes, value, client=public, authenticated=False, verifier=VERIFIER).grant == "c"


def test_refresh_rotation_with_a_grace_period_then_revocation() -> None:
    tokens: RefreshTokens[None] = RefreshTokens(grace_s=60)
    first = tokens.issue("rt-1", "grant-1", "app id", NOW, None)
    assert "rt-1" in tokens
    second = tokens.rotate(first, "rt-2", NOW + timedelta(seconds=10))
    assert "rt-1" not in tokens and "rt-2" in tokens and tokens.current("grant-1") is second
    # The replaced value still works inside the grace period, then never again.
    assert tokens.present("rt-1", "app id", NOW + timedelta(seconds=69)) is first
    with pytest.raises(OAuthError) as caught:
        tokens.present("rt-1", "app id", NOW + timedelta(seconds=70))
    assert reason(caught) == ("invalid_grant", "refresh_token_replaced", 400)
    with pytest.raises(OAuthError) as caught:
        tokens.present("rt-2", "another app", NOW)
    assert reason(caught) == ("invalid_grant", "unknown_refresh_token", 400)
    tokens.revoke_lineage("grant-1")
    with pytest.raises(OAuthError) as caught:
        tokens.present("rt-2", "app id", NOW)
    assert reason(caught) == ("invalid_grant", "refresh_token_revoked", 400)


def test_without_grace_a_replaced_refresh_token_fails_at_once() -> None:
    tokens: RefreshTokens[None] = RefreshTokens(grace_s=0)
    tokens.rotate(tokens.issue("rt-1", "g", "app id", NOW, None), "rt-2", NOW)
    with pytest.raises(OAuthError):
        tokens.present("rt-1", "app id", NOW)


def test_bearer_tokens_expire_and_are_revoked() -> None:
    tokens: AccessTokens[str] = AccessTokens()
    tokens.issue("at-1", "grant-1", "app id", NOW + timedelta(hours=1), "company-1")
    assert tokens.authenticate("Bearer at-1", NOW).data == "company-1"
    assert tokens.authenticate("bearer  at-1 ", NOW).value == "at-1"
    for header, why in ((None, "missing"), ("Basic at-1", "missing"), ("Bearer other", "unknown")):
        with pytest.raises(BearerRejected) as caught:
            tokens.authenticate(header, NOW)
        assert caught.value.reason == why
    with pytest.raises(BearerRejected) as caught:
        tokens.authenticate("Bearer at-1", NOW + timedelta(hours=1))
    assert caught.value.reason == "expired" and caught.value.token is not None
    assert tokens.expire_all(NOW - timedelta(minutes=1)) == 1
    tokens.issue("at-2", "grant-2", "app id", NOW + timedelta(hours=1), "company-2")
    tokens.revoke_lineage("grant-2")
    with pytest.raises(BearerRejected) as caught:
        tokens.authenticate("Bearer at-2", NOW)
    assert caught.value.reason == "revoked"
