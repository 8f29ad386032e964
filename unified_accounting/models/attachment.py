"""Files attached to records (QuickBooks ``Attachable``, Xero attachments) and each provider's limits.

What a provider accepts is declared as :class:`AttachmentLimits` and checked before any HTTP call,
so a file too large, of a type the provider refuses, one too many on a record, or meant for a
record that cannot hold files is refused with an error naming the limit and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from ..errors import FieldIssue
from .common import RecordMeta


class Attachment(RecordMeta):
    """One file attached to one record. ``id`` is the provider's attachment id."""

    file_name: str
    #: The file's media type as the provider stores it (``"application/pdf"``).
    content_type: str | None = None
    #: The file's length in bytes.
    size: int | None = Field(default=None, ge=0)
    #: The unified resource and the id of the record the file is attached to.
    resource: str | None = None
    record_id: str | None = None
    note: str | None = None
    #: Whether the file goes out with the document when it is sent or viewed online (QuickBooks
    #: ``IncludeOnSend``, Xero ``IncludeOnline``).
    include_online: bool = False
    #: A temporary URL the file can be fetched from without the API, when the provider gives one
    #: (QuickBooks' ``TempDownloadUri`` lasts 15 minutes). It is a credential: never log it.
    download_url: str | None = Field(default=None, repr=False)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size:,} bytes"


def bare_media_type(content_type: str) -> str:
    """``"Text/Plain; charset=utf-8"`` → ``"text/plain"``: how types are compared."""
    return content_type.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class AttachmentLimits:
    """What a provider accepts as attachments, checked by the client before any HTTP call."""

    #: The unified resources whose records can hold files (``frozenset({"invoice", "bill"})``).
    resources: frozenset[str]
    #: The largest file, in bytes (``None``: no documented limit).
    max_bytes: int | None = None
    #: The most files one record holds (``None``: no documented limit).
    max_per_record: int | None = None
    #: The media types accepted, lower case without parameters (``None``: any type).
    content_types: frozenset[str] | None = None
    #: Characters the provider refuses in file names (besides control characters, ``/`` and ``\\``).
    forbidden_characters: str = ""
    #: Whether attachments can be deleted through the API.
    deletable: bool = True
    #: Where the limits are published, for the docs.
    source: str | None = None

    def __post_init__(self) -> None:
        if self.content_types is not None:
            object.__setattr__(
                self, "content_types", frozenset(bare_media_type(kind) for kind in self.content_types)
            )

    def resource_issues(self, provider: str, resource: str) -> list[FieldIssue]:
        if resource in self.resources:
            return []
        which = ", ".join(sorted(self.resources)) or "none"
        return [
            FieldIssue(
                "resource", f"{provider} cannot attach files to {resource} records (it can to: {which})"
            )
        ]

    def file_issues(
        self, provider: str, size: int, content_type: str, *, complete: bool = True
    ) -> list[FieldIssue]:
        """Problems with a file of ``size`` bytes and ``content_type``; ``complete=False`` says the
        file holds more than ``size`` bytes (a stream read only up to the limit)."""
        issues = []
        if self.max_bytes is not None and (size > self.max_bytes or not complete):
            measured = f"the file is {_megabytes(size)} ({size:,} bytes)"
            if not complete:
                measured = f"the file is more than {_megabytes(self.max_bytes)} ({self.max_bytes:,} bytes)"
            issues.append(
                FieldIssue(
                    "content",
                    f"{measured}; {provider} takes files of up to "
                    f"{_megabytes(self.max_bytes)} ({self.max_bytes:,} bytes)",
                )
            )
        if self.content_types is not None and bare_media_type(content_type) not in self.content_types:
            issues.append(
                FieldIssue(
                    "content_type",
                    f"{provider} does not accept {bare_media_type(content_type)!r} files; it accepts: "
                    + ", ".join(sorted(self.content_types)),
                )
            )
        return issues

    def count_issues(self, provider: str, resource: str, existing: int) -> list[FieldIssue]:
        """Problems with adding one more file to a record that holds ``existing`` files."""
        if self.max_per_record is None or existing < self.max_per_record:
            return []
        return [
            FieldIssue(
                "record_id",
                f"the {resource} already has {existing} files; {provider} keeps at most "
                f"{self.max_per_record} per record: delete one first",
            )
        ]


__all__ = ["Attachment", "AttachmentLimits", "bare_media_type"]
