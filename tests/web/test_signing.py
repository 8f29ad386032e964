"""Signed tokens decode strictly: one spelling per token, nothing before, after or inside it."""

from __future__ import annotations

import string

import pytest

from unified_accounting.web.signing import Signer

SIGNER = Signer("signing-key-for-tests-" + "k" * 32)
ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def _other_spelling(encoded: str) -> str:
    """The same bytes spelt differently: flip a spare low bit of the last base64url character."""
    last = ALPHABET.index(encoded[-1])
    return encoded[:-1] + ALPHABET[last ^ 1]


def test_a_token_verifies_for_its_purpose_only() -> None:
    token = SIGNER.sign("link", {"c": "acme"}, max_age=60)
    assert SIGNER.verify("link", token) is not None and SIGNER.verify("link", token)["c"] == "acme"  # type: ignore[index]
    assert SIGNER.verify("session", token) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t + "=",
        lambda t: t + "==",
        lambda t: t + "!",
        lambda t: t + "\n",
        lambda t: t + " ",
        lambda t: t + "A",
        lambda t: " " + t,
        lambda t: t.replace(".", ".="),
        lambda t: t.replace(".", "=."),
        lambda t: t[:10] + "*" + t[10:],
        lambda t: t.split(".")[0] + "." + _other_spelling(t.split(".")[1]),
        lambda t: t + "." + t.split(".")[1],
    ],
)
def test_anything_but_the_exact_token_is_refused(tamper: object) -> None:
    token = SIGNER.sign("link", {"c": "acme"}, max_age=60)
    tampered = tamper(token)  # type: ignore[operator]
    assert tampered != token
    assert SIGNER.verify("link", tampered) is None
