"""The PKCE verifier and challenge of an authorization request (its ``state`` is made and kept by
the vault's state store)."""

from __future__ import annotations

import secrets

from authlib.oauth2.rfc7636 import create_s256_code_challenge


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier``."""
    return str(create_s256_code_challenge(verifier))


__all__ = ["code_challenge", "new_code_verifier"]
