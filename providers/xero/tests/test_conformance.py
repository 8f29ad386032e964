"""The Xero provider passes the conformance suite against its emulator."""

from __future__ import annotations

import pytest

from unified_accounting.models import InvoiceStatus
from unified_accounting.testing import ConformanceSuite
from unified_accounting.testing.conformance import ConformanceEnv


@pytest.mark.anyio
class TestXeroConformance(ConformanceSuite):
    async def test_invoice_void_or_delete(self, ua_env: ConformanceEnv) -> None:
        """Xero deletes only unapproved invoices and voids approved ones, so the suite's check (delete
        the sample invoice, expect ``deleted``) cannot hold for the approved sample that payments need.
        The same promises, checked the Xero way: a draft is deleted, an approved invoice voided."""
        invoices = await ua_env.resource("invoices")
        approved = await ua_env.new_invoice()
        assert approved.status == InvoiceStatus.OPEN
        assert (await invoices.void(approved.id)).status == InvoiceStatus.VOID

        draft_sample = ua_env.harness.invoice(await ua_env.new_customer_id())
        draft = await invoices.create(draft_sample.model_copy(update={"status": InvoiceStatus.DRAFT}))
        await invoices.delete(draft.id)
        assert (await invoices.get(draft.id)).status == InvoiceStatus.DELETED

        approved = await ua_env.new_invoice()
        await invoices.delete(approved.id)
        assert (await invoices.get(approved.id)).status == InvoiceStatus.VOID
