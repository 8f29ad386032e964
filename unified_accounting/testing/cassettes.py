"""Recorded HTTP for provider integration tests: record against an emulator or a real sandbox, replay offline.

Cassettes never hold secrets: ``Authorization`` headers are dropped, and token-endpoint request and
response bodies have every token, code and client secret replaced by ``REDACTED`` before they are
written (vcrpy's header filter alone would leave the bodies). :func:`find_secrets` checks that.

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
from urllib.parse import parse_qsl, urlencode

from ..http.server import serve

__all__ = ["cassette_vcr", "find_secrets", "recording", "scrub_request", "scrub_response", "serve"]

REDACTED = "REDACTED"
#: JSON fields that carry secrets (token responses, revocation bodies). Only these: a JSON
#: ``code`` is a provider's error code (QuickBooks ``"5010"``), which replays need.
SECRET_JSON_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "client_secret", "token"})
#: Form fields that carry secrets in OAuth requests, including the authorization code.
SECRET_FORM_FIELDS = SECRET_JSON_FIELDS | {"code", "code_verifier"}
#: Query parameters that differ on every run (idempotency keys) and must not take part in matching.
VOLATILE_QUERY = ("requestid",)
_SECRET_PATTERNS = (
    # Within one line only: the token URL ".../tokens/bearer" is followed by YAML, not a token.
    re.compile(r"(?i)\bbearer[ \t]+[a-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\bbasic[ \t]+[a-z0-9+/=]{8,}"),
    re.compile(r"\beyJ[a-zA-Z0-9_-]{10,}\.[a-zA-Z0-9_-]{10,}"),  # a JWT
)


def recording() -> bool:
    return os.environ.get("UA_RECORD_CASSETTES") == "1"


def _scrub_form(body: str) -> str:
    pairs = parse_qsl(body, keep_blank_values=True)
    if not pairs:
        return body
    return urlencode([(k, REDACTED if k in SECRET_FORM_FIELDS else v) for k, v in pairs])


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_JSON_FIELDS else _scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


def _scrub_text(text: str) -> str:
    try:
        return json.dumps(_scrub_json(json.loads(text)))
    except ValueError:
        return _scrub_form(text) if "=" in text and "\n" not in text else text


def scrub_request(request: Any) -> Any:
    body = request.body
    if body:
        text = body.decode() if isinstance(body, bytes) else str(body)
        request.body = _scrub_text(text).encode()
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if body:
        text = body.decode() if isinstance(body, bytes) else str(body)
        scrubbed = _scrub_text(text)
        response["body"]["string"] = scrubbed.encode() if isinstance(body, bytes) else scrubbed
    for header in ("set-cookie", "Set-Cookie"):
        response.get("headers", {}).pop(header, None)
    return response


def cassette_vcr(library: Path, *, record_mode: str | None = None) -> Any:
    """A vcrpy ``VCR`` that scrubs secrets and matches on method, path, query and body.

    Hosts and ports are not matched, so cassettes recorded against an emulator on any port, or a
    real sandbox, replay whatever base URL the test uses.
    """
    import vcr

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
    return problems
