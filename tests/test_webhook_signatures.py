"""The one webhook signature check: base64 HMAC-SHA256 of the raw body, strict, constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from unified_accounting_quickbooks import QuickBooksProvider
from unified_accounting_xero.provider import XeroProvider

from unified_accounting import Provider, sign_hmac_sha256_base64, verify_hmac_sha256_base64
from unified_accounting.plugins import get_provider

BODY = b'{"events":[{"id":"e-1"}]}'
SECRET = "webhook-secret"
GOOD = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()


def test_the_signature_is_base64_of_the_hmac_of_the_raw_body() -> None:
    assert sign_hmac_sha256_base64(BODY, SECRET) == GOOD
    assert verify_hmac_sha256_base64(BODY, GOOD, SECRET)
    assert verify_hmac_sha256_base64(BODY, f" {GOOD}\t", SECRET)  # blanks around a header value


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        (BODY + b" ", GOOD, SECRET),  # one byte more
        (BODY, GOOD, "another-secret"),
        (BODY, None, SECRET),
        (BODY, "", SECRET),
        (BODY, GOOD, ""),
        (BODY, GOOD, None),
    ],
)
def test_anything_else_is_refused(body: bytes, signature: str | None, secret: str | None) -> None:
    assert not verify_hmac_sha256_base64(body, signature, secret)


@pytest.mark.parametrize(
    "spelling",
    [
        GOOD.rstrip("="),  # padding left out
        GOOD.replace("+", "-").replace("/", "_"),  # the URL-safe alphabet
        GOOD[:20] + " " + GOOD[20:],  # inner blank
        GOOD[:20] + "\n" + GOOD[20:],
        GOOD + "AA==",  # trailing data
        GOOD[:-2] + chr(ord(GOOD[-2]) + 1) + "=",  # other padding bits: same bytes, not canonical
        base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()[:31]).decode(),  # short
        GOOD[:5] + "é" + GOOD[6:],  # not ASCII
        base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest().encode()).decode(),
    ],
)
def test_only_the_canonical_spelling_of_one_digest_is_accepted(spelling: str) -> None:
    assert spelling != GOOD
    assert not verify_hmac_sha256_base64(BODY, spelling, SECRET)


@pytest.mark.parametrize("name", ["quickbooks", "xero", "ledgerly"])
def test_every_provider_declares_its_header_and_the_core_checks_it(name: str) -> None:
    provider = get_provider(name)
    assert type(provider).verify_webhook is Provider.verify_webhook  # nobody re-implements it
    header = provider.webhook_signature_header
    assert header is not None
    signed = {header.upper(): sign_hmac_sha256_base64(BODY, SECRET)}  # any letter case
    assert provider.verify_webhook(BODY, signed, SECRET)
    assert not provider.verify_webhook(BODY, {header: GOOD.rstrip("=")}, SECRET)
    assert not provider.verify_webhook(BODY, {}, SECRET)


def test_the_declared_headers_are_the_providers_own() -> None:
    assert QuickBooksProvider.webhook_signature_header == "intuit-signature"
    assert XeroProvider.webhook_signature_header == "x-xero-signature"
