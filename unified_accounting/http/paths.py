"""Putting caller-supplied values (record ids, company ids) into URL paths safely.

A record id is data, never URL syntax: ``get("1?minorversion=1&x=")`` must ask for the record of that
odd id, not add query parameters, and ``send("../../oauth2/revoke")`` must not leave the company's
path with the bearer token attached. :func:`path_segment` turns any value into exactly one path
segment; every provider (including third parties') builds its URLs with it.
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import FieldIssue, ValidationFailed


def path_segment(value: str, *, field: str = "id") -> str:
    """``value`` percent-encoded as one URL path segment (``/``, ``?``, ``#``, ``%`` and non-ASCII
    included); an empty value, ``.`` or ``..`` raises :class:`ValidationFailed` naming ``field``.

    >>> path_segment("INV/2024?x#1")
    'INV%2F2024%3Fx%231'
    """
    if not isinstance(value, str):
        raise _refused(field, value, "must be a string")
    if not value:
        raise _refused(field, value, "must not be empty")
    if not value.strip("."):
        # "." and ".." mean "this directory" and "the parent directory" to servers and proxies,
        # even percent-encoded (RFC 3986 normalisation decodes %2E): no encoding makes them safe.
        # Longer runs of dots are refused too (Windows servers drop trailing dots).
        raise _refused(field, value, "'.' and '..' name no record")
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise _refused(field, value, "is not valid Unicode text") from None


def _refused(field: str, value: object, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field} {value!r} cannot be used in a URL",
        issues=[FieldIssue(field, f"{reason}; pass the id exactly as the provider returned it")],
    )
