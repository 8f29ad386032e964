"""``conn.attachments``: files attached to invoices, bills and other records.

Uploads are checked against the provider's :class:`~unified_accounting.AttachmentLimits` before
the file is sent (which records take files, the largest file, the media types, how many files a
record holds), and read from their source in chunks; downloads arrive in chunks too, so neither
holds a large file in memory.
"""

from __future__ import annotations

import builtins
import mimetypes
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import anyio
import anyio.to_thread

from ..errors import FieldIssue, UnsupportedOperation, ValidationFailed
from ..http.bodies import UploadContent
from ..models import Attachment, AttachmentLimits
from ..models.context import lone_surrogate
from ..provider import AttachmentRef, AttachmentUpload
from .updates import check_record_id

if TYPE_CHECKING:
    from .async_client import AsyncConnection

#: What an upload's content may be: the bytes, the path of a file, or a binary file object.
Content = bytes | bytearray | str | os.PathLike[str] | IO[bytes]
#: Characters no file name may hold (besides control characters): they separate paths.
_PATH_SEPARATORS = frozenset("/\\")
GENERIC_TYPE = "application/octet-stream"


def _invalid(message: str, issues: builtins.list[FieldIssue]) -> ValidationFailed:
    return ValidationFailed(message, issues=issues)


class AsyncAttachments:
    """``conn.attachments``: upload, list, download and delete the files attached to records."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    def __repr__(self) -> str:
        return f"<AsyncAttachments of {self._conn!r}>"

    @property
    def limits(self) -> AttachmentLimits | None:
        """What the provider accepts (``None``: it takes no attachments)."""
        return self._conn.provider.attachment_limits

    def _limits(self, operation: str) -> AttachmentLimits:
        limits = self._conn.provider.attachment_limits
        if limits is None:
            raise UnsupportedOperation(self._conn.provider.name, operation, "attachment")
        return limits

    def _record(self, limits: AttachmentLimits, resource: str, record_id: str) -> None:
        issues = limits.resource_issues(self._conn.provider.name, resource)
        if issues:
            raise _invalid(f"{resource} records take no attachments", issues)
        check_record_id(record_id)

    def _ref(
        self, attachment: Attachment | str, resource: str | None, record_id: str | None
    ) -> AttachmentRef:
        if isinstance(attachment, Attachment):
            if not attachment.id:
                raise _invalid(
                    "invalid attachment", [FieldIssue("attachment", "has no id: was it uploaded?")]
                )
            return AttachmentRef(
                attachment.id,
                resource or attachment.resource,
                record_id or attachment.record_id,
                attachment.file_name,
            )
        try:
            check_record_id(attachment)
        except ValidationFailed:
            raise _invalid(
                "invalid attachment",
                [FieldIssue("attachment", "give an Attachment or the id of one (a non-empty string)")],
            ) from None
        if record_id is not None:
            check_record_id(record_id)
        return AttachmentRef(attachment, resource, record_id)

    async def upload(
        self,
        resource: str,
        record_id: str,
        content: Content,
        *,
        file_name: str | None = None,
        content_type: str | None = None,
        note: str | None = None,
        include_online: bool = False,
        include_raw: bool | None = None,
    ) -> Attachment:
        """Attach a file to the ``resource`` record ``record_id`` (``"invoice"``, ``"42"``).

        ``content`` is the file's bytes, the path of a file (read in chunks as it is sent) or a
        binary file object. ``file_name`` defaults to the path's name; ``content_type`` to the type
        its extension names. Refused before the file is sent: a record that takes no files, a
        file beyond the provider's size, a type it does not accept, a record that holds as many
        files as the provider allows (counting them takes one call)."""
        provider = self._conn.provider
        limits = self._limits("upload")
        self._record(limits, resource, record_id)
        source = await UploadContent.open(content, limit=limits.max_bytes)
        try:
            name = _file_name(file_name, source, limits)
            kind = content_type or mimetypes.guess_type(name)[0] or GENERIC_TYPE
            issues = limits.file_issues(provider.name, source.size, kind, complete=source.complete)
            if issues:
                raise _invalid(f"the file cannot be attached at {provider.name}", issues)
            session = self._conn.session(include_raw)
            if limits.max_per_record is not None:
                existing = await provider.list_attachments(session, resource, record_id)
                issues = limits.count_issues(provider.name, resource, len(existing))
                if issues:
                    raise _invalid(f"the {resource} holds as many files as {provider.name} allows", issues)
            upload = AttachmentUpload(resource, record_id, name, kind, source, note, include_online)
            return await provider.upload_attachment(session, upload)
        finally:
            source.close()

    async def list(
        self, resource: str, record_id: str, *, include_raw: bool | None = None
    ) -> builtins.list[Attachment]:
        """The files attached to the ``resource`` record ``record_id``."""
        limits = self._limits("list")
        self._record(limits, resource, record_id)
        return await self._conn.provider.list_attachments(
            self._conn.session(include_raw), resource, record_id
        )

    def download(
        self, attachment: Attachment | str, *, resource: str | None = None, record_id: str | None = None
    ) -> AsyncIterator[bytes]:
        """The file's bytes, in chunks as they arrive: ``async for chunk in
        conn.attachments.download(attachment)``. Give an ``Attachment`` (from ``upload`` or
        ``list``), or its id with the record it is attached to where the provider needs it."""
        self._limits("download")
        ref = self._ref(attachment, resource, record_id)
        return self._conn.provider.download_attachment(self._conn.session(None), ref)

    async def download_to(
        self,
        attachment: Attachment | str,
        path: str | os.PathLike[str],
        *,
        resource: str | None = None,
        record_id: str | None = None,
    ) -> int:
        """Write the file to ``path`` as it arrives and return its size in bytes. The file appears
        at ``path`` only once complete: a failed download leaves nothing behind."""
        target = Path(path)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        size = 0
        try:
            async with await anyio.open_file(partial, "wb") as file:
                async for chunk in self.download(attachment, resource=resource, record_id=record_id):
                    await file.write(chunk)
                    size += len(chunk)
            await anyio.to_thread.run_sync(os.replace, partial, target)
        finally:
            await anyio.to_thread.run_sync(_remove, partial)
        return size

    async def delete(
        self, attachment: Attachment | str, *, resource: str | None = None, record_id: str | None = None
    ) -> None:
        """Remove the attachment, where the provider allows it."""
        limits = self._limits("delete")
        if not limits.deletable:
            raise UnsupportedOperation(self._conn.provider.name, "delete", "attachment")
        ref = self._ref(attachment, resource, record_id)
        await self._conn.provider.delete_attachment(self._conn.session(None), ref)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _file_name(given: str | None, source: UploadContent, limits: AttachmentLimits) -> str:
    name = given if given is not None else source.name
    if name is None:
        raise _invalid(
            "the file needs a name",
            [FieldIssue("file_name", "give file_name= (the name the provider shows and stores)")],
        )
    problem = None
    if not isinstance(name, str) or not name.strip():
        problem = "must be a non-empty string"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problem = "holds a control character"
    elif _PATH_SEPARATORS & set(name) or name.strip(".") == "":
        problem = "is a file name, not a path: no '/', '\\', '.' or '..'"
    elif lone_surrogate(name):
        problem = lone_surrogate(name)
    elif limits.forbidden_characters and set(name) & set(limits.forbidden_characters):
        problem = (
            f"holds a character the provider refuses in file names ({' '.join(limits.forbidden_characters)})"
        )
    if problem:
        raise _invalid("invalid file name", [FieldIssue("file_name", problem)])
    return name


__all__ = ["AsyncAttachments", "Content"]
