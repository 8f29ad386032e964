"""``/{Endpoint}/{Guid}/Attachments``: files attached to invoices, credit notes, bank transactions,
contacts, accounts and manual journals, their bytes kept in memory.

* ``PUT`` or ``POST .../Attachments/{FileName}`` with the file as the raw body: creates the attachment,
  or replaces the one of the same name (Xero's documented behaviour); ``IncludeOnline=true`` only on
  ACCREC invoices and credit notes. The ``MimeType`` is the request's ``Content-Type``, or the type the
  name's extension names when that is ``application/octet-stream`` (as a recorded Xero answer shows).
  Answer: ``{"Attachments": [{"AttachmentID", "FileName", "Url", "MimeType", "ContentLength",
  "IncludeOnline"?}]}``.
* ``GET .../Attachments``: the list, same shape.
* ``GET .../Attachments/{FileName}`` or ``.../{AttachmentID}``: the bytes, with the stored type and
  ``Content-Disposition: attachment; filename=...``, sent in chunks.
* No ``DELETE``: Xero's API cannot remove an attachment (405 here).

Refused with 400 (texts UNVERIFIED): names holding ``< > : " / \\ | ? *`` or NUL, an eleventh file on one
record (10 per record), a file larger than ``EmulatorOptions.attachment_max_bytes`` (10 MB: Xero's
attachments page; other pages say 25 MB), ``IncludeOnline`` elsewhere than on sales documents.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.responses import Response, StreamingResponse

from .errors import json_response, not_found, problem, simple_validation_error
from .state import Record

#: Endpoints (of those emulated) whose records take attachments, and the entity each holds.
ATTACHABLE = {
    "Invoices": "Invoice",
    "CreditNotes": "CreditNote",
    "BankTransactions": "BankTransaction",
    "Contacts": "Contact",
    "Accounts": "Account",
    "ManualJournals": "ManualJournal",
}
MAX_PER_RECORD = 10
FORBIDDEN = set('<>:"/\\|?*\x00')
CHUNK = 64 * 1024


def _wire(call: Any, endpoint: str, record_id: str, stored: Record) -> dict[str, Any]:
    base = str(call.request.base_url).rstrip("/")
    url = f"{base}/api.xro/2.0/{endpoint}/{record_id}/Attachments/{quote(stored['FileName'], safe='')}"
    out = {
        "AttachmentID": stored["AttachmentID"],
        "FileName": stored["FileName"],
        "Url": url,
        "MimeType": stored["MimeType"],
        "ContentLength": len(stored["_Content"]),
    }
    if "IncludeOnline" in stored:
        out["IncludeOnline"] = stored["IncludeOnline"]
    return out


def _sales_document(record: Record) -> bool:
    return str(record.get("Type")) in ("ACCREC", "ACCRECCREDIT")


async def serve(call: Any, find: Any, record_id: str, name: str | None) -> Response:
    """Answer an attachments request on ``call.resource``'s record ``record_id`` (``find(call, entity,
    key)`` looks records up as the rest of the API does)."""
    em, t, request = call.em, call.tenant, call.request
    endpoint = call.resource
    entity = ATTACHABLE.get(endpoint)
    record = find(call, entity, record_id) if entity else None
    if record is None:
        return not_found(em.options.not_found_body)
    key = str(record.get(f"{entity}ID") or record_id).lower()
    files: list[Record] = t.attachments.setdefault(key, [])
    if request.method == "GET" and name is None:
        return json_response(call.envelope("Attachments", [_wire(call, endpoint, key, f) for f in files]))
    if request.method == "GET" and name is not None:
        found = next((f for f in files if f["AttachmentID"] == name.lower() or f["FileName"] == name), None)
        if found is None:
            return not_found(em.options.not_found_body)
        return _download(found)
    if request.method not in ("PUT", "POST") or name is None:
        return problem(405, "Method Not Allowed", f"{request.method} is not supported on attachments")
    if set(name) & FORBIDDEN or not name.strip():
        return simple_validation_error(f"The file name '{name}' holds a character that is not allowed.")
    online = request.query_params.get("IncludeOnline") or request.query_params.get("includeOnline") or ""
    if online and online.lower() not in ("true", "false"):
        return simple_validation_error("IncludeOnline must be true or false.")
    if online.lower() == "true" and not _sales_document(record):
        return simple_validation_error("IncludeOnline can only be set on sales invoices and credit notes.")
    content = await request.body()
    if len(content) > em.options.attachment_max_bytes:
        return simple_validation_error(
            f"The file is too large: attachments are limited to {em.options.attachment_max_bytes} bytes."
        )
    existing = next((f for f in files if f["FileName"] == name), None)
    if existing is None and len(files) >= MAX_PER_RECORD:
        return simple_validation_error(f"A document can have at most {MAX_PER_RECORD} attachments.")
    given = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if not given or given == "application/octet-stream":
        given = mimetypes.guess_type(name)[0] or "application/octet-stream"
    stored: Record = {
        "AttachmentID": existing["AttachmentID"] if existing else em.ids.new(),
        "FileName": name,
        "MimeType": given,
        "_Content": content,
    }
    if endpoint in ("Invoices", "CreditNotes") and _sales_document(record):
        stored["IncludeOnline"] = online.lower() == "true"
    if existing is not None:
        files[files.index(existing)] = stored
    else:
        files.append(stored)
    record["HasAttachments"] = True
    return json_response(call.envelope("Attachments", [_wire(call, endpoint, key, stored)]))


def _download(stored: Record) -> Response:
    content: bytes = stored["_Content"]

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), CHUNK):
            yield content[start : start + CHUNK]

    return StreamingResponse(
        chunks(),
        media_type=stored["MimeType"],
        headers={
            "Content-Length": str(len(content)),
            "Content-Disposition": f"attachment; filename={quote(stored['FileName'])}",
        },
    )
