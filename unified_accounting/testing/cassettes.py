"""Recorded HTTP for provider integration tests: record against an emulator or a real sandbox, replay offline.

Cassettes never hold secrets: ``Authorization`` headers are dropped; token-endpoint request and
response bodies have every token, code and client secret replaced by ``REDACTED`` (vcrpy's header
filter alone would leave the bodies); and every URL — request URIs, ``Location`` and any other
header value, text bodies — has its OAuth ``code``, ``state`` and token parameters redacted, as
have ``Bearer``/``Basic`` credentials in any header. Requests are scrubbed the same way before
they are matched, so a redacted cassette still replays. :func:`find_secrets` checks all of it.

Recording is off by default (``record_mode="none"``: a missing interaction fails the test).
Set ``UA_RECORD_CASSETTES=1`` to re-record.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..http.server import serve

__all__ = [
    "cassette_vcr",
    "find_secrets",
    "recording",
    "scrub_request",
    "scrub_response",
    "scrub_value",
    "serve",
]

REDACTED = "REDACTED"
#: JSON fields that carry secrets (token responses, revocation bodies). Only these: a JSON
#: ``code`` is a provider's error code (QuickBooks ``"5010"``), which replays need.
SECRET_JSON_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "client_secret", "token"})
#: Form fields that carry secrets in OAuth requests, including the authorization code.
SECRET_FORM_FIELDS = SECRET_JSON_FIELDS | {"code", "code_verifier"}
#: URL parameters redacted wherever a URL appears (``Location: …/callback?code=…&state=…``).
SECRET_URL_FIELDS = SECRET_FORM_FIELDS | {"state"}
#: Query parameters that differ on every run (idempotency keys) and must not take part in matching.
VOLATILE_QUERY = ("requestid",)
_SECRET_PATTERNS = (
    # Within one line only: the token URL ".../tokens/bearer" is followed by YAML, not a token.
    re.compile(r"(?i)\bbearer[ \t]+[a-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\bbasic[ \t]+[a-z0-9+/=]{8,}"),
    re.compile(r"\beyJ[a-zA-Z0-9_-]{10,}\.[a-zA-Z0-9_-]{10,}"),  # a JWT
)
#: ``name=value`` of a secret URL or form parameter. The name must not continue a longer word
#: (``response_type=code`` is fine) and the value must not open a quote (an XML attribute such as
#: QuickBooks' ``<Error code="3001">`` is an error code, not a secret).
_SECRET_PARAMETER = re.compile(
    r"(?<![A-Za-z0-9_.-])(" + "|".join(sorted(SECRET_URL_FIELDS)) + r")=([^&#\s\"'<>\\]+)"
)
_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)([ \t]+)[a-z0-9._~+/=-]{8,}")


def recording() -> bool:
    return os.environ.get("UA_RECORD_CASSETTES") == "1"


def scrub_value(text: str) -> str:
    """``text`` (a URL, a header value, a line of text) with secret URL parameters and
    ``Bearer``/``Basic`` credentials replaced by ``REDACTED``."""
    text = _SECRET_PARAMETER.sub(
        lambda m: m.group(0) if m.group(2) == REDACTED else f"{m.group(1)}={REDACTED}", text
    )
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_JSON_FIELDS else _scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    if isinstance(value, str):
        return scrub_value(value)
    return value


def _scrub_text(text: str) -> str:
    try:
        return json.dumps(_scrub_json(json.loads(text)))
    except ValueError:
        # A form body or any other text: only the secret parameters change, nothing is re-encoded.
        return scrub_value(text)


def _scrub_headers(headers: Any) -> None:
    """Scrub every value of a request's (name → value) or a response's (name → [values]) headers."""
    for name in list(headers):
        value = headers[name]
        if isinstance(value, list):
            headers[name] = [scrub_value(v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, str):
            headers[name] = scrub_value(value)


def _text_body(body: Any) -> str | None:
    """A body as text to scrub, or ``None`` for none and for binary content (a file uploaded or
    downloaded, a PDF): it is kept byte for byte, since secrets travel in JSON, forms and text."""
    if not body:
        return None
    if not isinstance(body, bytes):
        return str(body)
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def scrub_request(request: Any) -> Any:
    body = request.body
    text = _text_body(body)
    if text is not None:
        request.body = _scrub_text(text).encode()
    request.uri = scrub_value(request.uri)
    _scrub_headers(request.headers)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    text = _text_body(body)
    if text is not None:
        scrubbed = _scrub_text(text)
        response["body"]["string"] = scrubbed.encode() if isinstance(body, bytes) else scrubbed
    headers = response.get("headers", {})
    for header in ("set-cookie", "Set-Cookie"):
        headers.pop(header, None)
    _scrub_headers(headers)
    return response


def cassette_vcr(library: Path, *, record_mode: str | None = None) -> Any:
    """A vcrpy ``VCR`` that scrubs secrets and matches on method, path, query and body.

    Hosts and ports are not matched, so cassettes recorded against an emulator on any port, or a
    real sandbox, replay whatever base URL the test uses.
    """
    import vcr  # vcrpy is a test dependency, not one of the library's: imported when cassettes are used

    return vcr.VCR(
        cassette_library_dir=str(library),
        record_mode=record_mode or ("all" if recording() else "none"),
        match_on=("method", "path", "query"),
        filter_headers=("authorization", "cookie", "x-xero-signature", "intuit-signature"),
        filter_query_parameters=VOLATILE_QUERY,
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )


def find_secrets(paths: Iterable[Path], known_secrets: Iterable[str] = ()) -> list[str]:
    """Places in ``paths`` that look like a credential or contain one of ``known_secrets``."""
    known = [s for s in known_secrets if len(s) >= 6]
    problems: list[str] = []
    for path in paths:
        text = path.read_text(errors="replace")
        for pattern in _SECRET_PATTERNS:
            for match in pattern.finditer(text):
                problems.append(f"{path.name}: {match.group(0)[:24]}…")
        for secret in known:
            if secret in text:
                problems.append(f"{path.name}: contains a known secret ({secret[:4]}…)")
        for field in SECRET_JSON_FIELDS:
            for match in re.finditer(rf'"{field}"\s*:\s*"([^"]*)"', text):
                if match.group(1) not in (REDACTED, ""):
                    problems.append(f"{path.name}: {field} not redacted")
        for match in _SECRET_PARAMETER.finditer(text):
            if match.group(2) != REDACTED:
                problems.append(f"{path.name}: {match.group(1)}= not redacted")
    return problems
