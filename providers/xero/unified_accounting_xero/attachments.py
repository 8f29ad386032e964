"""Files attached to Xero records: ``/{Endpoint}/{Guid}/Attachments/{FileName}``.

Xero's limits (checked by the client before any call, see :data:`LIMITS`): 10 files per record; 10 MB
per file (Xero's attachments page; its invoice, contact, account, credit note, bank transaction and manual
journal pages say 25 MB, so the smaller is enforced); no list of accepted types is published; file names
without ``< > : " / \\ | ? *``. Xero's API cannot delete an attachment, so ``delete`` is refused before
any call; uploading a file of the same name replaces it. ``IncludeOnline`` (shown with the online invoice)
exists on sales invoices and customer credit notes only; Xero keeps no note with a file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from unified_accounting import jsonutil
from unified_accounting.decoding import decode_one
from unified_accounting.errors import FieldIssue, ValidationFailed
from unified_accounting.http.paths import path_segment
from unified_accounting.models import Attachment, AttachmentLimits
from unified_accounting.oauth import rebase
from unified_accounting.provider import AttachmentRef, AttachmentUpload, ProviderSession

from . import api
from .chart import is_guid
from .errors import PROVIDER

#: Unified resource → the Xero endpoint its records (and their attachments) live under.
ENDPOINTS = {
    "invoice": "Invoices",
    "bill": "Invoices",
    "credit_note": "CreditNotes",
    "supplier_credit": "CreditNotes",
    "expense": "BankTransactions",
    "journal_entry": "ManualJournals",
    "customer": "Contacts",
    "supplier": "Contacts",
    "ledger_account": "Accounts",
}
#: Where ``IncludeOnline`` means something: sales documents, which the customer sees online.
ONLINE = frozenset({"invoice", "credit_note"})
MAX_BYTES = 10 * 1024 * 1024
LIMITS = AttachmentLimits(
    resources=frozenset(ENDPOINTS),
    max_bytes=MAX_BYTES,
    max_per_record=10,
    content_types=None,
    forbidden_characters='<>:"|?*',
    deletable=False,
    source="https://developer.xero.com/documentation/api/accounting/attachments",
)
CHUNK = 64 * 1024


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "the attachment cannot be sent to Xero", issues=[FieldIssue(field, message)], provider=PROVIDER
    )


async def _record_id(session: ProviderSession, resource: str, record_id: str) -> str:
    """Xero addresses a record's attachments by its GUID: a ledger account given by code is looked up."""
    if resource == "ledger_account" and not is_guid(record_id):
        account = await api.fetch_record(session, "ledger_account", record_id)
        return str(account.get("AccountID") or record_id)
    return record_id


def _url(session: ProviderSession, resource: str, record_id: str, *more: str) -> str:
    segments = (ENDPOINTS[resource], record_id, "Attachments", *more)
    return rebase("/".join((api.API_BASE, *(path_segment(s) for s in segments))), session.settings.base_url)


def read(resource: str, record_id: str, data: Mapping[str, Any], include_raw: bool) -> Attachment:
    """One element of Xero's ``Attachments`` list as an :class:`Attachment`."""
    attachment = Attachment(
        id=str(data["AttachmentID"]),
        file_name=str(data["FileName"]),
        content_type=data.get("MimeType"),
        size=data.get("ContentLength"),
        resource=resource,
        record_id=record_id,
        include_online=bool(data.get("IncludeOnline") or False),
    )
    return attachment.model_copy(update={"raw": dict(data)}) if include_raw else attachment


def _read_list(resource: str, record_id: str, body: bytes, include_raw: bool) -> list[Attachment]:
    items = jsonutil.loads(body).get("Attachments") or []
    return [read(resource, record_id, item, include_raw) for item in items if isinstance(item, Mapping)]


async def upload(session: ProviderSession, upload: AttachmentUpload) -> Attachment:
    if upload.note is not None:
        raise _refuse("note", "Xero keeps no note with an attachment: leave note out")
    if upload.include_online and upload.resource not in ONLINE:
        raise _refuse(
            "include_online", "Xero shows attachments online only with sales invoices and credit notes"
        )
    record_id = await _record_id(session, upload.resource, upload.record_id)
    query = {"IncludeOnline": "true"} if upload.include_online else None
    response = await session.request(
        "PUT",  # replaces a file of the same name: sending it again is harmless
        _url(session, upload.resource, record_id, upload.file_name),
        params=query,
        content=upload.content,
        headers={"Content-Type": upload.content_type, "Content-Length": str(upload.size)},
    )

    def first(body: bytes) -> Attachment:
        (made,) = _read_list(upload.resource, record_id, body, session.include_raw)[:1]
        return made

    return decode_one(PROVIDER, "attachment", response.content, first)


async def list_for(session: ProviderSession, resource: str, record_id: str) -> list[Attachment]:
    record_id = await _record_id(session, resource, record_id)
    response = await session.request("GET", _url(session, resource, record_id))
    return decode_one(
        PROVIDER,
        "attachment",
        response.content,
        lambda body: _read_list(resource, record_id, body, session.include_raw),
        record_id=record_id,
    )


async def download(session: ProviderSession, ref: AttachmentRef) -> AsyncIterator[bytes]:
    if ref.resource is None or ref.record_id is None:
        raise _refuse(
            "record_id",
            "Xero finds an attachment through its record: pass the Attachment that upload() or list() "
            "returned, or resource= and record_id= with its id",
        )
    if ref.resource not in ENDPOINTS:
        raise _refuse("resource", f"Xero keeps no attachments on {ref.resource} records")
    record_id = await _record_id(session, ref.resource, ref.record_id)
    url = _url(session, ref.resource, record_id, ref.id)
    # Xero's SDK asks for the bytes as octet-stream; Xero answers with the stored type.
    async with session.stream("GET", url, headers={"Accept": "application/octet-stream"}) as response:
        async for chunk in response.aiter_bytes(CHUNK):
            yield chunk
