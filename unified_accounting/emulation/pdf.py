"""Small, well-formed PDF documents for emulators to print, and a structural check of PDFs for tests.

Emulators answer "the invoice as a PDF" with a real PDF file (ISO 32000-1): a header, numbered
objects, a cross-reference table whose byte offsets point at those objects, and a trailer naming the
catalog. :func:`pdf_problems` checks exactly that structure, which is what a PDF reader needs to
open a file without repairing it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: The first bytes of every PDF file (a binary comment follows, as the standard recommends).
HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
#: A cross-reference entry: 20 bytes, its end of line one of " \r", " \n", "\r\n".
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)")


def _text(value: str) -> bytes:
    """``value`` as a PDF literal string: Latin-1 where it can be, parentheses and backslashes escaped."""
    encoded = value.encode("latin-1", errors="replace")
    return b"(" + encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def document_pdf(title: str, lines: Sequence[str] = ()) -> bytes:
    """A one-page PDF showing ``title`` and ``lines`` in Helvetica (what an emulator prints for a
    document); identical input gives identical bytes."""
    text = [b"BT /F1 16 Tf 56 780 Td " + _text(title) + b" Tj ET"]
    for number, line in enumerate(lines[:40]):
        text.append(b"BT /F1 10 Tf 56 %d Td " % (750 - 16 * number) + _text(line) + b" Tj ET")
    stream = b"\n".join(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _text(title) + b" /Producer (unified-accounting emulator) >>",
    ]
    out = bytearray(HEADER)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_problems(data: bytes) -> list[str]:
    """What keeps ``data`` from being a PDF a reader opens as it is (``[]``: nothing): the header,
    the ``startxref`` pointer, a classic cross-reference table whose in-use entries each point at
    ``N G obj``, and a trailer naming its ``/Root``. Files with cross-reference streams (PDF 1.5+)
    are checked up to the pointer only."""
    if not data.startswith(b"%PDF-"):
        return [f"does not start with %PDF- (starts {data[:8]!r})"]
    if not data.rstrip().endswith(b"%%EOF"):
        return ["does not end with %%EOF"]
    found = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data)
    if found is None:
        return ["has no startxref pointer before %%EOF"]
    xref = int(found.group(1))
    if xref >= len(data):
        return [f"startxref points past the end ({xref} of {len(data)} bytes)"]
    if not data.startswith(b"xref", xref):
        object_stream = re.match(rb"\d+ \d+ obj", data[xref : xref + 32])
        return [] if object_stream else [f"startxref {xref} points at neither a table nor an object"]
    problems: list[str] = []
    position = xref + len(b"xref")
    while True:
        header = re.compile(rb"\s*(\d+) (\d+)\s*\r?\n").match(data, position)
        if header is None:
            break
        first, count = int(header.group(1)), int(header.group(2))
        position = header.end()
        for number in range(first, first + count):
            entry = _XREF_ENTRY.match(data, position)
            if entry is None:
                return [*problems, f"cross-reference entry of object {number} is malformed"]
            position = entry.end()
            if entry.group(3) == b"n":
                offset, generation = int(entry.group(1)), int(entry.group(2))
                if not data.startswith(b"%d %d obj" % (number, generation), offset):
                    problems.append(f"object {number} is not at offset {offset}")
    trailer = re.compile(rb"\s*trailer\s*<<(.*?)>>\s*startxref", re.S).match(data, position)
    if trailer is None:
        problems.append("no trailer after the cross-reference table")
    elif b"/Root" not in trailer.group(1):
        problems.append("the trailer names no /Root catalog")
    return problems


__all__ = ["document_pdf", "pdf_problems"]
