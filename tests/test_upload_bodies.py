"""Upload bodies: read from their source in chunks, from the start on every iteration, and checked."""

from __future__ import annotations

import io
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from unified_accounting import ValidationFailed
from unified_accounting.http.bodies import CHUNK, FormPart, UploadContent, multipart_form

pytestmark = pytest.mark.anyio


async def test_a_directory_or_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="is not a file"):
        await UploadContent.open(tmp_path)
    with pytest.raises(ValidationFailed, match="no file can be read"):
        await UploadContent.open(tmp_path / "missing.pdf")


async def test_a_text_stream_is_refused() -> None:
    class TextPipe(io.TextIOBase):
        def read(self, size: int | None = -1) -> str:
            return "text"

    with pytest.raises(ValidationFailed, match="binary mode"):
        await UploadContent.open(TextPipe())  # type: ignore[arg-type]


async def test_every_iteration_starts_again_and_a_shrunk_file_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    data = bytes(range(256)) * (CHUNK // 128)
    path.write_bytes(data)
    content = await UploadContent.open(path)
    assert content.size == len(data) and content.name == "scan.pdf"
    assert await content.read() == data
    assert await content.read() == data
    path.write_bytes(data[:10])
    with pytest.raises(ValidationFailed, match="became shorter"):
        await content.read()


async def test_a_multipart_form_is_well_formed_and_its_length_exact() -> None:
    file = await UploadContent.open(b"\x00\x01\r\n--not-a-boundary\r\n")
    content_type, body = multipart_form(
        [FormPart("note", "Café".encode()), FormPart("file", file, "application/pdf", file_name='a "b".pdf')]
    )
    sent = b"".join([chunk async for chunk in body])
    assert len(sent) == body.length
    assert sent == b"".join([chunk async for chunk in body])  # sent again whole on a retry
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + sent
    )
    parts = list(message.iter_parts())
    assert [part.get_param("name", header="content-disposition") for part in parts] == ["note", "file"]
    assert parts[0].get_payload(decode=True) == "Café".encode()
    assert parts[1].get_content_type() == "application/pdf"
    assert parts[1].get_payload(decode=True) == b"\x00\x01\r\n--not-a-boundary\r\n"
    assert parts[1].get_filename() == "a %22b%22.pdf"  # quotes escaped as browsers do
