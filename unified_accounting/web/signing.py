"""Small signed tokens (HMAC-SHA256) for connect links, and keyed digests for CSRF fields.

A token is ``base64url(JSON payload) "." base64url(signature)``, each part unpadded and decoded
strictly (one spelling per token: trailing or stray characters are refused); every payload carries
its purpose and an expiry, so nothing is valid forever.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

from ..errors import ConfigurationError

MIN_SIGNING_KEY_LENGTH = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
#: A signature is one HMAC-SHA256: 32 bytes, 43 characters unpadded.
_SIGNATURE_LENGTH = 43


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url strictly: only the alphabet, and only its canonical spelling
    (Python's decoder would skip stray characters and ignore the last character's spare bits,
    so one token would have many accepted spellings)."""
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not unpadded base64url")
    decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(decoded) != text:
        raise ValueError("not the canonical base64url spelling")
    return decoded


class Signer:
    """Signs and checks short payloads with one secret key."""

    def __init__(self, key: str) -> None:
        if len(key) < MIN_SIGNING_KEY_LENGTH:
            raise ConfigurationError(
                f"the connect page's signing key is {len(key)} characters long: use at least "
                f"{MIN_SIGNING_KEY_LENGTH} random characters (for example from 'ua vault new-key')"
            )
        self._key = hashlib.sha256(b"ua-connect-page:" + key.encode()).digest()

    def __repr__(self) -> str:
        return "<Signer>"

    def _mac(self, message: bytes) -> bytes:
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def sign(self, purpose: str, payload: dict[str, Any], *, max_age: float) -> str:
        body = {**payload, "p": purpose, "exp": int(time.time() + max_age)}
        encoded = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{encoded}.{_b64(self._mac(encoded.encode()))}"

    def verify(self, purpose: str, token: str | None) -> dict[str, Any] | None:
        """The payload of a valid, unexpired token for ``purpose``; ``None`` for anything else."""
        if not token or token.count(".") != 1:
            return None
        encoded, signature = token.split(".")
        if len(signature) != _SIGNATURE_LENGTH:
            return None
        try:
            valid = hmac.compare_digest(_unb64(signature), self._mac(encoded.encode()))
            payload = json.loads(_unb64(encoded)) if valid else None
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("p") != purpose:
            return None
        if not isinstance(payload.get("exp"), int) or payload["exp"] < time.time():
            return None
        return payload

    def digest(self, purpose: str, value: str) -> str:
        """A stable keyed digest (CSRF field values)."""
        return _b64(self._mac(f"{purpose}|{value}".encode()))
