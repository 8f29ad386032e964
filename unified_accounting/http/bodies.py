"""Request bodies read from files in chunks, re-readable for every retry, and multipart forms of them.

An upload must not hold a large file in memory, and a retried request must send the same bytes
again: :class:`UploadContent` reads its source (bytes, a file on disk, a binary file object) from
the start each time it is iterated, and :class:`Body` strings such pieces together with a known
length, which httpx sends as ``Content-Length`` (not chunked).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG as stat_is_file
from typing import IO, Any

import anyio
import anyio.to_thread

from ..errors import FieldIssue, ValidationFailed

#: Bytes read from a file per step.
CHUNK = 64 * 1024
#: A stream that cannot seek is copied to a temporary file, kept in memory up to this size.
SPOOL_IN_MEMORY = 1024 * 1024


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed("invalid file content", issues=[FieldIssue("content", message)])


class UploadContent:
    """A file's bytes, of known ``size``, read from the start every time it is iterated.

    Build it with :meth:`open`; ``async for chunk in content`` yields the bytes in chunks.
    """

    def __init__(
        self, source: bytes | Path | IO[bytes], size: int, *, start: int = 0, name: str | None = None
    ):
        self._source = source
        self._start = start
        #: The length in bytes (for a stream read only up to a limit: the bytes read, see ``complete``).
        self.size = size
        #: False when a stream was read only up to a limit: it holds more than ``size`` bytes.
        self.complete = True
        #: The file's own name, when the content is a file on disk.
        self.name = name

    @classmethod
    async def open(
        cls, content: bytes | bytearray | str | os.PathLike[str] | IO[bytes], *, limit: int | None = None
    ) -> UploadContent:
        """``content`` as an upload: bytes as they are, a path (``str`` or ``Path``) read from disk,
        a binary file object read from its current position (one that cannot seek is first copied
        to a temporary file, up to ``limit`` + 1 bytes: past that it is refused anyway)."""
        if isinstance(content, bytes | bytearray | memoryview):
            return cls(bytes(content), len(content))
        if isinstance(content, str | os.PathLike):
            path = Path(content)
            try:
                stat = await anyio.to_thread.run_sync(path.stat)
            except OSError as exc:
                raise _refused(
                    f"no file can be read at {str(path)!r} ({exc.strerror or exc}): give the path of a "
                    "file, its bytes, or a binary file object"
                ) from None
            if not stat_is_file(stat.st_mode):
                raise _refused(f"{str(path)!r} is not a file")
            return cls(path, stat.st_size, name=path.name)
        if not hasattr(content, "read"):
            raise _refused(
                f"expected bytes, a file path or a binary file object, got {type(content).__name__}"
            )
        return await anyio.to_thread.run_sync(cls._from_stream, content, limit)

    @classmethod
    def _from_stream(cls, stream: IO[bytes], limit: int | None) -> UploadContent:
        name = getattr(stream, "name", None)
        name = Path(name).name if isinstance(name, str) else None
        if _seekable(stream):
            start = stream.tell()
            end = stream.seek(0, os.SEEK_END)
            stream.seek(start)
            return cls(stream, end - start, start=start, name=name)
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        size = 0
        while limit is None or size <= limit:
            chunk = stream.read(CHUNK)
            if not isinstance(chunk, bytes | bytearray):
                spool.close()
                raise _refused("the file object gives text: open the file in binary mode ('rb')")
            if not chunk:
                break
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        content = cls(spool, size, name=name)
        content.complete = limit is None or size <= limit
        return content

    async def chunks(self) -> AsyncIterator[bytes]:
        """The bytes from the start, ``CHUNK`` at a time."""
        source = self._source
        if isinstance(source, bytes):
            view = memoryview(source)
            for offset in range(0, len(source), CHUNK):
                yield bytes(view[offset : offset + CHUNK])
            return
        if isinstance(source, Path):
            async with await anyio.open_file(source, "rb") as file:
                remaining = self.size
                while remaining > 0:
                    chunk = await file.read(min(CHUNK, remaining))
                    if not chunk:
                        raise _refused(f"{source.name!r} became shorter while it was being sent")
                    remaining -= len(chunk)
                    yield chunk
            return
        await anyio.to_thread.run_sync(source.seek, self._start)
        remaining = self.size
        while remaining > 0:
            chunk = await anyio.to_thread.run_sync(source.read, min(CHUNK, remaining))
            if not chunk:
                raise _refused("the file object ended before the size it had when the upload started")
            remaining -= len(chunk)
            yield bytes(chunk)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks()

    async def read(self) -> bytes:
        """All the bytes at once (for an API that needs the whole file, such as base64 in JSON)."""
        return b"".join([chunk async for chunk in self.chunks()])

    def close(self) -> None:
        """Free a temporary copy (a stream's); a caller's own file object is left open."""
        if isinstance(self._source, tempfile.SpooledTemporaryFile):
            self._source.close()


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class Body:
    """Pieces (bytes and :class:`UploadContent`) sent one after the other: an async iterable httpx
    streams, which starts again from the first piece when a retry sends it again."""

    def __init__(self, pieces: Sequence[bytes | UploadContent]) -> None:
        self.pieces = tuple(pieces)
        #: The total length in bytes (send it as ``Content-Length``).
        self.length = sum(len(piece) if isinstance(piece, bytes) else piece.size for piece in self.pieces)

    async def _stream(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                async for chunk in piece.chunks():
                    yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream()


@dataclass(frozen=True)
class FormPart:
    """One part of a ``multipart/form-data`` body."""

    name: str
    content: bytes | UploadContent
    content_type: str | None = None
    #: Set for a file part: the name the server stores.
    file_name: str | None = None


def _quoted(value: str) -> str:
    # What browsers do (HTML's multipart encoding): UTF-8, with the quote and line breaks escaped.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_form(parts: Sequence[FormPart], *, boundary: str | None = None) -> tuple[str, Body]:
    """``parts`` as a ``multipart/form-data`` body (RFC 7578): its ``Content-Type`` and the body,
    files streamed from their source rather than read into memory."""
    boundary = boundary or "ua-" + secrets.token_hex(16)
    pieces: list[bytes | UploadContent] = []
    for part in parts:
        disposition = f'form-data; name="{_quoted(part.name)}"'
        if part.file_name is not None:
            disposition += f'; filename="{_quoted(part.file_name)}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if part.content_type:
            head += f"Content-Type: {part.content_type}\r\n"
        pieces += [(head + "\r\n").encode(), part.content, b"\r\n"]
    pieces.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", Body(pieces)


__all__ = ["CHUNK", "Body", "FormPart", "UploadContent", "multipart_form"]
