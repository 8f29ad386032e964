"""Settings of the QuickBooks provider: ``Client(providers={"quickbooks": {...}})`` or ``UA_QUICKBOOKS_*``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from unified_accounting.provider import ProviderSettings

#: Intuit's CorePlus allowance of the free Builder tier: metered reads per workspace and month.
BUILDER_TIER_READS = 500_000


class QuickBooksSettings(ProviderSettings):
    """Everything the QuickBooks provider can be told; documented in ``docs/providers/quickbooks.md``."""

    default_item_id: str | None = Field(
        default=None,
        description="Item for an invoice line that names none (QuickBooks needs an ItemRef on every sale).",
    )
    conflict_policy: Literal["raise", "reapply"] = Field(
        default="raise",
        description=(
            "On a stale SyncToken (5010): 'raise' a Conflict, or 'reapply' the caller's changes when "
            "none of the fields they touch changed since the version they had."
        ),
    )
    # Overrides of Intuit's per company-and-app limits (``limits.RATE_LIMITS``: 500 a minute, 10 a
    # second, 10 at once, 40 batch calls a minute); None keeps Intuit's.
    requests_per_minute: int | None = Field(default=None, ge=1)
    requests_per_second: int | None = Field(default=None, ge=1)
    max_concurrent: int | None = Field(default=None, ge=1)
    batch_per_minute: int | None = Field(default=None, ge=1)
    limiter_counts_from: Literal["send", "answer"] = Field(
        default="answer",
        description=(
            "When a request enters the limiter's windows: when answered ('answer': never early, even "
            "when the process is starved of CPU; each window lasts one round trip longer), or when "
            "sent, plus limiter_margin_s ('send': faster, but early if the send itself is delayed)."
        ),
    )
    limiter_margin_s: float = Field(
        default=0.05, ge=0, le=5, description="Seconds added to send times: covers network-delay jitter."
    )
    monthly_read_budget: int | None = Field(
        default=BUILDER_TIER_READS,
        ge=1,
        description="Metered (CorePlus) reads allowed per app and calendar month (UTC); None: no limit.",
    )
    budget_warning_ratio: float = Field(default=0.8, gt=0, le=1)
    cdc_max_objects: int = Field(
        default=1000,
        ge=1,
        description="QuickBooks' cap on objects per CDC answer; an answer this long is taken as truncated.",
    )
