"""Conformance of what a provider declares beyond records: reports, attachments, PDFs, raw requests.

:class:`~unified_accounting.testing.ConformanceSuite` inherits these tests; each checks what the
provider declares (``Provider.reports``, ``Provider.attachment_limits``, ``Operation.PDF``,
``Provider.api_root``) and, for what it does not, that the client refuses before any HTTP call.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from ..catalog import RESOURCES
from ..emulation.pdf import pdf_problems
from ..errors import UnsupportedOperation, ValidationFailed
from ..models import AccountClassification, Attachment, AttachmentLimits, Report, ReportName
from ..provider import Operation, Provider

if TYPE_CHECKING:
    from .conformance import ConformanceEnv

#: The month the harness's sample invoices are issued in (``ProviderHarness.invoice``: 5 January 2026).
PERIOD = (date(2026, 1, 1), date(2026, 1, 31))
#: A day when those invoices are still unpaid and already overdue for common terms.
AGED_AS_OF = date(2026, 3, 1)
#: Bytes no text codec round-trips unchanged: every byte value.
FILE_BYTES = bytes(range(256)) * 8
REFUSED_TYPE = "application/x-conformance-refused"


class SparseFile(io.RawIOBase):
    """A seekable file of ``size`` zero bytes that holds none of them: how the suite offers a file
    beyond a provider's size limit without building it in memory."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self._size - self._position))
        buffer[:count] = bytes(count)
        self._position += count
        return count


def _require_report(env: ConformanceEnv, name: ReportName) -> None:
    if name not in env.provider.reports:
        pytest.skip(f"{env.provider.name} offers no {name.value} report")


def _overrides(provider: Provider, method: str) -> bool:
    return getattr(type(provider), method) is not getattr(Provider, method)


def _income(report: Report, column: str) -> Decimal:
    return report.classified_total(AccountClassification.INCOME, column)


def _accepted_type(limits: AttachmentLimits) -> str:
    if limits.content_types is None or "application/pdf" in limits.content_types:
        return "application/pdf"
    return sorted(limits.content_types)[0]


async def _attachable_record(env: ConformanceEnv, limits: AttachmentLimits) -> tuple[str, str]:
    for resource in sorted(limits.resources, key=lambda name: (name != "invoice", name)):
        if resource in RESOURCES and env.supports(resource, Operation.CREATE):
            record = await env.created(resource)
            return resource, str(record.id)
    pytest.skip(f"the suite can create no record of {', '.join(sorted(limits.resources))} to attach files to")


class DocumentConformance:
    """Mixed into :class:`~unified_accounting.testing.ConformanceSuite` (uses its ``ua_env``)."""

    # --------------------------------------------------------------------------------- reports

    async def test_reports_the_provider_lacks_are_refused_before_http(self, ua_env: ConformanceEnv) -> None:
        lacking = [name for name in ReportName if name not in ua_env.provider.reports]
        if not lacking:
            pytest.skip(f"{ua_env.provider.name} offers every report")
        reports = await ua_env.resource("reports")
        arguments: dict[ReportName, tuple[Any, ...]] = {ReportName.PROFIT_AND_LOSS: PERIOD}
        for name in lacking:
            ua_env.wire.requests.clear()
            with pytest.raises(UnsupportedOperation) as caught:
                await getattr(reports, name.value)(*arguments.get(name, (PERIOD[1],)))
            assert caught.value.provider == ua_env.harness.provider
            assert ua_env.wire.requests == [], f"the {name.value} report reached the provider"

    async def test_profit_and_loss_moves_by_an_invoice(self, ua_env: ConformanceEnv) -> None:
        """Income over the invoice's month grows by exactly its amount before tax, on accrual."""
        _require_report(ua_env, ReportName.PROFIT_AND_LOSS)
        reports = await ua_env.resource("reports")
        before: Report = await reports.profit_and_loss(*PERIOD)
        invoice = await ua_env.new_invoice()
        after: Report = await reports.profit_and_loss(*PERIOD, include_raw=True)
        assert after.name is ReportName.PROFIT_AND_LOSS
        assert (after.start_date, after.end_date) == PERIOD
        assert after.raw, "include_raw=True gave no raw payload"
        assert after.amount_columns, "the profit and loss has no amount column"
        column = after.amount_columns[-1]  # the total, where a provider adds one after its periods
        assert invoice.issue_date is not None and PERIOD[0] <= invoice.issue_date <= PERIOD[1]
        net = (invoice.total or Decimal(0)) - (invoice.total_tax or Decimal(0))
        assert _income(after, column) - _income(before, column) == net

    async def test_balance_sheet_balances(self, ua_env: ConformanceEnv) -> None:
        _require_report(ua_env, ReportName.BALANCE_SHEET)
        reports = await ua_env.resource("reports")
        await ua_env.new_invoice()
        report: Report = await reports.balance_sheet(PERIOD[1])
        assert report.name is ReportName.BALANCE_SHEET and report.as_of == PERIOD[1]
        assert report.amount_columns, "the balance sheet has no amount column"
        for column in report.amount_columns:
            assets = report.classified_total(AccountClassification.ASSET, column)
            claims = report.classified_total(AccountClassification.LIABILITY, column)
            claims += report.classified_total(AccountClassification.EQUITY, column)
            assert assets == claims, f"column {column}: assets {assets} != liabilities and equity {claims}"
            assert assets > 0, "an open invoice is an asset (a receivable) on an accrual balance sheet"

    async def test_trial_balance_debits_equal_credits(self, ua_env: ConformanceEnv) -> None:
        _require_report(ua_env, ReportName.TRIAL_BALANCE)
        reports = await ua_env.resource("reports")
        await ua_env.new_invoice()
        report: Report = await reports.trial_balance(PERIOD[1])
        accounts = [row for row in report.walk() if row.kind == "row" and row.ledger_account_id]
        assert accounts, "no row of the trial balance names its ledger account"
        debit, credit = report.amount_columns[:2]
        assert sum((row.amount(debit) or Decimal(0) for row in accounts), Decimal(0)) == sum(
            (row.amount(credit) or Decimal(0) for row in accounts), Decimal(0)
        )

    async def test_aged_receivables_show_an_open_invoice_of_its_customer(
        self, ua_env: ConformanceEnv
    ) -> None:
        _require_report(ua_env, ReportName.AGED_RECEIVABLES)
        reports = await ua_env.resource("reports")
        invoice = await ua_env.new_invoice()
        report: Report = await reports.aged_receivables(AGED_AS_OF, customer_id=invoice.customer_id)
        rows = list(report.walk())
        assert any(row.party_id == invoice.customer_id for row in rows), "no row names the customer"
        assert any(invoice.amount_due in row.values.values() for row in rows if row.kind != "total"), (
            f"no row shows the {invoice.amount_due} due"
        )

    # ----------------------------------------------------------------------------- attachments

    async def test_attachments_round_trip_byte_for_byte(self, ua_env: ConformanceEnv) -> None:
        limits = ua_env.provider.attachment_limits
        if limits is None:
            pytest.skip(f"{ua_env.provider.name} takes no attachments")
        resource, record_id = await _attachable_record(ua_env, limits)
        attachments = await ua_env.resource("attachments")
        kind = _accepted_type(limits)
        uploaded: Attachment = await attachments.upload(
            resource, record_id, FILE_BYTES, file_name="conformance.pdf", content_type=kind
        )
        assert uploaded.id and uploaded.file_name == "conformance.pdf"
        listed = await attachments.list(resource, record_id)
        assert uploaded.id in {attachment.id for attachment in listed}
        chunks = await attachments.collect("download", uploaded)
        assert b"".join(chunks) == FILE_BYTES
        if limits.deletable:
            await attachments.delete(uploaded)
            assert uploaded.id not in {a.id for a in await attachments.list(resource, record_id)}

    async def test_attachments_beyond_the_limits_are_refused_before_http(
        self, ua_env: ConformanceEnv
    ) -> None:
        limits = ua_env.provider.attachment_limits
        attachments = await ua_env.resource("attachments")
        if limits is None:
            ua_env.wire.requests.clear()
            with pytest.raises(UnsupportedOperation):
                await attachments.upload("invoice", "1", b"x", file_name="a.pdf")
            assert ua_env.wire.requests == []
            return
        resource = sorted(limits.resources)[0]
        refused: list[tuple[dict[str, Any], str]] = []
        if limits.max_bytes is not None:
            big = {"content": SparseFile(limits.max_bytes + 1), "file_name": "big.pdf"}
            refused.append((big | {"content_type": _accepted_type(limits)}, "content"))
        if limits.content_types is not None:
            refused.append(
                ({"content": b"x", "file_name": "a.bin", "content_type": REFUSED_TYPE}, "content_type")
            )
        outside = next((name for name in RESOURCES if name not in limits.resources), None)
        for arguments, field in refused:
            ua_env.wire.requests.clear()
            with pytest.raises(ValidationFailed) as caught:
                await attachments.upload(resource, "1", **arguments)
            assert [issue.field for issue in caught.value.issues] == [field]
            assert ua_env.wire.requests == [], f"a file refused for its {field} reached the provider"
        if outside is not None:
            ua_env.wire.requests.clear()
            with pytest.raises(ValidationFailed) as caught:
                await attachments.upload(outside, "1", b"x", file_name="a.pdf")
            assert [issue.field for issue in caught.value.issues] == ["resource"]
            assert ua_env.wire.requests == []

    # ------------------------------------------------------------------------------------ PDFs

    @pytest.mark.parametrize(
        "resource", [name for name, spec in RESOURCES.items() if Operation.PDF in spec.operations]
    )
    async def test_document_pdf_is_a_pdf(self, ua_env: ConformanceEnv, resource: str) -> None:
        target = await ua_env.records_of(resource)
        if not ua_env.supports(resource, Operation.PDF):
            ua_env.wire.requests.clear()
            with pytest.raises(UnsupportedOperation) as caught:
                await target.pdf("1")
            assert caught.value.operation == "pdf"
            assert ua_env.wire.requests == [], f"pdf on {resource} reached the provider"
            return
        record = await ua_env.created(resource)
        document = await target.pdf(str(record.id))
        assert isinstance(document, bytes)
        assert pdf_problems(document) == []

    # ---------------------------------------------------------------------------- raw requests

    async def test_raw_requests_stay_under_the_company_root(self, ua_env: ConformanceEnv) -> None:
        conn = await ua_env.connection()
        if not _overrides(ua_env.provider, "api_root"):
            with pytest.raises(UnsupportedOperation):
                await conn.request("GET", "anything")
            return
        for path in (
            "../other-company",
            "%2e%2e/x",
            "https://example.com/x",
            "//example.com/x",
            "/abs",
            "a?b=c",
        ):
            ua_env.wire.requests.clear()
            with pytest.raises(ValidationFailed) as caught:
                await conn.request("GET", path)
            assert [issue.field for issue in caught.value.issues] == ["path"], path
            assert ua_env.wire.requests == [], f"{path!r} reached the provider"
        read = ua_env.harness.raw_read()
        if read is None:
            pytest.skip(
                f"the harness names no path to read: override {type(ua_env.harness).__name__}.raw_read()"
            )
        path, params = read
        ua_env.wire.requests.clear()
        response = await conn.request("GET", path, params=params)
        assert response.is_success and response.content
        (sent,) = ua_env.wire.requests
        assert sent[1].endswith(b"/" + path.encode()), sent
        missing = await conn.request("GET", f"{path}/ua-conformance-missing", raise_for_status=False)
        assert 400 <= missing.status_code < 500
