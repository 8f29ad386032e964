"""Attachables: files and notes attached to transactions and names, and the printed PDF of a
sales document.

From Intuit's API reference (Attachable, Invoice) and the IPP error list:

* ``POST /upload`` (``multipart/form-data``) pairs each ``file_metadata_NN`` part (the Attachable
  as JSON) with the ``file_content_NN`` part of the same suffix (the bytes; a part sent with
  ``Content-Transfer-Encoding: base64`` is decoded). The answer lists one ``{"Attachable": ...}``
  per file, or a ``{"Fault": ...}`` for a file refused (a type outside Intuit's approved list, a
  bad reference). A request over 100 MB is refused whole with fault 6030; metadata that is not an
  Attachable gives 6040; an ``EntityRef.type`` that takes no attachments 6050.
* ``POST /attachable`` creates or fully updates one (a note-only record needs ``Note``; the emulator
  takes ``FileName`` without content too), ``?operation=delete`` deletes it (with its bytes).
* ``GET /download/{id}`` answers ``text/plain``: a link that serves the bytes without a token for
  15 minutes, like the signed ``TempDownloadUri`` (which the emulator sets when the file is
  uploaded, so a link read later may have expired: ask ``/download`` for a fresh one).
* ``GET /invoice/{id}/pdf`` and ``/creditmemo/{id}/pdf``: a one-page PDF of the document (the
  real service prints the company's custom form style; the emulator a plain listing).
* Attachables are in Change Data Capture and queryable by ``AttachableRef.EntityRef.value`` and
  ``.Type``; they send no webhooks (Intuit's webhook entity list has none).
"""

from __future__ import annotations

import base64
import binascii
import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from unified_accounting.emulation.pdf import document_pdf

from . import faults, jsonutil
from .faults import QBOFault
from .state import Tombstone

if TYPE_CHECKING:
    from starlette.datastructures import FormData, UploadFile

    from .ledgerview import LedgerView as Ledger

#: Intuit's limit of one upload request (all its files together).
MAX_UPLOAD_BYTES = 100 * 1000 * 1000
UPLOAD_TOO_LARGE = "6030"
NOT_AN_ATTACHABLE = "6040"
UNSUPPORTED_ENTITY = "6050"
#: How long a download link works.
LINK_TTL = timedelta(minutes=15)
#: Entities a file can be attached to here.
ATTACHABLE_TO = frozenset(
    {
        "Invoice",
        "CreditMemo",
        "Payment",
        "Bill",
        "VendorCredit",
        "BillPayment",
        "Purchase",
        "JournalEntry",
        "Customer",
        "Vendor",
        "Item",
    }
)
CATEGORIES = frozenset({"Contact Photo", "Document", "Image", "Receipt", "Signature", "Sound", "Other"})
#: Intuit's approved media types, spelled as its list spells them, and the registered spelling of
#: the same extensions.
APPROVED_TYPES = frozenset(
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
WRITABLE = ("AttachableRef", "FileName", "Note", "Category", "ContentType", "PlaceName", "Lat", "Long", "Tag")
SYSTEM = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status", "time")
PDF_ENTITIES = {"invoice": "Invoice", "creditmemo": "CreditMemo"}


@dataclass
class Link:
    realm_id: str
    attachable_id: str
    issued: datetime


def _text(data: Mapping[str, Any], key: str, limit: int) -> None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise faults.invalid_property(f"{key} is text of at most {limit} characters", key)


def _checked(ledger: Ledger, body: Any, *, file: bool) -> dict[str, Any]:
    """The writable fields of an Attachable sent, checked."""
    if not isinstance(body, dict):
        raise QBOFault(
            NOT_AN_ATTACHABLE, "Invalid metadata", "The file metadata must be an Attachable object"
        )
    data = {key: copy.deepcopy(body[key]) for key in WRITABLE if key in body}
    _text(data, "FileName", 1000)
    _text(data, "Note", 2000)
    _text(data, "ContentType", 100)
    if not file and not data.get("Note") and not data.get("FileName"):
        raise faults.required("Note")
    if data.get("Category") is not None and data["Category"] not in CATEGORIES:
        raise faults.invalid_property(
            f"Category {data['Category']!r} is not one of {sorted(CATEGORIES)}", "Category"
        )
    refs = data.get("AttachableRef") or []
    if not isinstance(refs, list):
        raise faults.request_parse("AttachableRef must be an array")
    for ref in refs:
        entity = ref.get("EntityRef") if isinstance(ref, dict) else None
        if not isinstance(entity, dict) or not entity.get("value") or not entity.get("type"):
            raise faults.required("AttachableRef.EntityRef")
        kind = next((name for name in ATTACHABLE_TO if name.lower() == str(entity["type"]).lower()), None)
        if kind is None:
            raise QBOFault(
                UNSUPPORTED_ENTITY,
                "Unsupported entity type",
                f"Attachable entity type {entity['type']} is not supported",
                "AttachableRef.EntityRef.type",
            )
        if ledger.realm.table(kind).get(str(entity["value"])) is None:
            raise faults.invalid_reference(kind, entity["value"], "AttachableRef.EntityRef.value")
        entity["type"] = kind
        entity["value"] = str(entity["value"])
        ref.setdefault("IncludeOnSend", False)
        ref.setdefault("Inactive", False)
    return data


def write(ledger: Ledger, operation: str, body: Any) -> dict[str, Any]:
    """``POST /attachable`` (create, full update, ``operation=delete``): the answer's object."""
    if not isinstance(body, dict):
        raise faults.request_parse("the Attachable body must be a JSON object")
    now = ledger.clock.now()
    if operation == "delete":
        record = ledger._target("Attachable", body)
        ledger.realm.table("Attachable").remove(record.id, _tombstone(ledger, record.id, now))
        files(ledger).pop(record.id, None)
        return {"Attachable": {"domain": "QBO", "status": "Deleted", "Id": record.id}}
    if operation not in ("create", "update"):
        raise faults.unsupported_operation(f"Operation {operation} is not supported.")
    if body.get("Id") not in (None, ""):
        record = ledger._target("Attachable", body)
        data = _checked(ledger, body, file=record.id in files(ledger))
        for kept in ("Size", "FileAccessUri", "TempDownloadUri"):
            if kept in record.data:
                data[kept] = record.data[kept]
        ledger._stamp_update(record, data, now)
        return {"Attachable": record.data}
    if operation == "update":
        raise faults.required("Id")
    record = ledger._stamp_new("Attachable", _checked(ledger, body, file=False), now)
    return {"Attachable": record.data}


def _tombstone(ledger: Ledger, record_id: str, now: datetime) -> Tombstone:
    return Tombstone("Attachable", record_id, now, ledger.clock.qbo(now))


def files(ledger: Ledger) -> dict[str, tuple[str, bytes]]:
    """The bytes of a company's uploaded files: attachable id → (media type, content)."""
    return ledger.realm.files


async def _content(part: UploadFile) -> bytes:
    content = await part.read()
    if (part.headers.get("content-transfer-encoding") or "").strip().lower() == "base64":
        try:
            content = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            raise faults.request_parse("file content is not valid base64") from None
    return content


async def upload(ledger: Ledger, form: FormData, link_base: str, links: dict[str, Link]) -> dict[str, Any]:
    """``POST /upload``: every file of the form, paired with its metadata by suffix."""
    answers: list[dict[str, Any]] = []
    suffixes = sorted(
        {key.removeprefix("file_content_") for key in form if key.startswith("file_content_")}
        | {key.removeprefix("file_metadata_") for key in form if key.startswith("file_metadata_")}
    )
    if not suffixes:
        raise faults.required("file_content_01")
    for suffix in suffixes:
        try:
            answers.append(await _one(ledger, form, suffix, link_base, links))
        except QBOFault as fault:
            answers.append({"Fault": fault.fault()})
    return {"AttachableResponse": answers}


async def _one(
    ledger: Ledger, form: FormData, suffix: str, link_base: str, links: dict[str, Link]
) -> dict[str, Any]:
    meta_part = form.get(f"file_metadata_{suffix}")
    content_part = form.get(f"file_content_{suffix}")
    if meta_part is None:
        raise QBOFault(NOT_AN_ATTACHABLE, "Invalid metadata", f"file_metadata_{suffix} is missing")
    raw = meta_part if isinstance(meta_part, str) else (await meta_part.read()).decode("utf-8", "replace")
    try:
        body = jsonutil.loads(raw)
    except ValueError:
        raise QBOFault(NOT_AN_ATTACHABLE, "Invalid metadata", "The file metadata is not JSON") from None
    if isinstance(body, dict) and isinstance(body.get("Attachable"), dict):
        body = body["Attachable"]
    data = _checked(ledger, body, file=True)
    if content_part is None or isinstance(content_part, str):
        raise faults.required(f"file_content_{suffix}")
    content = await _content(content_part)
    kind = str(data.get("ContentType") or content_part.content_type or "").split(";")[0].strip().lower()
    if kind not in APPROVED_TYPES:
        raise faults.business(f"The file type {kind or '(none)'} is not supported", "ContentType")
    data["ContentType"] = kind
    data.setdefault("FileName", content_part.filename or "attachment")
    data.setdefault("Category", "Image" if kind.startswith("image/") else "Document")
    data["Size"] = len(content)
    now = ledger.clock.now()
    record = ledger._stamp_new("Attachable", data, now)
    files(ledger)[record.id] = (kind, content)
    realm = ledger.realm.realm_id
    data["FileAccessUri"] = f"/v3/company/{realm}/download/{record.id}"
    data["TempDownloadUri"] = new_link(ledger, record.id, link_base, links)
    record.changed()
    return {"Attachable": record.data}


def new_link(ledger: Ledger, attachable_id: str, link_base: str, links: dict[str, Link]) -> str:
    token = secrets.token_urlsafe(24)
    links[token] = Link(ledger.realm.realm_id, attachable_id, ledger.clock.now())
    return f"{link_base.rstrip('/')}/qbo-files/{token}"


def download_link(ledger: Ledger, attachable_id: str, link_base: str, links: dict[str, Link]) -> str:
    """``GET /download/{id}``: a fresh link to the file's bytes."""
    ledger.read("Attachable", attachable_id)
    if attachable_id not in files(ledger):
        raise faults.business("This attachable holds no file (a note only)", "Id")
    return new_link(ledger, attachable_id, link_base, links)


def linked_file(
    ledger_of: Any, links: dict[str, Link], token: str, now: datetime
) -> tuple[str, bytes] | None:
    """The media type and bytes a link serves, or ``None`` when it expired or its file is gone."""
    link = links.get(token)
    if link is None or now - link.issued > LINK_TTL:
        return None
    return files(ledger_of(link.realm_id)).get(link.attachable_id)


def document_pdf_of(ledger: Ledger, entity_path: str, record_id: str) -> bytes:
    """The printed sales document (``invoice`` or ``creditmemo``) as a PDF."""
    entity = PDF_ENTITIES[entity_path]
    record = ledger.read(entity, record_id).data
    customer = (record.get("CustomerRef") or {}).get("name") or (record.get("CustomerRef") or {}).get("value")
    title = f"{'Invoice' if entity == 'Invoice' else 'Credit Memo'} {record.get('DocNumber') or record['Id']}"
    lines = [f"Date {record.get('TxnDate', '')}", f"Bill to {customer or ''}"]
    for line in record.get("Line") or ():
        if line.get("DetailType") in ("SalesItemLineDetail", "DiscountLineDetail", "DescriptionOnly"):
            lines.append(f"{line.get('Description') or line.get('DetailType')}  {line.get('Amount', '')}")
    tax = (record.get("TxnTaxDetail") or {}).get("TotalTax")
    if tax:
        lines.append(f"Tax {tax}")
    lines.append(f"Total {record.get('TotalAmt', '')} {(record.get('CurrencyRef') or {}).get('value', '')}")
    if entity == "Invoice":
        lines.append(f"Balance due {record.get('Balance', '')}  Due {record.get('DueDate', '')}")
    return document_pdf(title, lines)
