"""No recorded cassette anywhere in the repository holds a credential, and the scrubber removes
codes, states and tokens wherever they appear: bodies, any header value, any URL."""

from __future__ import annotations

from pathlib import Path

from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_SECRET as QUICKBOOKS_SECRET
from unified_accounting_xero.emulator import DEFAULT_CLIENT_SECRET as XERO_SECRET
from vcr.request import Request

from unified_accounting.testing.cassettes import REDACTED, find_secrets, scrub_request, scrub_response

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".git", ".venv", "node_modules", "site"}


def every_cassette() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*")
        if path.suffix in (".yaml", ".yml", ".json")
        and "cassettes" in path.relative_to(ROOT).parts
        and not SKIPPED & set(path.relative_to(ROOT).parts)
    )


def test_no_cassette_in_the_repository_holds_a_secret() -> None:
    cassettes = every_cassette()
    assert len([p for p in cassettes if p.suffix == ".yaml"]) >= 12  # both providers' libraries
    assert find_secrets(cassettes, known_secrets=[QUICKBOOKS_SECRET, XERO_SECRET]) == []


def test_find_secrets_sees_codes_states_and_tokens_in_urls_and_forms(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.yaml"
    leaky.write_text(
        "      location:\n"
        "      - https://app.example/callback?code=AB5wOaJvPVKZ&state=s-1&realmId=93414\n"
        "    uri: http://127.0.0.1/oauth2/v1/tokens/revoke?token=rt-123456\n"
        "    body: grant_type=refresh_token&refresh_token=rt-abcdef&client_secret=s3cr3t\n"
    )
    problems = find_secrets([leaky])
    assert sorted(p.split(": ")[1] for p in problems) == [
        "client_secret= not redacted",
        "code= not redacted",
        "refresh_token= not redacted",
        "state= not redacted",
        "token= not redacted",
    ]
    harmless = tmp_path / "harmless.yaml"
    harmless.write_text(
        "    uri: http://127.0.0.1/connect/oauth2?response_type=code&state=REDACTED\n"
        '        \\   <Fault type=\\"SERVICE\\">\\n        <Error code=\\"3001\\">\n'
        "    body: grant_type=authorization_code&code=REDACTED\n"
    )
    assert find_secrets([harmless]) == []


def test_the_scrubber_redacts_a_location_header_and_keeps_the_rest() -> None:
    response = {
        "status": {"code": 302, "message": "Found"},
        "headers": {
            "location": ["https://app.example/callback?code=AB5wOaJvPVKZ&state=state-1&realmId=9341"],
            "www-authenticate": ['Bearer realm="api"'],
            "set-cookie": ["session=abc"],
        },
        "body": {"string": ""},
    }
    scrubbed = scrub_response(response)
    assert scrubbed["headers"]["location"] == [
        f"https://app.example/callback?code={REDACTED}&state={REDACTED}&realmId=9341"
    ]
    assert scrubbed["headers"]["www-authenticate"] == ['Bearer realm="api"']
    assert "set-cookie" not in scrubbed["headers"]


def test_the_scrubber_redacts_request_uris_headers_and_text_bodies() -> None:
    request = Request(
        "GET",
        "http://127.0.0.1/callback?code=abc123&state=xyz&realmId=1&access_token=at-9",
        b"see https://app.example/cb?code=abc123 for details",
        {"X-Forwarded-Authorization": "Basic ZW11bGF0b3I6c2VjcmV0", "Referer": "https://x/?state=xyz"},
    )
    scrubbed = scrub_request(request)
    assert scrubbed.uri == (
        f"http://127.0.0.1/callback?code={REDACTED}&state={REDACTED}&realmId=1&access_token={REDACTED}"
    )
    assert scrubbed.headers["X-Forwarded-Authorization"] == f"Basic {REDACTED}"
    assert scrubbed.headers["Referer"] == f"https://x/?state={REDACTED}"
    assert scrubbed.body == f"see https://app.example/cb?code={REDACTED} for details".encode()
    # Scrubbing is idempotent: a replayed request, scrubbed again, matches what was recorded.
    assert scrub_request(scrubbed).uri == scrubbed.uri


def test_json_bodies_keep_error_codes_but_lose_tokens_and_urls_with_codes() -> None:
    response = {
        "headers": {},
        "body": {
            "string": b'{"access_token": "at-1", "code": "5010", '
            b'"next": "https://app.example/cb?code=c-1&state=s-1"}'
        },
    }
    body = scrub_response(response)["body"]["string"]
    assert body == (
        b'{"access_token": "REDACTED", "code": "5010", '
        b'"next": "https://app.example/cb?code=REDACTED&state=REDACTED"}'
    )


def test_binary_bodies_are_recorded_as_they_are() -> None:
    """A PDF answered or a file uploaded is no text: it is kept byte for byte, not decoded."""
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"
    response = {"status": {"code": 200}, "headers": {}, "body": {"string": pdf}}
    assert scrub_response(response)["body"]["string"] == pdf
    upload = bytes(range(256))
    request = Request("PUT", "http://127.0.0.1/Invoices/1/Attachments/a.bin?code=abc", upload, {})
    scrubbed = scrub_request(request)
    assert scrubbed.body == upload and scrubbed.uri.endswith(f"code={REDACTED}")
