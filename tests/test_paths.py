"""``path_segment``: any id becomes exactly one URL path segment, or is refused by name."""

from __future__ import annotations

import httpx
import pytest

from unified_accounting import ValidationFailed, path_segment


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("130", "130"),
        ("a/b", "a%2Fb"),
        ("1?minorversion=1&x=", "1%3Fminorversion%3D1%26x%3D"),
        ("1#top", "1%23top"),
        ("100%", "100%25"),
        ("%2e%2e", "%252e%252e"),
        ("...a", "...a"),
        ("Rechnung ä/漢", "Rechnung%20%C3%A4%2F%E6%BC%A2"),
        ("tab\there\r\n", "tab%09here%0D%0A"),
    ],
)
def test_values_become_one_segment(value: str, encoded: str) -> None:
    assert path_segment(value) == encoded
    url = httpx.URL(f"https://api.example/v1/invoices/{path_segment(value)}/send")
    assert url.raw_path.split(b"/") == [b"", b"v1", b"invoices", encoded.encode(), b"send"]
    assert url.query == b""


@pytest.mark.parametrize("value", ["", ".", "..", "...", "\udc80"])
def test_values_that_cannot_name_a_record_are_refused(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        path_segment(value, field="invoice_id")
    assert caught.value.issues[0].field == "invoice_id"
    assert "invoice_id" in str(caught.value)


def test_only_text_is_accepted() -> None:
    with pytest.raises(ValidationFailed, match="must be a string"):
        path_segment(130)  # type: ignore[arg-type]
