"""QuickBooks ``Attachable``: what files go on which records, and how an Attachable reads as an
:class:`~unified_accounting.Attachment`.

Facts (Intuit API reference, Attachable; the IPP error list):

* A file is uploaded with ``POST /v3/company/{realmId}/upload``, ``multipart/form-data``: a part
  ``file_metadata_NN`` (``application/json``, the Attachable: ``AttachableRef``, ``FileName``,
  ``ContentType``, ``Note``) and a part ``file_content_NN`` (the bytes, with the file's type), paired
  by the suffix. The answer is ``{"AttachableResponse": [{"Attachable": {...}}]}``.
* An upload request carries at most 100 MB (fault 6030 beyond); no per-record count is documented.
* The accepted types are Intuit's list of "approved" extensions and media types (below).
* ``GET /download/{id}`` answers, as text, a signed link valid for 15 minutes (``TempDownloadUri``
  is the same kind of link); the bytes come from that link, without the API's token.
* Delete is ``POST /attachable?operation=delete`` with the whole object as read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from unified_accounting.models import Attachment, AttachmentLimits

#: Unified resource → the ``EntityRef.type`` of an attachment on it.
ENTITY_TYPES: dict[str, str] = {
    "invoice": "Invoice",
    "credit_note": "CreditMemo",
    "payment": "Payment",
    "bill": "Bill",
    "supplier_credit": "VendorCredit",
    "bill_payment": "BillPayment",
    "expense": "Purchase",
    "journal_entry": "JournalEntry",
    "customer": "Customer",
    "supplier": "Vendor",
}
RESOURCES_BY_TYPE = {entity.lower(): resource for resource, entity in ENTITY_TYPES.items()}

#: Intuit's approved attachment types (API reference, Attachable: "approved file types"): ai and
#: eps application/postscript, csv, doc, docx, gif, jpeg, jpg (listed as image/jpg), ods, pdf,
#: png, rtf, tif (listed as image/tif), txt, xls (listed as "application/vnd/ms-excel"), xlsx,
#: xml. The list's odd spellings are kept, with the registered media type of the same extension
#: next to them (what a file's extension gives), so that no approved file is refused here.
CONTENT_TYPES = frozenset(
    {
        "application/postscript",
        "text/csv",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/gif",
        "image/jpeg",
        "image/jpg",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/pdf",
        "image/png",
        "text/rtf",
        "application/rtf",
        "image/tif",
        "image/tiff",
        "text/plain",
        "application/vnd/ms-excel",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/xml",
        "application/xml",
    }
)
#: "The maximum upload size is 100 MB" per request (Intuit API reference, Attachable; fault 6030).
#: Counted in decimal megabytes, the smaller reading.
MAX_BYTES = 100_000_000

LIMITS = AttachmentLimits(
    resources=frozenset(ENTITY_TYPES),
    max_bytes=MAX_BYTES,
    max_per_record=None,  # none documented
    content_types=CONTENT_TYPES,
    deletable=True,
    source="Intuit QuickBooks Online Accounting API reference, Attachable (upload limit, approved types)",
)
#: The ``Category`` an uploaded file gets: "Image" for pictures, "Document" for the rest.
IMAGE_TYPES = frozenset({"image/gif", "image/jpeg", "image/jpg", "image/png", "image/tif", "image/tiff"})


def metadata(
    resource: str, record_id: str, file_name: str, content_type: str, note: str | None, include_online: bool
) -> dict[str, Any]:
    """The ``file_metadata`` part of an upload."""
    data: dict[str, Any] = {
        "AttachableRef": [
            {
                "EntityRef": {"type": ENTITY_TYPES[resource], "value": record_id},
                "IncludeOnSend": include_online,
            }
        ],
        "FileName": file_name,
        "ContentType": content_type,
        "Category": "Image" if content_type in IMAGE_TYPES else "Document",
    }
    if note is not None:
        data["Note"] = note
    return data


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)).astimezone(UTC) if value else None


def read_attachable(data: Mapping[str, Any], *, include_raw: bool = False) -> Attachment:
    """One Attachable → an :class:`Attachment` (on the first record it is attached to)."""
    refs = data.get("AttachableRef") or []
    first = refs[0] if refs and isinstance(refs[0], Mapping) else {}
    entity = first.get("EntityRef") or {}
    meta = data.get("MetaData") or {}
    size = data.get("Size")
    return Attachment(
        id=data.get("Id"),
        row_version=data.get("SyncToken"),
        created_at=_time(meta.get("CreateTime")),
        updated_at=_time(meta.get("LastUpdatedTime")),
        file_name=str(data.get("FileName") or ""),
        content_type=data.get("ContentType"),
        size=int(size) if size is not None else None,
        resource=RESOURCES_BY_TYPE.get(str(entity.get("type") or "").lower()),
        record_id=entity.get("value"),
        note=data.get("Note"),
        include_online=bool(first.get("IncludeOnSend")),
        download_url=data.get("TempDownloadUri"),
        raw=dict(data) if include_raw else None,
    )


__all__ = ["ENTITY_TYPES", "LIMITS", "metadata", "read_attachable"]
