"""Reports, attachments, document PDFs and raw requests of the QuickBooks provider (a mixin of
:class:`~unified_accounting_quickbooks.provider.QuickBooksProvider`).

* Reports: ``GET /reports/{ReportName}`` (see :mod:`.reports`).
* Attachments: ``POST /upload`` (multipart), ``select * from Attachable where
  AttachableRef.EntityRef.value = ...``, ``GET /download/{id}`` (a signed link, fetched without
  the token), ``POST /attachable?operation=delete`` with the object as read (see :mod:`.attachments`).
* PDFs: ``GET /invoice/{id}/pdf`` and ``GET /creditmemo/{id}/pdf`` with
  ``Accept: application/pdf, application/json``, so that a failure still arrives as a JSON Fault.
* Raw requests: the root is ``{host}/v3/company/{realmId}``; every call carries ``minorversion``,
  reads check the monthly read budget, writes get a ``requestid``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from unified_accounting import jsonutil
from unified_accounting.decoding import decode_one
from unified_accounting.errors import FieldIssue, NotFound, ProviderError, ValidationFailed
from unified_accounting.http.bodies import CHUNK, FormPart, multipart_form
from unified_accounting.models import Attachment, AttachmentLimits, Report, ReportName
from unified_accounting.provider import AttachmentRef, AttachmentUpload, ProviderSession, ReportRequest

from . import attachments
from .api import MINOR_VERSION, Api, company_url, parse
from .errors import error_from_fault, fault_errors
from .query import literal
from .reports import REPORT_PATHS, read_report, report_params

if TYPE_CHECKING:
    from .codec import QuickBooksCodec

#: The part names of the one file an upload carries (the suffix pairs them).
METADATA_PART, CONTENT_PART = "file_metadata_01", "file_content_01"
#: The documents QuickBooks prints: unified resource → the entity path.
PDF_ENTITIES = {"invoice": "invoice", "credit_note": "creditmemo"}
#: Writes through ``conn.request``: what gets a ``requestid``.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class QuickBooksDocuments:
    """The provider's reports, attachments, PDFs and raw requests (mixed into the provider)."""

    name: ClassVar[str]
    api: Api
    codec: QuickBooksCodec
    reports: ClassVar[frozenset[ReportName]] = frozenset(REPORT_PATHS)
    attachment_limits: ClassVar[AttachmentLimits | None] = attachments.LIMITS

    # ------------------------------------------------------------------------------- reports

    async def report(self, session: ProviderSession, request: ReportRequest) -> Report:
        params = report_params(request)
        body = await self.api.read(session, "reports", REPORT_PATHS[request.name], params=params)
        return self.read_report(session, body, lambda payload: read_report(request.name, payload))  # type: ignore[attr-defined,no-any-return]

    # --------------------------------------------------------------------------- attachments

    def _attachment(self, session: ProviderSession, data: Any) -> Attachment:
        def read(payload: Any) -> Attachment:
            return attachments.read_attachable(payload, include_raw=session.include_raw)

        return decode_one(self.name, "attachment", data, read)

    async def upload_attachment(self, session: ProviderSession, upload: AttachmentUpload) -> Attachment:
        described = attachments.metadata(
            upload.resource,
            upload.record_id,
            upload.file_name,
            upload.content_type,
            upload.note,
            upload.include_online,
        )
        parts = [
            FormPart(METADATA_PART, jsonutil.dumps(described), "application/json"),
            FormPart(CONTENT_PART, upload.content, upload.content_type, file_name=upload.file_name),
        ]
        content_type, body = multipart_form(parts)
        response = await session.request(
            "POST",
            company_url(session, "upload"),
            params={"requestid": session.new_idempotency_key(), "minorversion": MINOR_VERSION},
            content=body,
            headers={"Content-Type": content_type, "Content-Length": str(body.length)},
            idempotent=True,
        )
        answer = parse(response)
        entries = answer.get("AttachableResponse") or [{}]
        entry = entries[0] if isinstance(entries[0], dict) else {}
        errors = fault_errors(entry)
        if errors:
            # The upload answers 200 and reports each file's failure next to it.
            raise error_from_fault(
                errors,
                status_code=response.status_code,
                request_id=response.headers.get("intuit_tid"),
                raw=entry,
            ) or ProviderError(str(errors[0].get("Message")), provider=self.name, raw=entry)
        return self._attachment(session, entry.get("Attachable"))

    async def list_attachments(
        self, session: ProviderSession, resource: str, record_id: str
    ) -> list[Attachment]:
        entity = attachments.ENTITY_TYPES[resource]
        found: list[Attachment] = []
        start = 1
        while True:
            text = (
                f"select * from Attachable where AttachableRef.EntityRef.Type = {literal(entity)} "
                f"and AttachableRef.EntityRef.value = {literal(record_id)} "
                f"startposition {start} maxresults 1000"
            )
            rows = (await self.api.query(session, text)).get("QueryResponse", {}).get("Attachable") or []
            found += [self._attachment(session, row) for row in rows]
            if len(rows) < 1000:
                return found
            start += len(rows)

    async def download_attachment(self, session: ProviderSession, ref: AttachmentRef) -> AsyncIterator[bytes]:
        self.api._check_budget(session)  # the link is a metered read; its bytes are not
        response = await session.request(
            "GET",
            company_url(session, "download", ref.id),
            params={"minorversion": MINOR_VERSION},
            headers={"Accept": "text/plain, application/json"},
        )
        if response.content.lstrip().startswith(b"{"):
            parse(response)  # a Fault answered with 200
        link = response.text.strip()
        async with session.stream("GET", link, headers={"Accept": "*/*"}, authenticated=False) as answer:
            async for chunk in answer.aiter_bytes(CHUNK):
                yield chunk

    async def delete_attachment(self, session: ProviderSession, ref: AttachmentRef) -> None:
        current = (await self.api.read(session, "attachable", ref.id)).get("Attachable")
        if not isinstance(current, dict):
            raise NotFound(f"QuickBooks has no attachable {ref.id!r}", provider=self.name)
        # QuickBooks deletes an Attachable only when sent the whole object as read.
        await self.api.write(session, "attachable", payload=current, params={"operation": "delete"})

    # ---------------------------------------------------------------------------------- PDFs

    async def pdf(self, session: ProviderSession, resource: str, record_id: str) -> bytes:
        self.api._check_budget(session)
        response = await session.request(
            "GET",
            company_url(session, PDF_ENTITIES[resource], record_id, "pdf"),
            params={"minorversion": MINOR_VERSION},
            headers={"Accept": "application/pdf, application/json"},
        )
        if not response.content.startswith(b"%PDF-"):
            parse(response)  # a Fault answered with 200 raises here
        return response.content

    # -------------------------------------------------------------------------- raw requests

    def api_root(self, session: ProviderSession) -> str:
        return company_url(session)

    def prepare_request(
        self, session: ProviderSession, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Every call carries ``minorversion`` (unless the caller chose one); a read first checks
        the monthly budget of metered reads, as the provider's own reads do."""
        if method in ("GET", "HEAD"):
            self.api._check_budget(session)
        if not any(key.lower() == "minorversion" for key in params):
            params = {**params, "minorversion": MINOR_VERSION}
        return params, headers

    def idempotent_request(
        self, session: ProviderSession, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """QuickBooks answers a write sent again with the same ``requestid`` from its store instead
        of applying it twice: a write gets one (unless the caller gave one) and may be retried."""
        if method not in WRITES:
            return None
        given = next((key for key in params if key.lower() == "requestid"), None)
        if given is not None:
            value = params[given]
            if not isinstance(value, str) or not 0 < len(value) <= 50:
                raise ValidationFailed(
                    "invalid raw request: requestid",
                    issues=[FieldIssue("params", "QuickBooks takes a requestid of 1 to 50 characters")],
                    provider=self.name,
                )
            return params, headers
        return {**params, "requestid": session.new_idempotency_key()}, headers


__all__ = ["QuickBooksDocuments"]
