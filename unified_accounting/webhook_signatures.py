"""Webhook signatures: base64 of an HMAC-SHA256 of the raw body, checked strictly and in constant time.

QuickBooks (``intuit-signature``) and Xero (``x-xero-signature``) sign deliveries this way, and so
do many others: a provider declares the header (``Provider.webhook_signature_header``) and the
default ``Provider.verify_webhook`` checks it with :func:`verify_hmac_sha256_base64`.

Strict: the header must be canonical base64 (standard alphabet, padding, nothing else) of exactly
one SHA-256 digest. A lenient decoder would skip stray characters and accept many spellings of one
signature; nothing a provider sends needs that, so nothing is forgiven.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping


def sign_hmac_sha256_base64(body: bytes, secret: str) -> str:
    """The signature of ``body`` with ``secret``: what a provider puts in its header."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


def verify_hmac_sha256_base64(body: bytes, signature: str | None, secret: str | None) -> bool:
    """Whether ``signature`` (a header value) is the base64 HMAC-SHA256 of ``body`` keyed with
    ``secret``. False for a missing signature or secret and for anything but canonical base64 of a
    32-byte digest; the comparison is constant time."""
    if not signature or not secret:
        return False
    try:
        # Surrounding blanks are not part of a header value (RFC 9110 §5.5); inner ones are refused.
        given = signature.strip(" \t").encode("ascii")
    except UnicodeEncodeError:
        return False
    # The canonical base64 of the expected digest, compared as text: any other spelling (no
    # padding, the URL-safe alphabet, other padding bits, blanks, trailing data) or any other
    # digest differs from it. One C call for the HMAC: this runs on every delivery.
    expected = binascii.b2a_base64(hmac.digest(secret.encode(), body, "sha256"), newline=False)
    return hmac.compare_digest(given, expected)


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` in any letter case (plain mappings included), or ``None``."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


__all__ = ["header_value", "sign_hmac_sha256_base64", "verify_hmac_sha256_base64"]
