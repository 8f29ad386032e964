"""The random values of an authorization request: the PKCE verifier and challenge, and ``state``."""

from __future__ import annotations

import secrets

from authlib.oauth2.rfc7636 import create_s256_code_challenge


def new_state() -> str:
    """An unguessable ``state`` value (CSRF protection of the callback)."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier``."""
    return str(create_s256_code_challenge(verifier))


__all__ = ["code_challenge", "new_code_verifier", "new_state"]
