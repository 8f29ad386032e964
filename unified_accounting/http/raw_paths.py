"""Paths of raw requests (``conn.request``), checked so that a call can never leave the company's
API root.

A raw path is URL syntax the caller wrote (``"invoice/42/pdf"``, ``"Reports/BalanceSheet"``),
relative to the root the provider declares for the connected company. It goes out with the
company's bearer token, so everything that could make a server, proxy or client resolve it
elsewhere is refused before any HTTP call: an absolute URL or a scheme, ``//``, a leading ``/``,
empty segments, ``.`` and ``..`` (however they are percent-encoded, double-encoded or spelt in
full-width or other compatibility characters), slashes and backslashes hidden in escapes, ``?`` and
``#`` (query parameters go in ``params=``), control characters and anything outside the characters
of a URL path (percent-encode them). The joined URL is then checked to lie under the root.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote_to_bytes, urlsplit

from ..errors import FieldIssue, ValidationFailed

#: The characters of a URL path segment (RFC 3986 ``pchar``) besides percent escapes.
_PCHAR = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]*")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
#: How many rounds of percent-decoding are looked through (``%252e`` is ``%2e`` is ``.``).
_DECODING_ROUNDS = 4
#: What a segment must not turn into once decoded: separators of paths on some server.
_SEPARATORS = ("/", "\\")


def _refused(path: object, reason: str) -> ValidationFailed:
    return ValidationFailed(f"path {path!r} cannot be requested", issues=[FieldIssue("path", reason)])


def _decoded_forms(path: str, segment: str) -> list[str]:
    """The segment as each round of percent-decoding reads it, compatibility forms included."""
    forms = [segment]
    current = segment
    for _ in range(_DECODING_ROUNDS):
        raw = unquote_to_bytes(current)
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Overlong forms ("%C0%AE" for ".") fooled servers before: escapes must be UTF-8 text.
            raise _refused(path, f"segment {segment!r} has escapes that are not UTF-8 text") from None
        if decoded == current:
            break
        forms.append(decoded)
        current = decoded
    return forms + [unicodedata.normalize("NFKC", form) for form in forms]


def _check_segment(path: str, segment: str) -> None:
    if not segment:
        raise _refused(path, "has an empty segment ('//', or a '/' at its end): remove it")
    bare = _ESCAPE.sub("", segment)
    if "%" in bare:
        raise _refused(path, f"segment {segment!r} has a '%' that starts no escape: write '%25'")
    if not _PCHAR.fullmatch(bare):
        odd = next(c for c in bare if not _PCHAR.fullmatch(c))
        raise _refused(
            path,
            f"segment {segment!r} holds {odd!r}, which is not a URL path character: percent-encode it "
            "(urllib.parse.quote(segment, safe=''))",
        )
    for form in _decoded_forms(path, segment):
        if form.strip(".") == "" or form.strip(". ") == "":
            raise _refused(path, f"segment {segment!r} is a '.' or '..' segment: it would leave the API root")
        if any(separator in form for separator in _SEPARATORS):
            raise _refused(
                path, f"segment {segment!r} hides a '/' or '\\' in an escape: it would split the path"
            )
        if any(unicodedata.category(c) == "Cc" for c in form):
            raise _refused(path, f"segment {segment!r} hides a control character")


def relative_path(path: str) -> str:
    """``path`` checked as a path relative to a company's API root (see the module docstring);
    returned unchanged. Raises ``ValidationFailed`` naming ``path`` and the fix."""
    if not isinstance(path, str):
        raise _refused(path, f"must be a string, got {type(path).__name__}")
    if not path:
        raise _refused(path, "must not be empty: name a path under the company's API root")
    if any(unicodedata.category(c) == "Cc" for c in path):
        raise _refused(path, "holds a control character")
    if not path.isascii():
        raise _refused(path, "holds characters beyond ASCII: percent-encode them (urllib.parse.quote)")
    if "\\" in path:
        raise _refused(
            path, "holds a backslash, which some servers read as '/': percent-encoding it is refused too"
        )
    if "?" in path or "#" in path:
        raise _refused(path, "holds '?' or '#': pass query parameters in params=, and no fragment")
    if path.startswith("//") or _SCHEME.match(path):
        raise _refused(path, "is an absolute URL: give a path relative to the company's API root")
    if path.startswith("/"):
        raise _refused(path, "starts with '/': paths are relative to the company's API root ('invoice/1')")
    for segment in path.split("/"):
        _check_segment(path, segment)
    return path


def join_under(root: str, path: str) -> str:
    """The URL of ``path`` (checked with :func:`relative_path`) under the API ``root``, verified to
    lie under it."""
    relative_path(path)
    base = root.rstrip("/")
    url = f"{base}/{path}"
    parsed, parent = urlsplit(url), urlsplit(base)
    if (parsed.scheme, parsed.netloc) != (parent.scheme, parent.netloc) or not parsed.path.startswith(
        parent.path + "/"
    ):
        raise _refused(path, f"does not stay under the company's API root {base}")
    return url


__all__ = ["join_under", "relative_path"]
